"""What a new user meets first: --ephemeral, POST /_rtstage/reset, help, option syntax,
and clear refusals of bad options."""
import glob
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError

from conftest import BACKEND, BIN, PG, SCRATCH, Server, client, error_of, free_port

CREDS = """[ops]
aws_access_key_id = AKIARESET00000000001
aws_secret_access_key = reset-secret
account_id = 777788889999
"""


def run(*args, env=None, timeout=10):
    return subprocess.run([BIN] + list(args), capture_output=True, text=True, timeout=timeout,
                          env=env)


def post(url, path):
    req = urllib.request.Request(url + path, method="POST", data=b"")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


def wait_ready(proc, port, log):
    deadline = time.time() + 10
    while time.time() < deadline:
        assert proc.poll() is None, open(log).read()
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/healthz" % port, timeout=1):
                return
        except OSError:
            time.sleep(0.02)
    raise AssertionError(open(log).read())


@pytest.mark.skipif(PG is not None, reason="--ephemeral keeps its SQLite database in the directory")
def test_ephemeral_leaves_nothing_behind(tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    port = free_port()
    log = str(tmp_path / "log")
    with open(log, "w") as f:
        proc = subprocess.Popen([BIN, "serve", "--ephemeral", "--listen", "127.0.0.1:%d" % port],
                                stdout=f, stderr=subprocess.STDOUT,
                                env=dict(os.environ, TMPDIR=str(tmp)))
    wait_ready(proc, port, log)
    dirs = os.listdir(tmp)
    assert len(dirs) == 1 and dirs[0].startswith("rtstage-"), dirs
    data = tmp / dirs[0]
    assert (data / "rtstage.db").exists() and (data / "keys").is_dir()
    from conftest import Server as _S
    s = _S.__new__(_S)
    s.url = "http://127.0.0.1:%d" % port
    client(s).create_stage(name="gone")
    assert "sqlite:%s/rtstage.db" % data in open(log).read()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    assert os.listdir(tmp) == [], os.listdir(tmp)
    assert "ERROR: AddressSanitizer" not in open(log).read()


def test_reset_empties_every_account_and_region():
    s = Server(extra_args=["--quota-stages", "2"]).start()
    try:
        made = []
        for key in ("111111111111", "222222222222"):
            for region in ("us-east-1", "eu-west-1"):
                ivs = client(s, key=key, region=region)
                st = ivs.create_stage(name="r", tags={"k": "v"},
                                      participantTokenConfigurations=[{"userId": "u"}])["stage"]
                ivs.create_stage(name="r2")
                with pytest.raises(ClientError) as e:  # the quota of 2 is used up
                    ivs.create_stage(name="r3")
                assert error_of(e)[0] == "ServiceQuotaExceededException"
                ivs.create_storage_configuration(s3={"bucketName": "bucket-r"})
                ivs.disconnect_participant(stageArn=st["arn"], participantId="kicked1")
                made.append((ivs, st["arn"]))
        status, headers, body = post(s.url, "/_rtstage/reset")
        assert (status, json.loads(body)) == (200, {})
        assert headers["x-amzn-RequestId"]
        if BACKEND == "sqlite":  # every table but the server's own is empty
            db = sqlite3.connect(os.path.join(s.data_dir, "rtstage.db"))
            try:
                tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
                kept = {"settings", "signing_keys", "schema_migrations", "sqlite_sequence"}
                for t in tables:
                    if t not in kept:
                        assert db.execute('SELECT COUNT(*) FROM "%s"' % t).fetchone()[0] == 0, t
                assert "participant_revocations" in tables
            finally:
                db.close()
        for ivs, arn in made:
            assert ivs.list_stages()["stages"] == []
            assert ivs.list_storage_configurations()["storageConfigurations"] == []
            for call in (lambda: ivs.get_stage(arn=arn),
                         lambda: ivs.list_tags_for_resource(resourceArn=arn)):
                with pytest.raises(ClientError) as e:
                    call()
                assert error_of(e)[0] == "ResourceNotFoundException"
            # the quota counter starts from 0 again: two creates fit, the third does not
            ivs.create_stage(name="again1")
            ivs.create_stage(name="again2")
            with pytest.raises(ClientError) as e:
                ivs.create_stage(name="again3")
            assert error_of(e)[0] == "ServiceQuotaExceededException"
        # signing keys and settings survive: tokens still verify against the JWK Set
        with urllib.request.urlopen(s.url + "/.well-known/jwks.json") as r:
            assert len(json.load(r)["keys"]) >= 1
    finally:
        s.stop()


def test_reset_is_refused_in_strict_mode(tmp_path):
    creds = tmp_path / "creds"
    creds.write_text(CREDS)
    s = Server(extra_args=["--credentials", str(creds)]).start()
    try:
        ivs = client(s, key="AKIARESET00000000001", secret="reset-secret")
        arn = ivs.create_stage(name="kept")["stage"]["arn"]
        status, headers, body = post(s.url, "/_rtstage/reset")
        assert status == 403 and headers["x-amzn-ErrorType"] == "AccessDeniedException"
        assert "refused in strict mode" in json.loads(body)["message"]
        assert ivs.get_stage(arn=arn)["stage"]["name"] == "kept"
    finally:
        s.stop()


@pytest.mark.parametrize("args", [["serve", "--help"], ["keys", "--help"], ["token", "--help"],
                                  ["keys", "rotate", "--help"], ["token", "inspect", "-h"]])
def test_help_of_every_command(args):
    p = run(*args)
    assert p.returncode == 0, p.stderr
    assert "usage" in p.stdout.lower() or "Usage" in p.stdout
    want = {"serve": "--listen", "keys": "rtstage keys rotate", "token": "rtstage token inspect"}
    assert want[args[0]] in p.stdout


def test_equals_form_of_options(tmp_path):
    port = free_port()
    s = Server(data_dir=str(tmp_path))
    log = os.path.join(str(tmp_path), "server.log")
    with open(log, "w") as f:
        proc = subprocess.Popen([BIN, "serve", "--listen=127.0.0.1:%d" % port,
                                 "--data-dir=%s" % tmp_path] +
                                (["--db=%s" % s.db] if s.db else []),
                                stdout=f, stderr=subprocess.STDOUT)
    try:
        wait_ready(proc, port, log)
        # the line follows the start of serving: a health check may be answered first
        deadline = time.time() + 5
        while "ready at http://127.0.0.1:%d" % port not in open(log).read():
            assert time.time() < deadline, open(log).read()
            time.sleep(0.02)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0


def test_listen_port_zero_with_equals(tmp_path):
    log = str(tmp_path / "log")
    with open(log, "w") as f:
        proc = subprocess.Popen([BIN, "serve", "--listen=127.0.0.1:0", "--ephemeral"],
                                stdout=f, stderr=subprocess.STDOUT,
                                env=dict(os.environ, TMPDIR=str(tmp_path)))
    try:
        deadline = time.time() + 10
        m = None
        while time.time() < deadline and m is None:
            m = re.search(r"ready at http://127\.0\.0\.1:(\d+) ", open(log).read())
            time.sleep(0.02)
        assert m, open(log).read()
        port = int(m.group(1))
        assert port != 0
        with urllib.request.urlopen("http://127.0.0.1:%d/healthz" % port) as r:
            assert r.status == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0


@pytest.mark.parametrize("listen", ["127.0.0.1:99999", "127.0.0.1:-1", "127.0.0.1:80x",
                                    "127.0.0.1:+80", "127.0.0.1:0x50"])
def test_a_port_out_of_range_is_refused_naming_the_option(listen):
    p = run("serve", "--listen", listen, "--data-dir", os.path.join(SCRATCH, "badport"))
    port = listen.split(":")[1]
    assert p.returncode != 0
    assert ("the port of --listen (RTSTAGE_LISTEN) must be a whole number from 0 to 65535, "
            "not '%s'" % port) in p.stderr, p.stderr


def test_a_number_option_is_range_checked():
    p = run("serve", "--threads=999", "--data-dir", os.path.join(SCRATCH, "badthreads"))
    assert p.returncode != 0
    assert "--threads (RTSTAGE_THREADS) must be a whole number from 0 to 256, not '999'" in p.stderr
    p = run("serve", "--data-dir", os.path.join(SCRATCH, "badthreads"),
            env=dict(os.environ, RTSTAGE_IDLE_TIMEOUT="12abc"))
    assert p.returncode != 0
    assert "--idle-timeout (RTSTAGE_IDLE_TIMEOUT) must be a whole number from 1 to 3600, not '12abc'" in p.stderr


def test_port_in_use_names_the_address():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        p = run("serve", "--listen", "127.0.0.1:%d" % port, "--ephemeral")
    assert p.returncode != 0
    assert "127.0.0.1:%d" % port in p.stderr, p.stderr


def test_the_database_password_is_redacted(tmp_path):
    # a server that cannot reach its database: the URL is in the error, without the password
    url = "postgresql://alice:s3cr3t-pw@127.0.0.1:1/nodb"
    p = run("serve", "--listen", "127.0.0.1:0", "--data-dir", str(tmp_path), "--db", url,
            timeout=30)
    assert "s3cr3t-pw" not in p.stdout + p.stderr
    p = run("serve", "--listen", "127.0.0.1:0", "--data-dir", str(tmp_path),
            "--db", "mysql://bob:hunter2-pw@h/db")
    assert p.returncode != 0 and "hunter2-pw" not in p.stderr
    assert "mysql://bob:***@h/db" in p.stderr, p.stderr


@pytest.mark.skipif(PG is None, reason="needs the PostgreSQL cluster of tests/pg.sh")
def test_the_start_up_line_redacts_the_password(tmp_path):
    m = re.match(r"postgres(?:ql)?://([^@/]+)@(.*)", PG)
    user = m.group(1).split(":")[0]
    url = "postgresql://%s:not-the-pw@%s/postgres" % (user, m.group(2))
    s = Server(data_dir=str(tmp_path), db=url).start()
    s.stop()
    text = open(s.log).read()
    assert "not-the-pw" not in text and "postgresql://%s:***@" % user in text, text


def test_an_in_memory_sqlite_database_is_refused():
    for db in ("sqlite::memory:", "sqlite:file::memory:?cache=shared"):
        p = run("serve", "--listen", "127.0.0.1:0", "--db", db,
                "--data-dir", os.path.join(SCRATCH, "mem"))
        assert p.returncode != 0
        assert ("--db %s is not supported: every worker thread opens its own connection, "
                "and an in-memory SQLite database is private to one connection. For a "
                "throw-away database use --ephemeral" % db) in p.stderr, p.stderr
