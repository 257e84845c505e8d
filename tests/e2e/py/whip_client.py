"""A non-browser WHIP client for the end-to-end tests, built on Debian's aiortc
(python3-aiortc): it publishes a generated H.264 + Opus stream or subscribes to
a publisher with a recvonly offer, as a WHIP client outside a browser does
(the whole offer after ICE gathering, a Bearer token, the answer applied, the
session ended by DELETE of its Location). Every wait has a bound."""
import asyncio
import fractions
import http.client
import json
import time
import urllib.parse

import numpy as np
from aiortc import (MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCRtpSender,
                    RTCSessionDescription, VideoStreamTrack)
from aiortc.mediastreams import AudioStreamTrack
import av

HTTP_S = 10             # the longest one WHIP request may take
CONNECT_S = 15          # ICE and DTLS up after the answer
WIDTH, HEIGHT = 320, 240


def run(coro, limit=90):
    """Runs one test's coroutine to its end, at most limit seconds."""
    return asyncio.run(asyncio.wait_for(coro, limit))


class MovingBars(VideoStreamTrack):
    """Synthetic video: bars that move every frame, so that every frame encodes
    to something (a still picture would make empty P-frames)."""

    def __init__(self):
        super().__init__()
        self.n = 0

    async def recv(self):
        pts, time_base = await self.next_timestamp()
        img = np.zeros((HEIGHT, WIDTH, 3), dtype=np.uint8)
        x = (self.n * 4) % WIDTH
        img[:, x:x + 16, 1] = 255
        img[(self.n * 2) % HEIGHT, :, 2] = 255
        self.n += 1
        frame = av.VideoFrame.from_ndarray(img, format="bgr24")
        frame.pts = pts
        frame.time_base = time_base
        return frame


class Tone(AudioStreamTrack):
    """Synthetic audio: a 440 Hz tone (Opus encodes silence to almost nothing)."""

    def __init__(self):
        super().__init__()
        self.t = 0

    async def recv(self):
        frame = await super().recv()
        rate, samples = frame.sample_rate, frame.samples
        n = np.arange(self.t, self.t + samples)
        self.t += samples
        pcm = (np.sin(2 * np.pi * 440 * n / rate) * 8000).astype(np.int16).reshape(1, -1)
        out = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
        out.sample_rate = rate
        out.pts = frame.pts
        out.time_base = fractions.Fraction(1, rate)
        return out


def codecs_of(kind, names):
    """The codec capabilities of kind whose MIME subtype is in names (in aiortc's order),
    with H.264 limited to constrained baseline 42e01f packetization-mode 1."""
    out = []
    for c in RTCRtpSender.getCapabilities(kind).codecs:
        sub = c.mimeType.split("/")[1]
        if sub not in names:
            continue
        if sub == "H264" and (c.parameters.get("profile-level-id") != "42e01f"
                              or c.parameters.get("packetization-mode") != "1"):
            continue
        out.append(c)
    return out


def request(method, url, body=None, headers=None):
    """One HTTP request, no redirect followed: (status, headers with lower-case names, body bytes)."""
    u = urllib.parse.urlsplit(url)
    conn_type = http.client.HTTPSConnection if u.scheme == "https" else http.client.HTTPConnection
    conn = conn_type(u.hostname, u.port, timeout=HTTP_S)
    try:
        path = u.path + ("?" + u.query if u.query else "")
        conn.request(method, path or "/", body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


async def arequest(method, url, body=None, headers=None):
    """request() on a worker thread, so that the event loop (ICE, DTLS) goes on."""
    return await asyncio.get_running_loop().run_in_executor(
        None, lambda: request(method, url, body, headers))


def error_body(body):
    """The JSON error body of a refused WHIP request ({"code", "message"}), or {}."""
    try:
        return json.loads(body or b"{}")
    except ValueError:
        return {}


class Session:
    """One WHIP session: its peer connection, the HTTP outcome of the offer and, on
    201, the answer, the session URL (Location resolved against the request URL)
    and the delete link."""

    def __init__(self, pc, url):
        self.pc = pc
        self.url = url
        self.status = None
        self.headers = {}
        self.body = b""
        self.offer = None           # the SDP offer sent
        self.location = None
        self.tracks = {}            # kind -> remote track (subscriber)
        self.track_arrived = {}     # kind -> asyncio.Event

    @property
    def error(self):
        return error_body(self.body)

    @property
    def answer(self):
        return self.body.decode("utf-8", "replace") if self.status == 201 else None

    async def connected(self, limit=CONNECT_S):
        """Waits until the peer connection is connected; raises on failure or timeout."""
        end = time.monotonic() + limit
        while self.pc.connectionState != "connected":
            if self.pc.connectionState in ("failed", "closed"):
                raise AssertionError("peer connection " + self.pc.connectionState)
            if time.monotonic() > end:
                raise AssertionError("peer connection still %s after %d s (ICE %s)" % (
                    self.pc.connectionState, limit, self.pc.iceConnectionState))
            await asyncio.sleep(0.05)

    async def delete(self, token):
        """DELETE of the session URL with the Bearer token: its HTTP status."""
        assert self.location, "no session URL (the offer was answered %s)" % self.status
        status, _, _ = await arequest("DELETE", self.location,
                                      headers={"Authorization": "Bearer " + token})
        return status

    async def close(self):
        await self.pc.close()


def new_pc():
    """A peer connection with no STUN or TURN server: host candidates only."""
    return RTCPeerConnection(RTCConfiguration(iceServers=[]))


def unclash_extmaps(sdp):
    """sdp without the extmap lines of a later m-section whose id an earlier one
    gives to another extension. aiortc 1.4.0 keeps one id -> extension map per
    transport, so a receiver that accepted both would parse, say, a 1-byte
    audio level as a 3-byte abs-send-time and stop receiving; a subscriber that
    does not offer the clashing extension is never sent it."""
    seen, out = {}, []
    for line in sdp.splitlines():
        if line.startswith("a=extmap:"):
            ext_id, uri = line[len("a=extmap:"):].split(" ", 1)
            ext_id = ext_id.split("/")[0]
            if seen.setdefault(ext_id, uri) != uri:
                continue
        out.append(line)
    return "\r\n".join(out) + "\r\n"


async def offer(session, token, munge=None):
    """Creates the offer, waits for ICE gathering (aiortc gathers in
    setLocalDescription), POSTs it (through munge(sdp) if given) and, on 201,
    applies the answer."""
    pc = session.pc
    await pc.setLocalDescription(await pc.createOffer())
    headers = {"Authorization": "Bearer " + token, "Content-Type": "application/sdp"}
    sdp = pc.localDescription.sdp
    session.offer = munge(sdp) if munge else sdp
    session.status, session.headers, session.body = await arequest(
        "POST", session.url, session.offer.encode(), headers)
    if session.status == 201:
        loc = session.headers.get("location")
        assert loc, "201 without Location: %r" % session.headers
        session.location = urllib.parse.urljoin(session.url, loc)
        await pc.setRemoteDescription(RTCSessionDescription(session.answer, "answer"))
    return session


async def publish(url, token, video=("H264",), audio=True):
    """Publishes MovingBars (codecs limited to video) and a Tone to url (the bare
    WHIP URL, or {whip}/publish/{id}). Returns the Session (status 201 or not)."""
    pc = new_pc()
    s = Session(pc, url)
    if audio:
        pc.addTransceiver(Tone(), direction="sendonly")
    if video:
        t = pc.addTransceiver(MovingBars(), direction="sendonly")
        t.setCodecPreferences(codecs_of("video", video))
    return await offer(s, token)


async def subscribe(url, token, video=("H264", "VP8")):
    """Subscribes with a recvonly audio + video offer (video offering the codecs in
    video) to url ({whip}/subscribe/{publisher id}). Returns the Session; its
    tracks fill in as the remote tracks arrive."""
    pc = new_pc()
    s = Session(pc, url)
    for kind in ("audio", "video"):
        s.track_arrived[kind] = asyncio.Event()

    @pc.on("track")
    def on_track(track):
        s.tracks[track.kind] = track
        s.track_arrived[track.kind].set()

    pc.addTransceiver("audio", direction="recvonly")
    t = pc.addTransceiver("video", direction="recvonly")
    t.setCodecPreferences(codecs_of("video", video))
    return await offer(s, token, munge=unclash_extmaps)


async def subscribe_retrying(url, token, retry_s=10):
    """Subscribes, retrying while the answer is 429 (the publisher's media is not
    up yet), as the IVS clients do, for at most retry_s seconds. Returns the last
    Session."""
    end = time.monotonic() + retry_s
    while True:
        s = await subscribe(url, token)
        if s.status != 429 or time.monotonic() > end:
            return s
        await s.close()
        await asyncio.sleep(0.3)


async def count_frames(track: MediaStreamTrack, n, limit=15):
    """Receives from track until n frames were decoded; returns how many were
    (fewer than n when limit seconds pass first) and the last frame."""
    got, last = 0, None
    end = time.monotonic() + limit
    while got < n:
        left = end - time.monotonic()
        if left <= 0:
            break
        try:
            last = await asyncio.wait_for(track.recv(), left)
        except asyncio.TimeoutError:
            break
        got += 1
    return got, last
