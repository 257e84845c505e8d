"""Several rtstage nodes on one PostgreSQL database behave as one service, and a
database that goes away and comes back costs errors, never hangs or lost writes."""
import base64
import json
import random
import subprocess
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError

from conftest import Server, client, error_of, pg_ctl, pg_database, postgres_only, wait_for

pytestmark = postgres_only


def fresh_db():
    return pg_database("n_%d_%d" % (int(time.time() * 1000), random.randrange(1 << 30)))


def psql(db, sql):
    return subprocess.run(["psql", db, "-tAc", sql], capture_output=True, text=True,
                          check=True).stdout.strip()


def healthz(server):
    try:
        with urllib.request.urlopen(server.url + "/healthz", timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def jwks(server):
    with urllib.request.urlopen(server.url + "/.well-known/jwks.json", timeout=10) as r:
        return json.loads(r.read())


@pytest.fixture
def nodes():
    """Two nodes on one fresh database, each with its own data directory."""
    db = fresh_db()
    a = Server(db=db, extra_args=["--quota-stages", "7"]).start()
    b = Server(db=db, extra_args=["--quota-stages", "7"]).start()
    yield a, b
    assert a.stop() == 0 and b.stop() == 0


def test_two_nodes_share_stages_pages_and_keys(nodes):
    a, b = nodes
    ca, cb = client(a), client(b)
    made = ca.create_stage(name="on-a", tags={"k": "v"},
                           participantTokenConfigurations=[{"userId": "u"}])
    got = cb.get_stage(arn=made["stage"]["arn"])["stage"]  # at once, on the other node
    assert got["name"] == "on-a" and got["tags"] == {"k": "v"}
    for i in range(4):
        cb.create_stage(name="on-b-%d" % i)
    page = ca.list_stages(maxResults=2)
    rest = cb.list_stages(maxResults=50, nextToken=page["nextToken"])  # A's token on B
    names = [s["name"] for s in page["stages"] + rest["stages"]]
    assert sorted(names) == sorted(["on-a"] + ["on-b-%d" % i for i in range(4)])
    # one signing key for the service: the same JWKS, and A's token carries its kid
    assert jwks(a) == jwks(b) and len(jwks(a)["keys"]) == 1
    header = made["participantTokens"][0]["token"].split(".")[0]
    kid = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"]
    assert kid == jwks(b)["keys"][0]["kid"]
    cb.delete_stage(arn=made["stage"]["arn"])
    with pytest.raises(ClientError) as ei:
        ca.get_stage(arn=made["stage"]["arn"])
    assert error_of(ei)[0] == "ResourceNotFoundException"


def test_concurrent_changes_through_both_nodes_lose_nothing(nodes):
    a, b = nodes
    arn = client(a).create_stage(name="race")["stage"]["arn"]
    acked_tags, acked_names, lock = {}, [], threading.Lock()

    def worker(w):
        c = client(a if w % 2 else b)
        for i in range(12):
            key, value = "w%d-%d" % (w, i), "v%d" % i
            c.tag_resource(resourceArn=arn, tags={key: value})
            with lock:
                acked_tags[key] = value
            if i % 3 == 2:  # take one of our own back
                gone = "w%d-%d" % (w, i - 1)
                c.untag_resource(resourceArn=arn, tagKeys=[gone])
                with lock:
                    del acked_tags[gone]
            name = "n-%d-%d" % (w, i)
            c.update_stage(arn=arn, name=name)
            with lock:
                acked_names.append(name)

    # each worker holds at most 9 tags at a time: 5 stay under the 50-tag limit
    with ThreadPoolExecutor(5) as pool:
        list(pool.map(worker, range(5)))
    for c in (client(a), client(b)):
        stage = c.get_stage(arn=arn)["stage"]
        assert stage["tags"] == acked_tags  # every acknowledged change, and only those
        assert stage["name"] in acked_names
        assert c.list_tags_for_resource(resourceArn=arn)["tags"] == acked_tags
    assert len(acked_tags) == 5 * 8


def test_quota_holds_across_nodes(nodes):
    a, b = nodes
    outcomes = []

    def create(i):
        try:
            client(a if i % 2 else b).create_stage(name="q%d" % i)
            return "ok"
        except ClientError as e:
            return e.response["Error"]["Code"]

    with ThreadPoolExecutor(20) as pool:
        outcomes = list(pool.map(create, range(40)))
    assert outcomes.count("ok") == 7, outcomes
    assert set(outcomes) == {"ok", "ServiceQuotaExceededException"}
    assert len(client(a).list_stages(maxResults=50)["stages"]) == 7


def test_nodes_starting_together_migrate_once():
    db = fresh_db()
    servers = [Server(db=db) for _ in range(3)]
    with ThreadPoolExecutor(3) as pool:
        list(pool.map(lambda s: s.start(), servers))
    try:
        versions = psql(db, "SELECT version FROM schema_migrations ORDER BY version").split()
        assert versions == sorted(set(versions), key=int) and versions[0] == "1"
        assert psql(db, "SELECT COUNT(*) FROM signing_keys") == "1"  # one first key, made once
        logs = "".join(open(s.log).read() for s in servers)
        assert logs.count("applied migration 1 ") == 1
        arn = client(servers[0]).create_stage(name="m")["stage"]["arn"]
        assert client(servers[2]).get_stage(arn=arn)["stage"]["name"] == "m"
    finally:
        for s in servers:
            assert s.stop() == 0


def test_database_restart_during_traffic():
    db = fresh_db()
    a, b = Server(db=db).start(), Server(db=db).start()
    acked, errors, slowest, lock = [], [], [0.0], threading.Lock()
    stop = threading.Event()

    def worker(w):
        c = client(a if w % 2 else b)
        i = 0
        while not stop.is_set():
            i += 1
            t0 = time.time()
            try:
                arn = c.create_stage(name="r%d-%d" % (w, i))["stage"]["arn"]
                with lock:
                    acked.append(arn)
            except ClientError as e:
                with lock:
                    errors.append((e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]))
            with lock:
                slowest[0] = max(slowest[0], time.time() - t0)
            time.sleep(0.01)

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(4)]
    try:
        for t in threads:
            t.start()
        time.sleep(0.5)
        pg_ctl("stop")
        try:
            time.sleep(1.0)
            status, body = healthz(a)
            assert status == 503 and body["status"] == "unavailable", body
            with pytest.raises(ClientError) as ei:
                client(b).get_stage(arn="arn:aws:ivs:us-east-1:123456789012:stage/abcdABCD1234")
            assert error_of(ei)[0] == "InternalServerException" and error_of(ei)[2] == 500
        finally:
            pg_ctl("start")
        deadline = time.time() + 15
        while healthz(a)[0] != 200 or healthz(b)[0] != 200:
            assert time.time() < deadline, "service did not resume"
            time.sleep(0.1)
        n = len(acked)
        time.sleep(0.5)
        assert len(acked) > n  # writes flow again, on their own
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    assert errors and set(errors) == {("InternalServerException", 500)}, set(errors)
    assert slowest[0] < 10, slowest  # failed fast, nothing hung
    present = set()
    kw = {"maxResults": 100}
    while True:
        r = client(a).list_stages(**kw)
        present.update(s["arn"] for s in r["stages"])
        if "nextToken" not in r:
            break
        kw["nextToken"] = r["nextToken"]
    assert set(acked) <= present  # every acknowledged write survived
    for s in (a, b):
        log = open(s.log).read()
        assert "database unavailable" in log and "database reachable again" in log
        assert s.stop() == 0


def test_restart_between_requests_costs_no_request():
    """A database restart while the server is idle leaves every worker's pooled
    connection dead; the next requests find that out on use and must still
    succeed (nothing had been done on the dead connection), not fail once each,
    nor carry the error of the first try into an answer (GetPublicKey reads it)."""
    db = fresh_db()
    s = Server(db=db).start()
    try:
        c = client(s)
        arn = c.create_stage(name="before")["stage"]["arn"]
        pem = subprocess.run(["openssl", "ec", "-pubout"], input=subprocess.run(
            ["openssl", "ecparam", "-name", "secp384r1", "-genkey", "-noout"], capture_output=True,
            check=True).stdout, capture_output=True, check=True).stdout.decode()
        key = c.import_public_key(publicKeyMaterial=pem, name="before")["publicKey"]["arn"]
        with ThreadPoolExecutor(8) as ex:   # pooled connections on many workers
            list(ex.map(lambda _: client(s).get_stage(arn=arn), range(32)))
        pg_ctl("stop")
        pg_ctl("start")
        wait_for(lambda: healthz(s)[0] == 200, 15, "the server to reach the database again")

        def call(i):
            c = client(s)
            if i % 4 == 0:
                return c.create_stage(name="after-%d" % i)["stage"]["arn"]
            if i % 4 == 1:
                return c.get_stage(arn=arn)["stage"]["arn"]
            return c.get_public_key(arn=key)["publicKey"]["arn"]
        with ThreadPoolExecutor(8) as ex:
            got = list(ex.map(call, range(32)))
        assert got[1] == arn and got[2] == key and len(set(got)) == 10
    finally:
        assert s.stop() == 0


def test_a_write_just_after_the_database_returns_is_served():
    """A write that fails while the database is down starts the reconnect spacing;
    the database is back within it, and the next write (on the same group-commit
    writer, whose connection is gone) waits for the spacing's end and is served
    rather than refused for having come too soon."""
    db = fresh_db()
    s = Server(db=db).start()
    try:
        c = client(s)
        c.create_stage(name="before")
        pg_ctl("stop")
        try:
            with pytest.raises(ClientError) as ei:
                c.create_stage(name="during")
            assert error_of(ei)[0] == "InternalServerException"
            failed = time.monotonic()
        finally:
            pg_ctl("start")
        back = time.monotonic() - failed
        t0 = time.monotonic()
        assert c.create_stage(name="after")["stage"]["name"] == "after"
        assert time.monotonic() - t0 < 5, "served after at most the spacing and a connect"
        print("database back %.0f ms after the failed write" % (back * 1000))
    finally:
        assert s.stop() == 0
