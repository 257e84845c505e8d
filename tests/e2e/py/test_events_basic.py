"""The events socket, through a real WebSocket client (python3-websockets):
joining by both URL forms, the roster as two participants see it, a refused
join, and the session history the joins leave (activeSessionId,
ListParticipants)."""
import asyncio
import json
import time

import pytest
import websockets

from conftest import Server, client

WAIT = 5


def make_stage(ivs, n=1, **conf):
    """A stage and n participant tokens for it."""
    configs = [dict({"userId": "user-%d" % i, "capabilities": ["PUBLISH", "SUBSCRIBE"],
                     "attributes": {"n": str(i)}}, **conf) for i in range(n)]
    out = ivs.create_stage(name="events", participantTokenConfigurations=configs)
    return out["stage"], out["participantTokens"]


def ws_url(server, stage_id, form):
    base = server.url.replace("http://", "ws://")
    if form == "query":
        return "%s/events?error_over_ws=1&topic=%s/publishers&traceid=t1" % (base, stage_id)
    return "%s/events/%s" % (base, stage_id)


async def connect(server, stage_id, token, form="query"):
    return await websockets.connect(ws_url(server, stage_id, form), subprotocols=[token],
                                    open_timeout=WAIT, max_size=2 ** 20)


async def next_of(ws, type_):
    """The next message of type_, skipping others."""
    deadline = time.monotonic() + WAIT
    while True:
        left = deadline - time.monotonic()
        assert left > 0, "no %s within %s s" % (type_, WAIT)
        msg = json.loads(await asyncio.wait_for(ws.recv(), left))
        if msg["type"] == type_:
            return msg


async def state_until(ws, cond):
    """STAGE_STATE snapshots until one satisfies cond; checks the sequence."""
    last = 0
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        msg = await next_of(ws, "STAGE_STATE")
        seq = msg["payload"]["sequenceNumber"]
        assert seq > last
        last = seq
        if cond(msg["payload"]):
            return msg["payload"]
    raise AssertionError("no matching STAGE_STATE")


def ids(payload):
    return sorted(p["id"] for p in payload["participants"])


@pytest.fixture(scope="module")
def srv():
    s = Server(extra_args=["--session-idle-timeout", "1"]).start()
    yield s
    s.stop()


@pytest.fixture
def ivs(srv):
    return client(srv)


@pytest.mark.parametrize("form", ["query", "path"])
def test_join_gets_first_stage_state(srv, ivs, form):
    stage, (tok,) = make_stage(ivs)

    async def go():
        ws = await connect(srv, stage["arn"].split("/")[-1], tok["token"], form)
        assert ws.subprotocol == tok["token"]
        msg = await next_of(ws, "STAGE_STATE")
        p = msg["payload"]
        assert p["sequenceNumber"] == 1
        assert p["stageId"] == stage["arn"].split("/")[-1]
        (me,) = p["participants"]
        assert me["id"] == tok["participantId"]
        assert me["userId"] == "user-0" and me["attributes"] == {"n": "0"}
        assert me["audioMuted"] is False and me["isPublishing"] is False
        assert p["disconnected"] == [] and p["serverFeatures"] == ["xdp"]
        await ws.send(json.dumps({"type": "PING"}))
        assert (await next_of(ws, "PONG")) == {"type": "PONG"}
        await ws.close()
    asyncio.run(go())


def test_two_participants_see_each_other(srv, ivs):
    stage, (a, b) = make_stage(ivs, 2)
    sid = stage["arn"].split("/")[-1]

    async def go():
        wa = await connect(srv, sid, a["token"])
        await state_until(wa, lambda p: ids(p) == [a["participantId"]])
        wb = await connect(srv, sid, b["token"], "path")
        both = sorted([a["participantId"], b["participantId"]])
        await state_until(wb, lambda p: ids(p) == both)
        await state_until(wa, lambda p: ids(p) == both)
        # a state change is seen by the other
        await wb.send(json.dumps({"type": "SET_STATE", "version": "0",
                                  "audioMuted": True, "videoStopped": False}))
        await state_until(wa, lambda p: any(x["id"] == b["participantId"] and x["audioMuted"]
                                            for x in p["participants"]))
        await wb.close()
        await state_until(wa, lambda p: ids(p) == [a["participantId"]])
        await wa.close()
    asyncio.run(go())


def test_join_error_for_a_deleted_stage(srv, ivs):
    stage, (tok,) = make_stage(ivs)
    ivs.delete_stage(arn=stage["arn"])

    async def go():
        ws = await connect(srv, stage["arn"].split("/")[-1], tok["token"])
        assert ws.subprotocol == tok["token"]
        msg = await next_of(ws, "aws:ivs:JOIN_ERROR")
        assert msg["payload"]["code"] == "STAGE_DELETED"
        assert msg["payload"]["message"]
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(ws.recv(), WAIT)
    asyncio.run(go())


def test_bad_signature_and_wrong_topic(srv, ivs):
    stage, (tok,) = make_stage(ivs)
    other, _ = make_stage(ivs)
    head, claims, sig = tok["token"].split(".")
    forged = "%s.%s.%s" % (head, claims, ("A" if sig[0] != "A" else "B") + sig[1:])

    async def code_of(stage_id, token):
        ws = await connect(srv, stage_id, token)
        msg = await next_of(ws, "aws:ivs:JOIN_ERROR")
        await ws.close()
        return msg["payload"]["code"]

    assert asyncio.run(code_of(stage["arn"].split("/")[-1], forged)) == "TOKEN_INVALID_SIGNATURE"
    assert asyncio.run(code_of(other["arn"].split("/")[-1], tok["token"])) == "BAD_REQUEST"
    assert asyncio.run(code_of(stage["arn"].split("/")[-1], "x.y.z")) == "TOKEN_INVALID"


def test_plain_get_is_refused(srv):
    import urllib.error
    import urllib.request
    with pytest.raises(urllib.error.HTTPError) as ei:
        urllib.request.urlopen(srv.url + "/events?topic=abc/publishers", timeout=WAIT)
    assert ei.value.code == 400
    assert json.loads(ei.value.read())["code"] == "BAD_REQUEST"


def test_session_history_follows_the_socket(srv, ivs):
    stage, (tok,) = make_stage(ivs)
    sid = stage["arn"].split("/")[-1]
    assert "activeSessionId" not in ivs.get_stage(arn=stage["arn"])["stage"]

    async def go():
        ws = await connect(srv, sid, tok["token"])
        await next_of(ws, "STAGE_STATE")
        got = ivs.get_stage(arn=stage["arn"])["stage"]
        session = got["activeSessionId"]
        listed = [s for s in ivs.list_stages()["stages"] if s["arn"] == stage["arn"]]
        assert listed[0]["activeSessionId"] == session
        parts = ivs.list_participants(stageArn=stage["arn"], sessionId=session)["participants"]
        assert [(p["participantId"], p["state"]) for p in parts] == \
            [(tok["participantId"], "CONNECTED")]
        await ws.close()
        return session
    session = asyncio.run(go())

    deadline = time.time() + 10
    while time.time() < deadline:
        parts = ivs.list_participants(stageArn=stage["arn"], sessionId=session)["participants"]
        if parts[0]["state"] == "DISCONNECTED" and \
                "activeSessionId" not in ivs.get_stage(arn=stage["arn"])["stage"]:
            break
        time.sleep(0.2)
    assert parts[0]["state"] == "DISCONNECTED"
    assert "activeSessionId" not in ivs.get_stage(arn=stage["arn"])["stage"]
    assert ivs.get_stage_session(stageArn=stage["arn"], sessionId=session)["stageSession"].get("endTime")


def test_moderation_closes_sockets(srv, ivs):
    stage, (a, b) = make_stage(ivs, 2)
    sid = stage["arn"].split("/")[-1]

    async def go():
        wa = await connect(srv, sid, a["token"])
        wb = await connect(srv, sid, b["token"])
        both = sorted([a["participantId"], b["participantId"]])
        await state_until(wa, lambda p: ids(p) == both)
        ivs.disconnect_participant(stageArn=stage["arn"], participantId=b["participantId"],
                                   reason="off you go")
        msg = await next_of(wb, "aws:ivs:DISCONNECT")
        assert msg["payload"] == {"code": "PARTICIPANT_DISCONNECTED", "reason": "off you go"}
        p = await state_until(wa, lambda p: ids(p) == [a["participantId"]] and p["disconnected"])
        assert p["disconnected"] == [{"id": b["participantId"], "status": "KICKED"}]
        # the disconnected participant cannot come back
        again = await connect(srv, sid, b["token"])
        assert (await next_of(again, "aws:ivs:JOIN_ERROR"))["payload"]["code"] == \
            "PARTICIPANT_DISCONNECTED"
        # a second socket with the same token replaces the first
        wa2 = await connect(srv, sid, a["token"])
        msg = await next_of(wa, "aws:ivs:DISCONNECT")
        assert msg["payload"]["code"] == "TOKEN_REUSED"
        await state_until(wa2, lambda p: ids(p) == [a["participantId"]])
        ivs.delete_stage(arn=stage["arn"])
        msg = await next_of(wa2, "aws:ivs:DISCONNECT")
        assert msg["payload"]["code"] == "STAGE_DELETED"
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(wa2.recv(), WAIT)
    asyncio.run(go())


def test_newer_message_forms(srv, ivs):
    stage, (a,) = make_stage(ivs)
    other = ivs.create_participant_token(stageArn=stage["arn"])["participantToken"]
    sid = stage["arn"].split("/")[-1]

    async def go():
        ws = await connect(srv, sid, a["token"])
        await next_of(ws, "STAGE_STATE")
        await ws.send(json.dumps({"type": "PING", "payload": {"requestId": "r1", "traceId": "t"}}))
        await next_of(ws, "PONG")
        await ws.send(json.dumps({"type": "aws:ivs:SET_STATE", "payload": {
            "audioMuted": False, "videoStopped": True, "requestId": "r2", "traceId": "t"}}))
        assert (await next_of(ws, "aws:ivs:SET_STATE"))["payload"]["requestId"] == "r2"
        await state_until(ws, lambda p: p["participants"][0]["videoStopped"])
        # unknown types and text that is not JSON are ignored
        await ws.send("not json")
        await ws.send(json.dumps({"type": "SOMETHING_NEW"}))
        # a token of another participant cannot be exchanged in
        await ws.send(json.dumps({"type": "aws:ivs:EXCHANGE_TOKEN", "payload": {
            "oldToken": a["token"], "newToken": other["token"], "requestId": "r3",
            "traceId": "t3"}}))
        msg = await next_of(ws, "aws:ivs:EXCHANGE_TOKEN")
        assert msg["payload"]["requestId"] == "r3" and msg["payload"]["traceId"] == "t3"
        assert msg["payload"]["error"]["message"]
        await ws.send(json.dumps({"type": "PING"}))
        await next_of(ws, "PONG")
        await ws.close()
    asyncio.run(go())


def test_stop_closes_open_sockets():
    s = Server().start()
    try:
        ivs = client(s)
        stage, (tok,) = make_stage(ivs)

        async def go():
            ws = await connect(s, stage["arn"].split("/")[-1], tok["token"])
            await next_of(ws, "STAGE_STATE")
            started = time.monotonic()
            s.proc.send_signal(15)
            with pytest.raises(websockets.ConnectionClosed) as ei:
                while True:
                    await asyncio.wait_for(ws.recv(), WAIT)
            assert ei.value.rcvd is not None and ei.value.rcvd.code == 1001
            return time.monotonic() - started
        assert asyncio.run(go()) < 3
        s.proc.wait(timeout=WAIT)
        assert s.proc.returncode == 0
    finally:
        assert s.stop() == 0
