"""Cloud Control for AWS::IVS::PublicKey and AWS::IVS::StorageConfiguration
through boto3's and the AWS CLI's cloudcontrol clients, as StackQL's
awscc.ivs.public_keys and storage_configurations and Terraform's awscc
provider drive them: one resource whichever API made it."""
import json
import subprocess
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import Server, cli, client, error_of

PK, SC = "AWS::IVS::PublicKey", "AWS::IVS::StorageConfiguration"


def cc(server, region="us-east-1", key="AKIDEXAMPLE", secret="secret"):
    return boto3.client(
        "cloudcontrol", region_name=region, endpoint_url=server.url,
        aws_access_key_id=key, aws_secret_access_key=secret,
        config=Config(retries={"total_max_attempts": 1}))


@pytest.fixture(scope="module")
def srv():
    s = Server().start()
    yield s
    assert s.stop() == 0


@pytest.fixture
def acct():
    return "%012d" % (uuid.uuid4().int % 10 ** 12)


@pytest.fixture(scope="module")
def pems(tmp_path_factory):
    d = tmp_path_factory.mktemp("keys")
    out = []
    for i in range(4):
        run = lambda *a: subprocess.run(["openssl"] + list(a), cwd=d, check=True, capture_output=True)
        run("ecparam", "-name", "secp384r1", "-genkey", "-noout", "-out", "priv%d.pem" % i)
        run("ec", "-in", "priv%d.pem" % i, "-pubout", "-out", "pub%d.pem" % i)
        out.append((d / ("pub%d.pem" % i)).read_text())
    return out


def props(ev):
    return json.loads(ev.get("ResourceModel") or ev["Properties"])


def create(c, type_name, desired):
    return c.create_resource(TypeName=type_name, DesiredState=json.dumps(desired))["ProgressEvent"]


def update(c, type_name, ident, patch):
    return c.update_resource(TypeName=type_name, Identifier=ident, PatchDocument=json.dumps(patch))["ProgressEvent"]


def get(c, type_name, ident):
    return props(c.get_resource(TypeName=type_name, Identifier=ident)["ResourceDescription"])


def test_public_key_create_get_update_list_delete(srv, acct, pems):
    c, ivs = cc(srv, key=acct), client(srv, key=acct)
    ev = create(c, PK, {"Name": "signer", "PublicKeyMaterial": pems[0], "Tags": [{"Key": "a", "Value": "1"}]})
    assert ev["OperationStatus"] == "SUCCESS", ev
    arn = ev["Identifier"]
    api = ivs.get_public_key(arn=arn)["publicKey"]
    want = {"Arn": arn, "Name": "signer", "PublicKeyMaterial": pems[0], "Fingerprint": api["fingerprint"],
            "Tags": [{"Key": "a", "Value": "1"}]}
    assert props(ev) == want and get(c, PK, arn) == want
    assert (api["name"], api["tags"], api["publicKeyMaterial"]) == ("signer", {"a": "1"}, pems[0])
    ev = update(c, PK, arn, [{"op": "add", "path": "/Tags/-", "value": {"Key": "b", "Value": "2"}},
                             {"op": "remove", "path": "/Tags/0"}])
    assert ev["OperationStatus"] == "SUCCESS", ev
    assert props(ev)["Tags"] == [{"Key": "b", "Value": "2"}]
    assert ivs.list_tags_for_resource(resourceArn=arn)["tags"] == {"b": "2"}
    listed = c.list_resources(TypeName=PK)["ResourceDescriptions"]
    assert [(d["Identifier"], json.loads(d["Properties"])["Fingerprint"]) for d in listed] == [(arn, api["fingerprint"])]
    ev = c.delete_resource(TypeName=PK, Identifier=arn)["ProgressEvent"]
    assert ev["OperationStatus"] == "SUCCESS", ev
    with pytest.raises(ClientError) as ei:
        ivs.get_public_key(arn=arn)
    assert error_of(ei)[0] == "ResourceNotFoundException"
    assert c.list_resources(TypeName=PK)["ResourceDescriptions"] == []


def test_storage_configuration_create_get_update_list_delete(srv, acct):
    c, ivs = cc(srv, key=acct), client(srv, key=acct)
    ev = create(c, SC, {"Name": "rec", "S3": {"BucketName": "rec-bucket"}})
    assert ev["OperationStatus"] == "SUCCESS", ev
    arn = ev["Identifier"]
    want = {"Arn": arn, "Name": "rec", "S3": {"BucketName": "rec-bucket"}}
    assert props(ev) == want and get(c, SC, arn) == want
    api = ivs.get_storage_configuration(arn=arn)["storageConfiguration"]
    assert (api["name"], api["s3"], api["tags"]) == ("rec", {"bucketName": "rec-bucket"}, {})
    ev = update(c, SC, arn, [{"op": "add", "path": "/Tags", "value": [{"Key": "k", "Value": "v"}]}])
    assert ev["OperationStatus"] == "SUCCESS" and props(ev)["Tags"] == [{"Key": "k", "Value": "v"}], ev
    assert ivs.get_storage_configuration(arn=arn)["storageConfiguration"]["tags"] == {"k": "v"}
    assert [d["Identifier"] for d in c.list_resources(TypeName=SC)["ResourceDescriptions"]] == [arn]
    # a stage that records to it holds it: the delete fails and changes nothing
    stage = ivs.create_stage(name="s", autoParticipantRecordingConfiguration={"storageConfigurationArn": arn})
    ev = c.delete_resource(TypeName=SC, Identifier=arn)["ProgressEvent"]
    assert (ev["OperationStatus"], ev["ErrorCode"]) == ("FAILED", "ResourceConflict"), ev
    ivs.delete_stage(arn=stage["stage"]["arn"])
    ev = c.delete_resource(TypeName=SC, Identifier=arn)["ProgressEvent"]
    assert ev["OperationStatus"] == "SUCCESS", ev
    assert ivs.list_storage_configurations()["storageConfigurations"] == []


def test_made_through_ivs_realtime_are_resources(srv, acct, pems):
    c, ivs = cc(srv, key=acct), client(srv, key=acct)
    k = ivs.import_public_key(publicKeyMaterial=pems[1], name="api", tags={"t": "1"})["publicKey"]
    s = ivs.create_storage_configuration(name="api", s3={"bucketName": "b-1"}, tags={"t": "2"})["storageConfiguration"]
    assert get(c, PK, k["arn"]) == {"Arn": k["arn"], "Name": "api", "PublicKeyMaterial": pems[1],
                                    "Fingerprint": k["fingerprint"], "Tags": [{"Key": "t", "Value": "1"}]}
    assert get(c, SC, s["arn"]) == {"Arn": s["arn"], "Name": "api", "S3": {"BucketName": "b-1"},
                                    "Tags": [{"Key": "t", "Value": "2"}]}
    assert [d["Identifier"] for d in c.list_resources(TypeName=PK)["ResourceDescriptions"]] == [k["arn"]]
    for t, arn in ((PK, k["arn"]), (SC, s["arn"])):
        assert c.delete_resource(TypeName=t, Identifier=arn)["ProgressEvent"]["OperationStatus"] == "SUCCESS"
    assert ivs.list_public_keys()["publicKeys"] == []
    assert ivs.list_storage_configurations()["storageConfigurations"] == []


CREATE_ONLY = [
    (PK, [{"op": "replace", "path": "/Name", "value": "other"}], "/properties/Name"),
    (PK, [{"op": "replace", "path": "/PublicKeyMaterial", "value": "KEY2"}], "/properties/PublicKeyMaterial"),
    (SC, [{"op": "replace", "path": "/Name", "value": "other"}], "/properties/Name"),
    (SC, [{"op": "replace", "path": "/S3/BucketName", "value": "other-bucket"}], "/properties/S3"),
]


@pytest.mark.parametrize("type_name,patch,prop", CREATE_ONLY)
def test_create_only_properties_refused_on_update(srv, acct, pems, type_name, patch, prop):
    c = cc(srv, key=acct)
    desired = ({"Name": "keep", "PublicKeyMaterial": pems[0]} if type_name == PK
               else {"Name": "keep", "S3": {"BucketName": "keep-bucket"}})
    arn = create(c, type_name, desired)["Identifier"]
    before = get(c, type_name, arn)
    for op in patch:
        if op["value"] == "KEY2":
            op["value"] = pems[2]
    ev = update(c, type_name, arn, patch + [{"op": "add", "path": "/Tags", "value": [{"Key": "x", "Value": "y"}]}])
    assert (ev["OperationStatus"], ev["ErrorCode"]) == ("FAILED", "NotUpdatable"), ev
    assert ev["StatusMessage"] == "Invalid patch update: createOnlyProperties [%s] cannot be updated" % prop
    assert get(c, type_name, arn) == before          # the tag was not written either
    # setting them to what they are is no change
    ev = update(c, type_name, arn, [{"op": "replace", "path": "/Name", "value": "keep"}])
    assert ev["OperationStatus"] == "SUCCESS", ev


BAD_DESIRED = [
    (PK, {"Name": "bad name", "PublicKeyMaterial": "KEY"}, "InvalidRequest", "#/Name: failed validation constraint for keyword [pattern]"),
    (PK, {"PublicKeyMaterial": "not a key"}, "InvalidRequest", "#/PublicKeyMaterial: failed validation constraint for keyword [pattern]"),
    (PK, {"Name": "x"}, "InvalidRequest", "required key [PublicKeyMaterial]"),
    (PK, {"PublicKeyMaterial": "KEY", "Fingerprint": "ab"}, "InvalidRequest", "read-only property [Fingerprint]"),
    (PK, {"PublicKeyMaterial": "KEY", "Colour": "red"}, "InvalidRequest", "extraneous key [Colour]"),
    (PK, {"PublicKeyMaterial": "KEY", "Tags": [{"Key": "k"}]}, "InvalidRequest", "required key [Value]"),
    (PK, {"PublicKeyMaterial": "P256"}, "InvalidRequest", "P-384"),
    (SC, {"Name": "x"}, "InvalidRequest", "#: required key [S3] not found"),
    (SC, {"S3": {"BucketName": "UPPER"}}, "InvalidRequest", "#/S3/BucketName: failed validation constraint for keyword [pattern]"),
    (SC, {"S3": {"BucketName": "ab"}}, "InvalidRequest", "#/S3/BucketName: expected minLength"),
    (SC, {"S3": {"BucketName": "b-1"}, "Arn": "arn:aws:ivs:us-east-1:111122223333:storage-configuration/x"},
     "InvalidRequest", "read-only property [Arn]"),
    (SC, {"S3": {"BucketName": "b-1"}, "Tags": [{"Key": "aws:k", "Value": "v"}]}, "InvalidRequest", "aws:"),
]


@pytest.mark.parametrize("type_name,desired,code,words", BAD_DESIRED)
def test_schema_violations_fail_and_change_nothing(srv, acct, pems, tmp_path, type_name, desired, code, words):
    c, ivs = cc(srv, key=acct), client(srv, key=acct)
    if desired.get("PublicKeyMaterial") == "KEY":
        desired["PublicKeyMaterial"] = pems[0]
    elif desired.get("PublicKeyMaterial") == "P256":
        subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "p.pem"],
                       cwd=tmp_path, check=True, capture_output=True)
        subprocess.run(["openssl", "ec", "-in", "p.pem", "-pubout", "-out", "pub.pem"],
                       cwd=tmp_path, check=True, capture_output=True)
        desired["PublicKeyMaterial"] = (tmp_path / "pub.pem").read_text()
    ev = create(c, type_name, desired)
    assert (ev["OperationStatus"], ev["ErrorCode"]) == ("FAILED", code), ev
    assert words in ev["StatusMessage"] and "Identifier" not in ev, ev["StatusMessage"]
    assert ivs.list_public_keys()["publicKeys"] == []
    assert ivs.list_storage_configurations()["storageConfigurations"] == []


def test_rules_of_the_api_hold(srv, acct, pems):
    c = cc(srv, key=acct)
    first = create(c, PK, {"PublicKeyMaterial": pems[0]})
    ev = create(c, PK, {"PublicKeyMaterial": pems[0].replace("\n", "\r\n")})
    assert (ev["OperationStatus"], ev["ErrorCode"]) == ("FAILED", "ResourceConflict"), ev
    assert first["Identifier"] in ev["StatusMessage"]
    for i in (1, 2):
        assert create(c, PK, {"PublicKeyMaterial": pems[i]})["OperationStatus"] == "SUCCESS"
    ev = create(c, PK, {"PublicKeyMaterial": pems[3]})
    assert (ev["OperationStatus"], ev["ErrorCode"]) == ("FAILED", "ServiceLimitExceeded"), ev
    # not found: unknown, another account's, not an ARN
    other = create(cc(srv, key="%012d" % (int(acct) ^ 1)), PK, {"PublicKeyMaterial": pems[3]})["Identifier"]
    for t, ident in ((PK, other), (PK, "arn:aws:ivs:us-east-1:%s:public-key/abcdABCD1234" % acct),
                     (SC, "arn:aws:ivs:us-east-1:%s:storage-configuration/abcdABCD1234" % acct), (SC, "nope")):
        with pytest.raises(ClientError) as ei:
            c.get_resource(TypeName=t, Identifier=ident)
        assert error_of(ei)[:2] == ("ResourceNotFoundException",
                                    "Resource of type '%s' with identifier '%s' was not found." % (t, ident))
        ev = c.delete_resource(TypeName=t, Identifier=ident)["ProgressEvent"]
        assert (ev["OperationStatus"], ev["ErrorCode"]) == ("FAILED", "NotFound")


def test_list_pages(srv, acct):
    c = cc(srv, key=acct)
    arns = [create(c, SC, {"S3": {"BucketName": "bucket-%d" % i}})["Identifier"] for i in range(5)]
    seen, kw = [], {}
    while True:
        r = c.list_resources(TypeName=SC, MaxResults=2, **kw)
        seen += [d["Identifier"] for d in r["ResourceDescriptions"]]
        if "NextToken" not in r:
            break
        kw["NextToken"] = r["NextToken"]
    assert seen == arns


def test_aws_cli(srv, acct, pems):
    rc, out = cli(srv, "cloudcontrol", "create-resource", "--type-name", PK, "--desired-state",
                  json.dumps({"Name": "cli", "PublicKeyMaterial": pems[0]}), key=acct)
    assert rc == 0 and out["ProgressEvent"]["OperationStatus"] == "SUCCESS", out
    pk = out["ProgressEvent"]["Identifier"]
    rc, out = cli(srv, "cloudcontrol", "create-resource", "--type-name", SC, "--desired-state",
                  json.dumps({"S3": {"BucketName": "cli-bucket"}}), key=acct)
    assert rc == 0 and out["ProgressEvent"]["OperationStatus"] == "SUCCESS", out
    sc = out["ProgressEvent"]["Identifier"]
    for t, ident in ((PK, pk), (SC, sc)):
        rc, out = cli(srv, "cloudcontrol", "update-resource", "--type-name", t, "--identifier", ident,
                      "--patch-document", json.dumps([{"op": "add", "path": "/Tags",
                                                       "value": [{"Key": "cli", "Value": "yes"}]}]), key=acct)
        assert rc == 0 and out["ProgressEvent"]["OperationStatus"] == "SUCCESS", out
        rc, out = cli(srv, "cloudcontrol", "get-resource", "--type-name", t, "--identifier", ident, key=acct)
        assert rc == 0 and json.loads(out["ResourceDescription"]["Properties"])["Tags"] == [{"Key": "cli", "Value": "yes"}]
        rc, out = cli(srv, "cloudcontrol", "list-resources", "--type-name", t, key=acct)
        assert rc == 0 and [d["Identifier"] for d in out["ResourceDescriptions"]] == [ident]
    rc, out = cli(srv, "ivs-realtime", "get-public-key", "--arn", pk, key=acct)
    assert rc == 0 and out["publicKey"]["tags"] == {"cli": "yes"} and out["publicKey"]["name"] == "cli"
    rc, out = cli(srv, "cloudcontrol", "update-resource", "--type-name", PK, "--identifier", pk, "--patch-document",
                  json.dumps([{"op": "replace", "path": "/Name", "value": "renamed"}]), key=acct)
    assert rc == 0 and out["ProgressEvent"]["ErrorCode"] == "NotUpdatable", out
    for t, ident in ((PK, pk), (SC, sc)):
        rc, out = cli(srv, "cloudcontrol", "delete-resource", "--type-name", t, "--identifier", ident, key=acct)
        assert rc == 0 and out["ProgressEvent"]["OperationStatus"] == "SUCCESS", out
    rc, out = cli(srv, "ivs-realtime", "list-storage-configurations", key=acct)
    assert rc == 0 and out["storageConfigurations"] == []


def test_permissions_in_strict_mode(tmp_path, pems):
    creds = tmp_path / "creds"
    creds.write_text(
        "[all]\naws_access_key_id = AKIAALL0000000000001\naws_secret_access_key = s1\naccount_id = 111122223333\n"
        "[cfn]\naws_access_key_id = AKIACFN0000000000001\naws_secret_access_key = s2\naccount_id = 111122223333\n"
        "actions = cloudformation:* ivs:GetPublicKey ivs:ListPublicKeys ivs:GetStorageConfiguration\n"
        "[tagger]\naws_access_key_id = AKIATAG0000000000001\naws_secret_access_key = s3\naccount_id = 111122223333\n"
        "actions = cloudformation:* ivs:GetPublicKey ivs:GetStorageConfiguration ivs:TagResource\n")
    s = Server(extra_args=["--credentials", str(creds)]).start()
    try:
        full = cc(s, key="AKIAALL0000000000001", secret="s1")
        limited = cc(s, key="AKIACFN0000000000001", secret="s2")
        tagger = cc(s, key="AKIATAG0000000000001", secret="s3")
        for t, desired, action in ((PK, {"PublicKeyMaterial": pems[0]}, "ivs:ImportPublicKey"),
                                   (SC, {"S3": {"BucketName": "strict-bucket"}}, "ivs:CreateStorageConfiguration")):
            ev = create(limited, t, desired)
            assert (ev["OperationStatus"], ev["ErrorCode"]) == ("FAILED", "AccessDenied") and action in ev["StatusMessage"], ev
            arn = create(full, t, dict(desired, Tags=[{"Key": "a", "Value": "1"}]))["Identifier"]
            assert get(limited, t, arn)["Arn"] == arn
            # adding a tag needs ivs:TagResource; removing one ivs:UntagResource
            ev = update(limited, t, arn, [{"op": "add", "path": "/Tags/-", "value": {"Key": "b", "Value": "2"}}])
            assert (ev["ErrorCode"], "ivs:TagResource" in ev["StatusMessage"]) == ("AccessDenied", True), ev
            ev = update(tagger, t, arn, [{"op": "add", "path": "/Tags/-", "value": {"Key": "b", "Value": "2"}}])
            assert ev["OperationStatus"] == "SUCCESS", ev
            ev = update(tagger, t, arn, [{"op": "remove", "path": "/Tags/0"}])
            assert (ev["ErrorCode"], "ivs:UntagResource" in ev["StatusMessage"]) == ("AccessDenied", True), ev
            ev = limited.delete_resource(TypeName=t, Identifier=arn)["ProgressEvent"]
            assert ev["ErrorCode"] == "AccessDenied" and "ivs:Delete" in ev["StatusMessage"], ev
            assert full.delete_resource(TypeName=t, Identifier=arn)["ProgressEvent"]["OperationStatus"] == "SUCCESS"
        with pytest.raises(ClientError) as ei:
            tagger.list_resources(TypeName=PK)
        assert error_of(ei)[0] == "AccessDeniedException" and "ivs:ListPublicKeys" in error_of(ei)[1]
        assert limited.list_resources(TypeName=PK)["ResourceDescriptions"] == []
    finally:
        assert s.stop() == 0
