"""Participant tokens through boto3 and the AWS CLI, and `rtstage token inspect`."""
import base64
import datetime
import json
import os
import stat
import subprocess
import time

import pytest
from botocore.exceptions import ClientError

from conftest import BACKEND, BIN, Server, cli, client

ACCT = "444455556666"


def claims(token):
    header, payload, sig = token.split(".")
    dec = lambda s: json.loads(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))
    assert len(base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4))) == 96  # raw R||S
    return dec(header), dec(payload)


def epoch(t):
    return int(t.timestamp()) if isinstance(t, datetime.datetime) else int(
        datetime.datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp())


def inspect(server, token):
    p = subprocess.run([BIN, "token", "inspect", token] + server.store_args(),
                       capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout + p.stderr


@pytest.fixture(scope="module")
def c(server):
    return client(server, key=ACCT)


@pytest.fixture(scope="module")
def rc(server):
    return client(server, key=ACCT, validate=False)


@pytest.fixture(scope="module")
def stage(c):
    return c.create_stage(name="tokens")["stage"]


def test_cli_reference_example(server):
    rc_, out = cli(server, "ivs-realtime", "create-stage", "--name", "stage1",
                   "--participant-token-configurations", "userId=alice", key=ACCT)
    assert rc_ == 0, out
    (tok,) = out["participantTokens"]
    assert set(tok) == {"participantId", "token", "userId", "attributes", "duration", "capabilities",
                        "expirationTime"}
    assert tok["userId"] == "alice" and tok["duration"] == 720 and tok["attributes"] == {}
    assert tok["capabilities"] == ["PUBLISH", "SUBSCRIBE"]
    assert len(tok["participantId"]) == 12 and tok["participantId"].isalnum()
    header, body = claims(tok["token"])
    assert header["alg"] == "ES384" and header["typ"] == "JWT" and header["kid"]
    assert body["jti"] == tok["participantId"] and body["user_id"] == "alice"
    assert body["resource"] == out["stage"]["arn"]
    assert body["exp"] == body["iat"] + 720 * 60 == epoch(tok["expirationTime"])
    rc_, text = inspect(server, tok["token"])
    assert rc_ == 0 and "VALID" in text and "revoked:   no" in text, text


def test_create_participant_token_every_option(c, stage):
    t = c.create_participant_token(stageArn=stage["arn"], duration=5, userId="bob",
                                   attributes={"a": "1", "ü": "é"}, capabilities=["SUBSCRIBE"])["participantToken"]
    assert t["duration"] == 5 and t["userId"] == "bob" and t["capabilities"] == ["SUBSCRIBE"]
    assert t["attributes"] == {"a": "1", "ü": "é"}
    _, body = claims(t["token"])
    assert body["exp"] == body["iat"] + 300 == epoch(t["expirationTime"])
    assert body["capabilities"] == {"allow_subscribe": True}
    assert body["attributes"] == {"a": "1", "ü": "é"}
    assert body["topic"] == stage["arn"].rsplit("/", 1)[1]
    assert body["events_url"] == stage["endpoints"]["events"] and body["whip_url"] == stage["endpoints"]["whip"]
    d = c.create_participant_token(stageArn=stage["arn"])["participantToken"]
    assert d["duration"] == 720 and d["capabilities"] == ["PUBLISH", "SUBSCRIBE"] and "userId" not in d
    assert "user_id" not in claims(d["token"])[1] and "attributes" not in claims(d["token"])[1]


def test_tokens_from_create_stage_keep_their_order(c):
    confs = [{"userId": "u%d" % i, "duration": i + 1} for i in range(12)]
    out = c.create_stage(participantTokenConfigurations=confs)
    assert [t["userId"] for t in out["participantTokens"]] == ["u%d" % i for i in range(12)]
    assert [t["duration"] for t in out["participantTokens"]] == list(range(1, 13))
    assert len({t["participantId"] for t in out["participantTokens"]}) == 12


BAD = [
    ({"duration": 0}, "duration", "greater than or equal to 1"),
    ({"duration": 20161}, "duration", "less than or equal to 20160"),
    ({"capabilities": ["ADMIN"]}, "capabilities", "enum value set"),
    ({"capabilities": ["PUBLISH", "SUBSCRIBE", "PUBLISH"]}, "capabilities", "length less than or equal to 2"),
    ({"userId": "u" * 129}, "userId", "length less than or equal to 128"),
    ({"attributes": {"k": "v" * 1024}}, "attributes", "1024 bytes"),
]


@pytest.mark.parametrize("params,member,words", BAD, ids=[b[1] + ":" + b[2][:12] for b in BAD])
def test_bad_token_input(rc, stage, params, member, words):
    with pytest.raises(ClientError) as ei:
        rc.create_participant_token(stageArn=stage["arn"], **params)
    e = ei.value.response
    assert e["Error"]["Code"] == "ValidationException", e
    assert "'%s'" % member in e["Error"]["Message"] and words in e["Error"]["Message"]
    # the same configuration inside CreateStage fails it, and no stage is made
    before = len(rc.list_stages(maxResults=100)["stages"])
    with pytest.raises(ClientError) as ei:
        rc.create_stage(participantTokenConfigurations=[{}, params])
    msg = ei.value.response["Error"]["Message"]
    assert ei.value.response["Error"]["Code"] == "ValidationException"
    assert "participantTokenConfigurations.2.member.%s" % member in msg, msg
    assert len(rc.list_stages(maxResults=100)["stages"]) == before


def test_attributes_limit_counts_bytes_of_keys_and_values(c, rc, stage):
    ok = {"k" * 12: "v" * 1000, "x": "y" * 11}  # 1024 bytes in all
    c.create_participant_token(stageArn=stage["arn"], attributes=ok)
    with pytest.raises(ClientError) as ei:
        rc.create_participant_token(stageArn=stage["arn"], attributes=dict(ok, z=""))
    assert ei.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError):  # two-byte characters count twice
        rc.create_participant_token(stageArn=stage["arn"], attributes={"k": "é" * 512})


def test_more_than_twelve_configurations(rc):
    with pytest.raises(ClientError) as ei:
        rc.create_stage(participantTokenConfigurations=[{}] * 13)
    assert "participantTokenConfigurations" in ei.value.response["Error"]["Message"]


def test_unknown_and_foreign_stage(server, c, stage):
    for who, arn in ((c, stage["arn"].rsplit("/", 1)[0] + "/noSuchStage1"),
                     (client(server, key="777788889999"), stage["arn"]),
                     (client(server, region="eu-west-1", key=ACCT), stage["arn"])):
        with pytest.raises(ClientError) as ei:
            who.create_participant_token(stageArn=arn)
        e = ei.value.response
        assert (e["Error"]["Code"], e["ResponseMetadata"]["HTTPStatusCode"]) == ("ResourceNotFoundException", 404)


def test_inspect_and_records(server, c):
    arn = c.create_stage()["stage"]["arn"]
    t = c.create_participant_token(stageArn=arn, userId="carol")["participantToken"]
    rc_, text = inspect(server, t["token"])
    assert rc_ == 0 and '"user_id": "carol"' in text and "VALID" in text
    h, p, s = t["token"].split(".")
    rc_, text = inspect(server, h + "." + p + "." + s[:-4] + ("AAAA" if s[-4:] != "AAAA" else "BBBB"))
    assert rc_ == 1 and "signature does not verify" in text
    rc_, text = inspect(server, "not.a.token")
    assert rc_ == 1 and "NOT VALID" in text
    c.delete_stage(arn=arn)  # DeleteStage removes its tokens' records
    rc_, text = inspect(server, t["token"])
    assert "record:    none" in text


def test_signing_key_file_and_restart():
    s = Server().start()
    try:
        keydir = os.path.join(s.data_dir, "keys")
        if BACKEND == "sqlite":
            (name,) = os.listdir(keydir)
            assert stat.S_IMODE(os.stat(os.path.join(keydir, name)).st_mode) == 0o600
        else:  # the keys are in the database, where every node finds them
            assert not os.path.exists(keydir)
        c = client(s)
        t = c.create_stage(participantTokenConfigurations=[{"userId": "d"}])["participantTokens"][0]["token"]
        s.restart()
        if BACKEND == "sqlite":
            assert os.listdir(keydir) == [name]  # reused, not remade
        assert inspect(s, t)[0] == 0
        t2 = client(s).create_stage(participantTokenConfigurations=[{}])["participantTokens"][0]["token"]
        assert claims(t2)[0]["kid"] == claims(t)[0]["kid"]
        p = subprocess.run([BIN, "keys", "rotate"] + s.store_args(), capture_output=True, text=True)
        assert p.returncode == 0 and "new signing key" in p.stdout
        new_kid = p.stdout.split()[3]
        # files: at the next use; the database: within the second that nodes poll it
        deadline = time.time() + 3
        while True:
            t3 = client(s).create_stage(participantTokenConfigurations=[{}])["participantTokens"][0]["token"]
            if claims(t3)[0]["kid"] == new_kid or time.time() > deadline:
                break
            time.sleep(0.1)
        assert claims(t3)[0]["kid"] == new_kid != claims(t)[0]["kid"]
        assert inspect(s, t)[0] == 0 and inspect(s, t3)[0] == 0
    finally:
        s.stop()
