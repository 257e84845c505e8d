"""Strict mode: SigV4 verified as AWS does, accounts, regions, permissions."""
import datetime
import os
import signal
import subprocess
import time
import types
from unittest import mock

import botocore.auth
import pytest
from botocore.exceptions import ClientError

from conftest import BIN, SCRATCH, Server, cli, client, error_of, signed_request

CREDS = """# rtstage credentials
[ops]
aws_access_key_id = AKIAOPS0000000000001
aws_secret_access_key = ops-secret
account_id = 111122223333
actions = ivs:*            ; optional, default ivs:* cloudformation:*

[reader]
aws_access_key_id = AKIAREAD000000000001
aws_secret_access_key = read-secret
account_id = 111122223333
actions = ivs:Get* ivs:List*

[other]
aws_access_key_id = AKIAOTHER00000000001
aws_secret_access_key = other-secret
account_id = 999900001111

[temp]
aws_access_key_id = ASIATEMP000000000001
aws_secret_access_key = temp-secret
aws_session_token = FQoGZXIvYXdzEJr//////////session+token==
account_id = 111122223333
"""
OPS = dict(key="AKIAOPS0000000000001", secret="ops-secret")
READER = dict(key="AKIAREAD000000000001", secret="read-secret")
OTHER = dict(key="AKIAOTHER00000000001", secret="other-secret")


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


@pytest.fixture(scope="module")
def strict():
    creds = write(os.path.join(SCRATCH, "creds-%d" % os.getpid()), CREDS)
    s = Server(extra_args=["--credentials", creds]).start()
    s.creds = creds
    yield s
    assert s.stop() == 0


def raw(server, body, sign_with=OPS, mutate=None, headers=None, region="us-east-1"):
    """A ListStages request signed by botocore's SigV4 signer, then optionally altered."""
    return signed_request(server, "POST", "/ListStages", body, headers, key=sign_with["key"],
                          secret=sign_with["secret"], region=region, mutate=mutate)


def test_every_operation_with_a_valid_key(strict):
    c = client(strict, **OPS)
    sc = c.create_storage_configuration(name="s", s3={"bucketName": "b-strict"})["storageConfiguration"]["arn"]
    assert ":111122223333:" in sc  # the key's account, from the credentials file
    out = c.create_stage(name="strict", tags={"a": "1"}, participantTokenConfigurations=[{"userId": "u"}],
                         autoParticipantRecordingConfiguration={"storageConfigurationArn": sc})
    arn = out["stage"]["arn"]
    assert arn.startswith("arn:aws:ivs:us-east-1:111122223333:stage/")
    assert c.get_stage(arn=arn)["stage"]["name"] == "strict"
    c.update_stage(arn=arn, name="strict2", autoParticipantRecordingConfiguration={"storageConfigurationArn": ""})
    assert arn in [s["arn"] for s in c.list_stages()["stages"]]
    c.tag_resource(resourceArn=arn, tags={"b": "2", "c": "3"})
    c.untag_resource(resourceArn=arn, tagKeys=["a", "c"])
    assert c.list_tags_for_resource(resourceArn=arn)["tags"] == {"b": "2"}
    assert c.create_participant_token(stageArn=arn)["participantToken"]["token"]
    assert c.get_storage_configuration(arn=sc)["storageConfiguration"]["arn"] == sc
    assert sc in [x["arn"] for x in c.list_storage_configurations()["storageConfigurations"]]
    c.delete_stage(arn=arn)
    c.delete_storage_configuration(arn=sc)


def test_the_cli_in_strict_mode(strict):
    rc, out = cli(strict, "ivs-realtime", "create-stage", "--name", "cli", "--tags", "k=v", **OPS)
    assert rc == 0, out
    arn = out["stage"]["arn"]
    rc, out = cli(strict, "ivs-realtime", "untag-resource", "--resource-arn", arn, "--tag-keys", "k", "x", **OPS)
    assert rc == 0, out
    rc, out = cli(strict, "ivs-realtime", "list-tags-for-resource", "--resource-arn", arn, **OPS)
    assert rc == 0 and out == {"tags": {}}
    rc, err = cli(strict, "ivs-realtime", "get-stage", "--arn", arn, key=OPS["key"], secret="nope")
    assert rc != 0 and "InvalidSignatureException" in err


@pytest.mark.parametrize("who,want", [
    (dict(key="AKIAOPS0000000000001", secret="wrong"), "InvalidSignatureException"),
    (dict(key="AKIANOBODY0000000001", secret="x"), "UnrecognizedClientException"),
    (dict(key="123456789012", secret="x"), "UnrecognizedClientException"),
])
def test_bad_keys(strict, who, want):
    with pytest.raises(ClientError) as ei:
        client(strict, **who).list_stages()
    c, msg, status = error_of(ei)
    assert (c, status) == (want, 403), msg


class _Shifted(datetime.datetime):
    offset = datetime.timedelta(0)

    @classmethod
    def utcnow(cls):
        return datetime.datetime.utcnow() + cls.offset


def shifted_signers():
    """Patches the clock of every SigV4 signer botocore may use (its own, and the
    CRT one it prefers when awscrt is installed)."""
    import contextlib
    import importlib
    shim = types.SimpleNamespace(datetime=_Shifted, timedelta=datetime.timedelta,
                                 timezone=datetime.timezone)
    stack = contextlib.ExitStack()
    for name in ("botocore.auth", "botocore.crt.auth"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        stack.enter_context(mock.patch.object(module, "datetime", shim))
    return stack


@pytest.mark.parametrize("minutes,words", [(-6, "Signature expired"), (6, "Signature not yet current")])
def test_a_client_with_a_skewed_clock(strict, minutes, words):
    _Shifted.offset = datetime.timedelta(minutes=minutes)
    with shifted_signers():
        with pytest.raises(ClientError) as ei:
            client(strict, **OPS).list_stages()
        c, msg, status = error_of(ei)
        assert (c, status) == ("InvalidSignatureException", 403) and words in msg, msg
        _Shifted.offset = datetime.timedelta(minutes=minutes // 2)  # within 5 minutes: fine
        assert "stages" in client(strict, **OPS).list_stages()


def test_tampered_requests(strict):
    status, h, body = raw(strict, b'{"maxResults": 5}')
    assert status == 200
    # body changed after signing
    status, h, body = raw(strict, b'{"maxResults": 5}', mutate=lambda h, d: (h, b'{"maxResults": 6}'))
    assert (status, h["x-amzn-ErrorType"]) == (403, "InvalidSignatureException")
    # a signed payload hash that does not match the body
    def with_hash(h, d):
        return h, b'{"maxResults": 7}'
    status, h, body = raw(strict, b'{"maxResults": 5}', mutate=with_hash,
                          headers={"Content-Type": "application/json",
                                   "X-Amz-Content-SHA256": __import__("hashlib").sha256(b'{"maxResults": 5}').hexdigest()})
    assert (status, h["x-amzn-ErrorType"]) == (403, "InvalidSignatureException")
    assert "x-amz-content-sha256" in body["message"]
    # a signed header changed
    status, h, body = raw(strict, b"{}", mutate=lambda h, d: (dict(h, **{"Content-Type": "text/plain"}), d))
    assert (status, h["x-amzn-ErrorType"]) == (403, "InvalidSignatureException")
    # another region than the one signed
    status, h, body = raw(strict, b"{}", mutate=lambda h, d: (dict(h, Authorization=h["Authorization"].replace(
        "us-east-1", "us-west-2")), d))
    assert (status, h["x-amzn-ErrorType"]) == (403, "InvalidSignatureException")


def test_missing_pieces(strict):
    def drop(name):
        return lambda h, d: ({k: v for k, v in h.items() if k.lower() != name}, d)
    status, h, body = raw(strict, b"{}", mutate=drop("authorization"))
    assert (status, h["x-amzn-ErrorType"]) == (403, "MissingAuthenticationTokenException")
    status, h, body = raw(strict, b"{}", mutate=drop("x-amz-date"))
    assert (status, h["x-amzn-ErrorType"]) == (403, "IncompleteSignatureException")
    status, h, body = raw(strict, b"{}", mutate=lambda h, d: (dict(h, Authorization=h["Authorization"].split(",")[0]), d))
    assert (status, h["x-amzn-ErrorType"]) == (403, "IncompleteSignatureException")
    status, h, body = raw(strict, b"{}", mutate=lambda h, d: (dict(h, Authorization=h["Authorization"].replace(
        "/ivs/", "/s3/")), d))
    assert (status, h["x-amzn-ErrorType"]) == (403, "InvalidSignatureException")
    assert "'ivs'" in body["message"]


def test_session_tokens(strict):
    token = "FQoGZXIvYXdzEJr//////////session+token=="
    c = client(strict, key="ASIATEMP000000000001", secret="temp-secret", token=token)
    assert "stages" in c.list_stages()
    for bad in (None, "another-token"):
        with pytest.raises(ClientError) as ei:
            client(strict, key="ASIATEMP000000000001", secret="temp-secret", token=bad).list_stages()
        assert error_of(ei)[0::2] == ("UnrecognizedClientException", 403)
    with pytest.raises(ClientError) as ei:  # a key without a session token takes none
        client(strict, token="x", **OPS).list_stages()
    assert error_of(ei)[0] == "UnrecognizedClientException"


def test_read_only_key(strict):
    ops, reader = client(strict, **OPS), client(strict, **READER)
    arn = ops.create_stage(name="ro")["stage"]["arn"]
    assert reader.get_stage(arn=arn)["stage"]["name"] == "ro"
    assert arn in [s["arn"] for s in reader.list_stages()["stages"]]
    assert reader.list_tags_for_resource(resourceArn=arn)["tags"] == {}
    for action, call in (("CreateStage", lambda: reader.create_stage()),
                         ("UpdateStage", lambda: reader.update_stage(arn=arn, name="x")),
                         ("DeleteStage", lambda: reader.delete_stage(arn=arn)),
                         ("TagResource", lambda: reader.tag_resource(resourceArn=arn, tags={"a": "b"})),
                         ("UntagResource", lambda: reader.untag_resource(resourceArn=arn, tagKeys=["a"])),
                         ("CreateParticipantToken", lambda: reader.create_participant_token(stageArn=arn))):
        with pytest.raises(ClientError) as ei:
            call()
        c, msg, status = error_of(ei)
        assert (c, status) == ("AccessDeniedException", 403)
        assert msg.startswith("User: arn:aws:iam::111122223333:user/reader is not authorized to perform: "
                              "ivs:%s on resource: " % action), msg
        if action != "CreateStage":
            assert msg.endswith(arn)
    assert ops.get_stage(arn=arn)["stage"]["name"] == "ro"  # nothing changed


def test_accounts_and_regions(strict):
    ops, other = client(strict, **OPS), client(strict, **OTHER)
    west = client(strict, region="us-west-2", **OPS)
    mine = ops.create_stage(name="mine")["stage"]["arn"]
    theirs = other.create_stage(name="theirs")["stage"]["arn"]
    far = west.create_stage(name="far")["stage"]["arn"]
    assert ":999900001111:" in theirs and ":us-west-2:" in far
    for c, arn in ((other, mine), (ops, theirs), (ops, far), (west, mine)):
        for call in (lambda: c.get_stage(arn=arn), lambda: c.delete_stage(arn=arn),
                     lambda: c.list_tags_for_resource(resourceArn=arn)):
            with pytest.raises(ClientError) as ei:
                call()
            assert error_of(ei)[0::2] == ("ResourceNotFoundException", 404)
    assert theirs not in [s["arn"] for s in ops.list_stages(maxResults=100)["stages"]]
    assert [s["arn"] for s in other.list_stages()["stages"]] == [theirs]
    assert far not in [s["arn"] for s in ops.list_stages(maxResults=100)["stages"]]


def test_reload_on_sighup(strict):
    new = CREDS + "\n[late]\naws_access_key_id = AKIALATE000000000001\naws_secret_access_key = late\naccount_id = 111122223333\n"
    late = dict(key="AKIALATE000000000001", secret="late")
    with pytest.raises(ClientError):
        client(strict, **late).list_stages()
    write(strict.creds, new)
    strict.proc.send_signal(signal.SIGHUP)
    deadline = time.time() + 5
    while "reloaded" not in open(strict.log).read() and time.time() < deadline:
        time.sleep(0.02)
    assert "stages" in client(strict, **late).list_stages()
    write(strict.creds, new + "\nbroken line\n")  # a malformed file keeps the table in force
    strict.proc.send_signal(signal.SIGHUP)
    while "kept the credentials" not in open(strict.log).read() and time.time() < deadline:
        time.sleep(0.02)
    assert "%s:%d: expected 'key = value'" % (strict.creds, new.count("\n") + 2) in open(strict.log).read()
    assert "stages" in client(strict, **late).list_stages()
    write(strict.creds, CREDS)
    strict.proc.send_signal(signal.SIGHUP)
    time.sleep(0.3)
    with pytest.raises(ClientError) as ei:
        client(strict, **late).list_stages()
    assert error_of(ei)[0] == "UnrecognizedClientException"


@pytest.mark.parametrize("text,words", [
    ("[a]\naws_access_key_id = K\naws_secret_access_key = s\n", ":1: profile [a] needs"),
    ("[a]\naws_access_key_id = K\naws_secret_access_key = s\naccount_id = 12\n", "12 digits"),
    ("aws_access_key_id = K\n", ":1: a key before any [profile]"),
    ("[a]\naws_access_key_id = K\nnonsense\n", ":3: expected 'key = value'"),
    ("[a]\naws_access_key_id = K\nregion_x = y\n", ":3: unknown key 'region_x'"),
    ("[a\n", ":1: malformed profile header"),
    ("", "no [profile]"),
    (CREDS + "[dup]\naws_access_key_id = AKIAOPS0000000000001\naws_secret_access_key = s\naccount_id = 111122223333\n",
     "repeats the access key"),
])
def test_a_malformed_file_stops_the_server(tmp_path, text, words):
    creds = write(str(tmp_path / "creds"), text)
    p = subprocess.run([BIN, "serve", "--listen", "127.0.0.1:0", "--data-dir", str(tmp_path),
                        "--credentials", creds], capture_output=True, text=True, timeout=10)
    assert p.returncode != 0 and words in p.stderr, p.stderr


def test_strict_mode_may_listen_beyond_loopback(tmp_path):
    creds = write(str(tmp_path / "creds"), CREDS)
    s = Server(extra_args=["--credentials", creds], listen_host="0.0.0.0").start()
    try:
        assert "stages" in client(s, **OPS).list_stages()
    finally:
        s.stop()
