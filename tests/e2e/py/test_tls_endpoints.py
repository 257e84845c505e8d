"""rtstage's own endpoints (--public-url, the events and WHIP endpoints of stages and tokens)
and HTTPS (--tls-cert, --tls-key), through boto3, the AWS CLI and raw sockets."""
import asyncio
import base64
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import time
import urllib.request

import boto3
import websockets
import botocore.exceptions
import pytest
from botocore.config import Config

from conftest import BIN, SANITIZER_WORDS, SCRATCH, Server, cli, cli_env, client, free_port

CREDS = """[ops]
aws_access_key_id = AKIAENDPOINTS0000001
aws_secret_access_key = endpoints-secret
account_id = 111122223333
"""


def claims(token):
    """The payload of a participant token (a JWT), decoded."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def assert_endpoints(out, events, whip):
    """A CreateStage answer names events and whip in the stage and in every token."""
    ep = out["stage"]["endpoints"]
    assert ep["events"] == events and ep["whip"] == whip, ep
    hexpart = ep["rtmp"].split("//")[1].split(".")[0]
    assert ep["rtmp"] == "rtmp://%s.global-contribute.live-video.net/app/" % hexpart
    assert ep["rtmps"] == "rtmps://%s.global-contribute.live-video.net:443/app/" % hexpart
    assert out["participantTokens"], out
    for t in out["participantTokens"]:
        body = claims(t["token"])
        assert body["events_url"] == events and body["whip_url"] == whip, body


def refused(*args, env=None):
    """Runs `rtstage serve ARGS` on a free port, expecting a refusal at start: returns stderr."""
    data = os.path.join(SCRATCH, "refused-%d" % free_port())
    p = subprocess.run([BIN, "serve", "--listen", "127.0.0.1:%d" % free_port(), "--data-dir", data]
                       + list(args), capture_output=True, text=True, timeout=30,
                       stdin=subprocess.DEVNULL, env=env)
    assert p.returncode != 0, p.stderr
    assert "ready at" not in p.stderr, p.stderr
    for word in SANITIZER_WORDS:
        assert word not in p.stderr, p.stderr
    return p.stderr


# ---- the public URL and the endpoints it gives ----------------------------------------

def test_default_endpoints_name_this_node_through_boto3(ivs, server):
    out = ivs.create_stage(name="own", participantTokenConfigurations=[{"userId": "a"}, {}])
    assert_endpoints(out, "ws://127.0.0.1:%d/events" % server.port, "http://127.0.0.1:%d/whip" % server.port)
    tok = ivs.create_participant_token(stageArn=out["stage"]["arn"])["participantToken"]
    assert claims(tok["token"])["events_url"] == "ws://127.0.0.1:%d/events" % server.port
    assert ivs.get_stage(arn=out["stage"]["arn"])["stage"]["endpoints"] == out["stage"]["endpoints"]


def test_default_endpoints_name_this_node_through_the_cli(server):
    rc, out = cli(server, "ivs-realtime", "create-stage", "--name", "own-cli",
                  "--participant-token-configurations", "userId=alice")
    assert rc == 0, out
    assert_endpoints(out, "ws://127.0.0.1:%d/events" % server.port, "http://127.0.0.1:%d/whip" % server.port)
    rc, tok = cli(server, "ivs-realtime", "create-participant-token", "--stage-arn", out["stage"]["arn"])
    assert rc == 0, tok
    assert claims(tok["participantToken"]["token"])["whip_url"] == "http://127.0.0.1:%d/whip" % server.port


@pytest.mark.parametrize("public, events, whip", [
    ("https://stage.example.test:8443", "wss://stage.example.test:8443/events",
     "https://stage.example.test:8443/whip"),
    ("http://media.example.test/", "ws://media.example.test/events", "http://media.example.test/whip"),
    ("https://[2001:db8::7]:9443", "wss://[2001:db8::7]:9443/events", "https://[2001:db8::7]:9443/whip"),
])
def test_public_url_gives_the_endpoints(public, events, whip):
    # The public URL is only text: protected mode still listens on loopback.
    s = Server(extra_args=["--public-url", public]).start()
    try:
        out = client(s).create_stage(participantTokenConfigurations=[{"userId": "u"}])
        assert_endpoints(out, events, whip)
        rc, got = cli(s, "ivs-realtime", "get-stage", "--arn", out["stage"]["arn"])
        assert rc == 0 and got["stage"]["endpoints"] == out["stage"]["endpoints"], got
        assert "ready at %s (protected mode" % public in open(s.log).read()
    finally:
        assert s.stop() == 0


def test_public_url_from_the_environment():
    s = Server(env=dict(os.environ, RTSTAGE_PUBLIC_URL="https://env.example.test")).start()
    try:
        out = client(s).create_stage(participantTokenConfigurations=[{}])
        assert_endpoints(out, "wss://env.example.test/events", "https://env.example.test/whip")
    finally:
        assert s.stop() == 0


def test_templates_override_the_public_url():
    s = Server(extra_args=["--public-url", "https://ignored.example.test",
                           "--endpoint-events", "wss://events.{region}.example.test/{account}/{id}",
                           "--endpoint-whip=https://{hex}.whip.example.test"]).start()
    try:
        out = client(s).create_stage(participantTokenConfigurations=[{}])
        stage = out["stage"]
        stage_id = stage["arn"].rsplit("/", 1)[1]
        hexpart = stage["endpoints"]["rtmp"].split("//")[1].split(".")[0]
        assert_endpoints(out, "wss://events.us-east-1.example.test/123456789012/%s" % stage_id,
                         "https://%s.whip.example.test" % hexpart)
    finally:
        assert s.stop() == 0
    # one template alone: the other endpoint still derives from the public URL
    s = Server(extra_args=["--public-url", "http://one.example.test:81"],
               env=dict(os.environ, RTSTAGE_ENDPOINT_WHIP="https://whip.example.test/{id}")).start()
    try:
        out = client(s).create_stage(participantTokenConfigurations=[{}])
        stage_id = out["stage"]["arn"].rsplit("/", 1)[1]
        assert_endpoints(out, "ws://one.example.test:81/events", "https://whip.example.test/%s" % stage_id)
    finally:
        assert s.stop() == 0


def test_a_wildcard_listen_address_defaults_to_loopback(tmp_path):
    creds = tmp_path / "credentials"
    creds.write_text(CREDS)
    s = Server(listen_host="0.0.0.0", extra_args=["--credentials", str(creds)]).start()
    try:
        c = client(s, key="AKIAENDPOINTS0000001", secret="endpoints-secret")
        out = c.create_stage(participantTokenConfigurations=[{}])
        assert_endpoints(out, "ws://127.0.0.1:%d/events" % s.port, "http://127.0.0.1:%d/whip" % s.port)
        assert "ready at http://127.0.0.1:%d (strict mode" % s.port in open(s.log).read()
    finally:
        assert s.stop() == 0


def test_an_ipv6_listen_address_is_bracketed_with_the_port_bound(tmp_path):
    log = str(tmp_path / "log")
    with open(log, "w") as f:
        proc = subprocess.Popen([BIN, "serve", "--listen", "[::1]:0", "--ephemeral"], stdout=f,
                                stderr=subprocess.STDOUT, env=dict(os.environ, TMPDIR=str(tmp_path)))
    try:
        m, deadline = None, time.time() + 10
        while m is None and time.time() < deadline:
            m = re.search(r"ready at http://\[::1\]:(\d+) ", open(log).read())
            time.sleep(0.02)
        assert m, open(log).read()
        url = "http://[::1]:%s" % m.group(1)
        c = boto3.client("ivs-realtime", region_name="us-east-1", endpoint_url=url,
                         aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret",
                         config=Config(retries={"total_max_attempts": 1}))
        out = c.create_stage(participantTokenConfigurations=[{}])
        assert_endpoints(out, "ws://[::1]:%s/events" % m.group(1), "http://[::1]:%s/whip" % m.group(1))
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0


@pytest.mark.parametrize("url, why", [
    ("ftp://stage.example.test", "must begin with http:// or https://"),
    ("stage.example.test:8443", "must begin with http:// or https://"),
    ("HTTP://stage.example.test", "must begin with http:// or https://"),
    ("https://", "names no host"),
    ("https://:8443", "names no host"),
    ("https://stage.example.test/rtstage", "no path"),
    ("https://stage.example.test?x=1", "query"),
    ("https://stage.example.test/#top", "fragment"),
    ("https://user:pw@stage.example.test", "user name or password"),
    ("https://stage.example.test:0", "port must be a number from 1 to 65535"),
    ("https://stage.example.test:65536", "port must be a number from 1 to 65535"),
    ("https://stage.example.test:84x3", "port must be a number from 1 to 65535"),
    ("https://stage.example.test:", "port must be a number from 1 to 65535"),
    ("https://stage example.test", "its host may hold only"),
    ("https://{hex}.example.test", "its host may hold only"),
    ("https://[::1", "not closed by ']'"),
    ("https://[stage]:80", "not an IPv6 address"),
    ("https://" + "a" * 600 + ".test", "longer than 512 bytes"),
])
def test_a_bad_public_url_is_refused_at_start(url, why):
    err = refused("--public-url", url)
    assert "--public-url (RTSTAGE_PUBLIC_URL) must be http(s)://HOST[:PORT]" in err, err
    assert why in err, err


def test_a_bad_public_url_from_the_environment_is_refused():
    err = refused(env=dict(os.environ, RTSTAGE_PUBLIC_URL="https://stage.example.test/x"))
    assert "--public-url (RTSTAGE_PUBLIC_URL)" in err and "https://stage.example.test/x" in err, err


# ---- TLS --------------------------------------------------------------------------------

def openssl(*args):
    subprocess.run(["openssl"] + list(args), check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A self-signed certificate for localhost and 127.0.0.1, its key, another key, and
    files that are not what they claim."""
    d = tmp_path_factory.mktemp("pki")
    f = {name: str(d / name) for name in ("cert.pem", "key.pem", "other.pem", "encrypted.pem",
                                          "garbage.pem", "chain.pem", "broken-chain.pem", "big.pem",
                                          "second.pem", "second-key.pem")}
    for cert, key in (("cert.pem", "key.pem"), ("second.pem", "second-key.pem")):
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", f[key], "-out", f[cert], "-days", "2", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1")
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", f["other.pem"])
    openssl("pkey", "-in", f["key.pem"], "-aes256", "-passout", "pass:secret", "-out", f["encrypted.pem"])
    with open(f["garbage.pem"], "w") as g:
        g.write("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n")
    cert = open(f["cert.pem"]).read()
    with open(f["chain.pem"], "w") as g:
        g.write(cert + open(f["second.pem"]).read())
    with open(f["broken-chain.pem"], "w") as g:
        g.write(cert + "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    with open(f["big.pem"], "w") as g:
        g.write(cert * (70 * 1024 // len(cert) + 1))
    return f


class TlsServer(Server):
    """A Server that serves HTTPS with the certificate and key of pki."""

    def __init__(self, pki, cert="cert.pem", extra_args=(), **kw):
        super().__init__(extra_args=["--tls-cert", pki[cert], "--tls-key", pki["key.pem"]]
                         + list(extra_args), **kw)
        self.url = "https://127.0.0.1:%d" % self.port
        self.ca = pki["cert.pem"]

    def start_with(self, binary):
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [binary, "serve", "--listen", "127.0.0.1:%d" % self.port] + self.store_args()
                + self.extra_args, stdout=log, stderr=subprocess.STDOUT, env=self.env)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("rtstage exited: " + open(self.log).read())
            try:
                if self.get("/healthz")[0] == 200:
                    return self
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("rtstage did not become ready: " + open(self.log).read())

    def get(self, path):
        ctx = ssl.create_default_context(cafile=self.ca)
        with urllib.request.urlopen(self.url + path, timeout=5, context=ctx) as r:
            return r.status, r.read()


@pytest.fixture(scope="module")
def tls(pki):
    s = TlsServer(pki).start()
    yield s
    assert s.stop() == 0


def tls_client(server, verify):
    return boto3.client("ivs-realtime", region_name="us-east-1", endpoint_url=server.url,
                        aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret", verify=verify,
                        config=Config(retries={"total_max_attempts": 1}))


def test_boto3_over_https_names_secure_endpoints(tls):
    c = tls_client(tls, tls.ca)
    out = c.create_stage(name="secure", participantTokenConfigurations=[{"userId": "a"}])
    assert_endpoints(out, "wss://127.0.0.1:%d/events" % tls.port, "https://127.0.0.1:%d/whip" % tls.port)
    assert c.get_stage(arn=out["stage"]["arn"])["stage"]["name"] == "secure"
    assert "ready at https://127.0.0.1:%d (protected mode, TLS" % tls.port in open(tls.log).read()


def test_boto3_refuses_the_certificate_without_the_ca(tls):
    with pytest.raises(botocore.exceptions.SSLError):
        tls_client(tls, True).list_stages()


def test_the_cli_over_https_with_its_ca_bundle(tls):
    p = subprocess.run(["/usr/bin/aws", "--endpoint-url", tls.url, "--ca-bundle", tls.ca, "--output", "json",
                        "ivs-realtime", "create-stage", "--name", "secure-cli",
                        "--participant-token-configurations", "userId=bob"],
                       capture_output=True, text=True, env=cli_env(tls), timeout=60)
    assert p.returncode == 0, p.stderr
    assert_endpoints(json.loads(p.stdout), "wss://127.0.0.1:%d/events" % tls.port,
                     "https://127.0.0.1:%d/whip" % tls.port)


def test_healthz_over_https(tls):
    status, body = tls.get("/healthz")
    assert status == 200 and json.loads(body)["status"] == "ready"


def test_plain_http_to_the_tls_port_gets_no_answer(tls):
    with socket.create_connection(("127.0.0.1", tls.port), timeout=5) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        got = b""
        try:
            while len(got) < 4096:
                chunk = s.recv(4096)
                if not chunk:
                    break
                got += chunk
        except (ConnectionResetError, socket.timeout):
            pass
    assert not got.startswith(b"HTTP/"), got
    status, _ = tls.get("/healthz")  # and the server goes on serving
    assert status == 200


def test_sighup_keeps_the_certificate(tls):
    tls.proc.send_signal(signal.SIGHUP)
    deadline = time.time() + 5
    while "SIGHUP: the TLS certificate and key stay" not in open(tls.log).read() and time.time() < deadline:
        time.sleep(0.02)
    assert "SIGHUP: the TLS certificate and key stay" in open(tls.log).read()
    assert tls.get("/healthz")[0] == 200


def test_a_chain_of_certificates_is_served(pki):
    s = TlsServer(pki, cert="chain.pem").start()
    try:
        assert s.get("/healthz")[0] == 200
    finally:
        assert s.stop() == 0


def test_tls_keeps_protected_mode_on_loopback(pki):
    err = refused("--listen", "0.0.0.0:%d" % free_port("0.0.0.0"), "--tls-cert", pki["cert.pem"],
                  "--tls-key", pki["key.pem"])
    assert "refusing to listen on 0.0.0.0" in err and "protected mode" in err, err


@pytest.mark.parametrize("cert, key, named, why", [
    ("cert.pem", None, None, "--tls-cert (RTSTAGE_TLS_CERT) and --tls-key (RTSTAGE_TLS_KEY) go together: "
     "--tls-cert is given without --tls-key"),
    (None, "key.pem", None, "--tls-key is given without --tls-cert"),
    ("cert.pem", "other.pem", "other.pem", "is not the private key of the certificate in --tls-cert"),
    ("cert.pem", "second-key.pem", "second-key.pem", "is not the private key of the certificate"),
    ("cert.pem", "missing.pem", "missing.pem", "cannot read it: No such file or directory"),
    ("missing.pem", "key.pem", "missing.pem", "cannot read it: No such file or directory"),
    ("garbage.pem", "key.pem", "garbage.pem", "not a PEM certificate chain"),
    ("key.pem", "key.pem", "key.pem", "not a PEM certificate chain"),
    ("broken-chain.pem", "key.pem", "broken-chain.pem", "not a PEM certificate chain"),
    ("big.pem", "key.pem", "big.pem", "larger than 65536 bytes, not a PEM file"),
    ("cert.pem", "garbage.pem", "garbage.pem", "not an unencrypted PEM private key"),
    ("cert.pem", "cert.pem", "cert.pem", "not an unencrypted PEM private key"),
    ("cert.pem", "encrypted.pem", "encrypted.pem", "not an unencrypted PEM private key"),
    ("cert.pem", "/", "/", "not a regular file"),
])
def test_bad_certificate_or_key_is_refused_at_start_naming_the_file(pki, cert, key, named, why):
    path = lambda name: name if name.startswith("/") else pki.get(name, os.path.join(SCRATCH, name))
    args = (["--tls-cert", path(cert)] if cert else []) + (["--tls-key", path(key)] if key else [])
    start = time.time()
    err = refused(*args)
    assert time.time() - start < 10
    assert why in err, err
    if named:
        assert path(named) in err, err


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file whatever its mode")
def test_an_unreadable_key_is_refused_naming_it(pki, tmp_path):
    key = tmp_path / "unreadable.pem"
    key.write_text(open(pki["key.pem"]).read())
    key.chmod(0)
    err = refused("--tls-cert", pki["cert.pem"], "--tls-key", str(key))
    assert "--tls-key %s: cannot read it: Permission denied" % key in err, err


def test_wss_joins_at_the_tokens_own_events_url(tls):
    """A page on https joins over wss://, at the events_url its token names."""
    from events_client import Events, claims_of, run

    c = tls_client(tls, tls.ca)
    arn = c.create_stage(name="wss")["stage"]["arn"]
    tokens = [c.create_participant_token(stageArn=arn, userId=u)["participantToken"]["token"]
              for u in ("a", "b")]
    assert claims_of(tokens[0])["events_url"] == "wss://127.0.0.1:%d/events" % tls.port
    ctx = ssl.create_default_context(cafile=tls.ca)
    ids = [claims_of(t)["jti"] for t in tokens]

    async def both_join():
        a = await Events.join(tokens[0], ssl=ctx)
        assert a.ws.subprotocol == tokens[0]
        b = await Events.join(tokens[1], ssl=ctx)
        await a.roster(ids)
        await b.roster(ids)
        assert (await a.ping())["type"] == "PONG"
        await b.close()
        await a.roster(ids[:1])
        await a.close()

    run(both_join())
    listed = c.list_participants(stageArn=arn, sessionId=c.get_stage(arn=arn)["stage"]["activeSessionId"])
    assert sorted(p["participantId"] for p in listed["participants"]) == sorted(ids)

    async def refused_without_tls():
        try:
            await Events.open("ws://127.0.0.1:%d/events" % tls.port, tokens[0])
        except (OSError, asyncio.TimeoutError, websockets.exceptions.InvalidMessage,
                websockets.exceptions.InvalidHandshake):
            return True
        return False

    assert run(refused_without_tls())
