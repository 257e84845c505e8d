"""A real rtstage process and real clients (boto3, the AWS CLI) pointed at it."""
import hashlib
import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import atexit
import shutil

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.credentials
import pytest
from botocore.config import Config

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
BIN = os.environ.get("RTSTAGE_BIN", os.path.join(ROOT, "build", "rtstage"))
MODELS = os.path.join(ROOT, "spec", "aws-models")
ACCOUNT = "123456789012"  # the server's default account


# The back-end under test: SQLite (the default) or PostgreSQL, when
# tests/run.sh has started a private cluster and named it here.
PG = os.environ.get("RTSTAGE_TEST_PG")          # postgresql://USER@HOST:PORT
PG_DIR = os.environ.get("RTSTAGE_TEST_PG_DIR")  # for tests/pg.sh stop|start|kill
BACKEND = "postgres" if PG else "sqlite"
sqlite_only = pytest.mark.skipif(BACKEND != "sqlite", reason="about the SQLite file itself")
postgres_only = pytest.mark.skipif(BACKEND != "postgres", reason="needs the PostgreSQL back-end")


def pg_database(name):
    """The URL of database name on the test cluster, created if missing."""
    admin = PG + "/postgres"
    exists = subprocess.run(["psql", admin, "-tAc", "SELECT 1 FROM pg_database WHERE datname = '%s'" % name],
                            capture_output=True, text=True, check=True).stdout.strip()
    if not exists:
        subprocess.run(["psql", admin, "-qc", 'CREATE DATABASE "%s"' % name], capture_output=True, check=True)
    return PG + "/" + name


def pg_ctl(action):
    """Stops, kills or starts the test cluster (tests/pg.sh)."""
    subprocess.run([os.path.join(ROOT, "tests", "pg.sh"), action, PG_DIR], check=True, timeout=60)


SCRATCH = tempfile.mkdtemp(prefix="rtstage-e2e-")
# Servers a test starts by hand take a free media port too: several run at once.
os.environ.setdefault("RTSTAGE_MEDIA_PORT", "0")
atexit.register(shutil.rmtree, SCRATCH, True)
SANITIZER_WORDS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


def free_port(host="127.0.0.1"):
    """A port free on host (0.0.0.0: free on every address, as a wildcard listen needs)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class Server:
    """One rtstage process on a free loopback port with its own data dir."""

    def __init__(self, data_dir=None, extra_args=(), env=None, listen_host="127.0.0.1", db=None):
        self.data_dir = data_dir or tempfile.mkdtemp(dir=SCRATCH)
        # On PostgreSQL each data directory has a database of its own, unless
        # db names one (several nodes on one database).
        self.db = db or (pg_database("t_" + hashlib.sha1(self.data_dir.encode()).hexdigest()[:20]) if PG else None)
        self.port = free_port(listen_host)
        self.url = "http://127.0.0.1:%d" % self.port
        self.listen_host = listen_host
        self.extra_args = list(extra_args)
        self.env = env
        self.proc = None
        self.log = os.path.join(self.data_dir, "server.log")

    def start(self):
        return self.start_with(BIN)

    def start_with(self, binary):
        """Starts this server from binary (start() uses the one under test)."""
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [binary, "serve", "--listen", "%s:%d" % (self.listen_host, self.port), "--media-port", "0"]
                + self.store_args() + self.extra_args,
                stdout=log, stderr=subprocess.STDOUT, env=self.env)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("rtstage exited: " + open(self.log).read())
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("rtstage did not become ready: " + open(self.log).read())

    def store_args(self):
        """Where this server keeps its data, as rtstage's options."""
        return ["--data-dir", self.data_dir] + (["--db", self.db] if self.db else [])

    def stop(self, sig=signal.SIGTERM):
        """Stops the server; returns its exit status. A sanitizer report in its log
        (the ASan+UBSan build) fails the test that stops it."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            rc = self.proc.wait(timeout=30)
        else:
            rc = self.proc.returncode if self.proc else None
        self.proc = None
        log = open(self.log, errors="replace").read()
        for word in SANITIZER_WORDS:
            assert word not in log, log
        return rc

    def restart(self):
        self.stop()
        return self.start()


def client(server, region="us-east-1", key="AKIDEXAMPLE", validate=True, secret="secret", token=None):
    return boto3.client(
        "ivs-realtime", region_name=region, endpoint_url=server.url,
        aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=token,
        config=Config(parameter_validation=validate, retries={"total_max_attempts": 1}))


def cli_env(server, region="us-east-1", key="AKIDEXAMPLE", secret="secret"):
    env = dict(os.environ)
    env.update({
        "AWS_DATA_PATH": MODELS, "AWS_ACCESS_KEY_ID": key,
        "AWS_SECRET_ACCESS_KEY": secret, "AWS_DEFAULT_REGION": region,
        "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_PAGER": "", "AWS_MAX_ATTEMPTS": "1",
    })
    return env


def cli(server, *args, region="us-east-1", key="AKIDEXAMPLE", secret="secret"):
    """Runs `aws --endpoint-url URL ARGS`; returns (exit code, parsed JSON or stderr)."""
    p = subprocess.run(["/usr/bin/aws", "--endpoint-url", server.url, "--output", "json"]
                       + list(args), capture_output=True, text=True,
                       env=cli_env(server, region, key, secret), timeout=60)
    if p.returncode == 0:
        return 0, json.loads(p.stdout) if p.stdout.strip() else {}
    return p.returncode, p.stderr


def error_of(excinfo):
    """(code, message, HTTP status) of the ClientError pytest.raises caught."""
    e = excinfo.value.response
    return e["Error"]["Code"], e["Error"]["Message"], e["ResponseMetadata"]["HTTPStatusCode"]


def signed_request(server, method, path, body=b"", headers=None, key="AKIDEXAMPLE", secret="secret",
                   region="us-east-1", sign=True, mutate=None):
    """A raw HTTP request, signed by botocore's own SigV4 signer unless sign is False;
    mutate(headers, body) may alter it after signing. Returns (status, headers, JSON body)."""
    req = botocore.awsrequest.AWSRequest(method=method, url=server.url + path, data=body,
                                         headers=dict(headers or {"Content-Type": "application/json"}))
    if sign:
        botocore.auth.SigV4Auth(botocore.credentials.Credentials(key, secret), "ivs", region).add_auth(req)
    prepared = req.prepare()
    h, data = dict(prepared.headers), prepared.body
    if mutate:
        h, data = mutate(h, data)
    r = urllib.request.Request(prepared.url, data=data or None, method=method, headers=h)
    try:
        with urllib.request.urlopen(r, timeout=10) as resp:
            return resp.status, dict(resp.headers), json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), json.loads(e.read() or b"{}")


os.environ.setdefault("AWS_DATA_PATH", MODELS)
os.environ["AWS_CONFIG_FILE"] = "/dev/null"
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"


@pytest.fixture(scope="session")
def server():
    s = Server().start()
    yield s
    assert s.stop() == 0


@pytest.fixture(scope="session")
def ivs(server):
    return client(server)


@pytest.fixture(scope="session")
def raw_ivs(server):
    """boto3 with client-side validation off: the server alone judges input."""
    return client(server, validate=False)


def wait_for(fn, timeout, what, every=0.1):
    """fn()'s first truthy value, polled every `every` seconds for at most
    timeout seconds; AssertionError naming what when it never comes."""
    end = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > end:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(every)
