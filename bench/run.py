#!/usr/bin/env python3
"""make bench: rtstage against an nginx static-file ceiling, in one run.

Starts an optimised build/rtstage in strict mode (every request's SigV4
signature verified) on a fresh data directory, signs each request with
Debian's botocore just before its run, replays it with wrk, and runs the
same wrk settings against nginx serving a static JSON file the size of a
GetStage response. Prints a table and appends a dated row to
bench/RESULTS.md. Loopback only; every load is bounded in time.
"""
import datetime
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import botocore.auth
import botocore.awsrequest
import botocore.credentials

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BIN = os.path.join(ROOT, "build", "rtstage")
LUA = os.path.join(ROOT, "bench", "replay.lua")
RESULTS = os.path.join(ROOT, "bench", "RESULTS.md")
KEY, SECRET, ACCOUNT = "AKIABENCH00000000001", "bench-secret", "123412341234"
REGION = "us-east-1"
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
THREADS = 2
SECONDS = int(os.environ.get("BENCH_SECONDS", "8"))
STAGES = int(os.environ.get("BENCH_STAGES", "100000"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url, deadline=30):
    end = time.time() + deadline
    while time.time() < end:
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.002)
    raise RuntimeError("not ready: " + url)


CC_TARGET = "CloudApiService."  # a path of "CC:<Operation>" is a Cloud Control request


def sign(base, method, path, body):
    """A request signed now by botocore's SigV4 signer, as the replay file wrk reads.
    A path "CC:<Operation>" makes a Cloud Control (awsJson1_0) request to POST /."""
    service, headers = "ivs", {"Content-Type": "application/json"}
    if path.startswith("CC:"):
        service, headers = "cloudcontrolapi", {"Content-Type": "application/x-amz-json-1.0",
                                               "X-Amz-Target": CC_TARGET + path[3:]}
        path = "/"
    req = botocore.awsrequest.AWSRequest(method=method, url=base + path, data=body, headers=headers)
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(KEY, SECRET), service, REGION).add_auth(req)
    p = req.prepare()
    lines = [method, p.url[len(base):]] + ["%s: %s" % (k, v) for k, v in p.headers.items()
                                            if k.lower() != "content-length"]
    fd, path_ = tempfile.mkstemp(prefix="rtstage-replay-")
    with os.fdopen(fd, "wb") as f:
        f.write(("\n".join(lines) + "\n\n").encode() + (body or b""))
    return path_


def call(base, method, path, body=b""):
    replay = sign(base, method, path, body)
    try:
        text = open(replay, "rb").read()
        head, payload = text.split(b"\n\n", 1)
        lines = head.decode().split("\n")
        req = urllib.request.Request(base + lines[1], data=payload or None, method=lines[0],
                                     headers=dict(l.split(": ", 1) for l in lines[2:]))
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read() or b"{}")
    finally:
        os.unlink(replay)


def wrk(url, replay=None, seconds=SECONDS, connections=CONNECTIONS):
    env = dict(os.environ, REPLAY=replay or "")
    args = ["wrk", "-t%d" % THREADS, "-c%d" % connections, "-d%ds" % seconds, "--latency", "-s", LUA, url]
    if replay is None:  # nginx: a plain GET, same script for the summary
        env["REPLAY"] = write_plain_get()
    try:
        out = subprocess.run(args, capture_output=True, text=True, env=env, timeout=seconds + 60).stdout
    finally:
        if replay is None:
            os.unlink(env["REPLAY"])
    line = [l for l in out.splitlines() if l.startswith("{")][-1]
    r = json.loads(line)
    r["rps"] = r["requests"] / r["seconds"] if r["seconds"] else 0
    return r


def write_plain_get():
    fd, path = tempfile.mkstemp(prefix="rtstage-replay-")
    with os.fdopen(fd, "w") as f:
        f.write("GET\n/stage.json\n\n")
    return path


def rss_kib(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class Rtstage:
    def __init__(self, data_dir, creds, db=None):
        self.data_dir, self.creds, self.port = data_dir, creds, free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.db = ["--db", db] if db else []
        self.proc = None

    def start(self):
        t0 = time.perf_counter()
        self.proc = subprocess.Popen([BIN, "serve", "--listen", "127.0.0.1:%d" % self.port,
                                      "--data-dir", self.data_dir, "--credentials", self.creds,
                                      "--quota-stages", "100000000"] + self.db,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_ready(self.base + "/healthz")
        return time.perf_counter() - t0

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)


def nginx_ceiling(tmp, body):
    root = os.path.join(tmp, "nginx")
    os.makedirs(os.path.join(root, "www"))
    for d in (tmp, root, os.path.join(root, "www")):  # nginx workers run as nobody under root
        os.chmod(d, 0o755)
    with open(os.path.join(root, "www", "stage.json"), "w") as f:
        f.write(body)
    port = free_port()
    conf = os.path.join(root, "nginx.conf")
    with open(conf, "w") as f:
        f.write("""worker_processes %d; daemon off; pid %s/nginx.pid; error_log %s/error.log;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000;
  types { application/json json; }
  client_body_temp_path %s; proxy_temp_path %s; fastcgi_temp_path %s; uwsgi_temp_path %s; scgi_temp_path %s;
  server { listen 127.0.0.1:%d; root %s/www; } }
""" % (THREADS, root, root, root, root, root, root, root, port, root))
    proc = subprocess.Popen(["nginx", "-c", conf, "-p", root], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_ready("http://127.0.0.1:%d/stage.json" % port)
    try:
        return wrk("http://127.0.0.1:%d/stage.json" % port)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def fill(base, want):
    """Creates about want stages with wrk, in rounds of at most 5 seconds
    (wrk always runs for its whole duration). Returns how many it made."""
    made, rate = 0, 1000.0
    while made < want:
        seconds = max(1, min(5, int((want - made) / rate)))
        replay = sign(base, "POST", "/CreateStage", b'{"name": "fill", "tags": {"team": "bench"}}')
        try:
            r = wrk(base + "/CreateStage", replay, seconds=seconds, connections=CONNECTIONS)
        finally:
            os.unlink(replay)
        if r["non2xx"] or r["socket_errors"]:
            raise RuntimeError("bench: errors while filling: %r" % r)
        made += r["requests"]
        rate = max(rate, r["rps"])
    return made


def page_ms(base, arn):
    """ListStages (maxResults 50) latency: p50 of a short wrk run."""
    replay = sign(base, "POST", "/ListStages", b'{"maxResults": 50}')
    try:
        return wrk(base + "/ListStages", replay, seconds=3, connections=4)["p50_ms"]
    finally:
        os.unlink(replay)


def url_of(base, path):
    return base + ("/" if path.startswith("CC:") else path)


def run_ops(base, arn, only=None):
    """Each operation's wrk run against base (those named in only, if given);
    [(name, wrk result)]."""
    enc_arn = urllib.request.quote(arn, safe="")
    # Cloud Control UpdateResource: a rename and a tag replace in one patch, no
    # ClientToken (each replay is a request of its own): the whole change and
    # its request record in one job, as every UpdateResource is carried out
    patch = json.dumps([{"op": "replace", "path": "/Name", "value": "cc-renamed"},
                        {"op": "replace", "path": "/Tags", "value": [{"Key": "a", "Value": "cc"}]}])
    runs = [
        ("GetStage", "POST", "/GetStage", json.dumps({"arn": arn}).encode()),
        ("ListStages (50)", "POST", "/ListStages", b'{"maxResults": 50}'),
        ("CreateStage", "POST", "/CreateStage", b'{"name": "bench-create", "tags": {"k": "v"}}'),
        ("UpdateStage", "POST", "/UpdateStage", json.dumps({"arn": arn, "name": "renamed"}).encode()),
        ("TagResource", "POST", "/tags/" + enc_arn, b'{"tags": {"c": "3"}}'),
        ("CreateParticipantToken", "POST", "/CreateParticipantToken",
         json.dumps({"stageArn": arn, "userId": "bench"}).encode()),
        ("CC UpdateResource", "POST", "CC:UpdateResource",
         json.dumps({"TypeName": "AWS::IVS::Stage", "Identifier": arn, "PatchDocument": patch}).encode()),
    ]
    results = []
    for name, method, path, body in runs:
        if only and name not in only:
            continue
        replay = sign(base, method, path, body)
        try:
            results.append((name, wrk(url_of(base, path), replay)))
        finally:
            os.unlink(replay)
    return results


def preload(base):
    """1,000 stages (the small-table ListStages page); returns the ARN of the last."""
    for _ in range(999):
        call(base, "POST", "/CreateStage", b'{"name": "preload", "tags": {"team": "bench"}}')
    return call(base, "POST", "/CreateStage", b'{"name": "bench", "tags": {"a": "1", "b": "2"}}')["stage"]["arn"]


def postgres_runs(tmp, creds):
    """The same operations on the PostgreSQL back-end: a private cluster
    (tests/pg.sh, fsync on, as durable as SQLite's synchronous=FULL), one node."""
    pgdir = tempfile.mkdtemp(prefix="rtstage-bench-pg-")
    os.rmdir(pgdir)
    pg = os.path.join(ROOT, "tests", "pg.sh")
    env = dict(os.environ, RTSTAGE_PG_FSYNC="on")
    url = subprocess.run([pg, "init", pgdir], capture_output=True, text=True, check=True, env=env).stdout.strip()
    server = Rtstage(os.path.join(tmp, "data-pg"), creds, db=url + "/postgres")
    try:
        server.start()
        arn = preload(server.base)
        page = page_ms(server.base, arn)
        return run_ops(server.base, arn), page
    finally:
        if server.proc and server.proc.poll() is None:
            server.stop()
        subprocess.run([pg, "remove", pgdir], capture_output=True)


def only_lines(names):
    """BENCH_ONLY="CC UpdateResource,GetStage": just those lines, on a fresh
    server with a few stages, printed and not recorded (a short run)."""
    tmp = tempfile.mkdtemp(prefix="rtstage-bench-")
    creds = os.path.join(tmp, "creds")
    with open(creds, "w") as f:
        f.write("[bench]\naws_access_key_id = %s\naws_secret_access_key = %s\naccount_id = %s\n"
                % (KEY, SECRET, ACCOUNT))
    server = Rtstage(os.path.join(tmp, "data"), creds)
    try:
        server.start()
        arn = call(server.base, "POST", "/CreateStage", b'{"name": "bench", "tags": {"a": "1", "b": "2"}}')["stage"]["arn"]
        results = run_ops(server.base, arn, only=names)
    finally:
        if server.proc and server.proc.poll() is None:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print("\n%-26s %10s %9s %9s %7s" % ("operation", "req/s", "p50 ms", "p99 ms", "non2xx"))
    for name, r in results:
        print("%-26s %10.0f %9.3f %9.3f %7d" % (name, r["rps"], r["p50_ms"], r["p99_ms"],
                                                r["non2xx"] + r["socket_errors"]))
    if any(r["non2xx"] or r["socket_errors"] for _, r in results):
        sys.exit("bench: non-2xx answers")


def main():
    if os.environ.get("BENCH_ONLY"):
        return only_lines([n.strip() for n in os.environ["BENCH_ONLY"].split(",")])
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None:
            sys.exit("bench: %s is missing (make bench installs it as root)" % tool)
    tmp = tempfile.mkdtemp(prefix="rtstage-bench-")
    creds = os.path.join(tmp, "creds")
    with open(creds, "w") as f:
        f.write("[bench]\naws_access_key_id = %s\naws_secret_access_key = %s\naccount_id = %s\n"
                % (KEY, SECRET, ACCOUNT))
    data = os.path.join(tmp, "data")
    server = Rtstage(data, creds)
    results, notes = [], {}
    try:
        server.start()
        base = server.base
        arn = preload(base)
        have = 1000
        notes["page_1k_ms"] = page_ms(base, arn)
        getstage_body = json.dumps(call(base, "POST", "/GetStage", json.dumps({"arn": arn}).encode()))

        ceiling = nginx_ceiling(tmp, getstage_body)
        results.append(("nginx static ceiling", ceiling))
        results += run_ops(base, arn)

        # grow to STAGES stages, then memory, page time and start-up
        total = have + int(dict(results)["CreateStage"]["requests"])
        total += fill(base, max(0, STAGES - total))
        notes["stages"] = total
        notes["rss_mib"] = rss_kib(server.proc.pid) / 1024
        notes["page_100k_ms"] = page_ms(base, arn)
        server.stop()
        notes["startup_ms"] = server.start() * 1000
        notes["rss_after_restart_mib"] = rss_kib(server.proc.pid) / 1024
        server.stop()
        pg_results, notes["pg_page_1k_ms"] = postgres_runs(tmp, creds)
    finally:
        if server.proc and server.proc.poll() is None:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    ceil = results[0][1]
    print("\n%-26s %10s %9s %9s %7s %10s" % ("operation", "req/s", "p50 ms", "p99 ms", "non2xx", "x nginx"))
    for name, r in results:
        print("%-26s %10.0f %9.3f %9.3f %7d %10.3f" % (name, r["rps"], r["p50_ms"], r["p99_ms"],
                                                        r["non2xx"] + r["socket_errors"], r["rps"] / ceil["rps"]))
    print("\nPostgreSQL back-end (one node, a local cluster on the same 2 cores, fsync on):")
    for name, r in pg_results:
        print("%-26s %10.0f %9.3f %9.3f %7d %10.3f" % (name, r["rps"], r["p50_ms"], r["p99_ms"],
                                                        r["non2xx"] + r["socket_errors"], r["rps"] / ceil["rps"]))
    print("ListStages page at 1,000 stages, PostgreSQL / SQLite: %.2f"
          % (notes["pg_page_1k_ms"] / notes["page_1k_ms"]))
    get = dict(results)["GetStage"]
    print("\nGetStage p99 / nginx p99: %.2f" % (get["p99_ms"] / ceil["p99_ms"]))
    print("ListStages page at %d stages / at 1,000: %.2f (%.3f ms vs %.3f ms)"
          % (notes["stages"], notes["page_100k_ms"] / notes["page_1k_ms"], notes["page_100k_ms"], notes["page_1k_ms"]))
    print("resident memory with %d stages: %.1f MiB (%.1f MiB after a restart)"
          % (notes["stages"], notes["rss_mib"], notes["rss_after_restart_mib"]))
    print("start-up to a ready /healthz with %d stages: %.0f ms" % (notes["stages"], notes["startup_ms"]))

    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip() or "unknown"
    r = dict(results)
    row = "| %s | %s | %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.1f | %.0f |\n" % (
        datetime.date.today().isoformat(), commit, "%.0f" % ceil["rps"],
        r["GetStage"]["rps"] / ceil["rps"], r["ListStages (50)"]["rps"] / ceil["rps"],
        r["CreateStage"]["rps"] / ceil["rps"], r["UpdateStage"]["rps"] / ceil["rps"],
        r["TagResource"]["rps"] / ceil["rps"], r["CreateParticipantToken"]["rps"] / ceil["rps"],
        r["GetStage"]["p99_ms"] / ceil["p99_ms"], notes["page_100k_ms"] / notes["page_1k_ms"],
        notes["rss_mib"], notes["startup_ms"])
    if not os.path.exists(RESULTS):
        with open(RESULTS, "w") as f:
            f.write("# make bench results\n\nRatios are rtstage's throughput over the nginx static-file ceiling "
                    "measured in the same run (2 wrk threads, %d connections, loopback, 2 cores shared with wrk).\n\n"
                    "| date | commit | nginx req/s | Get | List(50) | Create | Update | Tag | Token | "
                    "Get p99 / nginx p99 | page 100k / 1k | RSS MiB (100k stages) | start-up ms (100k) |\n"
                    "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n" % CONNECTIONS)
    pr = dict(pg_results)
    pg_row = "| %s | %s | %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |\n" % (
        datetime.date.today().isoformat(), commit, "%.0f" % ceil["rps"],
        pr["GetStage"]["rps"] / ceil["rps"], pr["ListStages (50)"]["rps"] / ceil["rps"],
        pr["CreateStage"]["rps"] / ceil["rps"], pr["UpdateStage"]["rps"] / ceil["rps"],
        pr["TagResource"]["rps"] / ceil["rps"], pr["CreateParticipantToken"]["rps"] / ceil["rps"],
        pr["GetStage"]["p99_ms"] / ceil["p99_ms"])
    text = open(RESULTS).read()
    marker = "\n## PostgreSQL back-end\n"
    if marker not in text:
        text += (marker + "\nThe same runs with `--db postgres://...` (one node; a local cluster with fsync on, "
                 "on the same 2 cores), as ratios to the nginx ceiling of the same run.\n\n"
                 "| date | commit | nginx req/s | Get | List(50) | Create | Update | Tag | Token | "
                 "Get p99 / nginx p99 |\n|---|---|---|---|---|---|---|---|---|---|\n")
    head, tail = text.split(marker, 1)
    pg, rest = (tail.split("\n## ", 1) + [None])[:2]   # the PostgreSQL table ends at the next section
    rest = "\n## " + rest if rest is not None else ""
    with open(RESULTS, "w") as f:
        f.write(head.rstrip("\n") + "\n" + row + marker + pg.rstrip("\n") + "\n" + pg_row + rest)
    print("\nappended to bench/RESULTS.md")
    failures = [n for n, x in results + pg_results if x["non2xx"] or x["socket_errors"]]
    if failures:
        sys.exit("bench: non-2xx answers in " + ", ".join(failures))


if __name__ == "__main__":
    main()
