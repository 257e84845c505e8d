"""The request log (--log-format json) and GET /metrics, through the real clients."""
import json
import math
import os
import re
import socket
import time
import urllib.request

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import SCRATCH, Server, cli, client, error_of

CREDS = """[ops]
aws_access_key_id = AKIALOGS000000000001
aws_secret_access_key = logs-secret
account_id = 444455556666
"""


@pytest.fixture(scope="module")
def logged():
    s = Server(extra_args=["--log-format", "json"]).start()
    yield s
    s.stop()


def log_lines(server):
    """Every line of the server's log, parsed as JSON (each must be)."""
    out = []
    with open(server.log) as f:
        for line in f:
            if line.startswith("rtstage: applied migration"):
                continue  # written by the store before the log is in use
            out.append(json.loads(line))
    return out


def request_line(server, request_id, timeout=5):
    deadline = time.time() + timeout
    while time.time() < deadline:
        for rec in log_lines(server):
            if rec.get("msg") == "request" and rec.get("request_id") == request_id:
                return rec
        time.sleep(0.02)
    raise AssertionError("no log line for request %s" % request_id)


def cloudcontrol(server, key="AKIDEXAMPLE", secret="secret"):
    return boto3.client("cloudcontrol", region_name="eu-west-1", endpoint_url=server.url,
                        aws_access_key_id=key, aws_secret_access_key=secret,
                        config=Config(retries={"total_max_attempts": 1}))


def get(server, path):
    with urllib.request.urlopen(server.url + path, timeout=5) as r:
        return r.status, dict(r.headers), r.read().decode()


def test_boto3_requests_are_logged_with_their_request_id(logged):
    ivs = client(logged, region="ap-south-1")
    r = ivs.create_stage(name="logged")
    rid = r["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    rec = request_line(logged, rid)
    assert rec["operation"] == "CreateStage" and rec["status"] == 200 and rec["error"] is None
    assert rec["account"] == "123456789012" and rec["region"] == "ap-south-1"
    assert rec["remote"] == "127.0.0.1" and rec["level"] == "info"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", rec["time"])
    assert isinstance(rec["duration_ms"], int) and rec["duration_ms"] >= 0

    with pytest.raises(ClientError) as e:
        ivs.get_stage(arn=r["stage"]["arn"][:-12] + "AAAAaaaaBBBB")
    rid = e.value.response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    rec = request_line(logged, rid)
    assert (rec["operation"], rec["status"], rec["error"]) == \
        ("GetStage", 404, "ResourceNotFoundException")
    assert "AAAAaaaaBBBB" in rec["message"]


def test_cli_requests_are_logged(logged):
    code, out = cli(logged, "ivs-realtime", "get-stage", "--arn",
                    "arn:aws:ivs:us-east-1:123456789012:stage/ZZZZzzzzZZZZ")
    assert code != 0 and "ResourceNotFoundException" in out
    recs = [r for r in log_lines(logged) if r.get("operation") == "GetStage"
            and "ZZZZzzzzZZZZ" in (r.get("message") or "")]
    assert len(recs) == 1 and recs[0]["status"] == 404
    assert recs[0]["error"] == "ResourceNotFoundException"


def test_cli_request_id_matches_the_log(logged):
    import subprocess
    from conftest import cli_env
    p = subprocess.run(["/usr/bin/aws", "--endpoint-url", logged.url, "--debug",
                        "ivs-realtime", "list-stages"], capture_output=True, text=True,
                       env=cli_env(logged), timeout=60)
    assert p.returncode == 0, p.stderr
    ids = re.findall(r"'x-amzn-RequestId': '([0-9a-f-]{36})'", p.stderr)
    assert ids, p.stderr[-2000:]
    rec = request_line(logged, ids[-1])
    assert rec["operation"] == "ListStages" and rec["status"] == 200


def test_cloud_control_calls_are_logged_with_their_operation(logged):
    cc = cloudcontrol(logged)
    r = cc.list_resources(TypeName="AWS::IVS::Stage")
    rec = request_line(logged, r["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"])
    assert rec["operation"] == "ListResources" and rec["status"] == 200
    assert rec["region"] == "eu-west-1"
    with pytest.raises(ClientError) as e:
        cc.get_resource(TypeName="AWS::IVS::Nope", Identifier="x")
    rec = request_line(logged, e.value.response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"])
    assert rec["operation"] == "GetResource" and rec["error"] == "TypeNotFoundException"


def test_plain_routes_are_logged_with_their_route_name(logged):
    for path, name in (("/healthz", "healthz"), ("/metrics", "metrics"),
                       ("/.well-known/jwks.json", "jwks")):
        status, headers, _ = get(logged, path)
        assert status == 200
        rec = request_line(logged, headers["x-amzn-RequestId"])
        assert rec["operation"] == name and rec["status"] == 200 and rec["account"] is None


def test_text_format_is_the_default(tmp_path):
    s = Server().start()
    try:
        status, headers, _ = get(s, "/healthz")
        s.stop()
        text = open(s.log).read()
        assert re.search(r"\d\dZ info rtstage: ready at http://127\.0\.0\.1:%d \(protected mode"
                         % s.port, text), text
        line = [l for l in text.splitlines() if headers["x-amzn-RequestId"] in l][0]
        assert " info request request_id=%s remote=127.0.0.1 " % headers["x-amzn-RequestId"] in line
        assert "operation=healthz status=200 error=-" in line
    finally:
        s.stop()


def test_log_level_error_silences_requests():
    s = Server(extra_args=["--log-level=error"]).start()
    try:
        get(s, "/healthz")
    finally:
        s.stop()
    assert "request_id=" not in open(s.log).read()


def test_bad_log_options_are_refused():
    import subprocess
    from conftest import BIN
    for args, words in ((["--log-format", "xml"], "--log-format (RTSTAGE_LOG_FORMAT) must be text or json, not 'xml'"),
                        (["--log-level", "loud"], "--log-level (RTSTAGE_LOG_LEVEL) must be error, warn, info or debug, not 'loud'")):
        p = subprocess.run([BIN, "serve", "--listen", "127.0.0.1:0", "--data-dir",
                            os.path.join(SCRATCH, "badlog")] + args,
                           capture_output=True, text=True, timeout=10)
        assert p.returncode != 0 and words in p.stderr, p.stderr


def test_a_refused_signature_is_logged_with_its_reason(tmp_path):
    creds = tmp_path / "creds"
    creds.write_text(CREDS)
    s = Server(extra_args=["--credentials", str(creds), "--log-format", "json",
                           "--log-level", "debug"]).start()
    try:
        bad = client(s, key="AKIALOGS000000000001", secret="wrong")
        with pytest.raises(ClientError) as e:
            bad.list_stages()
        assert error_of(e)[0] == "InvalidSignatureException"
        rid = e.value.response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
        rec = request_line(s, rid)
        assert rec["error"] == "InvalidSignatureException" and rec["status"] == 403
        assert "signature we calculated does not match" in rec["message"]
        debug = [r for r in log_lines(s) if r["level"] == "debug"]
        assert any("canonical request" in r["msg"] and "POST\n/ListStages\n" in r["msg"] for r in debug), debug
        unknown = client(s, key="AKIANOBODY0000000001", secret="x")
        with pytest.raises(ClientError) as e:
            unknown.list_stages()
        rec = request_line(s, e.value.response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"])
        assert rec["error"] == "UnrecognizedClientException"
        assert "security token included in the request is invalid" in rec["message"]
    finally:
        s.stop()


def test_a_refusal_is_answered_on_every_route(logged):
    with socket.create_connection(("127.0.0.1", logged.port)) as c:
        c.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n")
        head = c.recv(65536).decode(errors="replace")
    assert head.startswith("HTTP/1.1 413"), head
    assert "RequestEntityTooLargeException" in head
    rid = re.search(r"x-amzn-RequestId: (\S+)", head, re.I).group(1)
    rec = request_line(logged, rid)
    assert rec["operation"] == "healthz" and rec["status"] == 413


# ---- /metrics -----------------------------------------------------------------

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\["\\n])*"'
SAMPLE = re.compile(r"^(%s)(?:\{((?:%s)(?:,%s)*)?\})? (\S+)$" % (NAME, LABEL, LABEL))


def parse_exposition(text):
    """A strict reader of the text format 0.0.4: returns {family: (type, [(name, labels, value)])}.
    Fails on anything out of place."""
    assert text.endswith("\n")
    families, current, helped = {}, None, set()
    for line in text[:-1].split("\n"):
        if line.startswith("# HELP "):
            name = line.split(" ", 3)[2]
            assert re.fullmatch(NAME, name) and name not in helped, line
            helped.add(name)
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert kind in ("counter", "gauge", "histogram", "summary", "untyped"), line
            assert name in helped and name not in families, line
            families[name] = (kind, [])
            current = name
            continue
        assert not line.startswith("#") and line, repr(line)
        m = SAMPLE.match(line)
        assert m, "not a sample: %r" % line
        name, labels, value = m.group(1), m.group(2) or "", m.group(3)
        v = float(value)  # "+Inf", "NaN" and numbers parse; anything else raises
        kind = families[current][0]
        allowed = {current} if kind != "histogram" else \
            {current + "_bucket", current + "_sum", current + "_count"}
        assert name in allowed, (current, line)
        pairs = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', labels))
        if kind == "counter":
            assert v >= 0
        families[current][1].append((name, pairs, v))
    for name, (kind, samples) in families.items():
        if kind != "histogram":
            continue
        series = {}
        for sname, labels, v in samples:
            key = tuple(sorted((k, x) for k, x in labels.items() if k != "le"))
            series.setdefault(key, {"buckets": [], "sum": None, "count": None})
            if sname.endswith("_bucket"):
                series[key]["buckets"].append((float(labels["le"]), v))
            elif sname.endswith("_sum"):
                series[key]["sum"] = v
            else:
                series[key]["count"] = v
        for key, s in series.items():
            les = [le for le, _ in s["buckets"]]
            assert les == sorted(les) and les[-1] == math.inf, (name, key, les)
            counts = [c for _, c in s["buckets"]]
            assert counts == sorted(counts), (name, key, counts)  # cumulative
            assert counts[-1] == s["count"] and s["sum"] is not None, (name, key)
    return families


def value(families, family, sample=None, **labels):
    for name, l, v in families[family][1]:
        if name == (sample or family) and all(l.get(k) == str(x) for k, x in labels.items()):
            return v
    return 0.0


def test_metrics_parse_and_move_with_the_calls(logged):
    status, headers, text = get(logged, "/metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain; version=0.0.4")
    before = parse_exposition(text)
    assert value(before, "rtstage_build_info", version=re.search(
        r'rtstage_build_info\{version="([^"]+)"\}', text).group(1)) == 1
    assert value(before, "rtstage_database_up") == 1
    assert value(before, "rtstage_signing_keys") >= 1
    assert value(before, "rtstage_open_connections") >= 1  # this very scrape

    ivs = client(logged)
    for i in range(3):
        ivs.create_stage(name="m%d" % i)
    with pytest.raises(ClientError):
        ivs.get_stage(arn="arn:aws:ivs:us-east-1:123456789012:stage/MMMMmmmmMMMM")

    after = parse_exposition(get(logged, "/metrics")[2])
    assert value(after, "rtstage_requests_total", operation="CreateStage", status=200) - \
        value(before, "rtstage_requests_total", operation="CreateStage", status=200) == 3
    assert value(after, "rtstage_requests_total", operation="GetStage", status=404) - \
        value(before, "rtstage_requests_total", operation="GetStage", status=404) == 1
    assert value(after, "rtstage_request_duration_seconds", "rtstage_request_duration_seconds_count",
                 operation="CreateStage") - \
        value(before, "rtstage_request_duration_seconds", "rtstage_request_duration_seconds_count",
              operation="CreateStage") == 3
    assert value(after, "rtstage_requests_total", operation="metrics", status=200) >= 1
    batches = value(after, "rtstage_store_batch_jobs", "rtstage_store_batch_jobs_count") - \
        value(before, "rtstage_store_batch_jobs", "rtstage_store_batch_jobs_count")
    jobs = value(after, "rtstage_store_batch_jobs", "rtstage_store_batch_jobs_sum") - \
        value(before, "rtstage_store_batch_jobs", "rtstage_store_batch_jobs_sum")
    assert 1 <= batches <= 3 and jobs == 3  # three writes, committed in one to three batches
    assert value(after, "rtstage_store_errors_total") == 0


def test_the_strict_parser_rejects_broken_expositions():
    good = "# HELP a_total x\n# TYPE a_total counter\na_total{op=\"x\"} 1\n"
    parse_exposition(good)
    for bad in ("a_total 1\n",  # no TYPE
                good.replace('op="x"', "op=x"),
                good.replace(" 1\n", " one\n"),
                "# HELP h x\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
                "# HELP h x\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n"):
        with pytest.raises((AssertionError, ValueError, KeyError)):
            parse_exposition(bad)
