"""The events WebSocket, judged from the client protocol alone: participants join
a stage with their token (the subprotocol), get STAGE_STATE snapshots, PING,
SET_STATE and EXCHANGE_TOKEN; tokens that may not join get JOIN_ERROR;
TOKEN_REUSED, DisconnectParticipant and DeleteStage reach the sockets; the
stage sessions and participants the API reports (boto3 and the AWS CLI) are
the ones that really joined; hostile clients harm nobody else."""
import asyncio
import json
import os
import socket
import time

import pytest
import websockets
from botocore.exceptions import ClientError

from conftest import BIN, Server, cli, client, error_of, wait_for
from events_client import (RECV_S, Events, b64url, claims_of, path_url, query_url,
                           request_id, run, sign_as_server)

IDLE_S = 2          # --session-idle-timeout of the servers here
ID_KEYS = {"id", "userId", "attributes", "audioMuted", "videoStopped", "isPublishing"}


def events_server(*extra):
    """A server whose tokens name its own events and WHIP endpoints."""
    s = Server()
    s.extra_args = ["--endpoint-events", "ws://127.0.0.1:%d/events" % s.port,
                    "--endpoint-whip", "http://127.0.0.1:%d/whip" % s.port,
                    "--session-idle-timeout", str(IDLE_S)] + list(extra)
    return s.start()


@pytest.fixture(scope="module")
def srv():
    s = events_server("--request-timeout", "3")
    yield s
    assert s.stop() == 0


@pytest.fixture(scope="module")
def ivs(srv):
    return client(srv)


@pytest.fixture
def stage(ivs):
    return ivs.create_stage(name="events")["stage"]


def token(ivs, stage, **kw):
    return ivs.create_participant_token(stageArn=stage["arn"], **kw)["participantToken"]


def ids(payload):
    return {p["id"] for p in payload["participants"]}


def entry(payload, pid):
    found = [p for p in payload["participants"] if p["id"] == pid]
    assert len(found) == 1, payload
    return found[0]


def session_of(ivs, stage, timeout=RECV_S):
    """The active session id of stage, waiting for it to appear."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        sid = ivs.get_stage(arn=stage["arn"])["stage"].get("activeSessionId")
        if sid:
            return sid
        time.sleep(0.05)
    raise AssertionError("no activeSessionId on %s" % stage["arn"])


def summary(ivs, stage):
    """The ListStages entry of stage, walking every page."""
    nxt = None
    while True:
        page = ivs.list_stages(maxResults=100, **({"nextToken": nxt} if nxt else {}))
        for s in page["stages"]:
            if s["arn"] == stage["arn"]:
                return s
        nxt = page.get("nextToken")
        assert nxt, "stage %s not listed" % stage["arn"]


# --- joining ---------------------------------------------------------------

def test_join_query_form_echoes_token_and_sends_a_full_snapshot(ivs, stage):
    t = token(ivs, stage, userId="alice", attributes={"role": "host"})

    async def body():
        e = await Events.open(query_url(t["token"]), t["token"])
        assert e.ws.subprotocol == t["token"], "the 101 echoes the token"
        p = await e.state()
        assert p["sequenceNumber"] > 0
        assert p["stageId"] == stage["arn"].split("/")[-1]
        assert isinstance(p["serverFeatures"], list) and isinstance(p["disconnected"], list)
        me = entry(p, t["participantId"])
        assert ID_KEYS <= set(me), me
        assert me["userId"] == "alice" and me["attributes"] == {"role": "host"}
        assert me["audioMuted"] is False and me["videoStopped"] is False and me["isPublishing"] is False
        await e.close()
    run(body())


def test_join_path_form(ivs, stage):
    t = token(ivs, stage, userId="sample")

    async def body():
        e = await Events.open(path_url(t["token"]), t["token"])
        assert e.ws.subprotocol == t["token"]
        p = await e.state()
        assert p["sequenceNumber"] > 0 and t["participantId"] in ids(p)
        await e.ping()
        await e.close()
    run(body())


def test_every_change_is_a_new_snapshot_with_a_higher_sequence(ivs, stage):
    ta, tb = token(ivs, stage, userId="a"), token(ivs, stage, userId="b")

    async def body():
        a = await Events.join(ta["token"])
        first = a.last_seq
        b = await Events.join(tb["token"])
        both = {ta["participantId"], tb["participantId"]}
        assert ids(await a.roster(both)) == both
        assert entry(await b.roster(both), ta["participantId"])["userId"] == "a"
        assert a.last_seq > first
        await b.close()
        p = await a.roster({ta["participantId"]})
        assert tb["participantId"] not in {d["id"] for d in p["disconnected"]}, \
            "a participant that left is not KICKED"
        await a.close()
    run(body())


def test_ping_both_forms(ivs, stage):
    t = token(ivs, stage)

    async def body():
        e = await Events.join(t["token"])
        await e.send({"type": "PING"})
        assert (await e.expect("PONG"))["type"] == "PONG"
        await e.send({"type": "PING", "payload": {"requestId": request_id(), "traceId": "t-1"}})
        await e.expect("PONG")
        await e.close()
    run(body())


def test_set_state_both_forms_reach_everyone(ivs, stage):
    ta, tb = token(ivs, stage), token(ivs, stage)
    a_id = ta["participantId"]

    async def body():
        a = await Events.join(ta["token"])
        b = await Events.join(tb["token"])
        await a.roster({a_id, tb["participantId"]})
        await a.send({"type": "SET_STATE", "version": "0", "audioMuted": True, "videoStopped": False})
        seen = entry(await b.state(lambda p: entry(p, a_id)["audioMuted"]), a_id)
        assert (seen["audioMuted"], seen["videoStopped"]) == (True, False)
        rid = request_id()
        await a.send({"type": "aws:ivs:SET_STATE", "payload": {
            "audioMuted": False, "videoStopped": True, "requestId": rid, "traceId": "t"}})
        reply = await a.expect("aws:ivs:SET_STATE")
        assert reply["payload"]["requestId"] == rid and "error" not in reply["payload"], reply
        seen = entry(await b.state(lambda p: entry(p, a_id)["videoStopped"]), a_id)
        assert (seen["audioMuted"], seen["videoStopped"]) == (False, True)
        own = entry(await a.state(lambda p: entry(p, a_id)["videoStopped"]), a_id)
        assert own["audioMuted"] is False
        await a.close()
        await b.close()
    run(body())


def test_exchange_token(srv, ivs, stage):
    t = token(ivs, stage, userId="ex", duration=5)
    old = t["token"]

    async def body():
        e = await Events.join(old)
        sid = session_of(ivs, stage)
        later = claims_of(old)["exp"] + 600
        fresh = sign_as_server(srv, old, exp=later, iat=int(time.time()))
        rid = request_id()
        await e.send({"type": "aws:ivs:EXCHANGE_TOKEN", "payload": {
            "oldToken": old, "newToken": fresh, "requestId": rid, "traceId": "x"}})
        ack = await e.expect("aws:ivs:EXCHANGE_TOKEN")
        assert ack["payload"]["requestId"] == rid and "error" not in ack["payload"], ack
        # a token of another participant is refused, and the socket lives on
        other = token(ivs, stage)["token"]
        rid2 = request_id()
        await e.send({"type": "aws:ivs:EXCHANGE_TOKEN", "payload": {
            "oldToken": fresh, "newToken": other, "requestId": rid2, "traceId": "y"}})
        nack = await e.expect("aws:ivs:EXCHANGE_TOKEN")
        assert nack["payload"]["requestId"] == rid2 and nack["payload"]["error"]["message"], nack
        await e.ping()
        def names():
            return [x["name"] for x in ivs.list_participant_events(
                stageArn=stage["arn"], sessionId=sid, participantId=t["participantId"])["events"]]
        wait_for(lambda: names() == ["JOINED", "TOKEN_EXCHANGED"], RECV_S, "TOKEN_EXCHANGED")
        await e.close()
        wait_for(lambda: names() == ["JOINED", "TOKEN_EXCHANGED", "LEFT"], RECV_S,
                 "JOINED, TOKEN_EXCHANGED, LEFT")
    run(body())


# --- tokens that may not join ---------------------------------------------

def tamper_signature(tok):
    h, c, s = tok.split(".")
    flip = "A" if s[10] != "A" else "B"
    return "%s.%s.%s" % (h, c, s[:10] + flip + s[11:])


def tamper_claims(tok):
    h, c, s = tok.split(".")
    claims = claims_of(tok)
    claims["user_id"] = "someone-else"
    return "%s.%s.%s" % (h, b64url(json.dumps(claims).encode()), s)


async def join_error(url, tok):
    """The JOIN_ERROR payload the server sends before closing."""
    e = await Events.open(url, tok)
    m = await e.expect("aws:ivs:JOIN_ERROR")
    assert isinstance(m["payload"]["message"], str) and m["payload"]["message"], m
    await e.closed()
    assert not [x for x in e.seen if x.get("type") == "STAGE_STATE"], "no snapshot for a refused join"
    return m["payload"]["code"]


@pytest.mark.parametrize("case,code", [
    ("tampered signature", "TOKEN_INVALID_SIGNATURE"),
    ("tampered claims", "TOKEN_INVALID_SIGNATURE"),
    ("expired", "TOKEN_EXPIRED"),
    ("stage deleted", "STAGE_DELETED"),
    ("participant disconnected", "PARTICIPANT_DISCONNECTED"),
    ("no token", "TOKEN_MISSING"),
    ("garbage", "TOKEN_INVALID"),
])
def test_join_error(srv, ivs, case, code):
    st = ivs.create_stage(name="refused")["stage"]
    t = token(ivs, st)
    good = t["token"]
    url = query_url(good)
    if case == "tampered signature":
        tok = tamper_signature(good)
    elif case == "tampered claims":
        tok = tamper_claims(good)
    elif case == "expired":
        tok = sign_as_server(srv, good, exp=int(time.time()) - 120, iat=int(time.time()) - 720)
    elif case == "stage deleted":
        tok = good
        ivs.delete_stage(arn=st["arn"])
    elif case == "participant disconnected":
        tok = good
        ivs.disconnect_participant(stageArn=st["arn"], participantId=t["participantId"])
    elif case == "no token":
        tok = None
    else:
        tok = "not-a-token"

    async def body():
        assert await join_error(url, tok) == code
        # the stage is unharmed: a good token of it still joins
        if case not in ("stage deleted",):
            ok = await Events.join(token(ivs, st)["token"])
            await ok.close()
    run(body())


# --- the server ends sockets -----------------------------------------------

def test_second_socket_with_the_same_token_disconnects_the_first(ivs, stage):
    t, tw = token(ivs, stage), token(ivs, stage)
    pid = t["participantId"]

    async def body():
        watcher = await Events.join(tw["token"])
        first = await Events.join(t["token"])
        await watcher.roster({pid, tw["participantId"]})
        second = await Events.join(t["token"])
        m = await first.expect("aws:ivs:DISCONNECT")
        assert m["payload"]["code"] == "TOKEN_REUSED", m
        await first.closed()
        await second.ping()
        # one entry for the participant, never two
        await watcher.ping()
        for snap in [x["payload"] for x in watcher.seen if x.get("type") == "STAGE_STATE"]:
            assert [x["id"] for x in snap["participants"]].count(pid) <= 1, snap
        await second.close()
        await watcher.roster({tw["participantId"]})
        await watcher.close()
    run(body())


def test_reconnecting_after_a_lost_connection_is_no_reuse(ivs, stage):
    """The SDK reconnects with the same token after an unexpected close: it
    joins again, as the same participant of the same session."""
    t, tw = token(ivs, stage, userId="flaky"), token(ivs, stage)
    pid = t["participantId"]

    async def body():
        watcher = await Events.join(tw["token"])
        first = await Events.join(t["token"])
        await watcher.roster({pid, tw["participantId"]})
        sid = session_of(ivs, stage)
        first.ws.transport.abort()          # no close frame: the network went away
        again = await Events.join(t["token"])
        assert not [m for m in again.seen if m.get("type") in ("aws:ivs:JOIN_ERROR", "aws:ivs:DISCONNECT")]
        assert pid in ids(again.latest)
        await again.ping()
        await watcher.roster({pid, tw["participantId"]})
        assert session_of(ivs, stage) == sid
        mine = [p for p in ivs.list_participants(stageArn=stage["arn"], sessionId=sid)["participants"]
                if p["userId"] == "flaky"]
        assert [p["participantId"] for p in mine] == [pid], mine
        await again.close()
        await watcher.close()
    run(body())


def test_disconnect_participant_reaches_the_socket(ivs, stage):
    ta, tb = token(ivs, stage), token(ivs, stage)
    a_id, b_id = ta["participantId"], tb["participantId"]

    async def body():
        a = await Events.join(ta["token"])
        b = await Events.join(tb["token"])
        await b.roster({a_id, b_id})
        ivs.disconnect_participant(stageArn=stage["arn"], participantId=a_id, reason="bye")
        m = await a.expect("aws:ivs:DISCONNECT")
        assert m["payload"]["code"] == "PARTICIPANT_DISCONNECTED", m
        await a.closed()
        p = await b.roster({b_id})
        assert {"id": a_id, "status": "KICKED"} in p["disconnected"], p
        # the token may not come back
        assert await join_error(query_url(ta["token"]), ta["token"]) == "PARTICIPANT_DISCONNECTED"
        await b.ping()
        await b.close()
    run(body())


def test_delete_stage_reaches_every_socket(ivs, stage):
    ta, tb = token(ivs, stage), token(ivs, stage)

    async def body():
        a = await Events.join(ta["token"])
        b = await Events.join(tb["token"])
        await a.roster({ta["participantId"], tb["participantId"]})
        ivs.delete_stage(arn=stage["arn"])
        for e in (a, b):
            m = await e.expect("aws:ivs:DISCONNECT")
            assert m["payload"]["code"] == "STAGE_DELETED", m
            await e.closed()
    run(body())


# --- sessions and participants, as the API reports them --------------------

def test_session_lives_while_someone_is_joined_and_ends_after_the_idle_timeout(ivs, stage):
    t = token(ivs, stage)

    async def body():
        assert "activeSessionId" not in ivs.get_stage(arn=stage["arn"])["stage"] or \
            not ivs.get_stage(arn=stage["arn"])["stage"]["activeSessionId"]
        e = await Events.join(t["token"])
        sid = session_of(ivs, stage)
        assert sid.startswith("st-")
        assert summary(ivs, stage).get("activeSessionId") == sid
        got = ivs.get_stage_session(stageArn=stage["arn"], sessionId=sid)["stageSession"]
        assert got["sessionId"] == sid and "startTime" in got and not got.get("endTime")
        await e.close()
        left = time.monotonic()
        # still active within the idle timeout, gone after it
        time.sleep(IDLE_S / 4)
        assert ivs.get_stage(arn=stage["arn"])["stage"].get("activeSessionId") == sid
        wait_for(lambda: not ivs.get_stage(arn=stage["arn"])["stage"].get("activeSessionId"),
                 IDLE_S + 3, "the session to end")
        assert time.monotonic() - left >= IDLE_S * 0.9
        ended = ivs.get_stage_session(stageArn=stage["arn"], sessionId=sid)["stageSession"]
        assert ended["endTime"] > ended["startTime"]
        return sid
    first = run(body())

    async def again():
        e = await Events.join(token(ivs, stage)["token"])
        sid = session_of(ivs, stage)
        await e.close()
        return sid
    second = run(again())
    assert second != first
    sessions = ivs.list_stage_sessions(stageArn=stage["arn"])["stageSessions"]
    assert [s["sessionId"] for s in sessions] == [second, first], "newest first"
    page = ivs.list_stage_sessions(stageArn=stage["arn"], maxResults=1)
    assert [s["sessionId"] for s in page["stageSessions"]] == [second]
    rest = ivs.list_stage_sessions(stageArn=stage["arn"], maxResults=1, nextToken=page["nextToken"])
    assert [s["sessionId"] for s in rest["stageSessions"]] == [first]
    assert not rest.get("nextToken")


def test_participants_filters_paging_and_events(srv, ivs, stage):
    ta = token(ivs, stage, userId="alice", attributes={"seat": "1"})
    tb = token(ivs, stage, userId="bob")
    tc = token(ivs, stage, userId="carol")
    a_id, b_id, c_id = ta["participantId"], tb["participantId"], tc["participantId"]
    arn = stage["arn"]

    async def body():
        a = await Events.join(ta["token"])
        b = await Events.join(tb["token"], url=path_url(tb["token"]),
                              user_agent="Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) "
                                         "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15")
        c = await Events.join(tc["token"])
        await a.roster({a_id, b_id, c_id})
        await b.close()
        await a.roster({a_id, c_id})
        sid = session_of(ivs, stage)

        def listed(**kw):
            return {p["participantId"] for p in
                    ivs.list_participants(stageArn=arn, sessionId=sid, **kw)["participants"]}
        # the history records the leave (the snapshot may go out first)
        wait_for(lambda: listed(filterByState="DISCONNECTED") == {b_id}, RECV_S, "bob DISCONNECTED")
        assert listed() == {a_id, b_id, c_id}
        assert listed(filterByUserId="alice") == {a_id}
        assert listed(filterByState="CONNECTED") == {a_id, c_id}
        assert listed(filterByState="DISCONNECTED") == {b_id}
        assert listed(filterByPublished=True) == set()
        assert listed(filterByPublished=False) == {a_id, b_id, c_id}
        assert listed(filterByRecordingState="ACTIVE") == set()
        assert listed(filterByRecordingState="STOPPED") == set()
        every = ivs.list_participants(stageArn=arn, sessionId=sid)["participants"]
        assert {p["recordingState"] for p in every} == {"DISABLED"}, every
        with pytest.raises(ClientError) as ei:
            ivs.list_participants(stageArn=arn, sessionId=sid, filterByUserId="alice",
                                  filterByState="CONNECTED")
        assert error_of(ei)[0] == "ValidationException"

        # paging: one at a time, each once
        walked, nxt = [], None
        while True:
            kw = {"nextToken": nxt} if nxt else {}
            page = ivs.list_participants(stageArn=arn, sessionId=sid, maxResults=1, **kw)
            assert len(page["participants"]) <= 1
            walked += [p["participantId"] for p in page["participants"]]
            nxt = page.get("nextToken")
            if not nxt:
                break
        assert sorted(walked) == sorted([a_id, b_id, c_id])

        pa = ivs.get_participant(stageArn=arn, sessionId=sid, participantId=a_id)["participant"]
        assert pa["userId"] == "alice" and pa["attributes"] == {"seat": "1"}
        assert pa["state"] == "CONNECTED" and pa["firstJoinTime"]
        assert "chrom" in pa.get("browserName", "").lower(), pa
        assert "linux" in pa.get("osName", "").lower(), pa
        pb = ivs.get_participant(stageArn=arn, sessionId=sid, participantId=b_id)["participant"]
        assert pb["state"] == "DISCONNECTED"
        assert "safari" in pb.get("browserName", "").lower(), pb
        assert "mac" in pb.get("osName", "").lower(), pb

        events = ivs.list_participant_events(stageArn=arn, sessionId=sid, participantId=b_id)["events"]
        assert [x["name"] for x in events] == ["JOINED", "LEFT"], events
        assert events[0]["eventTime"] <= events[1]["eventTime"]

        # the AWS CLI sees the same
        rc, out = cli(srv, "ivs-realtime", "list-participants", "--stage-arn", arn,
                      "--session-id", sid, "--filter-by-state", "CONNECTED")
        assert rc == 0, out
        assert {p["participantId"] for p in out["participants"]} == {a_id, c_id}
        rc, out = cli(srv, "ivs-realtime", "get-participant", "--stage-arn", arn,
                      "--session-id", sid, "--participant-id", b_id)
        assert rc == 0 and out["participant"]["userId"] == "bob", out

        # unknown and malformed ids
        with pytest.raises(ClientError) as ei:
            ivs.get_participant(stageArn=arn, sessionId=sid, participantId="nosuchparticipant1")
        assert error_of(ei)[:3:2] == ("ResourceNotFoundException", 404)
        with pytest.raises(ClientError) as ei:
            client(srv, validate=False).get_participant(stageArn=arn, sessionId=sid,
                                                        participantId="bad id!")
        assert error_of(ei)[:3:2] == ("ValidationException", 400)
        await a.close()
        await c.close()
    run(body())


def test_history_survives_a_restart():
    s = events_server()
    try:
        c = client(s)
        st = c.create_stage(name="restart")["stage"]
        t = token(c, st, userId="before")

        async def join():
            e = await Events.join(t["token"])
            return e
        # the server goes away under a joined participant
        loop = asyncio.new_event_loop()
        e = loop.run_until_complete(asyncio.wait_for(join(), 30))
        sid = session_of(c, st)
        s.restart()
        loop.run_until_complete(asyncio.wait_for(e.closed(), 10))
        loop.close()
        c = client(s)
        p = c.get_participant(stageArn=st["arn"], sessionId=sid,
                              participantId=t["participantId"])["participant"]
        assert p["state"] == "DISCONNECTED" and p["userId"] == "before", p
        wait_for(lambda: c.get_stage_session(stageArn=st["arn"], sessionId=sid)["stageSession"].get("endTime"),
                 IDLE_S + 5, "the session of before the restart to end")
        assert not c.get_stage(arn=st["arn"])["stage"].get("activeSessionId")
        names = [x["name"] for x in c.list_participant_events(
            stageArn=st["arn"], sessionId=sid, participantId=t["participantId"])["events"]]
        assert names[0] == "JOINED" and names[-1] == "LEFT", names
    finally:
        assert s.stop() == 0


# --- bad input harms nobody else ------------------------------------------

async def bystander(ivs, stage):
    """A normal participant of stage, joined."""
    return await Events.join(token(ivs, stage)["token"])


async def unharmed(b):
    """b still gets PONG promptly."""
    t0 = time.monotonic()
    await b.ping(timeout=2)
    assert time.monotonic() - t0 < 2


def test_oversized_frame_closes_1009(ivs, stage):
    t = token(ivs, stage)

    async def body():
        b = await bystander(ivs, stage)
        e = await Events.join(t["token"])
        await b.roster({b.me, e.me})
        await e.send(json.dumps({"type": "PING", "pad": "x" * (65 * 1024)}))
        assert await e.closed() == 1009
        await b.roster({b.me})
        await unharmed(b)
        await b.close()
    run(body())


def test_frame_of_64_kib_is_fine(ivs, stage):
    t = token(ivs, stage)

    async def body():
        e = await Events.join(t["token"])
        msg = json.dumps({"type": "PING", "pad": ""})
        await e.send(json.dumps({"type": "PING", "pad": "x" * (64 * 1024 - len(msg))}))
        await e.expect("PONG")
        await e.close()
    run(body())


def test_unknown_types_and_non_json_text_do_not_end_the_socket(ivs, stage):
    t = token(ivs, stage)

    async def body():
        b = await bystander(ivs, stage)
        e = await Events.join(t["token"])
        for junk in ({"type": "NO_SUCH_TYPE", "payload": {}}, {"type": 7}, {"no": "type"}, [1, 2]):
            await e.send(junk)
        await e.ping()
        await e.send("this is not json {")
        try:
            await e.ping()   # ignored: the socket lives
        except websockets.ConnectionClosed as c:
            # or closed as a protocol violation, never with a server failure
            assert c.rcvd and c.rcvd.code in (1002, 1003, 1007, 1008), c
        await unharmed(b)
        await b.close()
    run(body())


def raw_handshake(port, tok, path="/events", src="127.0.0.1", rcvbuf=None):
    """A raw socket that completed the WebSocket handshake (and read nothing else)."""
    s = socket.socket()
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.bind((src, 0))
    s.settimeout(RECV_S)
    s.connect(("127.0.0.1", port))
    req = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
           "Sec-WebSocket-Protocol: %s\r\nUser-Agent: raw\r\n\r\n" % (path, port, tok))
    s.sendall(req.encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(1)
        if not chunk:
            break
        head += chunk
    return s, head


def masked(payload, opcode=1):
    """One client frame (masked with a zero key, which RFC 6455 allows)."""
    n = len(payload)
    if n < 126:
        hdr = bytes([0x80 | opcode, 0x80 | n])
    elif n < 65536:
        hdr = bytes([0x80 | opcode, 0x80 | 126]) + n.to_bytes(2, "big")
    else:
        hdr = bytes([0x80 | opcode, 0x80 | 127]) + n.to_bytes(8, "big")
    return hdr + b"\0\0\0\0" + payload


def test_a_client_that_never_reads_is_closed(srv, ivs, stage):
    t = token(ivs, stage)
    pid = t["participantId"]

    async def body():
        b = await bystander(ivs, stage)
        s, head = raw_handshake(srv.port, t["token"], "/events/" + claims_of(t["token"])["topic"],
                                rcvbuf=4096)
        assert head.startswith(b"HTTP/1.1 101"), head
        await b.roster({b.me, pid})
        s.setblocking(False)
        ping = masked(b'{"type":"PING"}')
        # it keeps asking, never reads: the server must drop it, not buffer forever
        end = time.monotonic() + 20
        dropped = muted = False
        while time.monotonic() < end and not dropped:
            try:
                for _ in range(64):
                    s.send(ping * 256)
            except BlockingIOError:
                pass
            except OSError:
                dropped = True
            muted = not muted
            await b.send({"type": "SET_STATE", "version": "0", "audioMuted": muted, "videoStopped": False})
            try:
                await b.state(lambda p: pid not in ids(p), timeout=0.05)
                dropped = True
            except asyncio.TimeoutError:
                pass
        s.close()
        assert dropped, "the server still keeps a client that never reads"
        await b.roster({b.me}, timeout=RECV_S)
        await unharmed(b)
        await b.close()
    run(body())


def test_a_handshake_that_never_completes_is_cut(srv, ivs, stage):
    t = token(ivs, stage)

    async def body():
        b = await bystander(ivs, stage)
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        s.sendall(("GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                   "Sec-WebSocket-Protocol: %s\r\n" % t["token"]).encode())
        t0 = time.monotonic()
        await unharmed(b)
        got = await asyncio.get_running_loop().run_in_executor(None, drain, s)
        took = time.monotonic() - t0
        assert got is not None, "the connection was never cut"
        assert not got.startswith(b"HTTP/1.1 101"), got
        assert took < 3 + 3, took   # --request-timeout 3, with slack
        await unharmed(b)
        await b.close()
    run(body())


def drain(s):
    """Reads s until the peer closes; returns what came, or None after 10 s."""
    data = b""
    try:
        while True:
            chunk = s.recv(4096)
            if not chunk:
                return data
            data += chunk
    except socket.timeout:
        return None
    except ConnectionResetError:
        return data
    finally:
        s.close()


def flood_tokens(ivs, n):
    """n participant tokens, twelve to a stage (CreateStage's most), so that no
    stage has a crowd whose snapshots would be the cost of the test."""
    out = []
    while len(out) < n:
        made = ivs.create_stage(name="flood", participantTokenConfigurations=[{}] * 12)
        out += [t["token"] for t in made["participantTokens"]]
    return out[:n]


def test_many_sockets_from_one_address_meet_a_bound(srv, ivs):
    """Sockets of valid tokens from 127.0.0.2 until the server refuses one: it
    does by the per-address connection bound, and a participant from
    127.0.0.1 still joins and talks meanwhile."""
    bound = per_address_bound()
    toks = flood_tokens(ivs, bound + 8)
    st = ivs.create_stage(name="beside-the-flood")["stage"]

    def open_all():
        held, refused = [], None
        for i, tok in enumerate(toks):
            try:
                s, head = raw_handshake(srv.port, tok, "/events/" + claims_of(tok)["topic"], "127.0.0.2")
            except OSError as e:
                refused = (i, repr(e))
                break
            held.append(s)
            if not head.startswith(b"HTTP/1.1 101"):
                refused = (i, head[:40])
                break
        return held, refused

    async def body():
        b = await bystander(ivs, st)
        held, refused = await asyncio.get_running_loop().run_in_executor(None, open_all)
        try:
            await unharmed(b)
            late = await bystander(ivs, st)
            await late.ping()
            await late.close()
        finally:
            for s in held:
                s.close()
        await unharmed(b)
        await b.close()
        return refused, len(held)
    refused, n = run(body(), limit=120)
    assert refused is not None, "opened %d sockets from one address, none refused" % n
    assert refused[0] == bound, "refused the socket number %d, the bound is %d: %r" % (refused[0], bound, refused)


def per_address_bound():
    """The smallest per-address bound of the server under test: its source's
    src/limits.h (beside the binary's build/ directory, else this tree's)
    names LIMIT_EVENTS_SOCKETS_PER_ADDRESS and LIMIT_CONNECTIONS_PER_ADDRESS."""
    here = os.path.dirname(os.path.abspath(__file__))
    tried = [os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(BIN)), *[".."] * k, "src", "limits.h"))
             for k in (1, 2)] + [os.path.join(here, "..", "..", "..", "src", "limits.h")]
    for path in tried:
        if not os.path.exists(path):
            continue
        found = [int(line.split()[2]) for line in open(path)
                 if line.split()[:2] in (["#define", "LIMIT_EVENTS_SOCKETS_PER_ADDRESS"],
                                         ["#define", "LIMIT_CONNECTIONS_PER_ADDRESS"])]
        if found:
            return min(found)
    raise AssertionError("no per-address bound in %s" % tried)
