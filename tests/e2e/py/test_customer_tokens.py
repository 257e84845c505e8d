"""Customer-signed participant tokens: a P-384 key made by openssl as the IVS
guide makes it, imported with boto3, and tokens signed here with
python3-cryptography (ES384, raw R||S, compact JWS) that join a stage through
the events socket (python3-websockets). Every refusal of the token schema,
keys of another account or region, a deleted key, DisconnectParticipant of a
customer-signed id, and `rtstage token inspect`."""
import asyncio
import base64
import json
import subprocess
import time
import uuid

import pytest
import websockets
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from conftest import BIN, SANITIZER_WORDS, Server, client

WAIT = 5
DAY = 86400


def openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True, capture_output=True, timeout=60)


def key_pair(d):
    """A P-384 key pair made as the IVS guide makes it: (private key, public PEM text)."""
    d.mkdir()
    openssl("ecparam", "-name", "secp384r1", "-genkey", "-noout", "-out", "priv.pem", cwd=d)
    openssl("ec", "-in", "priv.pem", "-pubout", "-out", "pub.pem", cwd=d)
    priv = serialization.load_pem_private_key((d / "priv.pem").read_bytes(), password=None)
    return priv, (d / "pub.pem").read_text()


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(priv, kid, claims, header=None):
    """A compact JWS of claims signed ES384 by priv: the DER signature as raw R||S."""
    head = header or {"alg": "ES384", "typ": "JWT", "kid": kid}
    text = b64url(json.dumps(head).encode()) + "." + b64url(json.dumps(claims).encode())
    r, s = decode_dss_signature(priv.sign(text.encode(), ec.ECDSA(hashes.SHA384())))
    return text + "." + b64url(r.to_bytes(48, "big") + s.to_bytes(48, "big"))


def claims_for(stage, **over):
    """The claims of a good token for stage, with over's members changed (None: removed)."""
    now = int(time.time())
    c = {"exp": now + 3600, "iat": now, "jti": "cust-" + uuid.uuid4().hex[:12],
         "resource": stage["arn"], "topic": stage["arn"].split("/")[-1],
         "events_url": stage["endpoints"]["events"], "whip_url": stage["endpoints"]["whip"],
         "user_id": "carol", "attributes": {"team": "blue"},
         "capabilities": {"allow_publish": True, "allow_subscribe": True}, "version": "1.0"}
    for k, v in over.items():
        if v is None:
            c.pop(k, None)
        else:
            c[k] = v
    return c


def ws_url(server, stage_id):
    return "%s/events?error_over_ws=1&topic=%s/publishers&traceid=t1" % (
        server.url.replace("http://", "ws://"), stage_id)


async def next_of(ws, *types):
    """The next message of one of types, skipping others."""
    deadline = time.monotonic() + WAIT
    while True:
        left = deadline - time.monotonic()
        assert left > 0, "no %s within %s s" % (types, WAIT)
        msg = json.loads(await asyncio.wait_for(ws.recv(), left))
        if msg["type"] in types:
            return msg


async def open_socket(server, stage, token):
    return await websockets.connect(ws_url(server, stage["arn"].split("/")[-1]),
                                    subprotocols=[token], open_timeout=WAIT, max_size=2 ** 20)


def first_answer(server, stage, token):
    """What a join with token first gets: STAGE_STATE or JOIN_ERROR (the socket is closed)."""
    async def go():
        ws = await open_socket(server, stage, token)
        msg = await next_of(ws, "STAGE_STATE", "aws:ivs:JOIN_ERROR")
        await ws.close()
        return msg
    return asyncio.run(go())


def join_error(server, stage, token):
    msg = first_answer(server, stage, token)
    assert msg["type"] == "aws:ivs:JOIN_ERROR", msg
    return msg["payload"]["code"]


def inspect(server, token):
    p = subprocess.run([BIN, "token", "inspect", token] + server.store_args(),
                       capture_output=True, text=True, timeout=30)
    assert not any(w in p.stderr for w in SANITIZER_WORDS), p.stderr
    return p.returncode, p.stdout + p.stderr


@pytest.fixture(scope="module")
def srv():
    s = Server().start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    return key_pair(tmp_path_factory.mktemp("keys") / "k")


@pytest.fixture
def acct():
    """An account of its own for each test (3 public keys per account and region)."""
    return "%012d" % (uuid.uuid4().int % 10 ** 12)


@pytest.fixture
def ivs(srv, acct):
    return client(srv, key=acct)


@pytest.fixture
def setup(srv, ivs, pair):
    """(stage, private key, the imported key's ARN) in the test's account."""
    priv, pub = pair
    key = ivs.import_public_key(publicKeyMaterial=pub, name="app")["publicKey"]
    stage = ivs.create_stage(name="cust")["stage"]
    return stage, priv, key["arn"]


def test_a_customer_signed_token_joins_and_shows_in_list_participants(srv, ivs, setup):
    stage, priv, kid = setup
    claims = claims_for(stage)
    token = sign(priv, kid, claims)

    async def go():
        ws = await open_socket(srv, stage, token)
        assert ws.subprotocol == token
        msg = await next_of(ws, "STAGE_STATE", "aws:ivs:JOIN_ERROR")
        assert msg["type"] == "STAGE_STATE", msg
        (me,) = msg["payload"]["participants"]
        assert (me["id"], me["userId"], me["attributes"]) == (claims["jti"], "carol", {"team": "blue"})
        session = ivs.get_stage(arn=stage["arn"])["stage"]["activeSessionId"]
        parts = ivs.list_participants(stageArn=stage["arn"], sessionId=session)["participants"]
        assert [(p["participantId"], p["userId"], p["state"]) for p in parts] == \
            [(claims["jti"], "carol", "CONNECTED")]
        got = ivs.get_participant(stageArn=stage["arn"], sessionId=session,
                                  participantId=claims["jti"])["participant"]
        assert got["attributes"] == {"team": "blue"}
        await ws.close()
    asyncio.run(go())

    # the key deleted: the very same token verifies no more
    ivs.delete_public_key(arn=kid)
    assert join_error(srv, stage, token) == "TOKEN_INVALID_SIGNATURE"
    assert "no public key has the header's kid" in open(srv.log).read()


def test_a_key_of_another_account_or_region_is_refused(srv, ivs, acct, setup, pair):
    stage, priv, own_kid = setup
    _, pub = pair
    # the same material may be imported in another account and another region
    other_acct = "%012d" % ((int(acct) + 1) % 10 ** 12)
    foreign = client(srv, key=other_acct).import_public_key(publicKeyMaterial=pub)["publicKey"]["arn"]
    elsewhere = client(srv, key=acct, region="eu-west-1").import_public_key(
        publicKeyMaterial=pub)["publicKey"]["arn"]
    assert foreign.split(":")[4] == other_acct and elsewhere.split(":")[3] == "eu-west-1"
    for kid in (foreign, elsewhere):
        token = sign(priv, kid, claims_for(stage))  # the signature itself verifies
        assert join_error(srv, stage, token) == "TOKEN_INVALID_SIGNATURE"
        rc, out = inspect(srv, token)
        assert rc == 1 and "not a public key of the account and region of the stage" in out, out
    assert "events: token refused (TOKEN_INVALID_SIGNATURE): the kid is not a public key " \
        "of the account and region" in open(srv.log).read()
    assert "activeSessionId" not in ivs.get_stage(arn=stage["arn"])["stage"]  # nothing joined
    # the account's own key of the same material: the same claims join
    assert first_answer(srv, stage, sign(priv, own_kid, claims_for(stage)))["type"] == "STAGE_STATE"


def _long_jti():
    return "a" * 65


@pytest.mark.parametrize("what,over,code,rule", [
    ("exp 14 days and a minute after iat", lambda now: {"exp": now + 14 * DAY + 60, "iat": now},
     "TOKEN_INVALID", "claim exp must be at most 14 days after iat"),
    ("jti of 65 characters", lambda now: {"jti": _long_jti()}, "TOKEN_INVALID", "claim jti"),
    ("jti with a dot", lambda now: {"jti": "a.b"}, "TOKEN_INVALID", "claim jti"),
    ("jti empty", lambda now: {"jti": ""}, "TOKEN_INVALID", "claim jti"),
    ("version 2.0", lambda now: {"version": "2.0"}, "TOKEN_INVALID", "claim version"),
    ("no version", lambda now: {"version": None}, "TOKEN_INVALID", "claim version"),
    ("no iat", lambda now: {"iat": None}, "TOKEN_INVALID", "claim iat"),
    ("iat an hour ahead", lambda now: {"iat": now + 3600, "exp": now + 7200}, "TOKEN_INVALID",
     "claim iat is in the future"),
    ("user_id of 129 characters", lambda now: {"user_id": "u" * 129}, "TOKEN_INVALID", "claim user_id"),
    ("attributes over 1 KB", lambda now: {"attributes": {"k": "v" * 1024}}, "TOKEN_INVALID",
     "claim attributes"),
    ("attribute not a string", lambda now: {"attributes": {"k": 1}}, "TOKEN_INVALID", "claim attributes"),
    ("capability not a boolean", lambda now: {"capabilities": {"allow_publish": "yes"}},
     "TOKEN_INVALID", "claim capabilities"),
    ("no whip_url", lambda now: {"whip_url": None}, "TOKEN_INVALID", "whip_url"),
    ("resource of another stage", lambda now: {"topic": "Zzzzzz123456"}, "TOKEN_INVALID",
     "claim resource"),
    ("expired", lambda now: {"exp": now - 60, "iat": now - 120}, "TOKEN_EXPIRED", "has expired"),
])
def test_a_broken_rule_is_refused_and_logged(srv, ivs, setup, what, over, code, rule):
    stage, priv, kid = setup
    now = int(time.time())
    claims = claims_for(stage, **over(now))
    assert join_error(srv, stage, sign(priv, kid, claims)) == code, what
    assert "events: token refused (%s): " % code in open(srv.log).read()
    assert rule in open(srv.log).read()
    assert "activeSessionId" not in ivs.get_stage(arn=stage["arn"])["stage"]  # nothing joined
    # the same claims within the rules join: the refusal was the rule's
    assert first_answer(srv, stage, sign(priv, kid, claims_for(stage)))["type"] == "STAGE_STATE"


def test_exactly_14_days_is_allowed(srv, setup):
    stage, priv, kid = setup
    now = int(time.time())
    token = sign(priv, kid, claims_for(stage, iat=now, exp=now + 14 * DAY))
    assert first_answer(srv, stage, token)["type"] == "STAGE_STATE"


def test_a_tampered_or_foreign_signature_is_refused(srv, setup, tmp_path):
    stage, priv, kid = setup
    token = sign(priv, kid, claims_for(stage))
    head, body, sig = token.split(".")
    tampered = "%s.%s.%s" % (head, body, ("A" if sig[0] != "A" else "B") + sig[1:])
    assert join_error(srv, stage, tampered) == "TOKEN_INVALID_SIGNATURE"
    # claims changed after signing
    altered = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    altered["user_id"] = "mallory"
    assert join_error(srv, stage, "%s.%s.%s" % (head, b64url(json.dumps(altered).encode()), sig)) \
        == "TOKEN_INVALID_SIGNATURE"
    # a key pair the account never imported, naming the imported key
    stranger, _ = key_pair(tmp_path / "stranger")
    assert join_error(srv, stage, sign(stranger, kid, claims_for(stage))) == "TOKEN_INVALID_SIGNATURE"
    # another algorithm in the header
    assert join_error(srv, stage, sign(priv, kid, claims_for(stage),
                                       header={"alg": "ES256", "typ": "JWT", "kid": kid})) == "TOKEN_INVALID"
    # the genuine token still joins
    assert first_answer(srv, stage, token)["type"] == "STAGE_STATE"


def test_disconnect_participant_kicks_a_customer_signed_id(srv, ivs, setup):
    stage, priv, kid = setup
    a = sign(priv, kid, claims_for(stage, jti="cust-kicked"))
    b_claims = claims_for(stage, jti="cust-stays")
    b = sign(priv, kid, b_claims)

    async def go():
        wa = await open_socket(srv, stage, a)
        assert (await next_of(wa, "STAGE_STATE", "aws:ivs:JOIN_ERROR"))["type"] == "STAGE_STATE"
        wb = await open_socket(srv, stage, b)
        msg = await next_of(wb, "STAGE_STATE", "aws:ivs:JOIN_ERROR")
        assert msg["type"] == "STAGE_STATE", msg
        ivs.disconnect_participant(stageArn=stage["arn"], participantId="cust-kicked", reason="bye")
        msg = await next_of(wa, "aws:ivs:DISCONNECT")
        assert msg["payload"] == {"code": "PARTICIPANT_DISCONNECTED", "reason": "bye"}
        await wa.close()
        await wb.close()
    asyncio.run(go())
    # the kicked id cannot come back, even with a freshly signed token
    assert join_error(srv, stage, a) == "PARTICIPANT_DISCONNECTED"
    assert join_error(srv, stage, sign(priv, kid, claims_for(stage, jti="cust-kicked"))) == \
        "PARTICIPANT_DISCONNECTED"
    rc, out = inspect(srv, a)
    assert rc == 1 and "revoked:   yes" in out and "NOT VALID: the token was revoked" in out, out
    # the other id is untouched
    assert first_answer(srv, stage, b)["type"] == "STAGE_STATE"
    rc, out = inspect(srv, b)
    assert rc == 0 and "revoked:   no" in out, out


def test_inspect_names_the_key_and_says_why_not(srv, ivs, setup):
    stage, priv, kid = setup
    token = sign(priv, kid, claims_for(stage))
    rc, out = inspect(srv, token)
    assert rc == 0, out
    assert "signature: verified by the imported public key %s" % kid in out
    assert "verdict:   VALID" in out and '"user_id": "carol"' in out
    assert "record:    none (customer-signed" in out
    # a rule broken under a good signature
    now = int(time.time())
    rc, out = inspect(srv, sign(priv, kid, claims_for(stage, iat=now, exp=now + 15 * DAY)))
    assert rc == 1 and "verified by the imported public key" in out, out
    assert "verdict:   NOT VALID: claim exp must be at most 14 days after iat" in out
    ivs.delete_public_key(arn=kid)
    rc, out = inspect(srv, token)
    assert rc == 1, out
    assert "verdict:   NOT VALID: no public key has the header's kid (deleted, or never imported)" in out


def test_a_customer_signed_token_publishes_media(srv, ivs, setup):
    """Customer-signed, the token publishes through the bare WHIP URL (a non-browser
    client) and a participant holding an rtstage token decodes what it sends."""
    import whip_client as w

    stage, priv, kid = setup
    claims = claims_for(stage, user_id="app-publisher")
    token = sign(priv, kid, claims)
    viewer = ivs.create_participant_token(stageArn=stage["arn"], userId="viewer",
                                          capabilities=["SUBSCRIBE"])["participantToken"]["token"]

    async def go():
        pub = await w.publish(stage["endpoints"]["whip"], token)
        sub = None
        try:
            assert pub.status == 201, (pub.status, pub.body)
            await pub.connected()
            end = time.monotonic() + 10
            while True:  # 429 while the publisher's media is starting
                sub = await w.subscribe(stage["endpoints"]["whip"] + "/subscribe/" + claims["jti"], viewer)
                if sub.status != 429 or time.monotonic() > end:
                    break
                await sub.close()
                sub = None
                await asyncio.sleep(0.3)
            assert sub.status == 201, (sub.status, sub.body)
            await asyncio.wait_for(sub.track_arrived["video"].wait(), 15)
            got, _ = await w.count_frames(sub.tracks["video"], 10)
            assert got >= 10
        finally:
            for s in (sub, pub):
                if s is not None:
                    await s.close()

    w.run(go())
    session = ivs.get_stage(arn=stage["arn"])["stage"].get("activeSessionId") or \
        ivs.list_stage_sessions(stageArn=stage["arn"])["stageSessions"][0]["sessionId"]
    deadline = time.time() + 5
    while True:
        names = [e["name"] for e in ivs.list_participant_events(
            stageArn=stage["arn"], sessionId=session, participantId=claims["jti"])["events"]]
        if "PUBLISH_STARTED" in names or time.time() > deadline:
            break
        time.sleep(0.2)
    assert "PUBLISH_STARTED" in names, names
