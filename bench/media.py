#!/usr/bin/env python3
"""make bench-media: rtstage's SFU against Janus and against the floor, in one run.

Runs inside a private network namespace of its own (it re-executes itself
under `ip netns exec`): loopback, plus a veth link holding 127.0.1.1 so
that Janus, which skips loopback interfaces when gathering candidates, has
an address to offer (a veth pair, both ends inside: this machine's kernel
has no dummy links). Traffic to that address is local, so it still
travels over lo. The namespace is deleted at the end.

1. Fan-out: build/rtstage-load (bench/load.c) publishes a fixed synthetic
   H.264 + Opus stream (about 1.5 Mbit/s) through rtstage's WHIP endpoint,
   then N = 1, 10, 50, 100 subscribers receive it (stopping when loss passes
   1%): server CPU per subscriber-minute, RSS per subscriber, loss, late
   packets, forwarding delay p50/p99 (send time kept by the tool, receive
   time from the kernel).
2. The same load against Janus's VideoRoom (Debian's janus, HTTP API,
   ICE-lite), configured in a temporary directory.
3. The floor: rtstage-load floor, SRTP protect (srtp.c, as the server) + sendmmsg per subscriber.
4. Join times with the official SDK in Chromium (bench/join.mjs, through
   tests/browser's harness).

Prints the table, appends rows to bench/RESULTS.md (media section), exits 1
when a line of the bar is missed. Knobs: BENCH_MEDIA_SECONDS (window per N,
8), BENCH_MEDIA_N ("1,10,50,100"), BENCH_MEDIA_JOINS (12), BENCH_MEDIA_SKIP
("janus", "join": parts left out, for development; a run that skips a part
appends nothing), BENCH_MEDIA_PERF (a file: `perf record -g` of rtstage
during the last window).
"""
import base64
import datetime
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BIN = os.path.join(ROOT, "build", "rtstage")
LOAD = os.path.join(ROOT, "build", "rtstage-load")
RESULTS = os.path.join(ROOT, "bench", "RESULTS.md")
os.environ.setdefault("AWS_DATA_PATH", os.path.join(ROOT, "spec", "aws-models"))
SECONDS = float(os.environ.get("BENCH_MEDIA_SECONDS", "8"))
NS = [int(x) for x in os.environ.get("BENCH_MEDIA_N", "1,10,50,100").split(",")]
JOINS = int(os.environ.get("BENCH_MEDIA_JOINS", "12"))
PERF = os.environ.get("BENCH_MEDIA_PERF")   # a file: perf record of rtstage at the last N
SKIP = set(filter(None, os.environ.get("BENCH_MEDIA_SKIP", "").split(",")))
JANUS_IP = "127.0.1.1"       # on the namespace's dummy link: not a loopback interface
RTSTAGE_IP = "127.0.0.1"
LOSS_STOP = 0.01             # stop adding subscribers past 1% loss
FLOOR_PACKETS = 20000        # floor: stream packets, each protected and sent per subscriber
APT, VPT = 111, 102          # the payload types the offers use
SSRC_AUDIO, SSRC_VIDEO = 0x0a0d1001, 0x0b1de001   # bench/load.c's


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# ---- the namespace ----

def in_namespace():
    """Re-executes this script in a fresh network namespace; returns its status."""
    ns = "rtsbench%d" % os.getpid()
    steps = [["ip", "netns", "add", ns],
             ["ip", "-n", ns, "link", "set", "lo", "up"],
             ["ip", "-n", ns, "link", "add", "bench0", "type", "veth", "peer", "name", "bench1"],
             ["ip", "-n", ns, "link", "set", "bench0", "up"],
             ["ip", "-n", ns, "link", "set", "bench1", "up"],
             ["ip", "-n", ns, "addr", "add", JANUS_IP + "/32", "dev", "bench0"]]
    try:
        for s in steps:
            subprocess.run(s, check=True)
        env = dict(os.environ, RTSTAGE_BENCH_NS=ns)
        inner = subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, __file__], env=env)
        # a stop asked of this process is passed on, so that the inner one
        # stops what it started before the namespace goes
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, lambda s, _f: inner.send_signal(s))
        return inner.wait()
    finally:
        subprocess.run(["ip", "netns", "del", ns], check=False)


# ---- the load tool ----

class Load:
    """One rtstage-load process: commands in, lines out."""

    def __init__(self, bind_ip):
        self.p = subprocess.Popen([LOAD], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  env=dict(os.environ, LOAD_BIND=bind_ip))
        self.pending, self.partial = [], b""
        self.fp = self.expect("fingerprint", 10)[0][len("fingerprint "):]

    def send(self, line):
        self.p.stdin.write((line + "\n").encode())
        self.p.stdin.flush()

    def expect(self, prefix, timeout, match=None):
        """The next line starting with prefix (and, if given, whose second word is match)."""
        end = time.monotonic() + timeout
        while True:
            for i, line in enumerate(self.pending):
                words = line.split()
                if line.startswith(prefix) and (match is None or words[1:2] == [match]):
                    del self.pending[i]
                    return line, words
                if line.startswith("failed") and match is not None and words[1:2] == [match]:
                    raise RuntimeError("load tool: " + line)
            left = end - time.monotonic()
            if left <= 0:
                raise RuntimeError("load tool: no %s %s" % (prefix, match or ""))
            r, _, _ = select.select([self.p.stdout], [], [], left)
            if r:
                # os.read, not readline: a buffered reader could hold a
                # second line that select would then never report
                chunk = os.read(self.p.stdout.fileno(), 65536)
                if not chunk:
                    raise RuntimeError("load tool exited")
                self.partial += chunk
                *lines, self.partial = self.partial.split(b"\n")
                self.pending += [l.decode().strip() for l in lines]

    def peer(self, pid):
        self.send("peer " + pid)
        _, w = self.expect("peer", 5, pid)
        return {"ufrag": w[2], "pwd": w[3], "port": int(w[4])}

    def connect(self, pid, answer):
        a = read_answer(answer)
        role = "server" if a["setup"] == "active" else "client"
        self.send("connect %s %s %s %d %s %s %s" % (pid, role, a["ip"], a["port"], a["ufrag"],
                                                  a["pwd"], a["fp"]))

    def up(self, pid, timeout=20):
        return self.expect("up", timeout, pid)[1][2]

    def close(self):
        if self.p.poll() is None:
            self.send("quit")
            try:
                # it reads commands between windows: a stop asked during
                # one ends it by signal (it holds nothing to clean up)
                self.p.wait(timeout=2)
            except subprocess.TimeoutExpired:
                self.p.terminate()
                self.p.wait()


def read_answer(sdp):
    def one(rx):
        m = re.search(rx, sdp, re.M)
        if not m:
            raise RuntimeError("answer without %s: %s" % (rx, sdp))
        return m.group(1).strip()
    cand = re.search(r"^a=candidate:\S+ 1 (?:udp|UDP) \d+ (\S+) (\d+) typ host", sdp, re.M)
    if not cand:
        raise RuntimeError("answer without a UDP host candidate: " + sdp)
    return {"ufrag": one(r"^a=ice-ufrag:(.*)$"), "pwd": one(r"^a=ice-pwd:(.*)$"),
            "fp": one(r"^a=fingerprint:(.*)$"), "setup": one(r"^a=setup:(\w+)"),
            "ip": cand.group(1), "port": int(cand.group(2))}


def session_part(me, fp, ip):
    return ["v=0", "o=- %d 2 IN IP4 %s" % (int(time.time() * 1000), ip), "s=-", "t=0 0",
            "a=group:BUNDLE 0 1", "a=msid-semantic: WMS bench"]


def transport_part(me, fp, ip, mid, first, setup="actpass"):
    lines = ["c=IN IP4 %s" % ip, "a=ice-ufrag:" + me["ufrag"], "a=ice-pwd:" + me["pwd"],
             "a=fingerprint:" + fp, "a=setup:" + setup, "a=mid:%s" % mid, "a=rtcp-mux"]
    if first:
        lines.append("a=candidate:1 1 udp 2130706431 %s %d typ host" % (ip, me["port"]))
    return lines


def offer(me, fp, ip, direction):
    """A publisher's (sendonly) or subscriber's (recvonly) offer: Opus and H.264
    constrained baseline, BUNDLE, rtcp-mux, the load tool's ICE and DTLS."""
    out = session_part(me, fp, ip)
    out += ["m=audio %d UDP/TLS/RTP/SAVPF %d" % (me["port"], APT)]
    out += transport_part(me, fp, ip, 0, True)
    out += ["a=" + direction, "a=rtpmap:%d opus/48000/2" % APT,
            "a=fmtp:%d minptime=10;useinbandfec=1" % APT]
    if direction == "sendonly":
        out += ["a=ssrc:%d cname:bench" % SSRC_AUDIO, "a=ssrc:%d msid:bench a0" % SSRC_AUDIO]
    out += ["m=video %d UDP/TLS/RTP/SAVPF %d" % (me["port"], VPT)]
    out += transport_part(me, fp, ip, 1, False)
    out += ["a=" + direction, "a=rtpmap:%d H264/90000" % VPT,
            "a=rtcp-fb:%d nack" % VPT, "a=rtcp-fb:%d nack pli" % VPT, "a=rtcp-fb:%d ccm fir" % VPT,
            "a=fmtp:%d level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f" % VPT]
    if direction == "sendonly":
        out += ["a=ssrc:%d cname:bench" % SSRC_VIDEO, "a=ssrc:%d msid:bench v0" % SSRC_VIDEO]
    return "\r\n".join(out) + "\r\n"


def answer_to(sdp, me, fp, ip):
    """A recvonly answer to a server's offer (Janus's subscriber offer): each
    m-line's payload types kept, anything but audio and video refused."""
    out = session_part(me, fp, ip)
    sections = re.split(r"\r?\n(?=m=)", sdp.strip())
    bundle = []
    first = True
    for sec in sections[1:]:
        lines = sec.splitlines()
        m = lines[0].split()
        mid = next((l[6:] for l in lines if l.startswith("a=mid:")), "0")
        if m[0] not in ("m=audio", "m=video"):
            out += ["m=%s 0 %s %s" % (m[0][2:], m[2], " ".join(m[3:])), "a=mid:" + mid]
            continue
        bundle.append(mid)
        out += ["m=%s %d %s %s" % (m[0][2:], me["port"], m[2], " ".join(m[3:]))]
        out += transport_part(me, fp, ip, mid, first, setup="active")
        first = False
        out += ["a=recvonly"]
        out += [l for l in lines if l.startswith(("a=rtpmap:", "a=fmtp:", "a=rtcp-fb:"))]
    out[4] = "a=group:BUNDLE " + " ".join(bundle)
    return "\r\n".join(out) + "\r\n"


# ---- HTTP ----

def http(method, url, body=None, headers=None, timeout=10):
    req = urllib.request.Request(url, data=body.encode() if isinstance(body, str) else body,
                                 method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), dict(e.headers)


def free_port(ip):
    with socket.socket() as s:
        s.bind((ip, 0))
        return s.getsockname()[1]


def wait_http(url, deadline=20):
    end = time.time() + deadline
    while time.time() < end:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("not ready: " + url)


# ---- the servers ----

class Server:
    """A server process under test (self.proc), its output in self.log."""

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


class Rtstage(Server):
    """build/rtstage on a fresh data directory; tokens through boto3."""
    name = "rtstage"
    bind_ip = RTSTAGE_IP

    def __init__(self, tmp):
        import boto3
        from botocore.config import Config
        self.dir = os.path.join(tmp, "rtstage")
        os.makedirs(self.dir)
        port = free_port(RTSTAGE_IP)
        base = "http://%s:%d" % (RTSTAGE_IP, port)
        self.log = open(os.path.join(self.dir, "server.log"), "wb")
        self.proc = subprocess.Popen(
            [BIN, "serve", "--listen", "%s:%d" % (RTSTAGE_IP, port), "--data-dir", self.dir,
             "--media-port", "0", "--endpoint-whip", base + "/whip",
             "--endpoint-events", "ws://%s:%d/events" % (RTSTAGE_IP, port)],
            stdout=self.log, stderr=subprocess.STDOUT)
        self.pid = self.proc.pid
        wait_http(base + "/healthz")
        self.ivs = boto3.client("ivs-realtime", region_name="us-east-1", endpoint_url=base,
                                aws_access_key_id="AKIDBENCH", aws_secret_access_key="bench",
                                config=Config(retries={"total_max_attempts": 1}))
        self.stage = self.ivs.create_stage(name="bench-media")["stage"]["arn"]

    def token(self, caps, user):
        t = self.ivs.create_participant_token(stageArn=self.stage, userId=user,
                                              capabilities=caps)["participantToken"]
        claims = t["token"].split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
        return t["token"], t["participantId"], claims["whip_url"]

    def publish(self, load, me):
        tok, self.pub_id, self.whip = self.token(["PUBLISH", "SUBSCRIBE"], "bench-pub")
        st, body, _ = http("POST", self.whip, offer(me, load.fp, RTSTAGE_IP, "sendonly"),
                           {"Authorization": "Bearer " + tok, "Content-Type": "application/sdp"})
        if st != 201:
            raise RuntimeError("publish: %d %s" % (st, body))
        return body

    def subscribe(self, load, me, i):
        tok, _, _ = self.token(["SUBSCRIBE"], "bench-sub-%d" % i)
        end = time.monotonic() + 15
        while True:
            st, body, _ = http("POST", "%s/subscribe/%s" % (self.whip, self.pub_id),
                               offer(me, load.fp, RTSTAGE_IP, "recvonly"),
                               {"Authorization": "Bearer " + tok,
                                "Content-Type": "application/sdp"})
            if st == 201:
                return body
            if st != 429 or time.monotonic() > end:
                raise RuntimeError("subscribe: %d %s" % (st, body))
            time.sleep(0.2)


JANUS_LIB = "/usr/lib/x86_64-linux-gnu/janus"


class Janus(Server):
    """Debian's janus with only the VideoRoom plugin and the HTTP transport, ICE-lite,
    its configuration written into a temporary directory."""
    name = "Janus"
    bind_ip = JANUS_IP

    def __init__(self, tmp):
        self.dir = os.path.join(tmp, "janus")
        os.makedirs(self.dir)
        port = free_port(JANUS_IP)
        plugins = [f for f in os.listdir(os.path.join(JANUS_LIB, "plugins"))
                   if f.endswith(".so") and f != "libjanus_videoroom.so"]
        transports = [f for f in os.listdir(os.path.join(JANUS_LIB, "transports"))
                      if f.endswith(".so") and f != "libjanus_http.so"]
        files = {
            "janus.jcfg": """general: {
	configs_folder = "%(dir)s"
	plugins_folder = "%(lib)s/plugins"
	transports_folder = "%(lib)s/transports"
	events_folder = "%(lib)s/events"
	loggers_folder = "%(lib)s/loggers"
	log_to_stdout = true
	debug_level = 3
	session_timeout = 0
	admin_secret = "bench-%(pid)d"
}
media: { rtp_port_range = "20000-40000" }
nat: {
	ice_lite = true
	full_trickle = false
	ice_enforce_list = "bench0"
	nice_debug = false
}
plugins: { disable = "%(plugins)s" }
transports: { disable = "%(transports)s" }
events: { broadcast = false }
loggers: { disable = "libjanus_jsonlog.so" }
""" % {"dir": self.dir, "lib": JANUS_LIB, "pid": os.getpid(), "plugins": ",".join(plugins),
                "transports": ",".join(transports)},
            "janus.plugin.videoroom.jcfg": "general: { }\n",
            "janus.transport.http.jcfg": """general: {
	json = "compact"
	base_path = "/janus"
	http = true
	port = %d
	interface = "bench0"
	ip = "%s"
	https = false
}
admin: { admin_http = false }
""" % (port, JANUS_IP),
        }
        for name, text in files.items():
            with open(os.path.join(self.dir, name), "w") as f:
                f.write(text)
        self.log = open(os.path.join(self.dir, "janus.log"), "wb")
        self.proc = subprocess.Popen(["janus", "-F", self.dir, "-C",
                                      os.path.join(self.dir, "janus.jcfg")],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.pid = self.proc.pid
        self.base = "http://%s:%d/janus" % (JANUS_IP, port)
        wait_http(self.base + "/info")
        self.tx = 0
        self.session = self.call(self.base, {"janus": "create"})["data"]["id"]
        self.surl = "%s/%d" % (self.base, self.session)
        self.events = {}
        h = self.attach()
        r = self.call("%s/%d" % (self.surl, h), {"janus": "message", "body": {
            "request": "create", "room": 4242, "publishers": 1, "videocodec": "h264",
            "audiocodec": "opus", "h264_profile": "42e01f", "bitrate": 0,
            "notify_joining": False}})
        if r["plugindata"]["data"].get("videoroom") != "created":
            raise RuntimeError("janus room: %s" % r)

    def call(self, url, body):
        self.tx += 1
        body = dict(body, transaction="t%d" % self.tx)
        st, text, _ = http("POST", url, json.dumps(body), {"Content-Type": "application/json"})
        r = json.loads(text)
        if st != 200 or r.get("janus") == "error":
            raise RuntimeError("janus: %s -> %s" % (body, text))
        return r

    def attach(self):
        return self.call(self.surl, {"janus": "attach", "plugin": "janus.plugin.videoroom"})["data"]["id"]

    def event(self, handle, timeout=20):
        """The next plugin event with a JSEP for handle (long polls the session)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.events.get(handle):
                return self.events[handle].pop(0)
            st, text, _ = http("GET", self.surl + "?maxev=10", timeout=35)
            evs = json.loads(text)
            for ev in evs if isinstance(evs, list) else [evs]:
                if ev.get("janus") == "event" and "jsep" in ev:
                    self.events.setdefault(ev["sender"], []).append(ev)
        raise RuntimeError("janus: no event for handle %d" % handle)

    def publish(self, load, me):
        h = self.attach()
        self.call("%s/%d" % (self.surl, h), {
            "janus": "message", "body": {"request": "joinandconfigure", "room": 4242,
                                         "ptype": "publisher", "audio": True, "video": True},
            "jsep": {"type": "offer", "sdp": offer(me, load.fp, JANUS_IP, "sendonly")}})
        ev = self.event(h)
        self.feed = ev["plugindata"]["data"]["id"]
        return ev["jsep"]["sdp"]

    def subscribe(self, load, me, i):
        h = self.attach()
        self.call("%s/%d" % (self.surl, h), {"janus": "message", "body": {
            "request": "join", "room": 4242, "ptype": "subscriber", "feed": self.feed}})
        ev = self.event(h)
        self.call("%s/%d" % (self.surl, h), {
            "janus": "message", "body": {"request": "start", "room": 4242},
            "jsep": {"type": "answer", "sdp": answer_to(ev["jsep"]["sdp"], me, load.fp, JANUS_IP)}})
        return ev["jsep"]["sdp"]


# ---- the fan-out ----

def fanout(server):
    """Adds subscribers in steps of NS, one measurement window per step.
    Returns the rows, one per N, and the SRTP profile negotiated."""
    load = Load(server.bind_ip)
    rows, profile = [], None
    try:
        me = load.peer("pub")
        answer = server.publish(load, me)
        load.connect("pub", answer)
        profile = load.up("pub")
        load.send("publish pub %d %d" % (APT, VPT))
        load.send("run 1")
        load.expect("ran", 10)
        have = 0
        for n in NS:
            for i in range(have, n):
                pid = "s%d" % i
                sme = load.peer(pid)
                if isinstance(server, Janus):
                    # Janus offers: our answer is sent with "start"; its offer
                    # carries its candidates and credentials
                    off = server.subscribe(load, sme, i)
                    load.connect(pid, off.replace("a=setup:actpass", "a=setup:passive"))
                else:
                    load.connect(pid, server.subscribe(load, sme, i))
                load.up(pid)
            have = n
            load.send("wait 10")
            _, w = load.expect("receiving", 20)
            perf = None
            if PERF and isinstance(server, Rtstage) and n == NS[-1]:
                perf = subprocess.Popen(["perf", "record", "-q", "-g", "-p", str(server.pid),
                                         "-o", PERF], stdout=subprocess.DEVNULL)
            load.send("measure %d %s" % (server.pid, SECONDS))
            line, _ = load.expect("result", SECONDS + 30)
            if perf:
                perf.send_signal(signal.SIGINT)
                perf.wait(timeout=30)
            r = json.loads(line[len("result "):])
            r["n"] = n
            r["loss"] = r["lost"] / r["expected"] if r["expected"] else 1.0
            rows.append(r)
            log("  %s N=%d: cpu %.2fs, tool %.2fs, lost %d/%d, late %d, delay p50 %d us p99 %d us"
                % (server.name, n, r["server_cpu_s"], r["tool_cpu_s"], r["lost"], r["expected"],
                   r["late"], r["delay_p50_us"], r["delay_p99_us"]))
            if r["loss"] > LOSS_STOP:
                break
    finally:
        load.close()
    return rows, profile


def floor(n, profile):
    out = subprocess.run([LOAD, "floor", str(n), str(FLOOR_PACKETS), profile],
                         capture_output=True, text=True, check=True,
                         env=dict(os.environ, LOAD_BIND=RTSTAGE_IP)).stdout
    return json.loads(out.split("floor ", 1)[1])


def npm_install():
    """The SDKs and playwright-core the browser harness loads, installed as
    tests/run.sh installs them; before entering the namespace, which has no
    network."""
    for d in ("tests/e2e/js", "tests/browser"):
        d = os.path.join(ROOT, d)
        stamp = os.path.join(d, "node_modules", ".package-lock.json")
        if not os.path.exists(stamp) or \
                os.path.getmtime(stamp) < os.path.getmtime(os.path.join(d, "package-lock.json")):
            subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                           cwd=d, check=True)


def join_bench():
    """Join times with the official SDK (bench/join.mjs)."""
    env = dict(os.environ, BENCH_JOINS=str(JOINS))
    node = subprocess.Popen(["node", os.path.join(ROOT, "bench", "join.mjs")],
                            cwd=os.path.join(ROOT, "tests", "browser"), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        out, err = node.communicate(timeout=600)
    finally:
        if node.poll() is None:
            # SIGTERM, not SIGKILL: the harness then stops Chromium and rtstage
            node.terminate()
            node.wait(timeout=30)
    if node.returncode != 0:
        raise RuntimeError("join bench: " + out[-2000:] + err[-2000:])
    return json.loads(out.strip().splitlines()[-1])


# ---- the report ----

def per(rows):
    return {r["n"]: r for r in rows}


def cpu_per_sub_min(r):
    return r["server_cpu_s"] / (r["n"] * r["seconds"] / 60.0)


def forwarded(r):
    return (r["sent_audio"] + r["sent_video"]) * r["n"]


def main():
    if os.environ.get("RTSTAGE_BENCH_NS") is None:
        if os.geteuid() != 0:
            log("rtstage: bench-media needs root for its network namespace (ip netns)")
            return 2
        if "join" not in SKIP:
            npm_install()
        return in_namespace()
    # stopped from outside: unwind, so that every process started is stopped
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda s, _f: sys.exit(128 + s))
    tmp = tempfile.mkdtemp(prefix="rtstage-bench-media-")
    results, failures = {}, []
    try:
        srv = Rtstage(tmp)
        try:
            log("rtstage fan-out")
            results["rtstage"], profile = fanout(srv)
        finally:
            srv.stop()
        if "janus" not in SKIP:
            jan = Janus(tmp)
            try:
                log("Janus fan-out")
                results["janus"], _ = fanout(jan)
            finally:
                jan.stop()
        n_floor = 50 if 50 in NS else NS[-1]
        results["floor"] = floor(n_floor, profile)
        if "join" not in SKIP:
            log("joins with the SDK in Chromium")
            results["join"] = join_bench()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return report(results, profile)


def fmt(v, spec="%.2f"):
    return "-" if v is None else spec % v


def ratio(a, b):
    return a / b if a is not None and b else None


def report(res, profile):
    rt, ja = per(res["rtstage"]), per(res.get("janus", []))
    fl = res["floor"]
    print("\nmake bench-media: fan-out of ~1.5 Mbit/s H.264 + Opus, SRTP %s, loopback" % profile)
    print("%-5s | %-34s | %-34s | %s" % ("N", "rtstage: cpu s/sub-min, RSS KiB/sub",
                                         "Janus: cpu s/sub-min, RSS KiB/sub", "ratio cpu"))
    bar_lines = []
    for n in NS:
        a, b = rt.get(n), ja.get(n)
        if a is None and b is None:
            continue
        ca = cpu_per_sub_min(a) if a else None
        cb = cpu_per_sub_min(b) if b else None
        print("%-5d | %8s %9s  loss %6s p50/p99 %s/%s us | %8s %9s  loss %6s p50/p99 %s/%s us | %s"
              % (n, fmt(ca, "%.3f"), fmt(a and a["server_rss_kib"] / n, "%.0f"),
                 fmt(a and a["loss"], "%.4f"), fmt(a and a["delay_p50_us"], "%d"),
                 fmt(a and a["delay_p99_us"], "%d"),
                 fmt(cb, "%.3f"), fmt(b and b["server_rss_kib"] / n, "%.0f"),
                 fmt(b and b["loss"], "%.4f"), fmt(b and b["delay_p50_us"], "%d"),
                 fmt(b and b["delay_p99_us"], "%d"), fmt(ratio(ca, cb))))
        if a:
            print("      tool cpu %.2f s vs rtstage %.2f s%s" % (
                a["tool_cpu_s"], a["server_cpu_s"],
                "" if not b else "; vs Janus %.2f s (tool %.2f s)" % (b["server_cpu_s"], b["tool_cpu_s"])))
    r50 = rt.get(50)
    ns_pkt = r50["server_cpu_s"] * 1e9 / forwarded(r50) if r50 and forwarded(r50) else None
    eff = ratio(ns_pkt, fl["ns_per_packet"])
    print("floor: %.0f ns per forwarded packet (SRTP protect + sendmmsg, %d subscribers); "
          "rtstage at N=50: %s ns, ratio %s" % (fl["ns_per_packet"], fl["subscribers"],
                                               fmt(ns_pkt, "%.0f"), fmt(eff)))
    join = res.get("join")
    if join:
        print("join (SDK in Chromium, %d joins): first remote frame p50 %d ms p95 %d ms; "
              "isPublishing seen p50 %d ms p95 %d ms" % (
                  join["joins"], join["frame_p50_ms"], join["frame_p95_ms"],
                  join["publishing_p50_ms"], join["publishing_p95_ms"]))

    # the bar
    c50 = cpu_per_sub_min(r50) if r50 else None
    j50 = cpu_per_sub_min(ja[50]) if ja.get(50) else None
    bar = [
        ("CPU per subscriber-stream at N=50 <= 0.5 x Janus", ratio(c50, j50), lambda v: v <= 0.5),
        ("delay p99 at N=50 <= 2 ms", r50 and r50["delay_p99_us"] / 1000.0, lambda v: v <= 2.0),
        ("loss at N=50 = 0", r50 and r50["lost"], lambda v: v == 0),
        ("CPU per forwarded packet <= 3 x floor", eff, lambda v: v <= 3.0),
        ("join to first remote frame median < 1 s", join and join["frame_p50_ms"] / 1000.0,
         lambda v: v < 1.0),
        ("load tool CPU < server CPU at N=100", rt.get(100) and
         rt[100]["tool_cpu_s"] / rt[100]["server_cpu_s"], lambda v: v < 1.0),
    ]
    missed = 0
    print("\nthe bar:")
    for text, v, ok in bar:
        state = "n/a " if v is None else ("ok  " if ok(v) else "MISS")
        missed += state != "ok  "
        print("  %s %-45s %s" % (state, text, fmt(v, "%.3f")))
    if SKIP:
        print("(parts skipped: %s; nothing appended)" % ",".join(sorted(SKIP)))
    else:
        append(res, profile, c50, j50, r50, ns_pkt, fl, eff, join)
    return 1 if missed else 0


def append(res, profile, c50, j50, r50, ns_pkt, fl, eff, join):
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip() or "-"
    rt, ja = per(res["rtstage"]), per(res.get("janus", []))
    j50r = ja.get(50)
    row = "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
        datetime.date.today().isoformat(), commit,
        fmt(ratio(c50, j50)),
        fmt(r50 and r50["server_rss_kib"] / 50.0 / (j50r["server_rss_kib"] / 50.0) if r50 and j50r else None),
        fmt(c50, "%.3f"), fmt(j50, "%.3f"),
        fmt(r50 and r50["delay_p99_us"] / 1000.0), fmt(j50r and j50r["delay_p99_us"] / 1000.0),
        fmt(r50 and r50["lost"], "%d"), fmt(eff), fmt(ns_pkt, "%.0f") + " / " + fmt(fl["ns_per_packet"], "%.0f"),
        "-" if not join else "%d / %d" % (join["frame_p50_ms"], join["publishing_p50_ms"]))
    text = open(RESULTS).read()
    head = "## Media (make bench-media)"
    if head not in text:
        text += ("\n%s\n\nRatios within one run: rtstage's CPU per subscriber-stream and RSS over "
                 "Janus's (VideoRoom, same load, same namespace), and rtstage's CPU per forwarded "
                 "packet over the floor (SRTP protect + sendmmsg per subscriber). N = 50 "
                 "subscribers of one ~1.5 Mbit/s H.264 + Opus publisher; join times with the "
                 "official SDK in Chromium (median, ms).\n\n"
                 "| date | commit | CPU/sub vs Janus | RSS/sub vs Janus | rtstage CPU s/sub-min "
                 "| Janus CPU s/sub-min | delay p99 ms | Janus p99 ms | lost | CPU/pkt vs floor "
                 "| ns/pkt rtstage / floor | join: first frame / isPublishing ms |\n"
                 "|---|---|---|---|---|---|---|---|---|---|---|---|\n" % head)
    text = text.rstrip("\n") + "\n" + row + "\n"
    with open(RESULTS, "w") as f:
        f.write(text)


if __name__ == "__main__":
    sys.exit(main())
