"""Limits, hostile input and slow clients, at the socket level where no SDK
would go, and through boto3 to show that nothing changed."""
import json
import resource
import socket
import threading
import time

import pytest
from botocore.exceptions import ClientError

from conftest import Server, client

AUTH = ("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/ivs/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64)


def send(server, raw, source="127.0.0.1", read=True, timeout=10):
    """Sends raw bytes from a loopback source address; returns (status, headers, body)."""
    s = socket.create_connection(("127.0.0.1", server.port), timeout=timeout, source_address=(source, 0))
    try:
        s.sendall(raw)
        if not read:
            return s
        return parse(recv_all(s))
    finally:
        if read:
            s.close()


def recv_all(s):
    data = b""
    while True:
        try:
            chunk = s.recv(65536)
        except (ConnectionResetError, socket.timeout):
            break
        if not chunk:
            break
        data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = [l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
        if length and len(body) >= int(length[0].split(b":")[1]):
            break
    return data


def parse(data):
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and lines[0] else 0
    headers = {l.split(":", 1)[0].lower(): l.split(":", 1)[1].strip() for l in lines[1:] if ":" in l}
    return status, headers, json.loads(body) if body.strip() else {}


def request(method, path, body=b"", headers=None):
    h = {"Host": "localhost", "X-Amz-Date": "20260101T000000Z", "Authorization": AUTH,
         "Content-Type": "application/json", "Content-Length": str(len(body))}
    h.update(headers or {})
    head = "%s %s HTTP/1.1\r\n" % (method, path) + "".join("%s: %s\r\n" % kv for kv in h.items() if kv[1] is not None)
    return head.encode() + b"\r\n" + body


@pytest.fixture(scope="module")
def srv():
    s = Server(extra_args=["--idle-timeout", "2", "--request-timeout", "2"]).start()
    yield s
    assert s.stop() == 0


def snapshot(srv):
    c = client(srv)
    return sorted((s["arn"], s["name"], json.dumps(s["tags"], sort_keys=True))
                  for s in c.list_stages(maxResults=100)["stages"])


# ---- limits -----------------------------------------------------------------------------

def test_body_over_the_limit_is_refused_unread(srv):
    # announce 2 MiB and send none of it: the answer comes anyway
    s = send(srv, request("POST", "/CreateStage", headers={"Content-Length": str(2 << 20)}), read=False)
    status, h, body = parse(recv_all(s))
    s.close()
    assert (status, h["x-amzn-errortype"]) == (413, "RequestEntityTooLargeException")
    assert body["message"] == "Request body too large: the limit is 1048576 bytes"


def test_chunked_body_over_the_limit_is_cut_off(srv):
    # no length announced: the body is read until it passes the limit, then the
    # connection is closed (no answer is possible in the middle of an upload)
    before = snapshot(srv)
    chunk = b"x" * 65536
    s = send(srv, request("POST", "/CreateStage", headers={"Content-Length": None, "Transfer-Encoding": "chunked"}),
             read=False)
    sent, closed = 0, False
    try:
        for _ in range(1024):  # 64 MiB, if it were all read: more than socket buffers hold
            s.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            sent += len(chunk)
    except (BrokenPipeError, ConnectionResetError):
        closed = True
    closed = closed or recv_all(s) == b""
    s.close()
    assert closed and sent < 64 << 20
    assert snapshot(srv) == before


def test_headers_and_url_limits(srv):
    status, h, body = send(srv, request("POST", "/ListStages", b"{}", {"X-Big": "a" * 20000}))
    assert (status, h["x-amzn-errortype"]) == (431, "RequestHeaderFieldsTooLargeException")
    assert "16384 bytes in at most 64 headers" in body["message"]
    many = {"X-H%d" % i: "v" for i in range(70)}
    status, h, body = send(srv, request("POST", "/ListStages", b"{}", many))
    assert (status, h["x-amzn-errortype"]) == (431, "RequestHeaderFieldsTooLargeException")
    status, h, body = send(srv, request("GET", "/tags/" + "a" * 40000))
    assert (status, h["x-amzn-errortype"]) == (414, "RequestUriTooLongException")
    assert "32768 bytes" in body["message"]


def test_json_depth_and_numbers(srv):
    deep = b'{"name": "x", "junk": ' + b"[" * 40 + b"]" * 40 + b"}"
    status, h, body = send(srv, request("POST", "/CreateStage", deep))
    assert (status, h["x-amzn-errortype"]) == (400, "SerializationException")
    assert "nesting deeper than the limit of 32" in body["message"]
    for number in (b"1e400", b"99999999999999999999999", b"-2147483649", b"1.5"):
        status, h, body = send(srv, request("POST", "/ListStages", b'{"maxResults": ' + number + b"}"))
        assert (status, h["x-amzn-errortype"]) == (400, "SerializationException"), number


def test_idle_connections_are_closed(srv):
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    t = time.time()
    assert s.recv(1) == b""  # the server closes it
    assert 1.5 < time.time() - t < 8
    s.close()


def test_a_trickled_body_is_cut_off_at_its_deadline(srv):
    body = b'{"name": "slow"}'
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    s.sendall(request("POST", "/CreateStage", body)[:-len(body)] + body[:3])
    t0, closed = time.time(), False
    for i in range(3, len(body)):  # a byte a second: never idle, never done in time
        time.sleep(1)
        try:
            s.sendall(body[i:i + 1])
        except (BrokenPipeError, ConnectionResetError):
            closed = True
            break
    closed = closed or recv_all(s) == b""
    s.close()
    assert closed and time.time() - t0 < 6  # the deadline is 2 s
    assert "slow" not in [x[1] for x in snapshot(srv)]


def test_connections_per_address():
    srv = Server().start()  # the default idle timeout: none of the 512 may lapse meanwhile
    socks = []
    try:
        for _ in range(512):
            socks.append(socket.create_connection(("127.0.0.1", srv.port), timeout=10,
                                                  source_address=("127.0.0.7", 0)))
        # the workers accept in parallel, so a burst can pass the count by a few
        # until every accept has been counted; let them catch up
        time.sleep(0.5)
        extra = socket.create_connection(("127.0.0.1", srv.port), timeout=10, source_address=("127.0.0.7", 0))
        extra.sendall(request("POST", "/ListStages", b"{}"))
        assert recv_all(extra) == b""  # refused: closed without an answer
        extra.close()
        # another address is unaffected
        assert "stages" in client(srv).list_stages()
    finally:
        for s in socks:
            s.close()
        srv.stop()


def test_connections_in_total():
    """At 4,096 connections the server stops accepting: one more waits in the
    kernel's queue, unserved, until a slot frees."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 5000:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
    srv = Server().start()
    socks, extra = [], None
    try:
        for i in range(4096):  # about 410 from each of ten addresses: under the per-address limit
            socks.append(socket.create_connection(("127.0.0.1", srv.port), timeout=10,
                                                  source_address=("127.0.0.%d" % (20 + i % 10), 0)))
        time.sleep(1)  # let the workers accept them all
        extra = socket.create_connection(("127.0.0.1", srv.port), timeout=10, source_address=("127.0.0.40", 0))
        extra.sendall(request("GET", "/healthz"))
        extra.settimeout(1.5)
        with pytest.raises(socket.timeout):
            extra.recv(1)  # not accepted: no answer while the limit is reached
        for k in socks[:64]:
            k.close()
        del socks[:64]
        extra.settimeout(10)
        status, _, body = parse(recv_all(extra))
        assert (status, body) == (200, {"status": "ready"})
    finally:
        for k in socks:
            k.close()
        if extra:
            extra.close()
        srv.stop()


# ---- hostile input ------------------------------------------------------------------------

HOSTILE = [
    ("truncated json", request("POST", "/CreateStage", b'{"name": "a'), 400, "SerializationException"),
    ("invalid utf-8", request("POST", "/CreateStage", b'{"name": "\xff\xfe"}'), 400, "SerializationException"),
    ("raw nul", request("POST", "/CreateStage", b'{"name": "a\x00b"}'), 400, "SerializationException"),
    ("escaped nul", request("POST", "/CreateStage", b'{"name": "a\\u0000b"}'), 400, "SerializationException"),
    ("not an object", request("POST", "/CreateStage", b"[]"), 400, "SerializationException"),
    ("wrong type", request("POST", "/CreateStage", b'{"tags": []}'), 400, "SerializationException"),
    ("wrong content type", request("POST", "/CreateStage", b'{"name": "x"}', {"Content-Type": "text/plain"}),
     415, "UnsupportedMediaTypeException"),
    ("unknown path", request("POST", "/Nope", b"{}"), 404, "UnknownOperationException"),
    ("unknown method", request("PATCH", "/CreateStage", b"{}"), 404, "UnknownOperationException"),
    ("bad percent-encoding", request("GET", "/tags/arn%3Aaws%ZZ"), 400, "ValidationException"),
    ("encoded nul in path", request("GET", "/tags/arn%00x"), 400, "ValidationException"),
    ("bad percent-encoding in query", request("DELETE", "/tags/arn%3Aaws%3Aivs%3Aus-east-1%3A123456789012%3Astage%2Fx?tagKeys=%G1"),
     400, "ValidationException"),
]


@pytest.mark.parametrize("what,raw,status,code", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_input_gets_an_aws_error_and_changes_nothing(srv, what, raw, status, code):
    client(srv).create_stage(name="bystander", tags={"keep": "1"})
    before = snapshot(srv)
    got, h, body = send(srv, raw)
    assert (got, h.get("x-amzn-errortype")) == (status, code), body
    assert body["message"] and body["exceptionMessage"] == body["message"]
    assert snapshot(srv) == before


def test_duplicate_authorization_headers(srv):
    raw = request("POST", "/ListStages", b"{}").replace(b"\r\n\r\n", b"\r\nAuthorization: " + AUTH.encode() + b"\r\n\r\n")
    status, h, body = send(srv, raw)
    assert (status, h["x-amzn-errortype"]) == (403, "IncompleteSignatureException")


# ---- slow clients ------------------------------------------------------------------------

def test_a_thousand_slow_clients_do_not_stop_a_normal_one():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 1300:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    s = Server().start()
    socks, stop = [], threading.Event()
    try:
        c = client(s)
        arn = c.create_stage(name="busy")["stage"]["arn"]
        for i in range(1000):  # 250 from each of four loopback addresses
            k = socket.create_connection(("127.0.0.1", s.port), timeout=10,
                                         source_address=("127.0.0.%d" % (2 + i % 4), 0))
            if i % 2:
                k.sendall(b"POST /GetStage HTTP/1.1\r\nHost: x\r\n")  # headers never finished
            socks.append(k)

        def trickle():  # keep half of them alive with a byte now and then
            n = 0
            while not stop.is_set() and n < 40:
                for k in socks[1::2][:200]:
                    try:
                        k.sendall(b"X")
                    except OSError:
                        pass
                stop.wait(0.25)
                n += 1
        t = threading.Thread(target=trickle)
        t.start()
        worst = 0
        for _ in range(50):
            t0 = time.perf_counter()
            assert c.get_stage(arn=arn)["stage"]["name"] == "busy"
            worst = max(worst, time.perf_counter() - t0)
        stop.set()
        t.join()
        assert worst < 0.5, worst
    finally:
        stop.set()
        for k in socks:
            k.close()
        s.stop()
