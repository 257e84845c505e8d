"""WHIP signalling through real HTTP requests and a real events socket: the
CORS a browser page needs, the token and capability checks with their IVS
error codes (and the history a refused capability leaves), the SDP offer
over the socket (xdp), and a publish offer answered by the SFU (ICE-lite,
a host candidate on the media port, DTLS passive, the offer's mids) whose
session URL DELETE ends."""
import json
import re
import socket
import time
import urllib.error
import urllib.request

import pytest

from conftest import Server, client
from events_client import Events, claims_of, request_id, run, sign_as_server

DELETE_REL = "urn:ietf:params:whip:ivs-stages:session-delete"


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# A publish offer of the IVS Web Broadcast SDK 1.41.0 in Chromium, as captured
# (tests/unit/data/sdp_samples.h: sdp_sample_publish).
PUBLISH_OFFER = "\r\n".join([
    'v=0',
    'o=- 5701342130117758006 2 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    'a=group:BUNDLE 0 1',
    'a=extmap-allow-mixed',
    'a=msid-semantic: WMS 92a00188-2c7b-4672-a755-70df5d6ac7f1',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126',
    'c=IN IP4 0.0.0.0',
    'a=rtcp:9 IN IP4 0.0.0.0',
    'a=ice-ufrag:Znjn',
    'a=ice-pwd:3Fq1mNRliINJdqZ10Xus0qbP',
    'a=ice-options:trickle',
    'a=fingerprint:sha-256 B7:0E:94:4B:19:F1:A8:63:E4:B7:E2:EA:91:85:04:E2:03:BA:8B:0D:61:90:0A:36:2A:B8:B5:E3:40:DA:9D:3A',
    'a=setup:actpass',
    'a=mid:0',
    'a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level',
    'a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
    'a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
    'a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid',
    'a=sendonly',
    'a=msid:92a00188-2c7b-4672-a755-70df5d6ac7f1 af590466-ecdc-4abc-95ae-36767771bc9d',
    'a=rtcp-mux',
    'a=rtcp-rsize',
    'a=rtcp-xr:rcvr-rtt=all',
    'a=rtpmap:111 opus/48000/2',
    'a=rtcp-fb:111 transport-cc',
    'a=fmtp:111 ;maxaveragebitrate=64000;minptime=10;sprop-stereo=0;stereo=0;useinbandfec=1',
    'a=rtpmap:63 red/48000/2',
    'a=fmtp:63 111/111',
    'a=rtpmap:9 G722/8000',
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:13 CN/8000',
    'a=rtpmap:110 telephone-event/48000',
    'a=rtpmap:126 telephone-event/8000',
    'a=ssrc:1154704465 cname:vwys9ldgh2CnKfce',
    'a=ssrc:1154704465 msid:92a00188-2c7b-4672-a755-70df5d6ac7f1 af590466-ecdc-4abc-95ae-36767771bc9d',
    'm=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103 104 107 108 109 114 115 116 117 39 40 45 46 98 99 100 101 118 119 120',
    'c=IN IP4 0.0.0.0',
    'a=rtcp:9 IN IP4 0.0.0.0',
    'a=ice-ufrag:Znjn',
    'a=ice-pwd:3Fq1mNRliINJdqZ10Xus0qbP',
    'a=ice-options:trickle',
    'a=fingerprint:sha-256 B7:0E:94:4B:19:F1:A8:63:E4:B7:E2:EA:91:85:04:E2:03:BA:8B:0D:61:90:0A:36:2A:B8:B5:E3:40:DA:9D:3A',
    'a=setup:actpass',
    'a=mid:1',
    'a=extmap:14 urn:ietf:params:rtp-hdrext:toffset',
    'a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
    'a=extmap:13 urn:3gpp:video-orientation',
    'a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
    'a=extmap:5 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay',
    'a=extmap:6 http://www.webrtc.org/experiments/rtp-hdrext/video-content-type',
    'a=extmap:7 http://www.webrtc.org/experiments/rtp-hdrext/video-timing',
    'a=extmap:8 http://www.webrtc.org/experiments/rtp-hdrext/color-space',
    'a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid',
    'a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id',
    'a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id',
    'a=sendrecv',
    'a=msid:92a00188-2c7b-4672-a755-70df5d6ac7f1 3d8124fd-1394-477f-8308-1baec40a5b92',
    'a=rtcp-mux',
    'a=rtcp-rsize',
    'a=rtcp-xr:rcvr-rtt=all',
    'a=rtpmap:96 VP8/90000',
    'a=rtcp-fb:96 goog-remb',
    'a=rtcp-fb:96 transport-cc',
    'a=rtcp-fb:96 ccm fir',
    'a=rtcp-fb:96 nack',
    'a=rtcp-fb:96 nack pli',
    'a=rtpmap:97 rtx/90000',
    'a=fmtp:97 apt=96',
    'a=rtpmap:102 H264/90000',
    'a=rtcp-fb:102 goog-remb',
    'a=rtcp-fb:102 transport-cc',
    'a=rtcp-fb:102 ccm fir',
    'a=rtcp-fb:102 nack',
    'a=rtcp-fb:102 nack pli',
    'a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f',
    'a=rtpmap:103 rtx/90000',
    'a=fmtp:103 apt=102',
    'a=rtpmap:104 H264/90000',
    'a=rtcp-fb:104 goog-remb',
    'a=rtcp-fb:104 transport-cc',
    'a=rtcp-fb:104 ccm fir',
    'a=rtcp-fb:104 nack',
    'a=rtcp-fb:104 nack pli',
    'a=fmtp:104 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f',
    'a=rtpmap:107 rtx/90000',
    'a=fmtp:107 apt=104',
    'a=rtpmap:108 H264/90000',
    'a=rtcp-fb:108 goog-remb',
    'a=rtcp-fb:108 transport-cc',
    'a=rtcp-fb:108 ccm fir',
    'a=rtcp-fb:108 nack',
    'a=rtcp-fb:108 nack pli',
    'a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
    'a=rtpmap:109 rtx/90000',
    'a=fmtp:109 apt=108',
    'a=rtpmap:114 H264/90000',
    'a=rtcp-fb:114 goog-remb',
    'a=rtcp-fb:114 transport-cc',
    'a=rtcp-fb:114 ccm fir',
    'a=rtcp-fb:114 nack',
    'a=rtcp-fb:114 nack pli',
    'a=fmtp:114 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f',
    'a=rtpmap:115 rtx/90000',
    'a=fmtp:115 apt=114',
    'a=rtpmap:116 H264/90000',
    'a=rtcp-fb:116 goog-remb',
    'a=rtcp-fb:116 transport-cc',
    'a=rtcp-fb:116 ccm fir',
    'a=rtcp-fb:116 nack',
    'a=rtcp-fb:116 nack pli',
    'a=fmtp:116 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f',
    'a=rtpmap:117 rtx/90000',
    'a=fmtp:117 apt=116',
    'a=rtpmap:39 H264/90000',
    'a=rtcp-fb:39 goog-remb',
    'a=rtcp-fb:39 transport-cc',
    'a=rtcp-fb:39 ccm fir',
    'a=rtcp-fb:39 nack',
    'a=rtcp-fb:39 nack pli',
    'a=fmtp:39 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=4d001f',
    'a=rtpmap:40 rtx/90000',
    'a=fmtp:40 apt=39',
    'a=rtpmap:45 AV1/90000',
    'a=rtcp-fb:45 goog-remb',
    'a=rtcp-fb:45 transport-cc',
    'a=rtcp-fb:45 ccm fir',
    'a=rtcp-fb:45 nack',
    'a=rtcp-fb:45 nack pli',
    'a=fmtp:45 level-idx=5;profile=0;tier=0',
    'a=rtpmap:46 rtx/90000',
    'a=fmtp:46 apt=45',
    'a=rtpmap:98 VP9/90000',
    'a=rtcp-fb:98 goog-remb',
    'a=rtcp-fb:98 transport-cc',
    'a=rtcp-fb:98 ccm fir',
    'a=rtcp-fb:98 nack',
    'a=rtcp-fb:98 nack pli',
    'a=fmtp:98 profile-id=0',
    'a=rtpmap:99 rtx/90000',
    'a=fmtp:99 apt=98',
    'a=rtpmap:100 VP9/90000',
    'a=rtcp-fb:100 goog-remb',
    'a=rtcp-fb:100 transport-cc',
    'a=rtcp-fb:100 ccm fir',
    'a=rtcp-fb:100 nack',
    'a=rtcp-fb:100 nack pli',
    'a=fmtp:100 profile-id=2',
    'a=rtpmap:101 rtx/90000',
    'a=fmtp:101 apt=100',
    'a=rtpmap:118 red/90000',
    'a=rtpmap:119 rtx/90000',
    'a=fmtp:119 apt=118',
    'a=rtpmap:120 ulpfec/90000',
    'a=ssrc-group:FID 781702994 3814606981',
    'a=ssrc:781702994 cname:vwys9ldgh2CnKfce',
    'a=ssrc:781702994 msid:92a00188-2c7b-4672-a755-70df5d6ac7f1 3d8124fd-1394-477f-8308-1baec40a5b92',
    'a=ssrc:3814606981 cname:vwys9ldgh2CnKfce',
    'a=ssrc:3814606981 msid:92a00188-2c7b-4672-a755-70df5d6ac7f1 3d8124fd-1394-477f-8308-1baec40a5b92',
    ""])
NO_H264_OFFER = PUBLISH_OFFER.replace("H264/90000", "H265/90000")


def http(method, url, body=None, headers=None):
    """(status, headers, body text) of one request; errors are answers too."""
    req = urllib.request.Request(url, data=body.encode() if isinstance(body, str) else body,
                                 method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=15) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def offer(token, url, sdp=PUBLISH_OFFER, **headers):
    h = {"Content-Type": "application/sdp", "X-Stages-SDK": "1.41.0"}
    if token is not None:
        h["Authorization"] = "Bearer " + token
    h.update(headers)
    return http("POST", url, sdp, h)


def refusal(answer, status, code=None):
    """Checks an answer is the JSON refusal {"code", "message"} of status."""
    st, headers, body = answer
    assert st == status, (st, body)
    doc = json.loads(body)
    assert doc["message"]
    if code is not None:
        assert doc["code"] == code, doc
    assert headers["Access-Control-Expose-Headers"] == "Location, Link"
    return doc


@pytest.fixture(scope="module")
def media_port():
    return free_udp_port()


@pytest.fixture(scope="module")
def srv(media_port):
    s = Server(extra_args=["--media-port", str(media_port)]).start()
    yield s
    s.stop()


def make_tokens(srv, *caps):
    """A new stage and one token per capability list."""
    ivs = client(srv)
    out = ivs.create_stage(name="whip", participantTokenConfigurations=[
        {"userId": "u%d" % i, "capabilities": c} for i, c in enumerate(caps)])
    return out["stage"], [t["token"] for t in out["participantTokens"]]


def publish_url(token):
    c = claims_of(token)
    return "%s/publish/%s" % (c["whip_url"], c["jti"])


def test_token_names_this_nodes_whip_url(srv):
    _, (tok,) = make_tokens(srv, ["PUBLISH"])
    assert claims_of(tok)["whip_url"] == srv.url + "/whip"


def test_cors_preflight_and_exposed_headers(srv):
    origin = "http://127.0.0.1:5173"
    for path in ("/whip", "/whip/publish/abc", "/whip/subscribe/abc", "/whip/session/s1",
                 "/whip/session/s1/delete"):
        st, h, _ = http("OPTIONS", srv.url + path, headers={
            "Origin": origin, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, x-stages-sdk, x-stages-trace-id"})
        assert st in (200, 204), path
        assert h["Access-Control-Allow-Origin"] == origin
        assert set(m.strip() for m in h["Access-Control-Allow-Methods"].split(",")) == {"POST", "DELETE", "OPTIONS"}
        allowed = h["Access-Control-Allow-Headers"].lower()
        for name in ("authorization", "content-type", "x-stages-sdk", "x-stages-trace-id"):
            assert name in allowed
        assert int(h["Access-Control-Max-Age"]) > 0
    # without the request's own list: the SDK's headers
    st, h, _ = http("OPTIONS", srv.url + "/whip/publish/abc", headers={"Origin": origin})
    assert st in (200, 204) and "x-stages-options" in h["Access-Control-Allow-Headers"]
    # a refusal carries the CORS headers too, or the page could not read it
    st, h, _ = offer(None, srv.url + "/whip/publish/abc", Origin=origin)
    assert st == 401 and h["Access-Control-Allow-Origin"] == origin
    assert h["Access-Control-Expose-Headers"] == "Location, Link"


def test_bad_tokens_are_refused(srv):
    stage, (tok,) = make_tokens(srv, ["PUBLISH", "SUBSCRIBE"])
    url = publish_url(tok)
    refusal(offer(None, url), 401)
    refusal(offer("not.a.token", url), 401)
    head, body, sig = tok.split(".")
    forged = head + "." + body + "." + ("A" if sig[0] != "A" else "B") + sig[1:]
    refusal(offer(forged, url), 401)
    expired = sign_as_server(srv, tok, exp=int(time.time()) - 60, iat=int(time.time()) - 120)
    refusal(offer(expired, url), 401, 2002)
    # revoked: DisconnectParticipant refuses the participant from then on
    client(srv).disconnect_participant(stageArn=stage["arn"], participantId=claims_of(tok)["jti"])
    refusal(offer(tok, url), 403)
    # a deleted stage
    _, (tok2,) = make_tokens(srv, ["PUBLISH"])
    client(srv).delete_stage(arn=claims_of(tok2)["resource"])
    refusal(offer(tok2, publish_url(tok2)), 404)


def test_publish_as_another_participant_is_refused(srv):
    _, (mine, theirs) = make_tokens(srv, ["PUBLISH"], ["PUBLISH"])
    doc = refusal(offer(mine, publish_url(theirs)), 403)
    assert doc["code"] == 2003


def test_publish_without_the_capability(srv):
    stage, (tok,) = make_tokens(srv, ["SUBSCRIBE"])
    pid = claims_of(tok)["jti"]

    async def go():
        e = await Events.join(tok)
        try:
            refusal(offer(tok, publish_url(tok)), 403, 2003)
        finally:
            await e.close()
    run(go())
    ivs = client(srv)
    session_id = ivs.list_stage_sessions(stageArn=stage["arn"])["stageSessions"][0]["sessionId"]
    deadline = time.time() + 5
    while True:
        events = ivs.list_participant_events(stageArn=stage["arn"], sessionId=session_id,
                                             participantId=pid)["events"]
        errs = [ev for ev in events if ev["name"] == "PUBLISH_ERROR"]
        if errs or time.time() > deadline:
            break
        time.sleep(0.1)
    assert [ev["errorCode"] for ev in errs] == ["INSUFFICIENT_CAPABILITIES"], events


def test_subscribe_without_the_capability(srv):
    _, (tok, other) = make_tokens(srv, ["PUBLISH"], ["PUBLISH"])
    url = "%s/subscribe/%s" % (claims_of(tok)["whip_url"], claims_of(other)["jti"])
    refusal(offer(tok, url), 403, 2003)


def test_offer_without_h264_is_refused(srv):
    _, (tok,) = make_tokens(srv, ["PUBLISH"])
    refusal(offer(tok, publish_url(tok), NO_H264_OFFER), 400, 2014)


def test_subscribe_to_a_participant_not_publishing(srv):
    _, (tok, other) = make_tokens(srv, ["SUBSCRIBE"], ["PUBLISH"])
    url = "%s/subscribe/%s" % (claims_of(tok)["whip_url"], claims_of(other)["jti"])
    refusal(offer(tok, url), 404, 2004)


def test_delete_of_an_unknown_session(srv):
    _, (tok,) = make_tokens(srv, ["PUBLISH"])
    base = claims_of(tok)["whip_url"]
    refusal(http("DELETE", base + "/session/nosuchsession",
                 headers={"Authorization": "Bearer " + tok}), 404)
    refusal(http("POST", base + "/session/nosuchsession/delete",
                 json.dumps({"authorization": tok}), {"Content-Type": "text/plain"}), 404)
    refusal(http("DELETE", base + "/session/nosuchsession"), 401)


def gone(location, token):
    """The session at location is ended: a DELETE answers 404 (an end is
    carried out by the SFU's thread, so allow it a moment)."""
    deadline = time.time() + 3
    while True:
        answer = http("DELETE", location, headers={"Authorization": "Bearer " + token})
        if answer[0] != 200 and answer[0] != 204 or time.time() > deadline:
            return refusal(answer, 404)
        time.sleep(0.05)


def answer_facts(sdp):
    lines = sdp.replace("\r\n", "\n").split("\n")
    return {
        "ice_lite": "a=ice-lite" in lines,
        "setup": sorted({l for l in lines if l.startswith("a=setup:")}),
        "mids": [l[6:] for l in lines if l.startswith("a=mid:")],
        "candidates": [l for l in lines if l.startswith("a=candidate:")],
    }


def test_publish_offer_answered_and_deleted(srv, media_port):
    _, (tok,) = make_tokens(srv, ["PUBLISH", "SUBSCRIBE"])
    st, h, body = offer(tok, publish_url(tok), Origin="http://127.0.0.1:5173")
    assert st == 201, body
    assert h["Content-Type"] == "application/sdp"
    assert h["Access-Control-Expose-Headers"] == "Location, Link"
    f = answer_facts(body)
    assert f["ice_lite"] and f["setup"] == ["a=setup:passive"] and f["mids"] == ["0", "1"]
    udp = [c for c in f["candidates"] if " udp " in c.lower()]
    assert any(re.search(r" 127\.0\.0\.1 %d typ host" % media_port, c) for c in udp), f["candidates"]
    location = h["Location"]
    assert location.startswith(claims_of(tok)["whip_url"] + "/")
    link = h["Link"]
    m = re.match(r'<([^>]+)>\s*;\s*rel="%s"' % re.escape(DELETE_REL), link)
    assert m, link
    # only its participant may end it
    _, (other,) = make_tokens(srv, ["PUBLISH"])
    refusal(http("DELETE", location, headers={"Authorization": "Bearer " + other}), 404)
    st, _, _ = http("DELETE", location, headers={"Authorization": "Bearer " + tok})
    assert st in (200, 204)
    gone(location, tok)
    # a second publish, ended by its beacon
    st, h, body = offer(tok, publish_url(tok))
    assert st == 201, body
    beacon = re.match(r"<([^>]+)>", h["Link"]).group(1)
    st, _, _ = http("POST", beacon, json.dumps({"authorization": tok}), {"Content-Type": "text/plain"})
    assert st in (200, 204)
    gone(h["Location"], tok)


def test_bare_whip_publish_joins_as_whip(srv):
    stage, (tok,) = make_tokens(srv, ["PUBLISH"])
    st, h, body = offer(tok, claims_of(tok)["whip_url"])
    assert st == 201, body
    ivs = client(srv)
    session_id = ivs.get_stage(arn=stage["arn"])["stage"]["activeSessionId"]
    p = ivs.get_participant(stageArn=stage["arn"], sessionId=session_id,
                            participantId=claims_of(tok)["jti"])["participant"]
    assert p["state"] == "CONNECTED" and p["protocol"] == "WHIP"
    st, _, _ = http("DELETE", h["Location"], headers={"Authorization": "Bearer " + tok})
    assert st in (200, 204)


def test_server_features_say_xdp(srv, media_port):
    _, (tok,) = make_tokens(srv, ["PUBLISH"])

    async def features(token):
        e = await Events.join(token)
        try:
            return e.latest["serverFeatures"]
        finally:
            await e.close()
    assert "xdp" in run(features(tok))
    http_only = Server(extra_args=["--sdp-exchange", "http", "--media-port", str(free_udp_port())]).start()
    try:
        _, (tok2,) = make_tokens(http_only, ["PUBLISH"])
        assert "xdp" not in run(features(tok2))
    finally:
        http_only.stop()


def test_sdp_offer_over_the_socket(srv, media_port):
    _, (tok,) = make_tokens(srv, ["PUBLISH", "SUBSCRIBE"])

    async def go():
        e = await Events.join(tok)
        try:
            bad = request_id()
            await e.send({"type": "aws:ivs:SDP_OFFER", "payload": {
                "whipUrl": publish_url(tok), "requestId": bad, "traceId": "t",
                "content": "this is not SDP", "contentType": "application/sdp"}})
            ans = (await e.expect("aws:ivs:SDP_ANSWER", lambda m: m["payload"]["requestId"] == bad, 12))["payload"]
            assert ans["httpStatusCode"] == 400 and ans["errorCode"] and ans["errorMessage"]
            nocodec = request_id()
            await e.send({"type": "aws:ivs:SDP_OFFER", "payload": {
                "whipUrl": publish_url(tok), "requestId": nocodec, "content": NO_H264_OFFER,
                "contentType": "application/sdp"}})
            ans = (await e.expect("aws:ivs:SDP_ANSWER", lambda m: m["payload"]["requestId"] == nocodec, 12))["payload"]
            assert ans["httpStatusCode"] == 400 and ans["errorCode"] == 2014
            good = request_id()
            await e.send({"type": "aws:ivs:SDP_OFFER", "payload": {
                "whipUrl": publish_url(tok), "requestId": good, "content": PUBLISH_OFFER,
                "contentType": "application/sdp"}})
            ans = (await e.expect("aws:ivs:SDP_ANSWER", lambda m: m["payload"]["requestId"] == good, 12))["payload"]
            assert ans["httpStatusCode"] == 201, ans
            assert ans["contentType"] == "application/sdp"
            f = answer_facts(ans["content"])
            assert f["ice_lite"] and f["mids"] == ["0", "1"]
            assert ans["location"].startswith(claims_of(tok)["whip_url"] + "/")
            assert ans["sessionDeleteLink"]
            st, _, _ = http("DELETE", ans["location"], headers={"Authorization": "Bearer " + tok})
            assert st in (200, 204)
        finally:
            await e.close()
    run(go())
