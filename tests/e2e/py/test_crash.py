"""Crash safety: SIGKILL at random moments under concurrent writes, ten times.

Every acknowledged write must be there after the restart; a write that was
in flight when the process died may be there or not, but never in part;
and SQLite's integrity check must pass. Each stage belongs to one worker,
so at most one operation per stage is ever in doubt.
"""
import os
import random
import signal
import sqlite3
import threading
import time

from botocore.config import Config
from botocore.exceptions import ClientError
import boto3

from conftest import BACKEND, Server

SEED = int(os.environ.get("RTSTAGE_CRASH_SEED", str(int(time.time()))))


def fragile_client(server):
    """A client that gives up at once when the server is gone (its own session:
    boto3's default one is not thread-safe)."""
    return boto3.session.Session().client("ivs-realtime", region_name="us-east-1", endpoint_url=server.url,
                        aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="x",
                        config=Config(retries={"total_max_attempts": 1}, connect_timeout=1, read_timeout=3))


class Stage:
    def __init__(self, name):
        self.arn = None           # known once the create is acknowledged
        self.name = name          # last acknowledged name
        self.tags = {"init": name}
        self.alive = True         # no acknowledged delete
        self.doubt = None         # the one operation in flight when the server died


def worker(server, w, rnd, stages, stop, rng):
    c = fragile_client(server)
    n = 0
    while not stop.is_set():
        n += 1
        mine = [s for s in stages if s.alive and s.arn and s.doubt is None]
        op = rng.choice(["create", "create", "update", "tag", "delete"] if mine else ["create"])
        try:
            if op == "create":
                st = Stage("w%dr%dn%d" % (w, rnd, n))
                st.doubt = ("create",)
                stages.append(st)
                st.arn = c.create_stage(name=st.name, tags=dict(st.tags))["stage"]["arn"]
                st.doubt = None
            elif op == "update":
                st = rng.choice(mine)
                new = "w%dr%dn%du" % (w, rnd, n)
                st.doubt = ("update", new)
                c.update_stage(arn=st.arn, name=new)
                st.name, st.doubt = new, None
            elif op == "tag":
                st = rng.choice(mine)
                key = "k%d_%d_%d" % (w, rnd, n)
                st.doubt = ("tag", key)
                c.tag_resource(resourceArn=st.arn, tags={key: "v"})
                st.tags[key], st.doubt = "v", None
            else:
                st = rng.choice(mine)
                st.doubt = ("delete",)
                c.delete_stage(arn=st.arn)
                st.alive, st.doubt = False, None
        except Exception:  # the server died under this request: its effect is in doubt
            return


def reconcile(stages, seen):
    """Checks every stage against what the server has now, then settles doubts."""
    by_name = {s["name"]: s for s in seen.values()}
    for st in stages:
        if st.arn is None:  # a create in flight: the stage is there whole, or not at all
            got = by_name.get(st.name)
            if got is None:
                st.alive = False
            else:
                assert got["tags"] == {"init": st.name}, got
                st.arn = got["arn"]
            st.doubt = None
            continue
        got = seen.get(st.arn)
        if not st.alive:
            assert got is None, "acknowledged delete undone: %s" % st.arn
            continue
        if st.doubt == ("delete",):
            st.doubt = None
            if got is None:
                st.alive = False
                continue
        assert got is not None, "acknowledged stage lost: %s" % st.arn
        if st.doubt and st.doubt[0] == "update":
            assert got["name"] in (st.name, st.doubt[1]), (got, st.name)
            st.name = got["name"]
        else:
            assert got["name"] == st.name, (got, st.name)
        extra = set(got["tags"]) - set(st.tags)
        if st.doubt and st.doubt[0] == "tag":
            assert extra <= {st.doubt[1]}, (got, st.tags)
            st.tags = dict(got["tags"])
        else:
            assert not extra, (got, st.tags)
        assert set(st.tags) <= set(got["tags"]), "acknowledged tag lost: %s" % st.arn
        st.doubt = None
    known = {st.arn for st in stages if st.alive}
    assert set(seen) == known, "stages no write made: %s" % (set(seen) - known)


def all_stages(server):
    c = fragile_client(server)
    out, kw = {}, {"maxResults": 100}
    while True:
        r = c.list_stages(**kw)
        out.update({s["arn"]: s for s in r["stages"]})
        if "nextToken" not in r:
            return out
        kw["nextToken"] = r["nextToken"]


def integrity(data_dir):
    """SQLite's own check of the database file; PostgreSQL's files are not
    touched by a crash of rtstage (its server keeps running)."""
    if BACKEND != "sqlite":
        return "ok"
    db = sqlite3.connect(os.path.join(data_dir, "rtstage.db"))
    try:
        return db.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        db.close()


def test_sigkill_at_random_moments_loses_no_acknowledged_write():
    rng = random.Random(SEED)
    print("crash seed", SEED)
    s = Server(extra_args=["--quota-stages", "1000000"]).start()
    stages = []
    try:
        for rnd in range(10):
            stop = threading.Event()
            threads = [threading.Thread(target=worker, args=(s, w, rnd, stages, stop, random.Random(rng.random())))
                       for w in range(4)]
            for t in threads:
                t.start()
            time.sleep(rng.uniform(0.2, 0.9))
            s.proc.send_signal(signal.SIGKILL)  # no warning, no clean stop
            s.proc.wait(timeout=10)
            s.proc = None
            stop.set()
            for t in threads:
                t.join(timeout=30)
            assert integrity(s.data_dir) == "ok"
            in_doubt = sum(1 for st in stages if st.doubt or (st.arn is None and st.alive))
            s.start()
            reconcile(stages, all_stages(s))
            print("round %d: %d stages alive, %d operations were in doubt"
                  % (rnd, sum(1 for st in stages if st.alive), in_doubt))
        assert sum(1 for st in stages if st.alive) > 0
    finally:
        if s.proc:
            s.stop()
    assert integrity(s.data_dir) == "ok"
