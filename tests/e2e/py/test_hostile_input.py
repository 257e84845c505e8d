"""Hostile input: JSON null at every position the model allows one, bodies of
absurd size in values, Cloud Control patches and schemas that would cost
without bound, invalid UTF-8 echoed in error messages, and SignedHeaders that
only look as if they sign Host."""
import copy
import datetime
import hashlib
import hmac
import http.client
import json
import os
import re
import time
import urllib.parse
import urllib.request
import uuid

import boto3
import pytest
from botocore.config import Config

from conftest import MODELS, ROOT, SCRATCH, Server, client, signed_request

MODEL = json.load(open(os.path.join(MODELS, "ivs-realtime", "2020-07-14", "service-2.json")))
SHAPES = MODEL["shapes"]
TYPE = "AWS::IVS::Stage"


def served_operations():
    """The operations src/ivs/ops.c serves (rows of ivs_ops[])."""
    text = open(os.path.join(ROOT, "src", "ivs", "ops.c")).read()
    return sorted(re.findall(r"\[OP_(\w+)\]\s*=\s*\{?\s*\w+", text))


def null_positions(shape_name, keys=(), where=""):
    """Every place a null can go in an input of shape_name: (keys into the input,
    Coral's path, "member" for a structure member or "element" for a list
    element or map value), nested ones included."""
    shape = SHAPES[shape_name]
    if shape["type"] == "structure":
        for name, m in shape.get("members", {}).items():
            if m.get("location") in ("uri", "querystring", "header"):
                continue  # not in the body: cannot be null
            at = (where + "." if where else "") + name
            yield keys + (name,), at, "member"
            yield from null_positions(m["shape"], keys + (name,), at)
    elif shape["type"] == "list":
        at = where + ".1.member"
        yield keys + (0,), at, "element"
        yield from null_positions(shape["member"]["shape"], keys + (0,), at)
    elif shape["type"] == "map":
        at = where + ".k"
        yield keys + ("k",), at, "element"
        yield from null_positions(shape["value"]["shape"], keys + ("k",), at)


def put(doc, keys, value):
    """doc with value at keys, making the lists and objects on the way; None for
    value means the member is left out (the absent twin of a null)."""
    doc = copy.deepcopy(doc)
    node = doc
    for i, k in enumerate(keys[:-1]):
        nxt = [] if isinstance(keys[i + 1], int) else {}
        if isinstance(node, list):
            if not node:
                node.append(nxt)
            if not isinstance(node[0], type(nxt)):
                node[0] = nxt
            node = node[0]
        else:
            if not isinstance(node.get(k), type(nxt)):
                node[k] = nxt
            node = node[k]
    last = keys[-1]
    if isinstance(node, list):
        node[:] = [None] if value is NULL else []
    elif value is NULL:
        node[last] = None
    else:
        node.pop(last, None)
    return doc


NULL = object()


def p384_pem():
    """A fresh P-384 public key in PEM: one material per import."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    return ec.generate_private_key(ec.SECP384R1()).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def fresh_account():
    return "%012d" % (uuid.uuid4().int % 10 ** 12)


SESSION = "st-AAAAAAAAAAAAA"  # well-formed, never started


class Bases:
    """A valid request of each served operation, on resources of its own account
    (fresh ones for operations that delete what they name)."""

    def __init__(self, server, account):
        self.server, self.account = server, account
        self.ivs = client(server, key=account)
        self._stage = self._storage = None

    @property
    def stage(self):
        self._stage = self._stage or self.new_stage()
        return self._stage

    @property
    def storage(self):
        self._storage = self._storage or self.new_storage()
        return self._storage

    def new_stage(self):
        return self.ivs.create_stage(name="base")["stage"]["arn"]

    def new_public_key(self):
        return self.ivs.import_public_key(publicKeyMaterial=p384_pem())["publicKey"]["arn"]

    def new_storage(self):
        return self.ivs.create_storage_configuration(
            name="base", s3={"bucketName": "base-bucket"})["storageConfiguration"]["arn"]

    def request(self, op):
        """(method, path, body) of a valid op request."""
        tags = lambda: "/tags/" + urllib.parse.quote(self.stage, safe="")  # noqa: E731
        return {
            "CreateStage": lambda: ("POST", "/CreateStage", {"name": "n"}),
            "GetStage": lambda: ("POST", "/GetStage", {"arn": self.stage}),
            "UpdateStage": lambda: ("POST", "/UpdateStage", {"arn": self.stage}),
            "DeleteStage": lambda: ("POST", "/DeleteStage", {"arn": self.new_stage()}),
            "ListStages": lambda: ("POST", "/ListStages", {}),
            "CreateStorageConfiguration": lambda: ("POST", "/CreateStorageConfiguration",
                                                   {"s3": {"bucketName": "b"}}),
            "GetStorageConfiguration": lambda: ("POST", "/GetStorageConfiguration", {"arn": self.storage}),
            "DeleteStorageConfiguration": lambda: ("POST", "/DeleteStorageConfiguration",
                                                   {"arn": self.new_storage()}),
            "ListStorageConfigurations": lambda: ("POST", "/ListStorageConfigurations", {}),
            "TagResource": lambda: ("POST", tags(), {"tags": {"a": "b"}}),
            "UntagResource": lambda: ("DELETE", tags() + "?tagKeys=a", {}),
            "ListTagsForResource": lambda: ("GET", tags(), {}),
            "CreateParticipantToken": lambda: ("POST", "/CreateParticipantToken", {"stageArn": self.stage}),
            "GetStageSession": lambda: ("POST", "/GetStageSession",
                                        {"stageArn": self.stage, "sessionId": SESSION}),
            "ListStageSessions": lambda: ("POST", "/ListStageSessions", {"stageArn": self.stage}),
            "GetParticipant": lambda: ("POST", "/GetParticipant", {"stageArn": self.stage,
                                       "sessionId": SESSION, "participantId": "p1"}),
            "ListParticipants": lambda: ("POST", "/ListParticipants",
                                         {"stageArn": self.stage, "sessionId": SESSION}),
            "ListParticipantEvents": lambda: ("POST", "/ListParticipantEvents", {
                "stageArn": self.stage, "sessionId": SESSION, "participantId": "p1"}),
            "DisconnectParticipant": lambda: ("POST", "/DisconnectParticipant",
                                              {"stageArn": self.stage, "participantId": "p1"}),

            "ImportPublicKey": lambda: ("POST", "/ImportPublicKey", {"publicKeyMaterial": p384_pem()}),
            "GetPublicKey": lambda: ("POST", "/GetPublicKey", {"arn": self.new_public_key()}),
            "DeletePublicKey": lambda: ("POST", "/DeletePublicKey", {"arn": self.new_public_key()}),
            "ListPublicKeys": lambda: ("POST", "/ListPublicKeys", {}),
        }[op]()

    def send(self, method, path, body):
        status, headers, out = signed_request(self.server, method, path, json.dumps(body).encode(),
                                              key=self.account)
        return status, headers.get("x-amzn-ErrorType"), out


def alive(server):
    assert server.proc.poll() is None, "the server died"
    with urllib.request.urlopen(server.url + "/healthz", timeout=5) as r:
        assert r.status == 200


def null_cases():
    ops = MODEL["operations"]
    for op in served_operations():
        for keys, at, kind in null_positions(ops[op]["input"]["shape"]):
            yield pytest.param(op, keys, at, kind, id="%s:%s" % (op, at))


@pytest.fixture(scope="module")
def srv():
    s = Server().start()
    yield s
    assert s.stop() == 0


@pytest.fixture(scope="module")
def bases(srv):
    return Bases(srv, fresh_account())


def test_the_cases_cover_the_nested_positions():
    ids = {(op, at) for op, _, at, _ in (c.values for c in null_cases())}
    for want in [("CreateStage", "tags.k"), ("CreateStage", "participantTokenConfigurations.1.member"),
                 ("CreateStage", "participantTokenConfigurations.1.member.capabilities.1.member"),
                 ("CreateStage", "participantTokenConfigurations.1.member.attributes.k"),
                 ("CreateParticipantToken", "capabilities.1.member"),
                 ("CreateParticipantToken", "attributes.k"), ("TagResource", "tags.k"),
                 ("CreateStorageConfiguration", "tags.k"), ("UpdateStage", "name")]:
        assert want in ids, want


@pytest.mark.parametrize("op,keys,at,kind", list(null_cases()))
def test_null_at_every_position(srv, op, keys, at, kind):
    bases = Bases(srv, fresh_account())  # an account per case: quotas stay far
    method, path, base = bases.request(op)
    got = bases.send(method, path, put(base, keys, NULL))
    alive(srv)
    if kind == "element":
        status, etype, body = got
        assert (status, etype) == (400, "ValidationException"), got
        assert "Value null at '%s' failed to satisfy constraint: Member must not be null" % at \
            in body["message"], body
        return
    method, path, base = bases.request(op)  # a fresh base for the absent twin
    want = bases.send(method, path, put(base, keys, None))
    assert got[:2] == want[:2], (got, want)
    if got[0] >= 400:
        assert got[2]["message"] == want[2]["message"]
    else:
        assert "(null)" not in json.dumps(got[2])


def test_null_members_on_update_change_nothing(srv, bases):
    ivs = bases.ivs
    arn = ivs.create_stage(name="keep", tags={"t": "1"})["stage"]["arn"]
    before = ivs.get_stage(arn=arn)["stage"]
    for body in ({"arn": arn, "name": None}, {"arn": arn, "name": None, "autoParticipantRecordingConfiguration": None}):
        status, etype, out = bases.send("POST", "/UpdateStage", body)
        assert status == 200, out
        assert out["stage"]["name"] == "keep"
    assert ivs.get_stage(arn=arn)["stage"] == before


def test_null_duration_and_capabilities_are_the_defaults(srv, bases):
    status, _, out = bases.send("POST", "/CreateParticipantToken",
                                {"stageArn": bases.stage, "duration": None, "capabilities": None,
                                 "userId": None, "attributes": None})
    assert status == 200, out
    token = out["participantToken"]
    assert token["duration"] == 720
    assert sorted(token["capabilities"]) == ["PUBLISH", "SUBSCRIBE"]
    assert "(null)" not in json.dumps(token) and token.get("userId") in (None, "")


def test_null_in_a_map_or_list_creates_nothing(srv, bases):
    before = len(bases.ivs.list_stages(maxResults=100)["stages"])
    for body in ({"name": "x", "tags": {"k": None}},
                 {"name": "x", "participantTokenConfigurations": [None]},
                 {"name": "x", "participantTokenConfigurations": [{"capabilities": [None]}]},
                 {"name": "x", "participantTokenConfigurations": [{"attributes": {"a": None}}]}):
        status, etype, out = bases.send("POST", "/CreateStage", body)
        assert (status, etype) == (400, "ValidationException"), out
    assert len(bases.ivs.list_stages(maxResults=100)["stages"]) == before


# ---- the pre-scan of JSON values ------------------------------------------

def rss_kb(server):
    for line in open("/proc/%d/status" % server.proc.pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


@pytest.mark.parametrize("body", [
    b'{"a":[' + b",".join([b"{}"] * 300000) + b"]}",
    b'{"a":[' + b",".join([b"[]"] * 20000) + b"]}",
    b'{"tags":{' + b",".join(b'"k%d":"v"' % i for i in range(20000)) + b"}}",
], ids=["objects", "arrays", "map"])
def test_bodies_with_absurd_counts_of_values(srv, bases, body):
    start = time.monotonic()
    status, headers, out = signed_request(srv, "POST", "/CreateStage", body, key=bases.account)
    assert time.monotonic() - start < 2
    assert status == 400 and headers["x-amzn-ErrorType"] == "SerializationException", out
    assert "limit of 10000" in out["message"]
    assert rss_kb(srv) < 200 * 1024
    alive(srv)


def test_a_large_valid_body_still_passes(srv, bases):
    configs = [{"userId": "u%d" % i, "capabilities": ["PUBLISH", "SUBSCRIBE"],
                "attributes": {"a%d" % j: "v" for j in range(20)}} for i in range(12)]
    status, _, out = bases.send("POST", "/CreateStage", {"name": "big", "participantTokenConfigurations": configs,
                                                        "tags": {"t%d" % i: "v" for i in range(50)}})
    assert status == 200, out


# ---- Cloud Control: patches and schemas with bounded cost -----------------

def cc(server, key):
    return boto3.client("cloudcontrol", region_name="us-east-1", endpoint_url=server.url,
                        aws_access_key_id=key, aws_secret_access_key="secret",
                        config=Config(retries={"total_max_attempts": 1}))


BIG = "x" * 60000

GROWING_PATCHES = {
    "24 copies of the root": [{"op": "copy", "from": "", "path": "/X%d" % i} for i in range(24)],
    "copies of a subtree": [{"op": "add", "path": "/Big", "value": BIG}]
    + [{"op": "copy", "from": "/Big", "path": "/C%d" % i} for i in range(4)],
    "add large values": [{"op": "add", "path": "/A%d" % i, "value": "y" * 30000} for i in range(2)]
    + [{"op": "copy", "from": "/A0", "path": "/A%d" % i} for i in range(2, 9)],
    "moves of a large subtree, then copies": [{"op": "add", "path": "/M0", "value": BIG}]
    + [{"op": "move", "from": "/M%d" % i, "path": "/M%d" % (i + 1)} for i in range(50)]
    + [{"op": "copy", "from": "/M50", "path": "/N%d" % i} for i in range(3)],
    "replace with a large value, then copies": [{"op": "replace", "path": "/Name", "value": BIG}]
    + [{"op": "copy", "from": "/Name", "path": "/R%d" % i} for i in range(3)],
    "copy and remove, over and over": [{"op": "add", "path": "/Big", "value": "z" * 40000}]
    + [op for i in range(200) for op in ({"op": "copy", "from": "/Big", "path": "/C"},
                                          {"op": "remove", "path": "/C"})],
}


@pytest.mark.parametrize("name", list(GROWING_PATCHES))
def test_growing_patches_are_refused_at_once(srv, name):
    acct = fresh_account()
    c = cc(srv, acct)
    arn = c.create_resource(TypeName=TYPE, DesiredState=json.dumps({"Name": "p"}))["ProgressEvent"]["Identifier"]
    before = c.get_resource(TypeName=TYPE, Identifier=arn)["ResourceDescription"]
    patch = json.dumps(GROWING_PATCHES[name])
    assert len(patch) <= 65536
    start = time.monotonic()
    ev = c.update_resource(TypeName=TYPE, Identifier=arn, PatchDocument=patch)["ProgressEvent"]
    assert time.monotonic() - start < 1
    assert (ev["OperationStatus"], ev["ErrorCode"]) == ("FAILED", "InvalidRequest"), ev
    assert "limit" in ev["StatusMessage"], ev
    assert rss_kb(srv) < 200 * 1024
    assert c.get_resource(TypeName=TYPE, Identifier=arn)["ResourceDescription"] == before
    alive(srv)


def test_large_unique_items_answer_quickly(srv):
    c = cc(srv, fresh_account())
    for tags, words in (([{"Key": "k%d" % i, "Value": "v"} for i in range(1900)], "maxItems"),
                        ([{"Key": "k", "Value": "v"}] * 2100, "maxItems"),
                        ([{"Key": "k", "Value": "v"}] * 2, "uniqueItems")):
        desired = json.dumps({"Name": "u", "Tags": tags})
        start = time.monotonic()
        ev = c.create_resource(TypeName=TYPE, DesiredState=desired)["ProgressEvent"]
        assert time.monotonic() - start < 0.5
        assert ev["OperationStatus"] == "FAILED" and words in ev["StatusMessage"], ev


# ---- invalid UTF-8 in echoed text: the error body is always JSON ----------

def raw_http(server, request):
    """Sends request bytes as they are; returns (status, headers, body bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.sock = __import__("socket").create_connection(("127.0.0.1", server.port), timeout=10)
    conn.sock.sendall(request)
    resp = http.client.HTTPResponse(conn.sock, method="GET")
    resp.begin()
    body = resp.read()
    conn.close()
    return resp.status, dict(resp.getheaders()), body


def assert_json_error(status, headers, body):
    assert status >= 400
    assert body, "empty error body"
    out = json.loads(body.decode("utf-8"))
    assert out.get("message") or out.get("Message"), out
    return out


def signed_raw(server, method, path, body=b"", extra=b""):
    """A request signed by botocore, sent as raw bytes with extra header lines."""
    seen = {}

    def keep(h, d):
        seen.update(h)
        return h, d
    signed_request(server, method, path, body, mutate=keep)
    lines = b"".join(b"%s: %s\r\n" % (k.encode(), v.encode() if isinstance(v, str) else v)
                     for k, v in seen.items() if k.lower() not in ("content-type",))
    return (b"%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" % (method.encode(), path.encode(), server.port)
            + lines + extra + b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)


@pytest.mark.parametrize("request_bytes", [
    lambda s: b"GET /%FF%FE HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    lambda s: b"GET /\xff\xfe\xc3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    lambda s: b"POST /CreateStage%C3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
    lambda s: signed_raw(s, "DELETE", "/tags/arn%3Aaws%3Aivs%3Aus-east-1%3A123456789012%3Astage%2Fabc?tagKeys=%FF%C3"),
    lambda s: signed_raw(s, "POST", "/GetStage/%E2%82", b"{}"),
    lambda s: signed_raw(s, "POST", "/CreateStage", b"{}", b"Content-Type: text/\xff\xfe\xe2\x82\r\n"),
    lambda s: b"POST /ListStages HTTP/1.1\r\nHost: x\r\nAuthorization: AWS4-HMAC-SHA256 Credential=\xff\xfe/"
              b"20240101/us-east-1/ivs/aws4_request, SignedHeaders=host;\xc3, Signature=\xe2\x82\r\n"
              b"X-Amz-Date: 20240101T000000Z\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
    lambda s: b"POST /ListStages HTTP/1.1\r\nHost: x\r\nAuthorization: AWS4-HMAC-SHA256 Credential=A/"
              b"20240101/us-\xff\xfe/i\xc3/aws4_request, SignedHeaders=host, Signature=ab\r\n"
              b"X-Amz-Date: 20240101T000000Z\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
], ids=["path-escaped", "path-raw", "path-cut", "query", "label", "content-type", "authorization",
        "scope"])
def test_invalid_utf8_echoed_gives_a_json_body(srv, request_bytes):
    assert_json_error(*raw_http(srv, request_bytes(srv)))
    alive(srv)


@pytest.mark.parametrize("char", ["\u00e9", "\u20ac", "\U0001F600"])
@pytest.mark.parametrize("lead", [0, 1, 2, 3])
def test_value_excerpt_cut_mid_character(srv, bases, char, lead):
    status, headers, out = signed_request(
        srv, "POST", "/CreateStage", json.dumps({"name": "a" * lead + char * 300}, ensure_ascii=False).encode(),
        key=bases.account)
    assert status == 400 and "at 'name' failed to satisfy constraint" in out["message"], out
    excerpt = out["message"].split("Value '", 1)[1].split("' at 'name'", 1)[0]
    assert "\ufffd" not in excerpt and set(excerpt) <= {"a", char}


# ---- strict mode: Host signed as a whole name ------------------------------

CREDS = """[ops]
aws_access_key_id = AKIAHOSTILE000000001
aws_secret_access_key = hostile-secret
account_id = 111122223333
"""


@pytest.fixture(scope="module")
def strict():
    path = os.path.join(SCRATCH, "creds-hostile-%d" % os.getpid())
    with open(path, "w") as f:
        f.write(CREDS)
    s = Server(extra_args=["--credentials", path]).start()
    yield s
    assert s.stop() == 0


def sign_with(server, signed, extra_headers, secret="hostile-secret"):
    """A ListStages request whose SignedHeaders is exactly signed, with a correct
    signature over those headers; Host is sent but signed only if listed."""
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    body = b"{}"
    headers = {"host": "127.0.0.1:%d" % server.port, "x-amz-date": amz_date}
    headers.update(extra_headers)
    names = signed.split(";")
    canonical = "\n".join(["POST", "/ListStages", "",
                           "".join("%s:%s\n" % (n, headers.get(n, "")) for n in names),
                           signed, hashlib.sha256(body).hexdigest()])
    scope = "%s/us-east-1/ivs/aws4_request" % day
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + secret).encode()
    for part in (day, "us-east-1", "ivs", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
    auth = "AWS4-HMAC-SHA256 Credential=AKIAHOSTILE000000001/%s, SignedHeaders=%s, Signature=%s" % (
        scope, signed, sig)
    lines = "".join("%s: %s\r\n" % (k, v) for k, v in headers.items() if k != "host")
    return ("POST /ListStages HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\n%sContent-Type: application/json\r\n"
            "Content-Length: 2\r\nConnection: close\r\n\r\n" % (headers["host"], auth, lines)).encode() + body


def test_strict_signature_helper_is_right(strict):
    status, headers, body = raw_http(strict, sign_with(strict, "host;x-amz-date", {}))
    assert status == 200, body


@pytest.mark.parametrize("signed,extra", [
    ("x-amz-date;x-ghost", {"x-ghost": "boo"}),
    ("hostx;x-amz-date", {"hostx": "evil.example"}),
    ("x-amz-date;x-host", {"x-host": "evil.example"}),
    ("x-amz-date", {}),
])
def test_signed_headers_without_host_are_refused(strict, signed, extra):
    status, headers, body = raw_http(strict, sign_with(strict, signed, extra))
    out = assert_json_error(status, headers, body)
    assert status == 403 and headers.get("x-amzn-ErrorType") == "InvalidSignatureException", out
    assert "'Host' must be a signed header" in out["message"]
