"""Small rules of the media history and the events socket, read through boto3:
a publish session ended before its media ever started records no stop; a
refused subscription names its remote participant; after EXCHANGE_TOKEN the
socket's offers have the new token's capabilities."""
import time

import pytest

from conftest import Server, client
from events_client import Events, claims_of, request_id, run, sign_as_server
from test_whip_signalling import PUBLISH_OFFER, http, make_tokens, offer, publish_url

HISTORY_S = 5


@pytest.fixture(scope="module")
def srv():
    s = Server().start()
    yield s
    assert s.stop() == 0


def events_of(srv, stage, pid):
    ivs = client(srv)
    sid = max(ivs.list_stage_sessions(stageArn=stage["arn"])["stageSessions"],
              key=lambda s: s["startTime"])["sessionId"]
    return ivs.list_participant_events(stageArn=stage["arn"], sessionId=sid, participantId=pid)["events"]


def names_when(srv, stage, pid, last):
    """The event names of pid once the last one is last (within HISTORY_S)."""
    end = time.monotonic() + HISTORY_S
    while True:
        names = [e["name"] for e in events_of(srv, stage, pid)]
        if (names and names[-1] == last) or time.monotonic() > end:
            return names
        time.sleep(0.1)


def test_a_publish_ended_before_its_media_records_no_stop(srv):
    stage, (tok,) = make_tokens(srv, ["PUBLISH"])
    st, h, body = offer(tok, claims_of(tok)["whip_url"])       # nobody will connect
    assert st == 201, body
    st, _, _ = http("DELETE", h["Location"], headers={"Authorization": "Bearer " + tok})
    assert st == 200
    assert names_when(srv, stage, claims_of(tok)["jti"], "LEFT") == ["JOINED", "LEFT"]


def test_a_refused_subscription_names_its_remote_participant(srv):
    stage, (tok, other) = make_tokens(srv, ["PUBLISH"], ["PUBLISH"])
    remote = claims_of(other)["jti"]
    st, _, body = offer(tok, "%s/subscribe/%s" % (claims_of(tok)["whip_url"], remote))
    assert st == 403, body
    pid = claims_of(tok)["jti"]
    assert names_when(srv, stage, pid, "LEFT") == ["JOINED", "SUBSCRIBE_ERROR", "LEFT"]
    err = [e for e in events_of(srv, stage, pid) if e["name"] == "SUBSCRIBE_ERROR"][0]
    assert err["errorCode"] == "INSUFFICIENT_CAPABILITIES" and err["remoteParticipantId"] == remote, err


def test_offers_after_a_token_exchange_have_the_new_capabilities(srv):
    stage, (tok,) = make_tokens(srv, ["SUBSCRIBE"])

    async def xdp(e, token):
        rid = request_id()
        await e.send({"type": "aws:ivs:SDP_OFFER", "payload": {
            "whipUrl": publish_url(token), "requestId": rid, "content": PUBLISH_OFFER,
            "contentType": "application/sdp"}})
        return (await e.expect("aws:ivs:SDP_ANSWER", lambda m: m["payload"]["requestId"] == rid, 12))["payload"]

    async def go():
        e = await Events.join(tok)
        try:
            ans = await xdp(e, tok)
            assert ans["httpStatusCode"] == 403 and ans["errorCode"] == 2003, ans
            wider = sign_as_server(srv, tok, iat=int(time.time()),
                                   capabilities={"allow_publish": True, "allow_subscribe": True})
            rid = request_id()
            await e.send({"type": "aws:ivs:EXCHANGE_TOKEN", "payload": {
                "oldToken": tok, "newToken": wider, "requestId": rid, "traceId": "t"}})
            ack = await e.expect("aws:ivs:EXCHANGE_TOKEN")
            assert ack["payload"]["requestId"] == rid and "error" not in ack["payload"], ack
            ans = await xdp(e, wider)
            assert ans["httpStatusCode"] == 201, ans
            st, _, _ = http("DELETE", ans["location"], headers={"Authorization": "Bearer " + wider})
            assert st == 200
            # and back: a narrower token takes the capability away again
            narrow = sign_as_server(srv, tok, iat=int(time.time()), exp=claims_of(tok)["exp"] + 60,
                                    capabilities={"allow_subscribe": True})
            await e.send({"type": "aws:ivs:EXCHANGE_TOKEN", "payload": {
                "oldToken": wider, "newToken": narrow, "requestId": request_id(), "traceId": "t"}})
            await e.expect("aws:ivs:EXCHANGE_TOKEN")
            ans = await xdp(e, narrow)
            assert ans["httpStatusCode"] == 403 and ans["errorCode"] == 2003, ans
        finally:
            await e.close()
    run(go())
