"""Media across nodes: two rtstage nodes on one PostgreSQL database, each
minting tokens that name its own URLs. A stage's media lives on one node; an
offer that reaches the other is forwarded to it, and the answer carries the
host's candidates, so media flows between the client and the host. Judged with
aiortc clients (whip_client.py): frames decoded both ways, the SFU gauges of
each node, the history through boto3. Also: DELETE of a session and a leave
(socket closed) on the other node end the media on the host; an offer over
the events socket of the other node is forwarded; a killed host's stage moves
to the node that takes the next offer."""
import asyncio
import random
import re
import signal
import time
import urllib.request

import pytest

import whip_client as w
from conftest import Server, client, pg_database, postgres_only, wait_for
from events_client import Events, claims_of, request_id

pytestmark = postgres_only
FRAMES = 10         # decoded frames each receiver must see ...
FRAMES_S = 15       # ... within this many seconds
DEAD_S = 6          # LIMIT_MEDIA_NODE_DEAD_MS: a killed host's stage may be taken after it
SETTLE_S = 5        # for a gauge or the history to follow what happened


def node(db):
    return Server(db=db, extra_args=["--session-idle-timeout", "5"]).start()


@pytest.fixture
def nodes():
    db = pg_database("mn_%d_%d" % (int(time.time() * 1000), random.randrange(1 << 30)))
    a, b = node(db), node(db)
    yield a, b
    for s in (a, b):
        if s.proc is not None:
            assert s.stop() == 0


def metric(server, name, labels=""):
    """The value of series name{labels} in server's /metrics (0 when absent)."""
    with urllib.request.urlopen(server.url + "/metrics", timeout=5) as r:
        text = r.read().decode()
    m = re.search(r"^%s%s (\S+)$" % (re.escape(name), re.escape("{%s}" % labels if labels else "")),
                  text, re.M)
    return float(m.group(1)) if m else 0.0


def token(server, stage, user, caps=("PUBLISH", "SUBSCRIBE")):
    """A token minted by server: its whip_url and events_url name server."""
    return client(server).create_participant_token(stageArn=stage["arn"], userId=user,
                                                   capabilities=list(caps))["participantToken"]


def whip_of(tok):
    return claims_of(tok["token"])["whip_url"]


def candidate_ports(answer):
    return {int(l.split()[5]) for l in answer.splitlines() if l.startswith("a=candidate:")}


def history(server, stage, pid):
    api = client(server)
    sid = api.get_stage(arn=stage["arn"])["stage"].get("activeSessionId")
    if not sid:
        sid = max(api.list_stage_sessions(stageArn=stage["arn"])["stageSessions"],
                  key=lambda s: s["startTime"])["sessionId"]
    return [(e["name"], e.get("remoteParticipantId", "")) for e in api.list_participant_events(
        stageArn=stage["arn"], sessionId=sid, participantId=pid)["events"]]


async def receive(s):
    """(video frames, audio frames) decoded by subscriber session s."""
    await asyncio.wait_for(s.track_arrived["video"].wait(), 5)
    await asyncio.wait_for(s.track_arrived["audio"].wait(), 5)
    video, _ = await w.count_frames(s.tracks["video"], FRAMES, FRAMES_S)
    audio, _ = await w.count_frames(s.tracks["audio"], FRAMES, FRAMES_S)
    return video, audio


def test_participants_of_two_nodes_see_and_hear_each_other_through_one_host(nodes):
    a, b = nodes
    stage = client(a).create_stage(name="media-nodes")["stage"]
    ta, tb = token(a, stage, "on-a"), token(b, stage, "on-b")
    assert whip_of(ta).startswith(a.url) and whip_of(tb).startswith(b.url)

    async def body():
        sessions = []
        try:
            # A publishes through node a, which takes the stage
            pa = await w.publish(whip_of(ta), ta["token"])
            sessions.append(pa)
            assert pa.status == 201, (pa.status, pa.body)
            # B publishes through node b: forwarded to a, answered with a's candidates
            pb = await w.publish(whip_of(tb), tb["token"])
            sessions.append(pb)
            assert pb.status == 201, (pb.status, pb.body)
            assert candidate_ports(pb.answer) == candidate_ports(pa.answer), (pa.answer, pb.answer)
            assert pb.location.startswith(whip_of(tb) + "/session/"), pb.location
            await pa.connected()
            await pb.connected()
            # each subscribes to the other through its own node
            sa = await w.subscribe_retrying("%s/subscribe/%s" % (whip_of(ta), tb["participantId"]), ta["token"])
            sessions.append(sa)
            sb = await w.subscribe_retrying("%s/subscribe/%s" % (whip_of(tb), ta["participantId"]), tb["token"])
            sessions.append(sb)
            assert sa.status == 201 and sb.status == 201, (sa.status, sa.body, sb.status, sb.body)
            assert candidate_ports(sb.answer) == candidate_ports(pa.answer)
            await sa.connected()
            await sb.connected()
            (va, aa), (vb, ab) = await asyncio.gather(receive(sa), receive(sb))
            assert va >= FRAMES and aa >= FRAMES, "A got %d video, %d audio frames of B" % (va, aa)
            assert vb >= FRAMES and ab >= FRAMES, "B got %d video, %d audio frames of A" % (vb, ab)
            # the stage's media is on node a alone
            assert metric(a, "rtstage_sfu_publishers") == 2 and metric(a, "rtstage_sfu_subscribers") == 2
            assert metric(b, "rtstage_sfu_peers") == 0
            assert metric(a, "rtstage_media_stages_hosted") == 1
            assert metric(b, "rtstage_media_stages_hosted") == 0
            assert metric(b, "rtstage_media_signalling_forwarded_total",
                          'kind="offer",outcome="answered"') >= 2
            # DELETE of B's publish through node b ends it on a, and A's subscription with it
            assert await pb.delete(tb["token"]) == 200
            wait_for(lambda: metric(a, "rtstage_sfu_publishers") == 1 and
                     metric(a, "rtstage_sfu_subscribers") == 1, SETTLE_S, "B's publish to end on a")
            assert metric(b, "rtstage_media_signalling_forwarded_total",
                          'kind="delete",outcome="answered"') == 1
        finally:
            for s in sessions:
                await s.close()

    w.run(body())
    wait_for(lambda: ("PUBLISH_STOPPED", "") in history(a, stage, tb["participantId"]), SETTLE_S,
             "B's PUBLISH_STOPPED")
    hb = history(b, stage, tb["participantId"])
    assert [e for e in hb if e[0].startswith("PUBLISH_")] == [("PUBLISH_STARTED", ""), ("PUBLISH_STOPPED", "")], hb
    assert ("SUBSCRIBE_STARTED", ta["participantId"]) in hb, hb
    ha = history(a, stage, ta["participantId"])
    assert ("SUBSCRIBE_STARTED", tb["participantId"]) in ha and ("SUBSCRIBE_STOPPED", tb["participantId"]) in ha, ha


async def xdp_publish(events, tok):
    """Publishes over the events socket (aws:ivs:SDP_OFFER to publish/{jti}), as the
    SDK does with serverFeatures xdp: the peer connection and the SDP_ANSWER payload."""
    pc = w.new_pc()
    pc.addTransceiver(w.Tone(), direction="sendonly")
    t = pc.addTransceiver(w.MovingBars(), direction="sendonly")
    t.setCodecPreferences(w.codecs_of("video", ("H264",)))
    await pc.setLocalDescription(await pc.createOffer())
    rid = request_id()
    await events.send({"type": "aws:ivs:SDP_OFFER", "payload": {
        "whipUrl": "%s/publish/%s" % (whip_of(tok), tok["participantId"]), "requestId": rid,
        "traceId": "t", "content": pc.localDescription.sdp, "contentType": "application/sdp"}})
    ans = (await events.expect("aws:ivs:SDP_ANSWER", lambda m: m["payload"]["requestId"] == rid, 12))["payload"]
    if ans["httpStatusCode"] == 201:
        await pc.setRemoteDescription(w.RTCSessionDescription(ans["content"], "answer"))
    return pc, ans


def test_offer_over_the_socket_of_the_other_node_and_its_leave(nodes):
    a, b = nodes
    stage = client(a).create_stage(name="media-nodes-xdp")["stage"]
    ta, tc = token(a, stage, "host-taker"), token(b, stage, "socket-on-b")

    async def body():
        pa = await w.publish(whip_of(ta), ta["token"])
        assert pa.status == 201, (pa.status, pa.body)
        await pa.connected()
        ev = await Events.join(tc["token"], url="%s?error_over_ws=1&topic=%s/publishers&traceid=x" % (
            claims_of(tc["token"])["events_url"], claims_of(tc["token"])["topic"]))
        pc = None
        try:
            first = await ev.state()
            assert "xdp" in first.get("serverFeatures", []), first
            pc, ans = await xdp_publish(ev, tc)
            assert ans["httpStatusCode"] == 201, ans
            assert candidate_ports(ans["content"]) == candidate_ports(pa.answer), ans
            assert ans["location"].startswith(whip_of(tc) + "/session/"), ans
            s = w.Session(pc, ans["location"])
            await s.connected()
            # node b's roster shows C publishing once its media is up on a
            await ev.state(lambda p: any(x["id"] == tc["participantId"] and x["isPublishing"]
                                         for x in p["participants"]), timeout=SETTLE_S)
            assert metric(a, "rtstage_sfu_publishers") == 2 and metric(b, "rtstage_sfu_peers") == 0
        finally:
            await ev.close()        # C leaves through node b
            if pc is not None:
                await asyncio.sleep(0)
        wait_for(lambda: metric(a, "rtstage_sfu_publishers") == 1, SETTLE_S,
                 "C's media to end on a after its socket closed on b")
        if pc is not None:
            await pc.close()
        await pa.close()

    w.run(body())
    names = [n for n, _ in history(b, stage, tc["participantId"])]
    assert names == ["JOINED", "PUBLISH_STARTED", "PUBLISH_STOPPED", "LEFT"], names


def test_a_killed_host_loses_the_stage_to_the_next_offer(nodes):
    a, b = nodes
    stage = client(a).create_stage(name="media-nodes-failover")["stage"]
    ta = token(a, stage, "first-host")
    tb, tv = token(b, stage, "after"), token(b, stage, "viewer", caps=("SUBSCRIBE",))

    async def body():
        pa = await w.publish(whip_of(ta), ta["token"])
        assert pa.status == 201, (pa.status, pa.body)
        await pa.connected()
        assert metric(a, "rtstage_media_stages_hosted") == 1
        a.proc.send_signal(signal.SIGKILL)
        a.proc.wait(timeout=10)
        a.proc = None
        await pa.close()
        # until a's heartbeat is old, node b answers "try again" (503 + 2013)
        end, tries, pb = time.monotonic() + DEAD_S + 6, [], None
        while time.monotonic() < end:
            pb = await w.publish(whip_of(tb), tb["token"])
            tries.append(pb.status)
            if pb.status == 201:
                break
            assert pb.status == 503 and pb.error.get("code") == 2013, (pb.status, pb.body)
            await pb.close()
            await asyncio.sleep(0.5)
        assert pb is not None and pb.status == 201, tries
        try:
            await pb.connected()
            assert metric(b, "rtstage_media_stages_hosted") == 1
            assert metric(b, "rtstage_media_stages_taken_total") == 1
            sv = await w.subscribe_retrying("%s/subscribe/%s" % (whip_of(tv), tb["participantId"]), tv["token"])
            assert sv.status == 201, (sv.status, sv.body)
            await sv.connected()
            video, audio = await receive(sv)
            assert video >= FRAMES and audio >= FRAMES, (video, audio)
            await sv.close()
        finally:
            await pb.close()

    w.run(body())
