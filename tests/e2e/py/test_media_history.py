"""The history of a media session, read through boto3 and the AWS CLI: a WHIP
publisher (POST {whip}/publish/{jti}, aiortc) and a subscriber that decodes it
(POST {whip}/subscribe/{id}), a subscribe-only participant refused when it
publishes (403 + 2003) and when it subscribes to someone not publishing
(404 + 2004), both holding an events socket as the AWS aiortc samples do;
then ListParticipants (filterByPublished), GetParticipant
(published, protocol) and ListParticipantEvents (PUBLISH_STARTED/STOPPED,
SUBSCRIBE_STARTED/STOPPED with remoteParticipantId, PUBLISH_ERROR), in order."""
import asyncio
import time
import traceback

import pytest

import whip_client as w
from conftest import Server, cli, client, wait_for
from events_client import Events, claims_of, path_url

FRAMES = 10
FRAMES_S = 15
RETRY_S = 10
HISTORY_S = 5


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
def history(ivs):
    """Runs the media sessions once; returns what the tests judge: the stage, the
    participants' tokens, the HTTP outcomes and the session id."""
    stage = ivs.create_stage(name="media-history")["stage"]
    tok = lambda user, caps: ivs.create_participant_token(  # noqa: E731
        stageArn=stage["arn"], userId=user, capabilities=caps)["participantToken"]
    pub, sub, viewer = (tok("hist-pub", ["PUBLISH", "SUBSCRIBE"]), tok("hist-sub", ["SUBSCRIBE"]),
                        tok("hist-viewer", ["SUBSCRIBE"]))
    whip = claims_of(pub["token"])["whip_url"]
    out = {"stage": stage, "pub": pub, "sub": sub, "viewer": viewer}

    async def flow():
        sessions = []
        sockets = []
        try:
            # The subscribers hold an events socket, as the AWS aiortc samples
            # do (path form); the publisher is a WHIP client alone.
            for t in (sub, viewer):
                sockets.append(await Events.join(t["token"], path_url(t["token"])))
            early = await w.subscribe("%s/subscribe/%s" % (whip, pub["participantId"]), viewer["token"])
            sessions.append(early)
            out["early"] = (early.status, early.error)

            refused = await w.publish("%s/publish/%s" % (whip, viewer["participantId"]), viewer["token"])
            sessions.append(refused)
            out["refused"] = (refused.status, refused.error)

            p = await w.publish("%s/publish/%s" % (whip, pub["participantId"]), pub["token"])
            sessions.append(p)
            assert p.status == 201, (p.status, p.body)
            await p.connected()

            # the samples subscribe when the roster says isPublishing
            try:
                await sockets[0].state(lambda st: any(
                    x["id"] == pub["participantId"] and x["isPublishing"]
                    for x in st["participants"]), RETRY_S)
                out["roster_publishing"] = True
            except asyncio.TimeoutError:
                out["roster_publishing"] = False
            s = await w.subscribe_retrying("%s/subscribe/%s" % (whip, pub["participantId"]), sub["token"])
            sessions.append(s)
            assert s.status == 201, (s.status, s.body)
            await s.connected()
            await asyncio.wait_for(s.track_arrived["video"].wait(), 5)
            out["frames"] = (await w.count_frames(s.tracks["video"], FRAMES, FRAMES_S))[0]

            out["deletes"] = (await s.delete(sub["token"]), await p.delete(pub["token"]))
        finally:
            for x in sessions:
                await x.close()
            for e in sockets:
                await e.close()

    # A failure is kept, not raised: the fixture runs once, and each test
    # that needs what is missing fails with it (need()).
    try:
        w.run(flow(), 80)
        names = lambda pid: [e["name"] for e in events(ivs, stage, session_of(ivs, stage), pid)]  # noqa: E731
        wait_for(lambda: "PUBLISH_STOPPED" in names(pub["participantId"]), HISTORY_S, "PUBLISH_STOPPED")
        wait_for(lambda: "SUBSCRIBE_STOPPED" in names(sub["participantId"]), HISTORY_S,
                 "SUBSCRIBE_STOPPED")
    except Exception:  # noqa: BLE001
        out["failure"] = traceback.format_exc()
    try:
        out["sid"] = session_of(ivs, stage)
    except AssertionError:
        pass
    return out


def need(history, *keys):
    """Fails the test if the flow did not get as far as keys."""
    missing = [k for k in keys if k not in history]
    assert not missing, "the media flow stopped before %s:\n%s" % (
        missing, history.get("failure", ""))


def session_of(ivs, stage):
    """The stage's session: the active one, else the newest."""
    sid = ivs.get_stage(arn=stage["arn"])["stage"].get("activeSessionId")
    if sid:
        return sid
    sessions = ivs.list_stage_sessions(stageArn=stage["arn"])["stageSessions"]
    assert sessions, "no session of %s" % stage["arn"]
    return max(sessions, key=lambda s: s["startTime"])["sessionId"]


def events(ivs, stage, sid, pid):
    return ivs.list_participant_events(stageArn=stage["arn"], sessionId=sid, participantId=pid)["events"]


def media(evs):
    """The PUBLISH_*/SUBSCRIBE_* events of evs, in order."""
    return [e for e in evs if e["name"].startswith(("PUBLISH_", "SUBSCRIBE_"))]


def test_the_media_flowed(history):
    need(history, "frames", "deletes")
    assert history["frames"] >= FRAMES, "%d frames decoded in %d s" % (history["frames"], FRAMES_S)
    assert all(200 <= d < 300 for d in history["deletes"]), history["deletes"]


def test_the_roster_shows_the_whip_publisher_publishing(history):
    need(history, "roster_publishing")
    assert history["roster_publishing"], "no STAGE_STATE with the WHIP publisher isPublishing"


def test_subscribing_to_a_participant_not_publishing_is_404_2004(history):
    need(history, "early")
    status, err = history["early"]
    assert (status, err.get("code")) == (404, 2004), history["early"]


def test_publishing_with_a_subscribe_only_token_is_403_2003(history):
    need(history, "refused")
    status, err = history["refused"]
    assert (status, err.get("code")) == (403, 2003), history["refused"]
    assert err.get("message"), err


def test_list_participants_filter_by_published_boto3_and_cli(srv, ivs, history):
    need(history, "deletes", "sid")
    arn, sid = history["stage"]["arn"], history["sid"]
    pub, sub, viewer = history["pub"], history["sub"], history["viewer"]
    published = ivs.list_participants(stageArn=arn, sessionId=sid, filterByPublished=True)["participants"]
    assert [p["participantId"] for p in published] == [pub["participantId"]], published
    assert published[0]["published"] is True and published[0]["userId"] == "hist-pub"
    everyone = {p["participantId"]: p for p in
                ivs.list_participants(stageArn=arn, sessionId=sid)["participants"]}
    assert everyone[sub["participantId"]]["published"] is False, everyone
    assert viewer["participantId"] not in everyone or everyone[viewer["participantId"]]["published"] is False

    rc, out = cli(srv, "ivs-realtime", "list-participants", "--stage-arn", arn, "--session-id", sid,
                  "--filter-by-published")
    assert rc == 0, out
    assert [p["participantId"] for p in out["participants"]] == [pub["participantId"]], out
    assert out["participants"][0]["published"] is True


def test_get_participant_published_over_whip_boto3_and_cli(srv, ivs, history):
    need(history, "deletes", "sid")
    arn, sid, pid = history["stage"]["arn"], history["sid"], history["pub"]["participantId"]
    p = ivs.get_participant(stageArn=arn, sessionId=sid, participantId=pid)["participant"]
    assert p["published"] is True and p.get("protocol") == "WHIP", p
    rc, out = cli(srv, "ivs-realtime", "get-participant", "--stage-arn", arn, "--session-id", sid,
                  "--participant-id", pid)
    assert rc == 0, out
    assert out["participant"]["published"] is True and out["participant"].get("protocol") == "WHIP", out


def test_participant_events_in_order_boto3_and_cli(srv, ivs, history):
    need(history, "deletes", "sid")
    stage, sid = history["stage"], history["sid"]
    pub, sub = history["pub"]["participantId"], history["sub"]["participantId"]
    pe = media(events(ivs, stage, sid, pub))
    assert [e["name"] for e in pe] == ["PUBLISH_STARTED", "PUBLISH_STOPPED"], pe
    se = media(events(ivs, stage, sid, sub))
    assert [e["name"] for e in se] == ["SUBSCRIBE_STARTED", "SUBSCRIBE_STOPPED"], se
    assert [e.get("remoteParticipantId") for e in se] == [pub, pub], se
    times = [pe[0]["eventTime"], se[0]["eventTime"], se[1]["eventTime"], pe[1]["eventTime"]]
    assert times == sorted(times), "published, subscribed, unsubscribed, unpublished: %s" % times

    for pid, want in ((pub, pe), (sub, se)):
        rc, out = cli(srv, "ivs-realtime", "list-participant-events", "--stage-arn", stage["arn"],
                      "--session-id", sid, "--participant-id", pid)
        assert rc == 0, out
        got = media(out["events"])
        assert [(e["name"], e.get("remoteParticipantId")) for e in got] == \
            [(e["name"], e.get("remoteParticipantId")) for e in want], out


def test_refused_publish_is_a_publish_error(ivs, history):
    need(history, "refused", "sid")
    stage, sid, viewer = history["stage"], history["sid"], history["viewer"]["participantId"]
    ve = media(events(ivs, stage, sid, viewer))
    errors = [e for e in ve if e["name"] == "PUBLISH_ERROR"]
    assert len(errors) == 1, ve
    assert errors[0].get("errorCode") == "INSUFFICIENT_CAPABILITIES", errors
    assert not any(e["name"] in ("PUBLISH_STARTED", "SUBSCRIBE_STARTED") for e in ve), ve


def names_of(ivs, stage, pid):
    """The event names of pid in the stage's session, in order."""
    return [e["name"] for e in events(ivs, stage, session_of(ivs, stage), pid)]


def test_socketless_refusals_are_a_join_the_error_and_a_leave(ivs):
    """A refused WHIP offer (403 + 2003) by a participant with no events socket
    and no media: it is in the session, DISCONNECTED, with JOINED, the
    PUBLISH_ERROR or SUBSCRIBE_ERROR, LEFT, and nobody stays connected."""
    stage = ivs.create_stage(name="media-refused-socketless")["stage"]
    tok = lambda user, caps: ivs.create_participant_token(  # noqa: E731
        stageArn=stage["arn"], userId=user, capabilities=caps)["participantToken"]
    viewer, sender = tok("refused-viewer", ["SUBSCRIBE"]), tok("refused-sender", ["PUBLISH"])
    whip = claims_of(viewer["token"])["whip_url"]

    async def flow():
        out = []
        for url, t, fn in (("%s/publish/%s" % (whip, viewer["participantId"]), viewer, w.publish),
                           ("%s/subscribe/%s" % (whip, viewer["participantId"]), sender,
                            w.subscribe)):
            s = await fn(url, t["token"])
            out.append((s.status, s.error.get("code")))
            await s.close()
        return out

    assert w.run(flow(), 30) == [(403, 2003), (403, 2003)]
    sid = session_of(ivs, stage)
    for t, want in ((viewer, "PUBLISH_ERROR"), (sender, "SUBSCRIBE_ERROR")):
        evs = events(ivs, stage, sid, t["participantId"])
        assert [e["name"] for e in evs] == ["JOINED", want, "LEFT"], evs
        assert evs[1].get("errorCode") == "INSUFFICIENT_CAPABILITIES", evs
        p = ivs.get_participant(stageArn=stage["arn"], sessionId=sid,
                                participantId=t["participantId"])["participant"]
        assert p["state"] == "DISCONNECTED" and p.get("protocol") == "WHIP", p
        assert p["published"] is False, p
    connected = ivs.list_participants(stageArn=stage["arn"], sessionId=sid,
                                      filterByState="CONNECTED")["participants"]
    assert connected == [], connected


def test_disconnect_while_media_runs_records_the_stops_before_left(ivs):
    """DisconnectParticipant of a subscriber holding an events socket, then of a
    WHIP-only publisher, while their media runs: each history ends with the
    stop of what was running, then LEFT, and nothing is recorded twice."""
    stage = ivs.create_stage(name="media-disconnect")["stage"]
    tok = lambda user, caps: ivs.create_participant_token(  # noqa: E731
        stageArn=stage["arn"], userId=user, capabilities=caps)["participantToken"]
    pub, sub = tok("disc-pub", ["PUBLISH"]), tok("disc-sub", ["SUBSCRIBE"])
    whip = claims_of(pub["token"])["whip_url"]
    pid, sid_ = pub["participantId"], sub["participantId"]

    async def flow():
        sessions, sock = [], await Events.join(sub["token"], path_url(sub["token"]))
        try:
            p = await w.publish("%s/publish/%s" % (whip, pid), pub["token"])
            sessions.append(p)
            assert p.status == 201, (p.status, p.body)
            await p.connected()
            s = await w.subscribe_retrying("%s/subscribe/%s" % (whip, pid), sub["token"])
            sessions.append(s)
            assert s.status == 201, (s.status, s.body)
            await s.connected()
            await asyncio.wait_for(s.track_arrived["video"].wait(), 5)
            await asyncio.to_thread(wait_for, lambda: "SUBSCRIBE_STARTED" in names_of(ivs, stage, sid_),
                                    HISTORY_S, "SUBSCRIBE_STARTED")
            for who in (sid_, pid):
                await asyncio.to_thread(ivs.disconnect_participant, stageArn=stage["arn"],
                                        participantId=who, reason="test")
            await sock.closed()
        finally:
            for x in sessions:
                await x.close()
            await sock.close()

    w.run(flow(), 60)
    wait_for(lambda: "LEFT" in names_of(ivs, stage, pid), HISTORY_S, "the publisher's LEFT")
    time.sleep(1)  # any late hook of the SFU would have been recorded by now
    se = names_of(ivs, stage, sid_)
    assert se == ["JOINED", "SUBSCRIBE_STARTED", "SUBSCRIBE_STOPPED", "LEFT"], se
    pe = names_of(ivs, stage, pid)
    assert pe == ["JOINED", "PUBLISH_STARTED", "PUBLISH_STOPPED", "LEFT"], pe
    sid = session_of(ivs, stage)
    stop = [e for e in events(ivs, stage, sid, sid_) if e["name"] == "SUBSCRIBE_STOPPED"]
    assert stop[0].get("remoteParticipantId") == pid, stop
