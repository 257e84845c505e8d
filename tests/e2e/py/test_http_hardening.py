"""The HTTP layer against slow, abandoning and ambiguous clients and against DNS
rebinding, at the socket level, with boto3 to show what changed and what did not."""
import os
import resource
import select
import socket
import subprocess
import tempfile
import time

import pytest

from conftest import BIN, SCRATCH, Server, client, signed_request

AUTH = ("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/ivs/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64)


def request(method, path, body=b"", headers=None, host="localhost"):
    """A raw HTTP/1.1 request; a header whose value is None is left out."""
    h = {"Host": host, "X-Amz-Date": "20260101T000000Z", "Authorization": AUTH,
         "Content-Type": "application/json", "Content-Length": str(len(body))}
    h.update(headers or {})
    head = "%s %s HTTP/1.1\r\n" % (method, path) + "".join(
        "%s: %s\r\n" % kv for kv in h.items() if kv[1] is not None)
    return head.encode() + b"\r\n" + body


def connect(server, source="127.0.0.1", timeout=10):
    return socket.create_connection(("127.0.0.1", server.port), timeout=timeout, source_address=(source, 0))


def read_response(s):
    """One response: (status, headers, body bytes), or (0, {}, b"") if the server
    closed without answering."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            return 0, {}, b""
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {l.split(":", 1)[0].lower(): l.split(":", 1)[1].strip() for l in lines[1:] if ":" in l}
    while len(body) < int(headers.get("content-length", "0")):
        chunk = s.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(lines[0].split()[1]), headers, body


def closed_by_server(s, timeout=3):
    """True if the server closes s (EOF or reset) within timeout, nothing else arriving."""
    s.settimeout(timeout)
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def exchange(server, raw, source="127.0.0.1"):
    """Sends raw; returns (status, headers, body, closed afterwards, seconds to the answer)."""
    s = connect(server, source)
    try:
        t0 = time.monotonic()
        s.sendall(raw)
        status, headers, body = read_response(s)
        took = time.monotonic() - t0
        return status, headers, body, closed_by_server(s, 2), took
    finally:
        s.close()


def stage_names(server):
    return sorted(x["name"] for x in client(server).list_stages(maxResults=100)["stages"])


def raise_fd_limit(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(n, 8192)), hard))


@pytest.fixture(scope="module")
def srv():
    s = Server(extra_args=["--idle-timeout", "10", "--request-timeout", "2"]).start()
    yield s
    assert s.stop() == 0


# ---- slow clients ------------------------------------------------------------------------

BODY = b'{"name": "trickled"}'
FULL = request("POST", "/CreateStage", BODY)
SLOW = {
    # (bytes sent at once, bytes then trickled a byte at a time)
    "request line": (b"", FULL),
    "headers": (FULL[:30], FULL[30:]),
    "body": (FULL[:-len(BODY)], BODY),
    "second keep-alive request": (request("POST", "/ListStages", b"{}"), FULL),
}


def trickle(s, rest, pace=0.5, limit=8):
    """Sends rest a byte every pace seconds until the server closes s; returns the
    seconds that took (limit if it never did) and whatever the server sent meanwhile."""
    t0, got = time.monotonic(), b""
    for i in range(len(rest)):
        if time.monotonic() - t0 > limit:
            break
        readable, _, _ = select.select([s], [], [], pace)
        if readable:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                return time.monotonic() - t0, got
            got += chunk
            continue
        try:
            s.send(rest[i:i + 1])
        except (BrokenPipeError, ConnectionResetError):
            return time.monotonic() - t0, got
    return limit, got


@pytest.mark.parametrize("what", list(SLOW))
def test_a_trickled_request_is_cut_at_its_deadline(srv, what):
    """Every part of a request must arrive within --request-timeout (2 s) of its first
    byte, however steadily its bytes come: bytes no longer keep a connection alive."""
    first, rest = SLOW[what]
    s = connect(srv)
    try:
        if what == "second keep-alive request":
            s.sendall(first)
            assert read_response(s)[0] == 200  # the first is answered, the connection kept
            first = b""
        s.sendall(first or rest[:1])
        took, got = trickle(s, rest if first else rest[1:])
    finally:
        s.close()
    assert 1.5 < took < 4, took  # cut at ~2 s, with bytes still coming every 0.5 s
    assert got == b""            # unanswered
    assert "trickled" not in stage_names(srv)


def test_a_partial_body_then_silence_is_closed_at_the_deadline(srv):
    s = connect(srv)
    try:
        s.sendall(request("POST", "/CreateStage", BODY)[:-5])
        t0 = time.monotonic()
        assert closed_by_server(s, 6)
        assert 1.5 < time.monotonic() - t0 < 4
    finally:
        s.close()
    assert "trickled" not in stage_names(srv)


def test_an_idle_keep_alive_connection_keeps_its_idle_timeout(srv):
    """The deadline starts with a request's first byte: a connection waiting for
    its next request is governed by --idle-timeout (10 s), not the 2 s deadline."""
    s = connect(srv)
    try:
        s.sendall(request("POST", "/ListStages", b"{}"))
        assert read_response(s)[0] == 200
        time.sleep(3)
        s.sendall(request("POST", "/ListStages", b"{}"))
        assert read_response(s)[0] == 200
    finally:
        s.close()


def test_slow_clients_from_nine_addresses_do_not_shut_out_a_tenth():
    """4,608 connections from nine addresses, each with a request never finished:
    once the server is crowded each address gets a tenth of the slots, so a client
    from another address is still served, promptly."""
    raise_fd_limit(6000)
    s = Server().start()  # default deadline (30 s): none is cut meanwhile
    socks = []
    try:
        c = client(s)
        for i in range(9 * 512):
            try:
                k = connect(s, "127.0.0.%d" % (60 + i % 9))
                k.send(b"POST /ListStages HTTP/1.1\r\nHost: localhost\r\n")
            except OSError:
                continue
            socks.append(k)
        time.sleep(0.5)
        t0 = time.monotonic()
        assert "stages" in c.list_stages()
        assert time.monotonic() - t0 < 1
    finally:
        for k in socks:
            k.close()
        s.stop()


def test_abandoned_partial_requests_free_their_slots_at_once(srv):
    """1,500 connect, send half a request, close cycles from one address (three
    times its 512 slots), then a normal request from the same address: answered."""
    for _ in range(1500):
        k = connect(srv, "127.0.0.50")
        k.send(b"POST /ListStages HTTP/1.1\r\nHost: localhost\r\nContent-Le")
        k.close()
    # none of them lingers half-closed (CLOSE_WAIT) on the server's side
    deadline, held = time.monotonic() + 0.5, None
    while held != 0 and time.monotonic() < deadline:
        held = len(subprocess.run(["ss", "-Htn", "state", "close-wait", "sport", "=", ":%d" % srv.port],
                                  capture_output=True, text=True, check=True).stdout.splitlines())
    assert held == 0, held
    status, _, body, _, _ = exchange(srv, request("POST", "/ListStages", b"{}"), "127.0.0.50")
    assert status == 200, body


# ---- framing -----------------------------------------------------------------------------

def with_headers(body, *extra):
    """A CreateStage request whose framing headers are exactly extra."""
    raw = request("POST", "/CreateStage", b"", {"Content-Length": None})
    return raw[:-2] + b"".join(h + b"\r\n" for h in extra) + b"\r\n" + body


AMBIGUOUS = {
    "lengths differ": (with_headers(b'{"name": "framed"}', b"Content-Length: 18", b"Content-Length: 5"),
                       400, "ValidationException"),
    "chunked and a length": (with_headers(b'12\r\n{"name": "framed"}\r\n0\r\n\r\n',
                                          b"Transfer-Encoding: chunked", b"Content-Length: 18"),
                             400, "ValidationException"),
    "gzip coding": (with_headers(b'{"name": "framed"}', b"Transfer-Encoding: gzip"),
                    501, "NotImplementedException"),
    "unknown coding": (with_headers(b'{"name": "framed"}', b"Transfer-Encoding: x-foo"),
                       501, "NotImplementedException"),
    "chunked twice": (with_headers(b'12\r\n{"name": "framed"}\r\n0\r\n\r\n',
                                   b"Transfer-Encoding: chunked", b"Transfer-Encoding: chunked"),
                      501, "NotImplementedException"),
}


@pytest.mark.parametrize("what", list(AMBIGUOUS))
def test_ambiguous_framing_is_refused_promptly_and_closed(srv, what):
    raw, want_status, want_type = AMBIGUOUS[what]
    status, headers, body, closed, took = exchange(srv, raw)
    assert (status, headers.get("x-amzn-errortype")) == (want_status, want_type), body
    assert b'"message"' in body
    assert took < 1 and closed  # an answer, not a wait for the idle timeout; then closed
    assert "framed" not in stage_names(srv)


def test_identical_lengths_and_plain_chunked_are_served(srv):
    status, _, body, _, _ = exchange(srv, with_headers(b'{"name": "same-length"}',
                                                       b"Content-Length: 23", b"Content-Length: 23"))
    assert status == 200, body
    status, _, body, _, _ = exchange(srv, with_headers(b'17\r\n{"name": "chunked-one"}\r\n0\r\n\r\n',
                                                       b"Transfer-Encoding: chunked"))
    assert status == 200, body
    names = stage_names(srv)
    assert "same-length" in names and "chunked-one" in names


# ---- DNS rebinding -----------------------------------------------------------------------

@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1.nip.io",
                                  "127.0.0.1.nip.io:{port}", "localhost.evil.example", "[::2]:{port}"])
def test_protected_mode_refuses_a_foreign_host(srv, host):
    host = host.format(port=srv.port)
    raw = request("POST", "/CreateStage", b'{"name": "rebound"}', host=host)
    status, headers, body, closed, _ = exchange(srv, raw)
    assert (status, headers.get("x-amzn-errortype")) == (403, "AccessDeniedException"), body
    assert ("Host '%s' is not accepted: in protected mode rtstage answers only requests "
            "addressed to a loopback address or localhost" % host).encode() in body
    assert "rebound" not in stage_names(srv)


@pytest.mark.parametrize("host", ["localhost:{port}", "127.0.0.1:{port}", "[::1]:{port}", "localhost",
                                  "127.1.2.3", "LOCALHOST:{port}"])
def test_protected_mode_accepts_a_loopback_host(srv, host):
    name = "loop-%d" % abs(hash(host))
    raw = request("POST", "/CreateStage", b'{"name": "%s"}' % name.encode(), host=host.format(port=srv.port))
    status, _, body, _, _ = exchange(srv, raw)
    assert status == 200, body
    assert name in stage_names(srv)


@pytest.mark.parametrize("origin,status", [
    ("http://evil.example", 403), ("https://127.0.0.1.nip.io", 403), ("null", 403),
    ("http://localhost:3000/x", 403),
    ("http://localhost:3000", 200), ("https://127.0.0.1", 200), ("http://[::1]:8080", 200),
])
def test_protected_mode_judges_the_origin(srv, origin, status):
    name = "origin-%d" % abs(hash(origin))
    raw = request("POST", "/CreateStage", b'{"name": "%s"}' % name.encode(),
                  {"Origin": origin}, host="127.0.0.1:%d" % srv.port)
    got, headers, body, _, _ = exchange(srv, raw)
    assert got == status, body
    if status == 403:
        assert headers["x-amzn-errortype"] == "AccessDeniedException"
        assert ("Origin '%s' is not accepted" % origin).encode() in body
    assert (name in stage_names(srv)) == (status == 200)


def test_a_request_without_exactly_one_host_is_refused(srv):
    raw = request("POST", "/CreateStage", b'{"name": "hostless"}', host=None)
    status, headers, body, _, _ = exchange(srv, raw)
    assert (status, headers.get("x-amzn-errortype")) == (400, "ValidationException"), body
    raw = request("POST", "/CreateStage", b'{"name": "hostless"}').replace(
        b"\r\n\r\n", b"\r\nHost: evil.example\r\n\r\n")
    status, headers, body, _, _ = exchange(srv, raw)
    assert (status, headers.get("x-amzn-errortype")) == (400, "ValidationException"), body
    assert "hostless" not in stage_names(srv)


def test_strict_mode_accepts_any_host():
    creds = os.path.join(SCRATCH, "creds-hardening-%d" % os.getpid())
    with open(creds, "w") as f:
        f.write("[ops]\naws_access_key_id = AKIAOPS0000000000001\n"
                "aws_secret_access_key = ops-secret\naccount_id = 111122223333\n")
    s = Server(extra_args=["--credentials", creds]).start()
    try:
        status, _, body = signed_request(s, "POST", "/CreateStage", b'{"name": "anyhost"}',
                                         headers={"Content-Type": "application/json",
                                                  "Host": "ivsrealtime.us-east-1.amazonaws.com"},
                                         key="AKIAOPS0000000000001", secret="ops-secret")
        assert status == 200, body
        assert body["stage"]["name"] == "anyhost"
    finally:
        s.stop()


# ---- the listening port --------------------------------------------------------------------

def test_a_port_in_use_is_named_with_the_way_out():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        p = subprocess.run([BIN, "serve", "--listen", "127.0.0.1:%d" % port,
                            "--data-dir", tempfile.mkdtemp(dir=SCRATCH)],
                           capture_output=True, text=True, timeout=20)
    assert p.returncode != 0
    assert ("127.0.0.1:%d is already in use: stop the other server or choose another port "
            "with --listen HOST:PORT (RTSTAGE_LISTEN)" % port) in p.stderr, p.stderr
