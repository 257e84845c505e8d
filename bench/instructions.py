#!/usr/bin/env python3
"""Instructions per request: build/rtstage under callgrind serving one signed
request N times.

Wall-clock numbers on a shared machine move with whatever else runs;
instruction counts do not. This starts rtstage in strict mode under
valgrind --tool=callgrind, makes one stage, zeroes
the counts, replays one pre-signed request (GetStage by default) N
times over a few keep-alive connections, dumps the profile and prints the
server's instructions per request (every thread counted). The profile is
left in the output directory for callgrind_annotate.

    python3 bench/instructions.py [--requests N] [--op GetStage|ListStages]
        [--out DIR] [--log-level info] [--bin OTHER/build/rtstage]
"""
import argparse
import glob
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  (the bench's signer and server settings)


def replay_bytes(base, method, path, body):
    """The request as bytes on the wire, signed now."""
    name = run.sign(base, method, path, body)
    try:
        text = open(name, "rb").read()
    finally:
        os.unlink(name)
    head, payload = text.split(b"\n\n", 1)
    lines = head.decode().split("\n")
    host = base.split("//", 1)[1]
    out = ["%s %s HTTP/1.1" % (lines[0], lines[1]), "Host: " + host,
           "Content-Length: %d" % len(payload)] + [l for l in lines[2:] if not l.lower().startswith("host:")]
    return ("\r\n".join(out) + "\r\n\r\n").encode() + payload


def read_answer(sock, pending):
    """One HTTP response from sock (Content-Length framed); returns (status, rest)."""
    while b"\r\n\r\n" not in pending:
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("connection closed")
        pending += chunk
    head, rest = pending.split(b"\r\n\r\n", 1)
    status = int(head.split(b" ", 2)[1])
    m = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
    need = int(m.group(1)) if m else 0
    while len(rest) < need:
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("connection closed")
        rest += chunk
    return status, rest[need:]


def hammer(port, request, n, connections):
    socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(connections)]
    bad = 0
    try:
        for i in range(n):
            s = socks[i % connections]
            s.sendall(request)
            status, rest = read_answer(s, b"")
            if rest:
                raise RuntimeError("unexpected bytes after the answer")
            bad += status != 200
    finally:
        for s in socks:
            s.close()
    return bad


def wait_ready(base, proc, deadline=120):
    end = time.time() + deadline
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError("rtstage exited")
        try:
            run.wait_ready(base + "/healthz", deadline=1)
            return
        except RuntimeError:
            pass
    raise RuntimeError("not ready")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--connections", type=int, default=4)
    ap.add_argument("--op", default="GetStage", choices=["GetStage", "ListStages"])
    ap.add_argument("--out", default=None, help="keep the profile here")
    ap.add_argument("--log-level", default="info")
    ap.add_argument("--threads", default="16", help="worker threads (bench: 16 on 2 CPUs)")
    ap.add_argument("--bin", default=run.BIN, help="the rtstage binary (another build to compare)")
    a = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="rtstage-instr-")
    out = a.out or tmp  # the profile: removed with tmp unless --out
    os.makedirs(out, exist_ok=True)
    creds = os.path.join(tmp, "creds")
    with open(creds, "w") as f:
        f.write("[bench]\naws_access_key_id = %s\naws_secret_access_key = %s\naccount_id = %s\n"
                % (run.KEY, run.SECRET, run.ACCOUNT))
    port = run.free_port()
    base = "http://127.0.0.1:%d" % port
    prof = os.path.join(out, "callgrind.out.rtstage")
    proc = subprocess.Popen(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + prof,
         a.bin, "serve", "--listen", "127.0.0.1:%d" % port, "--data-dir", os.path.join(tmp, "data"),
         "--credentials", creds, "--threads", a.threads, "--log-level", a.log_level],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(base, proc)
        arn = run.call(base, "POST", "/CreateStage",
                       b'{"name": "bench", "tags": {"a": "1", "b": "2"}}')["stage"]["arn"]
        body = json.dumps({"arn": arn}).encode() if a.op == "GetStage" else b'{"maxResults": 50}'
        request = replay_bytes(base, "POST", "/" + a.op, body)
        hammer(port, request, 50, a.connections)  # warm: statements prepared, keys cached
        subprocess.run(["callgrind_control", "-z", str(proc.pid)], check=True, capture_output=True)
        bad = hammer(port, request, a.requests, a.connections)
        subprocess.run(["callgrind_control", "-d", str(proc.pid)], check=True, capture_output=True)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    dumps = sorted(glob.glob(prof + "*"), key=os.path.getmtime)
    total = 0
    for d in dumps:
        m = re.search(r"^summary: (\d+)", open(d).read(), re.M)
        if m and int(m.group(1)) > total:
            total = int(m.group(1))
    print("%s: %d requests (%d not 200), %d instructions, %.0f per request"
          % (a.op, a.requests, bad, total, total / a.requests))
    print("profiles: " + " ".join(dumps) if a.out else "")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
