"""A WHIP client outside a browser (aiortc, whip_client.py) against rtstage's SFU:
a generated H.264 + Opus stream published with a bare POST to the token's WHIP
URL reaches a subscriber that POSTs a recvonly offer to {whip}/subscribe/{id}
and decodes it; an offer without H.264 is refused with 400 + 2014 and changes
nothing; afterwards ListParticipants and ListParticipantEvents (boto3) show the
publisher published, with protocol WHIP, PUBLISH_STARTED then PUBLISH_STOPPED.

The tests of this file run in order on one event loop: the sessions of one
test are what the next one judges."""
import asyncio
import re
import time

import pytest

import whip_client as w
from conftest import Server, client, wait_for
from events_client import claims_of

FRAMES = 10         # decoded frames a subscriber must see ...
FRAMES_S = 15       # ... within this many seconds
HISTORY_S = 5       # for the history to record what the SFU reported


@pytest.fixture(scope="module")
def srv():
    s = Server()
    s.extra_args = ["--endpoint-events", "ws://127.0.0.1:%d/events" % s.port,
                    "--endpoint-whip", "http://127.0.0.1:%d/whip" % s.port,
                    "--media-port", "0"]
    s.start()
    yield s
    assert s.stop() == 0


@pytest.fixture(scope="module")
def ivs(srv):
    return client(srv)


@pytest.fixture(scope="module")
def loop():
    lp = asyncio.new_event_loop()
    yield lp
    lp.close()


@pytest.fixture(scope="module")
def state(ivs, loop):
    """What the tests of this module share: the stage, tokens and sessions."""
    st = {"stage": ivs.create_stage(name="whip-client")["stage"], "sessions": []}
    yield st
    for s in st["sessions"]:
        loop.run_until_complete(asyncio.wait_for(s.close(), 10))


def run(loop, coro, limit=60):
    return loop.run_until_complete(asyncio.wait_for(coro, limit))


def token(ivs, stage, caps, user):
    return ivs.create_participant_token(stageArn=stage["arn"], userId=user,
                                        capabilities=caps)["participantToken"]


def sections(sdp):
    """The m-sections of sdp: [(media line, [attribute lines])], session part dropped."""
    out = []
    for line in sdp.splitlines():
        if line.startswith("m="):
            out.append((line, []))
        elif out:
            out[-1][1].append(line)
    return out


def session_id(ivs, stage):
    """The stage's session: the active one, else the newest."""
    sid = ivs.get_stage(arn=stage["arn"])["stage"].get("activeSessionId")
    if sid:
        return sid
    sessions = ivs.list_stage_sessions(stageArn=stage["arn"])["stageSessions"]
    assert sessions, "no session of %s" % stage["arn"]
    return max(sessions, key=lambda s: s["startTime"])["sessionId"]


def media_events(ivs, stage, pid):
    """The PUBLISH_*/SUBSCRIBE_* events of pid, in the API's order."""
    sid = session_id(ivs, stage)
    events = ivs.list_participant_events(stageArn=stage["arn"], sessionId=sid,
                                         participantId=pid)["events"]
    return [e for e in events if e["name"].startswith(("PUBLISH_", "SUBSCRIBE_"))]


def test_bare_post_publishes_h264_and_opus(ivs, loop, state):
    stage = state["stage"]
    pub = token(ivs, stage, ["PUBLISH", "SUBSCRIBE"], "whip-publisher")
    state["pub"] = pub
    whip = claims_of(pub["token"])["whip_url"]
    s = run(loop, w.publish(whip, pub["token"]))
    state["sessions"].append(s)
    state["pub_session"] = s
    assert s.status == 201, (s.status, s.body)
    assert s.headers.get("content-type", "").startswith("application/sdp"), s.headers
    assert s.location and s.location.startswith("http://127.0.0.1:"), s.headers

    answer = sections(s.answer)
    assert [m.split()[0] for m, _ in answer] == ["m=audio", "m=video"], s.answer
    assert [[a for a in attrs if a.startswith("a=mid:")] for _, attrs in answer] == \
        [["a=mid:0"], ["a=mid:1"]], "the answer keeps the offer's mids"
    assert "a=ice-lite" in s.answer
    assert any(a.startswith("a=candidate:") and " 127.0.0.1 " in a for a in answer[0][1]), \
        "a host candidate the client reaches, in the first m-section: " + s.answer
    # the one codec set of the stage, in the payload types this client offered
    offered_h264 = re.search(r"a=rtpmap:(\d+) H264/90000", s.offer).group(1)
    assert re.search(r"a=rtpmap:%s H264/90000" % offered_h264, s.answer), s.answer
    assert "profile-level-id=42e01f" in s.answer and "packetization-mode=1" in s.answer
    offered_opus = re.search(r"a=rtpmap:(\d+) opus/48000/2", s.offer).group(1)
    assert re.search(r"a=rtpmap:%s opus/48000/2" % offered_opus, s.answer), s.answer
    # aiortc offered one BUNDLE whose sections give id 2 to different extensions
    assert re.search(r"extmap:2 urn:ietf:params:rtp-hdrext:ssrc-audio-level", s.offer)
    assert re.search(r"extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
                     s.offer)

    run(loop, s.connected())


def test_subscriber_decodes_the_video_and_receives_the_audio(ivs, loop, state):
    assert "pub_session" in state, "the publish test ran first"
    stage = state["stage"]
    sub = token(ivs, stage, ["SUBSCRIBE"], "whip-subscriber")
    state["sub"] = sub
    whip = claims_of(sub["token"])["whip_url"]
    url = "%s/subscribe/%s" % (whip, state["pub"]["participantId"])
    s = run(loop, w.subscribe_retrying(url, sub["token"]))
    state["sessions"].append(s)
    state["sub_session"] = s
    assert s.status == 201, (s.status, s.body)
    assert "H264/90000" in s.answer and "VP8" not in s.answer, \
        "a subscriber offering VP8 and H.264 gets the stage's H.264: " + s.answer
    run(loop, s.connected())

    async def receive():
        await asyncio.wait_for(s.track_arrived["video"].wait(), 5)
        await asyncio.wait_for(s.track_arrived["audio"].wait(), 5)
        video = await w.count_frames(s.tracks["video"], FRAMES, FRAMES_S)
        audio = await w.count_frames(s.tracks["audio"], FRAMES, FRAMES_S)
        return video, audio

    (nv, vframe), (na, _) = run(loop, receive())
    assert nv >= FRAMES, "%d decoded video frames in %d s" % (nv, FRAMES_S)
    assert (vframe.width, vframe.height) == (w.WIDTH, w.HEIGHT)
    assert na >= FRAMES, "%d decoded audio frames in %d s" % (na, FRAMES_S)


def test_offer_without_h264_is_refused_with_2014(ivs, loop, state):
    stage = state["stage"]
    vp8 = token(ivs, stage, ["PUBLISH", "SUBSCRIBE"], "whip-vp8")
    whip = claims_of(vp8["token"])["whip_url"]
    s = run(loop, w.publish(whip, vp8["token"], video=("VP8",)))
    state["sessions"].append(s)
    assert "H264" not in s.offer and "VP8/90000" in s.offer
    assert s.status == 400, (s.status, s.body)
    assert s.error.get("code") == 2014, s.body
    assert s.error.get("message"), s.body
    assert s.location is None
    # nothing changed: never published
    assert not any(e["name"] == "PUBLISH_STARTED" for e in media_events(ivs, stage, vp8["participantId"]))


def test_list_participants_shows_the_publisher_published_over_whip(ivs, state):
    assert "pub_session" in state, "the publish test ran first"
    stage, pid = state["stage"], state["pub"]["participantId"]
    sid = session_id(ivs, stage)
    found = wait_for(lambda: [p for p in ivs.list_participants(
        stageArn=stage["arn"], sessionId=sid, filterByPublished=True)["participants"]
        if p["participantId"] == pid], HISTORY_S, "the publisher in filterByPublished")
    assert found[0]["published"] is True
    part = ivs.get_participant(stageArn=stage["arn"], sessionId=sid, participantId=pid)["participant"]
    assert part["published"] is True and part.get("protocol") == "WHIP", part


def test_delete_ends_the_sessions_and_the_history_is_in_order(ivs, loop, state):
    assert "sub_session" in state, "the subscribe test ran first"
    stage = state["stage"]
    pub, sub = state["pub"], state["sub"]
    assert run(loop, state["sub_session"].delete(sub["token"])) in (200, 204)
    assert run(loop, state["pub_session"].delete(pub["token"])) in (200, 204)
    # a second DELETE finds nothing
    assert run(loop, state["pub_session"].delete(pub["token"])) == 404

    names = lambda pid: [e["name"] for e in media_events(ivs, stage, pid)]  # noqa: E731
    wait_for(lambda: "PUBLISH_STOPPED" in names(pub["participantId"]), HISTORY_S, "PUBLISH_STOPPED")
    pe = media_events(ivs, stage, pub["participantId"])
    assert [e["name"] for e in pe] == ["PUBLISH_STARTED", "PUBLISH_STOPPED"], pe
    assert pe[0]["eventTime"] <= pe[1]["eventTime"]
    state["deleted"] = True


def test_a_whip_subscriber_without_events_socket_is_in_the_history(ivs, state):
    """A subscriber that only speaks WHIP received media: it is a participant of
    the session, as the WHIP publisher is, with SUBSCRIBE_STARTED/STOPPED."""
    assert "deleted" in state, "the delete test ran first"
    stage, pub, sub = state["stage"], state["pub"], state["sub"]
    names = lambda pid: [e["name"] for e in media_events(ivs, stage, pid)]  # noqa: E731
    wait_for(lambda: "SUBSCRIBE_STOPPED" in names(sub["participantId"]), HISTORY_S, "SUBSCRIBE_STOPPED")
    pe = media_events(ivs, stage, pub["participantId"])
    se = media_events(ivs, stage, sub["participantId"])
    assert [e["name"] for e in se] == ["SUBSCRIBE_STARTED", "SUBSCRIBE_STOPPED"], se
    assert se[0].get("remoteParticipantId") == pub["participantId"], se
    # a subscription starts after its publisher's publish
    assert pe[0]["eventTime"] <= se[0]["eventTime"]
