"""Imported public keys (ImportPublicKey, GetPublicKey, ListPublicKeys,
DeletePublicKey) through boto3 and the AWS CLI, with keys made by openssl as
the IVS guide makes them: every refusal, tags, paging, the quota and
strict-mode permissions."""
import hashlib
import re
import subprocess
import uuid

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization

from conftest import Server, cli, client, error_of

ARN = re.compile(r"^arn:aws:ivs:us-east-1:(\d{12}):public-key/[A-Za-z0-9]{12}$")


def openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True, capture_output=True, timeout=60)


def p384(tmp_path, name="k"):
    """A P-384 key pair as the IVS guide makes it; returns the public PEM text."""
    d = tmp_path / name
    d.mkdir()
    openssl("ecparam", "-name", "secp384r1", "-genkey", "-noout", "-out", "priv.pem", cwd=d)
    openssl("ec", "-in", "priv.pem", "-pubout", "-out", "pub.pem", cwd=d)
    return (d / "pub.pem").read_text()


def fingerprint(pem):
    """SHA-256 of the DER SubjectPublicKeyInfo, as colon-separated hex pairs."""
    der = serialization.load_pem_public_key(pem.encode()).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return ":".join("%02x" % b for b in hashlib.sha256(der).digest())


@pytest.fixture
def acct():
    return "%012d" % (uuid.uuid4().int % 10 ** 12)


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    """Key texts of every kind, made once."""
    d = tmp_path_factory.mktemp("keys")
    out = {"p384": [p384(d, "k%d" % i) for i in range(5)]}
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "p256.pem", cwd=d)
    openssl("ec", "-in", "p256.pem", "-pubout", "-out", "p256pub.pem", cwd=d)
    openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "rsa.pem", cwd=d)
    openssl("pkey", "-in", "rsa.pem", "-pubout", "-out", "rsapub.pem", cwd=d)
    openssl("req", "-x509", "-new", "-key", "k0/priv.pem", "-subj", "/CN=rtstage", "-days", "1",
            "-out", "cert.pem", cwd=d)
    for name in ("p256pub", "rsapub", "cert"):
        out[name] = (d / ("%s.pem" % name)).read_text()
    out["priv"] = (d / "k0" / "priv.pem").read_text()
    return out


def test_import_get_list_delete_through_boto3(server, keys, acct):
    c = client(server, key=acct)
    pem = keys["p384"][0]
    k = c.import_public_key(publicKeyMaterial=pem, name="signer-1", tags={"team": "av"})["publicKey"]
    assert ARN.match(k["arn"]) and ARN.match(k["arn"]).group(1) == acct
    assert k["publicKeyMaterial"] == pem          # returned as given
    assert k["fingerprint"] == fingerprint(pem)
    assert (k["name"], k["tags"]) == ("signer-1", {"team": "av"})
    assert c.get_public_key(arn=k["arn"])["publicKey"] == k
    assert c.list_public_keys()["publicKeys"] == [{"arn": k["arn"], "name": "signer-1", "tags": {"team": "av"}}]
    assert c.delete_public_key(arn=k["arn"])["ResponseMetadata"]["HTTPStatusCode"] == 200
    with pytest.raises(ClientError) as ei:
        c.get_public_key(arn=k["arn"])
    assert error_of(ei)[0] == "ResourceNotFoundException"
    assert c.list_public_keys()["publicKeys"] == []


def test_crlf_material_kept_as_given_without_a_name(server, keys, acct):
    c = client(server, key=acct)
    pem = keys["p384"][1].replace("\n", "\r\n")
    k = c.import_public_key(publicKeyMaterial=pem)["publicKey"]
    assert (k["publicKeyMaterial"], k["name"], k["tags"]) == (pem, "", {})
    assert k["fingerprint"] == fingerprint(keys["p384"][1])


def test_aws_cli(server, keys, acct, tmp_path):
    path = tmp_path / "pub.pem"
    path.write_text(keys["p384"][2])
    rc, out = cli(server, "ivs-realtime", "import-public-key", "--public-key-material", "file://%s" % path,
                  "--name", "cli-key", "--tags", "env=test", key=acct)
    assert rc == 0, out
    arn = out["publicKey"]["arn"]
    assert out["publicKey"]["fingerprint"] == fingerprint(keys["p384"][2])
    rc, out = cli(server, "ivs-realtime", "get-public-key", "--arn", arn, key=acct)
    assert rc == 0, out
    assert out["publicKey"]["publicKeyMaterial"] == keys["p384"][2]
    rc, out = cli(server, "ivs-realtime", "list-public-keys", key=acct)
    assert rc == 0 and out["publicKeys"] == [{"arn": arn, "name": "cli-key", "tags": {"env": "test"}}]
    rc, out = cli(server, "ivs-realtime", "delete-public-key", "--arn", arn, key=acct)
    assert rc == 0
    rc, out = cli(server, "ivs-realtime", "get-public-key", "--arn", arn, key=acct)
    assert rc != 0 and "ResourceNotFoundException" in out


REFUSED = [
    ("rsapub", "RSA key"),
    ("p256pub", "prime256v1"),
    ("garbage", "regular expression pattern"),
    ("priv", "regular expression pattern"),
    ("cert", "regular expression pattern"),
    ("private key after", "regular expression pattern"),
    ("two blocks", "regular expression pattern"),
    ("trailing junk", "regular expression pattern"),
    # what the model's pattern lets through, rtstage refuses saying why
    ("junk after the end line", "text after"),
    ("junk before the begin line", "nothing before it"),
    ("bad base64", "does not decode"),
    ("too long", "longer than 2048 bytes"),
]


def material(keys, kind):
    good = keys["p384"][3]
    return {
        "garbage": "hello, world",
        "private key after": keys["priv"] + good,
        "two blocks": good + keys["p384"][4],
        "trailing junk": good + "junk\n",
        "junk after the end line": good.rstrip("\n") + " junk",
        "junk before the begin line": "junk " + good,
        "bad base64": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
        "too long": good.rstrip("\n") + " " * 2048,
    }.get(kind) or keys[kind]


@pytest.mark.parametrize("kind,words", REFUSED)
def test_refused_material_is_a_validation_error_and_changes_nothing(server, keys, acct, kind, words):
    c = client(server, key=acct, validate=False)
    with pytest.raises(ClientError) as ei:
        c.import_public_key(publicKeyMaterial=material(keys, kind), name="bad")
    code, msg, status = error_of(ei)
    assert (code, status) == ("ValidationException", 400) and words in msg, msg
    assert c.list_public_keys()["publicKeys"] == []


def test_bad_name_refused(server, keys, acct):
    with pytest.raises(ClientError) as ei:
        client(server, key=acct, validate=False).import_public_key(publicKeyMaterial=keys["p384"][0],
                                                                   name="no spaces")
    assert error_of(ei)[0] == "ValidationException" and "name" in error_of(ei)[1]


def test_duplicate_material_is_a_conflict(server, keys, acct):
    c = client(server, key=acct)
    first = c.import_public_key(publicKeyMaterial=keys["p384"][0])["publicKey"]
    for again in (keys["p384"][0], keys["p384"][0].replace("\n", "\r\n")):
        with pytest.raises(ClientError) as ei:
            c.import_public_key(publicKeyMaterial=again, name="again")
        code, msg, status = error_of(ei)
        assert (code, status) == ("ConflictException", 409) and first["arn"] in msg
    assert [k["arn"] for k in c.list_public_keys()["publicKeys"]] == [first["arn"]]
    # the same key in another account or region is another resource
    client(server, key="%012d" % (int(acct) ^ 1)).import_public_key(publicKeyMaterial=keys["p384"][0])
    client(server, key=acct, region="eu-west-1").import_public_key(publicKeyMaterial=keys["p384"][0])


def test_quota_of_three_and_release_on_delete(server, keys, acct):
    c = client(server, key=acct)
    arns = [c.import_public_key(publicKeyMaterial=keys["p384"][i])["publicKey"]["arn"] for i in range(3)]
    with pytest.raises(ClientError) as ei:
        c.import_public_key(publicKeyMaterial=keys["p384"][3])
    code, msg, status = error_of(ei)
    assert (code, status) == ("ServiceQuotaExceededException", 402) and "Public keys" in msg
    assert len(c.list_public_keys()["publicKeys"]) == 3
    c.delete_public_key(arn=arns[0])
    c.import_public_key(publicKeyMaterial=keys["p384"][3])


def test_quota_is_configurable(keys, acct):
    s = Server(extra_args=["--quota-public-keys", "1"]).start()
    try:
        c = client(s, key=acct)
        c.import_public_key(publicKeyMaterial=keys["p384"][0])
        with pytest.raises(ClientError) as ei:
            c.import_public_key(publicKeyMaterial=keys["p384"][1])
        assert error_of(ei)[0] == "ServiceQuotaExceededException" and "allows 1" in error_of(ei)[1]
    finally:
        assert s.stop() == 0


def test_not_found_unknown_other_account_other_region(server, keys, acct):
    c = client(server, key=acct)
    arn = c.import_public_key(publicKeyMaterial=keys["p384"][0])["publicKey"]["arn"]
    unknown = "arn:aws:ivs:us-east-1:%s:public-key/abcdABCD1234" % acct
    others = [client(server, key="%012d" % (int(acct) ^ 1)), client(server, key=acct, region="eu-west-1")]
    for who, target in [(c, unknown)] + [(o, arn) for o in others]:
        for call in (who.get_public_key, who.delete_public_key):
            with pytest.raises(ClientError) as ei:
                call(arn=target)
            assert error_of(ei)[:1] == ("ResourceNotFoundException",) and error_of(ei)[2] == 404
        with pytest.raises(ClientError) as ei:
            who.tag_resource(resourceArn=target, tags={"a": "b"})
        assert error_of(ei)[0] == "ResourceNotFoundException"
    # a stage ARN is not a public key
    stage = c.create_stage(name="s")["stage"]["arn"]
    with pytest.raises(ClientError) as ei:
        client(server, key=acct, validate=False).get_public_key(arn=stage)
    assert error_of(ei)[0] in ("ResourceNotFoundException", "ValidationException")
    assert c.get_public_key(arn=arn)["publicKey"]["arn"] == arn


def test_tags_through_the_tag_operations(server, keys, acct):
    c = client(server, key=acct)
    arn = c.import_public_key(publicKeyMaterial=keys["p384"][0], tags={"a": "1"})["publicKey"]["arn"]
    c.tag_resource(resourceArn=arn, tags={"b": "2", "c": "3"})
    assert c.list_tags_for_resource(resourceArn=arn)["tags"] == {"a": "1", "b": "2", "c": "3"}
    c.untag_resource(resourceArn=arn, tagKeys=["a", "c"])
    assert c.get_public_key(arn=arn)["publicKey"]["tags"] == {"b": "2"}
    assert c.list_public_keys()["publicKeys"][0]["tags"] == {"b": "2"}
    with pytest.raises(ClientError) as ei:
        c.tag_resource(resourceArn=arn, tags={"aws:x": "1"})
    assert error_of(ei)[0] == "ValidationException"
    with pytest.raises(ClientError) as ei:
        c.import_public_key(publicKeyMaterial=keys["p384"][1], tags={"aws:x": "1"})
    assert error_of(ei)[0] == "ValidationException"
    with pytest.raises(ClientError) as ei:
        c.tag_resource(resourceArn=arn, tags={"t%d" % i: "" for i in range(50)})
    assert error_of(ei)[0] == "ValidationException"
    c.delete_public_key(arn=arn)
    with pytest.raises(ClientError) as ei:
        c.list_tags_for_resource(resourceArn=arn)
    assert error_of(ei)[0] == "ResourceNotFoundException"
    # a deleted key leaves no tags behind for a later key
    assert len(c.list_public_keys()["publicKeys"]) == 0


def test_paging(keys, acct):
    s = Server(extra_args=["--quota-public-keys", "5"]).start()
    try:
        c = client(s, key=acct)
        arns = [c.import_public_key(publicKeyMaterial=keys["p384"][i], name="k%d" % i)["publicKey"]["arn"]
                for i in range(5)]
        seen, kw = [], {"maxResults": 2}
        while True:
            page = c.list_public_keys(**kw)
            assert len(page["publicKeys"]) <= 2
            seen += [k["arn"] for k in page["publicKeys"]]
            if "nextToken" not in page:
                break
            kw["nextToken"] = page["nextToken"]
        assert seen == arns
        paginated = [k["arn"] for p in c.get_paginator("list_public_keys").paginate(PaginationConfig={"PageSize": 3})
                     for k in p["publicKeys"]]
        assert paginated == arns
        # a token is bound to its account
        with pytest.raises(ClientError) as ei:
            client(s, key="%012d" % (int(acct) ^ 1)).list_public_keys(
                maxResults=2, nextToken=c.list_public_keys(maxResults=2)["nextToken"])
        assert error_of(ei)[0] == "ValidationException"
        with pytest.raises(ClientError) as ei:
            client(s, key=acct, validate=False).list_public_keys(maxResults=101)
        assert error_of(ei)[0] == "ValidationException"
    finally:
        assert s.stop() == 0


def test_permissions_in_strict_mode(tmp_path, keys):
    creds = tmp_path / "creds"
    creds.write_text("[all]\naws_access_key_id = AKIAALL0000000000001\naws_secret_access_key = s1\n"
                     "account_id = 111122223333\n"
                     "[reader]\naws_access_key_id = AKIAREAD000000000001\naws_secret_access_key = s2\n"
                     "account_id = 111122223333\nactions = ivs:GetPublicKey ivs:ListPublicKeys\n")
    s = Server(extra_args=["--credentials", str(creds)]).start()
    try:
        full = client(s, key="AKIAALL0000000000001", secret="s1")
        reader = client(s, key="AKIAREAD000000000001", secret="s2")
        arn = full.import_public_key(publicKeyMaterial=keys["p384"][0])["publicKey"]["arn"]
        assert reader.get_public_key(arn=arn)["publicKey"]["arn"] == arn
        assert [k["arn"] for k in reader.list_public_keys()["publicKeys"]] == [arn]
        for call, kw in ((reader.import_public_key, {"publicKeyMaterial": keys["p384"][1]}),
                         (reader.delete_public_key, {"arn": arn})):
            with pytest.raises(ClientError) as ei:
                call(**kw)
            code, msg, _ = error_of(ei)
            assert code == "AccessDeniedException", msg
        assert "ivs:DeletePublicKey" in msg
        assert [k["arn"] for k in full.list_public_keys()["publicKeys"]] == [arn]
        full.delete_public_key(arn=arn)
    finally:
        assert s.stop() == 0
