"""A client of rtstage's events WebSocket for the end-to-end tests: joins a stage
with a participant token as the IVS clients do (the token as the subprotocol),
reads the server's messages with a timeout on every receive, and signs tokens
with the server's own key when a test needs one the API cannot issue (expired,
or a second token of the same participant for EXCHANGE_TOKEN)."""
import asyncio
import base64
import glob
import json
import os
import subprocess
import time
import uuid

import websockets
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

RECV_S = 5          # the longest a test waits for any one message
CHROME_UA = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
             "Chrome/124.0.0.0 Safari/537.36")


def run(coro, limit=60):
    """Runs one test's coroutine to its end, at most limit seconds."""
    return asyncio.run(asyncio.wait_for(coro, limit))


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def claims_of(token):
    """The claims of a token, decoded without verification (as the SDK does)."""
    return json.loads(unb64url(token.split(".")[1]))


def header_of(token):
    return json.loads(unb64url(token.split(".")[0]))


def query_url(token, trace="trace-e2e"):
    """The URL the Web Broadcast SDK opens: the events_url claim with its query."""
    c = claims_of(token)
    return "%s?error_over_ws=1&topic=%s/publishers&traceid=%s" % (c["events_url"], c["topic"], trace)


def path_url(token):
    """The URL the aiortc samples open: {events_url}/{topic}."""
    c = claims_of(token)
    return "%s/%s" % (c["events_url"], c["topic"])


def server_key_pem(server, kid):
    """The PEM of the server's signing key kid: a file of DATA_DIR/keys on SQLite,
    a row of signing_keys when the server's database is PostgreSQL."""
    if server.db:
        return subprocess.run(["psql", server.db, "-tAc",
                               "SELECT pem FROM signing_keys WHERE kid = '%s'" % kid],
                              capture_output=True, text=True, check=True, timeout=30).stdout.strip()
    found = glob.glob(os.path.join(server.data_dir, "keys", "*-%s.pem" % kid))
    assert len(found) == 1, "no key file of kid %s" % kid
    with open(found[0]) as f:
        return f.read()


def sign_as_server(server, like, **changes):
    """A token signed with the key that signed the token like (ES384, raw R||S),
    with like's claims changed by changes (a value None removes the claim)."""
    header = header_of(like)
    claims = claims_of(like)
    for k, v in changes.items():
        if v is None:
            claims.pop(k, None)
        else:
            claims[k] = v
    key = serialization.load_pem_private_key(server_key_pem(server, header["kid"]).encode(), None)
    signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "." +
                     b64url(json.dumps(claims, separators=(",", ":")).encode()))
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA384())))
    return signing_input + "." + b64url(r.to_bytes(48, "big") + s.to_bytes(48, "big"))


class Events:
    """One events socket: the messages it received, in order, read with timeouts."""

    def __init__(self, ws):
        self.ws = ws
        self.seen = []
        self.last_seq = 0
        self.latest = None      # the payload of the newest STAGE_STATE: the stage as told

    @classmethod
    async def open(cls, url, token=None, user_agent=CHROME_UA, **kw):
        """Opens the socket; token (if any) is offered as the only subprotocol."""
        ws = await websockets.connect(
            url, subprotocols=[token] if token else None, open_timeout=RECV_S, close_timeout=2,
            extra_headers={"User-Agent": user_agent}, max_size=None, ping_interval=None, **kw)
        return cls(ws)

    @classmethod
    async def join(cls, token, url=None, **kw):
        """Opens the socket at the token's events_url (query form unless url) and
        waits for the first STAGE_STATE; returns the client."""
        e = await cls.open(url or query_url(token), token, **kw)
        await e.state()
        return e

    @property
    def me(self):
        return self.ws.subprotocol and claims_of(self.ws.subprotocol)["jti"]

    async def recv(self, timeout=RECV_S):
        """The next message, parsed. Raises asyncio.TimeoutError, or
        websockets.ConnectionClosed when the server closed the socket."""
        text = await asyncio.wait_for(self.ws.recv(), timeout)
        msg = json.loads(text)
        self.seen.append(msg)
        if msg.get("type") == "STAGE_STATE":
            seq = msg["payload"]["sequenceNumber"]
            assert seq > self.last_seq, "sequence numbers must increase: %d after %d" % (seq, self.last_seq)
            self.last_seq = seq
            self.latest = msg["payload"]
        return msg

    async def expect(self, mtype, pred=lambda m: True, timeout=RECV_S):
        """The first message of type mtype satisfying pred, skipping others."""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise asyncio.TimeoutError("no %s within %ss; saw %r" % (mtype, timeout, self.seen[-5:]))
            m = await self.recv(left)
            if m.get("type") == mtype and pred(m):
                return m

    async def state(self, pred=lambda p: True, timeout=RECV_S):
        """The payload of the newest STAGE_STATE if it satisfies pred(payload)
        (a snapshot is the whole stage), else of the first later one that does."""
        if self.latest is not None and pred(self.latest):
            return self.latest
        return (await self.expect("STAGE_STATE", lambda m: pred(m["payload"]), timeout))["payload"]

    async def roster(self, ids, timeout=RECV_S):
        """The payload of the first snapshot whose participants are exactly ids."""
        want = set(ids)
        return await self.state(lambda p: {x["id"] for x in p["participants"]} == want, timeout)

    async def send(self, obj):
        await self.ws.send(obj if isinstance(obj, (str, bytes)) else json.dumps(obj))

    async def ping(self, timeout=RECV_S):
        """Sends PING and waits for its PONG."""
        await self.send({"type": "PING"})
        return await self.expect("PONG", timeout=timeout)

    async def closed(self, timeout=RECV_S):
        """Waits until the server closes the socket, reading what comes before;
        returns the close code."""
        end = time.monotonic() + timeout
        try:
            while True:
                left = end - time.monotonic()
                if left <= 0:
                    raise asyncio.TimeoutError("the server did not close the socket; saw %r" % self.seen[-5:])
                await self.recv(left)
        except websockets.ConnectionClosed as e:
            return e.rcvd.code if e.rcvd else None

    async def close(self):
        await self.ws.close()


def request_id():
    return str(uuid.uuid4())
