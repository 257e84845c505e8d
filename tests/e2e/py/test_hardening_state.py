"""State the server keeps on disk or in the database, under faults: signing key
rotation past any small number of keys and the pruning of retired keys,
`rtstage token inspect` verdicts, private database files, a database file
removed or replaced under a running server, and what /healthz may tell an
unauthenticated caller."""
import base64
import glob
import hashlib
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import time
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from conftest import BACKEND, BIN, Server, client, error_of, pg_ctl, postgres_only, sqlite_only

RETAIN_NS = 14 * 24 * 3600 * 10**9  # the longest token lifetime: KEYS_RETAIN_SECONDS
DAY_NS = 24 * 3600 * 10**9


def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64e(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def parts(token):
    h, p, s = token.split(".")
    return json.loads(b64d(h)), json.loads(b64d(p)), b64d(s)


def get(server, path):
    try:
        with urllib.request.urlopen(server.url + path, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def jwks(server):
    status, doc = get(server, "/.well-known/jwks.json")
    assert status == 200
    return {k["kid"]: k for k in doc["keys"]}


def verifies(jwk, token):
    """Does the published key jwk verify token's ES384 signature?"""
    pub = ec.EllipticCurvePublicNumbers(int.from_bytes(b64d(jwk["x"]), "big"),
                                        int.from_bytes(b64d(jwk["y"]), "big"), ec.SECP384R1()).public_key()
    h, p, _ = token.split(".")
    sig = b64d(token.split(".")[2])
    der = encode_dss_signature(int.from_bytes(sig[:48], "big"), int.from_bytes(sig[48:], "big"))
    try:
        pub.verify(der, (h + "." + p).encode(), ec.ECDSA(hashes.SHA384()))
        return True
    except InvalidSignature:
        return False


def rtstage(server, *args):
    p = subprocess.run([BIN] + list(args) + server.store_args(), capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout + p.stderr


def sql(server, statement):
    """Runs statement on the server's database, behind the server's back (a test's
    way to fake what no API does: an old key, a revoked token)."""
    if BACKEND == "postgres":
        subprocess.run(["psql", server.db, "-qtAc", statement], check=True, capture_output=True, timeout=30)
        return
    db = sqlite3.connect(os.path.join(server.data_dir, "rtstage.db"), timeout=10)
    try:
        db.execute(statement)
        db.commit()
    finally:
        db.close()


def new_key():
    """A P-384 key as rtstage stores it: (PKCS#8 PEM text, kid)."""
    key = ec.generate_private_key(ec.SECP384R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    spki = key.public_key().public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)
    return pem, b64e(hashlib.sha256(spki).digest()[:12])[:16]


def add_key(server, created, pem, kid):
    """Puts a key made at `created` (ns) in the server's key store, named as the store names keys."""
    if BACKEND == "postgres":
        sql(server, "INSERT INTO signing_keys (created, kid, pem) VALUES (%d, '%s', $k$%s$k$)" % (created, kid, pem))
        return
    path = os.path.join(server.data_dir, "keys", "%d-%s.pem" % (created, kid))
    with open(path, "w") as f:
        f.write(pem)
    os.chmod(path, 0o600)


def key_count(server):
    if BACKEND == "postgres":
        return int(subprocess.run(["psql", server.db, "-qtAc", "SELECT COUNT(*) FROM signing_keys"],
                                  check=True, capture_output=True, text=True).stdout)
    return len(glob.glob(os.path.join(server.data_dir, "keys", "*.pem")))


def newest_pem(server):
    if BACKEND == "postgres":
        return subprocess.run(["psql", server.db, "-qtAc", "SELECT pem FROM signing_keys ORDER BY created DESC LIMIT 1"],
                              check=True, capture_output=True, text=True).stdout.strip() + "\n"
    path = max(glob.glob(os.path.join(server.data_dir, "keys", "*.pem")),
               key=lambda p: int(os.path.basename(p).split("-")[0]))
    return open(path).read()


def sign(pem, claims):
    """A token signed with pem as the server signs (ES384, raw R||S)."""
    key = serialization.load_pem_private_key(pem.encode(), None)
    spki = key.public_key().public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)
    kid = b64e(hashlib.sha256(spki).digest()[:12])[:16]
    head = b64e(json.dumps({"alg": "ES384", "typ": "JWT", "kid": kid}).encode())
    body = b64e(json.dumps(claims).encode())
    r, s = decode_dss_signature(key.sign((head + "." + body).encode(), ec.ECDSA(hashes.SHA384())))
    return head + "." + body + "." + b64e(r.to_bytes(48, "big") + s.to_bytes(48, "big"))


@pytest.fixture
def srv():
    s = Server().start()
    yield s
    assert s.stop() == 0


# ---- 1. key rotation ---------------------------------------------------------

def test_eighty_live_rotations_keep_every_token_valid(srv):
    c = client(srv)
    arn = c.create_stage(name="rotations")["stage"]["arn"]
    tokens, kids = [], []
    for i in range(80):
        tokens.append(c.create_participant_token(stageArn=arn, userId="u%d" % i)["participantToken"]["token"])
        rc, out = rtstage(srv, "keys", "rotate")
        assert rc == 0 and "new signing key" in out, out
        kids.append(out.split()[3])
    assert len(set(kids)) == 80 and key_count(srv) == 81  # nothing retired long enough to prune
    time.sleep(1.2)  # the table store is polled once a second
    published = jwks(srv)
    assert set(kids) <= set(published)
    for t in tokens:  # every token made between rotations still verifies, by its own key
        assert verifies(published[parts(t)[0]["kid"]], t)
    for t in (tokens[0], tokens[40], tokens[-1]):
        rc, out = rtstage(srv, "token", "inspect", t)
        assert rc == 0 and "verdict:   VALID" in out, out
    t = c.create_participant_token(stageArn=arn)["participantToken"]["token"]
    assert parts(t)[0]["kid"] == kids[-1]  # the newest key signs
    assert verifies(published[kids[-1]], t)


def test_eighty_rotations_on_a_stopped_server_then_start():
    s = Server()
    for _ in range(80):
        rc, out = rtstage(s, "keys", "rotate")
        assert rc == 0, out
    last = out.split()[3]
    s.start()
    try:
        t = client(s).create_participant_token(
            stageArn=client(s).create_stage()["stage"]["arn"])["participantToken"]["token"]
        assert parts(t)[0]["kid"] == last and len(jwks(s)) == 80
        assert verifies(jwks(s)[last], t)
    finally:
        assert s.stop() == 0


def test_keys_retired_past_their_retention_are_pruned(srv):
    now = time.time_ns()
    old, old_kid = new_key()      # retired 20 days ago, when `kept` appeared: prunable
    kept, kept_kid = new_key()    # retired when the server's first key appeared: kept
    add_key(srv, now - 40 * DAY_NS, old, old_kid)
    add_key(srv, now - 20 * DAY_NS, kept, kept_kid)
    time.sleep(1.2)  # the table store is polled once a second
    assert {old_kid, kept_kid} & set(jwks(srv)) == {kept_kid}  # published: only what may have live tokens
    before = key_count(srv)
    rc, out = rtstage(srv, "keys", "rotate")
    assert rc == 0, out
    new_kid = out.split()[3]
    assert key_count(srv) == before  # one made, one pruned
    time.sleep(1.2)
    published = set(jwks(srv))
    assert kept_kid in published and new_kid in published and old_kid not in published
    if BACKEND == "sqlite":
        names = os.listdir(os.path.join(srv.data_dir, "keys"))
        assert not [n for n in names if old_kid in n] and [n for n in names if kept_kid in n]
    # retention counts from the successor's creation: a key made 19 days ago
    # whose successor appeared 13 days ago is kept (its tokens may be live),
    # while `kept` now has a successor 19 days old and goes
    edge, edge_kid = new_key()
    successor, successor_kid = new_key()
    add_key(srv, now - 19 * DAY_NS, edge, edge_kid)
    add_key(srv, now - RETAIN_NS + DAY_NS, successor, successor_kid)
    assert rtstage(srv, "keys", "rotate")[0] == 0
    time.sleep(1.2)
    published = set(jwks(srv))
    assert edge_kid in published and successor_kid in published and kept_kid not in published


def test_pruned_at_start():
    s = Server()
    assert rtstage(s, "keys", "rotate")[0] == 0  # makes the store
    s.start()
    now = time.time_ns()
    old, old_kid = new_key()
    add_key(s, now - 60 * DAY_NS, old, old_kid)
    add_key(s, now - 50 * DAY_NS, *new_key())
    s.stop()
    n = key_count(s)
    s.start()
    try:
        assert key_count(s) == n - 1 and old_kid not in jwks(s)
    finally:
        assert s.stop() == 0


# ---- 2. token inspect -------------------------------------------------------

def test_inspect_says_a_deleted_stage_makes_a_token_invalid(srv):
    c = client(srv)
    arn = c.create_stage()["stage"]["arn"]
    t = c.create_participant_token(stageArn=arn)["participantToken"]["token"]
    rc, out = rtstage(srv, "token", "inspect", t)
    assert rc == 0 and "verdict:   VALID" in out and "exists" in out, out
    c.delete_stage(arn=arn)
    rc, out = rtstage(srv, "token", "inspect", t)
    assert rc == 1, out
    assert "signature: " in out and "does not exist (deleted)" in out
    assert "verdict:   NOT VALID: its stage does not exist (deleted)" in out


def test_inspect_says_revoked(srv):
    c = client(srv)
    t = c.create_participant_token(stageArn=c.create_stage()["stage"]["arn"])["participantToken"]
    sql(srv, "UPDATE participant_tokens SET revoked = 1 WHERE participant_id = '%s'" % t["participantId"])
    rc, out = rtstage(srv, "token", "inspect", t["token"])
    assert rc == 1 and "revoked:   yes" in out and "verdict:   NOT VALID: the token was revoked" in out, out


@pytest.mark.parametrize("exp", [99999999999999, -5, 2**62])
def test_inspect_reports_an_exp_out_of_range(srv, exp):
    c = client(srv)
    arn = c.create_stage()["stage"]["arn"]
    good = c.create_participant_token(stageArn=arn)["participantToken"]["token"]
    claims = parts(good)[1]
    claims["exp"] = exp
    forged = sign(newest_pem(srv), claims)  # signed by the server's own key: only exp is wrong
    rc, out = rtstage(srv, "token", "inspect", forged)
    assert rc == 1, out
    assert "signature: " in out and "does not verify" not in out
    assert "expires:   exp %d: out of range" % exp in out
    assert "verdict:   NOT VALID: the exp claim is out of range" in out


# ---- 3. private database files ---------------------------------------------

@sqlite_only
def test_database_files_are_private_in_an_open_directory(tmp_path):
    d = tmp_path / "data"
    d.mkdir(mode=0o755)
    os.chmod(d, 0o755)
    s = Server(data_dir=str(d)).start()
    try:
        client(s).create_stage(name="private")
        files = [str(d / n) for n in ("rtstage.db", "rtstage.db-wal", "rtstage.db-shm")]
        files += glob.glob(str(d / "keys" / "*.pem"))
        for f in files:
            assert os.path.exists(f), f
            assert stat.S_IMODE(os.stat(f).st_mode) == 0o600, (f, oct(os.stat(f).st_mode))
        assert stat.S_IMODE(os.stat(d / "keys").st_mode) == 0o700
    finally:
        assert s.stop() == 0
    os.chmod(d / "rtstage.db", 0o644)  # as an older version, or a careless copy, left it
    os.chmod(d / "keys", 0o755)
    s.start()
    try:
        client(s).create_stage(name="again")
        assert stat.S_IMODE(os.stat(d / "rtstage.db").st_mode) == 0o600
        assert stat.S_IMODE(os.stat(d / "keys").st_mode) == 0o700
    finally:
        assert s.stop() == 0


# ---- 4. a database file removed or replaced ----------------------------------
# Health and writes fail once the file is not the one the server opened.
# Reads are not promised: connections already open still read the file the
# server opened (what was acknowledged); a connection opened after the
# change refuses to open.

def assert_unhealthy_and_write_fails(s, reason):
    status, body = get(s, "/healthz")
    assert status == 503 and body == {"status": "unavailable", "reason": reason}, body
    c = client(s)
    for i in range(5):  # whichever worker takes it
        with pytest.raises(ClientError) as ei:
            c.create_stage(name="lost%d" % i)
        code, _, http = error_of(ei)
        assert (code, http) == ("InternalServerException", 500)
    assert reason in open(s.log).read()  # logged, with the path


@sqlite_only
def test_removed_database_file_fails_health_and_writes(srv):
    client(srv).create_stage(name="before")
    os.unlink(os.path.join(srv.data_dir, "rtstage.db"))
    assert_unhealthy_and_write_fails(srv, "database file removed")


@sqlite_only
def test_replaced_database_file_fails_health_and_writes(srv):
    client(srv).create_stage(name="before")
    db = os.path.join(srv.data_dir, "rtstage.db")
    shutil.copyfile(db, db + ".copy")
    os.rename(db + ".copy", db)  # same name, another file
    assert_unhealthy_and_write_fails(srv, "database file replaced")


# ---- 5. health tells no database address -------------------------------------

@postgres_only
def test_health_does_not_reveal_the_database_address(srv):
    port = srv.db.rsplit(":", 1)[1].split("/")[0]
    pg_ctl("stop")
    try:
        time.sleep(0.6)  # past the reconnect spacing
        for _ in range(3):
            status, body = get(srv, "/healthz")
            assert status == 503 and body == {"status": "unavailable", "reason": "database unreachable"}, body
            time.sleep(0.6)
    finally:
        pg_ctl("start")
    log = open(srv.log).read()
    assert "database unreachable" in log and port in log  # the detail is for the operator
    deadline = time.time() + 15
    while get(srv, "/healthz")[0] != 200:
        assert time.time() < deadline
        time.sleep(0.1)
