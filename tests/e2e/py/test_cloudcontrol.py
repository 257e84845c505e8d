"""The Cloud Control API for AWS::IVS::Stage, through boto3's and the AWS CLI's
cloudcontrol clients: the flows StackQL and Terraform's awscc provider drive."""
import json
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import Server, cli, client, error_of

TYPE = "AWS::IVS::Stage"


def cc(server, region="us-east-1", key="AKIDEXAMPLE", validate=True, secret="secret"):
    return boto3.client(
        "cloudcontrol", region_name=region, endpoint_url=server.url,
        aws_access_key_id=key, aws_secret_access_key=secret,
        config=Config(parameter_validation=validate, retries={"total_max_attempts": 1}))


@pytest.fixture(scope="module")
def srv():
    s = Server().start()
    yield s
    assert s.stop() == 0


@pytest.fixture
def acct():
    """A fresh account of its own (protected mode: a 12-digit key is the account)."""
    return "%012d" % (uuid.uuid4().int % 10 ** 12)


def storage(server, key):
    return client(server, key=key).create_storage_configuration(
        name="rec", s3={"bucketName": "rec-bucket"})["storageConfiguration"]["arn"]


def props(event_or_description):
    return json.loads(event_or_description.get("ResourceModel") or event_or_description["Properties"])


def create(c, desired, **kw):
    return c.create_resource(TypeName=TYPE, DesiredState=json.dumps(desired), **kw)["ProgressEvent"]


def update(c, arn, patch, **kw):
    return c.update_resource(TypeName=TYPE, Identifier=arn, PatchDocument=json.dumps(patch), **kw)["ProgressEvent"]


def test_stackql_flow_create_get_list_update_delete(srv, acct):
    c, ivs = cc(srv, key=acct), client(srv, key=acct)
    sc = storage(srv, acct)
    desired = {
        "Name": "show-1",
        "AutoParticipantRecordingConfiguration": {
            "StorageConfigurationArn": sc, "MediaTypes": ["AUDIO_ONLY"],
            "HlsConfiguration": {"ParticipantRecordingHlsConfiguration": {"TargetSegmentDurationSeconds": 4}},
            "ThumbnailConfiguration": {"ParticipantThumbnailConfiguration": {
                "RecordingMode": "INTERVAL", "Storage": ["LATEST"], "TargetIntervalSeconds": 30}},
            "RecordingReconnectWindowSeconds": 20},
        "Tags": [{"Key": "team", "Value": "video"}, {"Key": "env", "Value": "test"}],
    }
    ev = create(c, desired)
    assert ev["TypeName"] == TYPE and ev["Operation"] == "CREATE" and ev["OperationStatus"] == "SUCCESS"
    arn = ev["Identifier"]
    assert arn.startswith("arn:aws:ivs:us-east-1:%s:stage/" % acct) and ev["RequestToken"]
    assert c.get_resource_request_status(RequestToken=ev["RequestToken"])["ProgressEvent"]["OperationStatus"] == "SUCCESS"

    got = c.get_resource(TypeName=TYPE, Identifier=arn)
    assert got["TypeName"] == TYPE and got["ResourceDescription"]["Identifier"] == arn
    model = props(got["ResourceDescription"])
    assert model["Arn"] == arn and model["Name"] == "show-1"
    assert model["AutoParticipantRecordingConfiguration"] == desired["AutoParticipantRecordingConfiguration"]
    assert sorted(model["Tags"], key=lambda t: t["Key"]) == sorted(desired["Tags"], key=lambda t: t["Key"])

    # the same stage through ivs-realtime, with the same values
    stage = ivs.get_stage(arn=arn)["stage"]
    rec = stage["autoParticipantRecordingConfiguration"]
    assert stage["name"] == "show-1" and stage["tags"] == {"team": "video", "env": "test"}
    assert rec["storageConfigurationArn"] == sc and rec["mediaTypes"] == ["AUDIO_ONLY"]
    assert rec["hlsConfiguration"] == {"targetSegmentDurationSeconds": 4}
    assert rec["thumbnailConfiguration"] == {"recordingMode": "INTERVAL", "storage": ["LATEST"],
                                             "targetIntervalSeconds": 30}
    assert rec["recordingReconnectWindowSeconds"] == 20

    listed = c.list_resources(TypeName=TYPE)["ResourceDescriptions"]
    assert [props(d)["Name"] for d in listed if d["Identifier"] == arn] == ["show-1"]

    # update: replace the name, add a tag, remove a tag, change the recording
    tags = model["Tags"]
    env_at = [t["Key"] for t in tags].index("env")
    ev = update(c, arn, [
        {"op": "replace", "path": "/Name", "value": "show-2"},
        {"op": "add", "path": "/Tags/-", "value": {"Key": "tier", "Value": "gold"}},
        {"op": "remove", "path": "/Tags/%d" % env_at},
        {"op": "replace", "path": "/AutoParticipantRecordingConfiguration/MediaTypes", "value": ["AUDIO_VIDEO"]},
        {"op": "replace", "path": "/AutoParticipantRecordingConfiguration/HlsConfiguration/"
         "ParticipantRecordingHlsConfiguration/TargetSegmentDurationSeconds", "value": 8},
    ])
    assert ev["Operation"] == "UPDATE" and ev["OperationStatus"] == "SUCCESS", ev
    stage = ivs.get_stage(arn=arn)["stage"]
    assert stage["name"] == "show-2" and stage["tags"] == {"team": "video", "tier": "gold"}
    rec = stage["autoParticipantRecordingConfiguration"]
    assert rec["mediaTypes"] == ["AUDIO_VIDEO"] and rec["hlsConfiguration"]["targetSegmentDurationSeconds"] == 8
    assert rec["storageConfigurationArn"] == sc and rec["thumbnailConfiguration"]["storage"] == ["LATEST"]

    ev = c.delete_resource(TypeName=TYPE, Identifier=arn)["ProgressEvent"]
    assert ev["Operation"] == "DELETE" and ev["OperationStatus"] == "SUCCESS" and ev["Identifier"] == arn
    with pytest.raises(ClientError) as ei:
        c.get_resource(TypeName=TYPE, Identifier=arn)
    assert error_of(ei)[0] == "ResourceNotFoundException" and arn in error_of(ei)[1]
    with pytest.raises(ClientError) as ei:
        ivs.get_stage(arn=arn)
    assert error_of(ei)[0] == "ResourceNotFoundException"


def test_every_json_patch_operation(srv, acct):
    c = cc(srv, key=acct)
    arn = create(c, {"Name": "p", "Tags": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]})["Identifier"]
    ev = update(c, arn, [
        {"op": "test", "path": "/Name", "value": "p"},
        {"op": "copy", "from": "/Tags/0", "path": "/Tags/-"},
        {"op": "replace", "path": "/Tags/2/Key", "value": "c"},
        {"op": "move", "from": "/Tags/1/Value", "path": "/Name"},
        {"op": "add", "path": "/Tags/1/Value", "value": "two"},
        {"op": "remove", "path": "/Tags/0"},
    ])
    assert ev["OperationStatus"] == "SUCCESS", ev
    stage = client(srv, key=acct).get_stage(arn=arn)["stage"]
    assert stage["name"] == "2" and stage["tags"] == {"b": "two", "c": "1"}
    # a failing test operation fails the whole patch, and changes nothing
    ev = update(c, arn, [{"op": "replace", "path": "/Name", "value": "x"},
                         {"op": "test", "path": "/Name", "value": "nope"}])
    assert (ev["OperationStatus"], ev["ErrorCode"]) == ("FAILED", "InvalidRequest")
    assert "test" in ev["StatusMessage"]
    assert client(srv, key=acct).get_stage(arn=arn)["stage"]["name"] == "2"


def test_stage_made_through_ivs_is_a_resource(srv, acct):
    sc = storage(srv, acct)
    stage = client(srv, key=acct).create_stage(
        name="from-api", tags={"k": "v"},
        autoParticipantRecordingConfiguration={"storageConfigurationArn": sc, "mediaTypes": ["AUDIO_ONLY"],
                                               "thumbnailConfiguration": {"targetIntervalSeconds": 90}})["stage"]
    model = props(cc(srv, key=acct).get_resource(TypeName=TYPE, Identifier=stage["arn"])["ResourceDescription"])
    assert model == {
        "Arn": stage["arn"], "Name": "from-api", "Tags": [{"Key": "k", "Value": "v"}],
        "AutoParticipantRecordingConfiguration": {
            "StorageConfigurationArn": sc, "MediaTypes": ["AUDIO_ONLY"], "RecordingReconnectWindowSeconds": 0,
            "HlsConfiguration": {"ParticipantRecordingHlsConfiguration": {"TargetSegmentDurationSeconds": 6}},
            "ThumbnailConfiguration": {"ParticipantThumbnailConfiguration": {
                "RecordingMode": "DISABLED", "Storage": ["SEQUENTIAL"], "TargetIntervalSeconds": 90}}},
    }


BAD_DESIRED = [
    ({"Arn": "arn:aws:ivs:us-east-1:123456789012:stage/abcdABCD1234"}, "Arn"),
    ({"ActiveSessionId": "st-abc"}, "ActiveSessionId"),
    ({"Name": "not a valid name!"}, "#/Name: failed validation constraint for keyword [pattern]"),
    ({"Name": "n" * 129}, "#/Name: expected maxLength"),
    ({"Colour": "red"}, "extraneous key [Colour]"),
    ({"AutoParticipantRecordingConfiguration": {"StorageConfigurationArn": "", "HlsConfiguration": {
        "ParticipantRecordingHlsConfiguration": {"TargetSegmentDurationSeconds": 11}}}},
     "TargetSegmentDurationSeconds: failed validation constraint for keyword [maximum]"),
    ({"AutoParticipantRecordingConfiguration": {"MediaTypes": ["AUDIO_ONLY"]}},
     "required key [StorageConfigurationArn] not found"),
    ({"AutoParticipantRecordingConfiguration": {"StorageConfigurationArn": "", "MediaTypes": ["VIDEO"]}},
     "MediaTypes/0: failed validation constraint for keyword [enum]"),
    ({"Tags": [{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}]}, "[k] appears more than once"),
    ({"Tags": [{"Key": "aws:x", "Value": "1"}]}, "aws:"),
    ({"Tags": [{"Key": "t%d" % i, "Value": ""} for i in range(51)]}, "#/Tags: expected maximum item count"),
    ({"Name": 7}, "#/Name: expected type: string, found: Integer"),
]


@pytest.mark.parametrize("desired,words", BAD_DESIRED)
def test_create_against_the_schema_fails_and_changes_nothing(srv, acct, desired, words):
    c = cc(srv, key=acct)
    ev = create(c, desired)
    assert (ev["OperationStatus"], ev["ErrorCode"]) == ("FAILED", "InvalidRequest"), ev
    assert words in ev["StatusMessage"] and "Identifier" not in ev
    assert c.get_resource_request_status(RequestToken=ev["RequestToken"])["ProgressEvent"] == ev
    assert client(srv, key=acct).list_stages()["stages"] == []


BAD_PATCHES = [
    ([{"op": "replace", "path": "/Arn", "value": "arn:aws:ivs:us-east-1:123456789012:stage/zzzzZZZZ9999"}],
     "read-only property [Arn]"),
    ([{"op": "add", "path": "/ActiveSessionId", "value": "st-1"}], "read-only property [ActiveSessionId]"),
    ([{"op": "replace", "path": "/Name", "value": "bad name"}], "#/Name: failed validation constraint"),
    ([{"op": "add", "path": "/Colour", "value": "red"}], "extraneous key [Colour]"),
    ([{"op": "remove", "path": "/Nothing"}], "/Nothing"),
    ([{"op": "add", "path": "/AutoParticipantRecordingConfiguration", "value": {
        "StorageConfigurationArn": "", "RecordingReconnectWindowSeconds": 301}}], "[maximum]"),
    ([{"op": "jump", "path": "/Name"}], "jump"),
]


@pytest.mark.parametrize("patch,words", BAD_PATCHES)
def test_update_against_the_schema_fails_and_changes_nothing(srv, acct, patch, words):
    c = cc(srv, key=acct)
    arn = create(c, {"Name": "keep", "Tags": [{"Key": "k", "Value": "v"}]})["Identifier"]
    before = c.get_resource(TypeName=TYPE, Identifier=arn)["ResourceDescription"]
    ev = update(c, arn, patch)
    assert (ev["OperationStatus"], ev["ErrorCode"]) == ("FAILED", "InvalidRequest"), ev
    assert words in ev["StatusMessage"], ev["StatusMessage"]
    assert c.get_resource(TypeName=TYPE, Identifier=arn)["ResourceDescription"] == before


def test_unknown_identifier_is_not_found(srv, acct):
    c = cc(srv, key=acct)
    missing = "arn:aws:ivs:us-east-1:%s:stage/abcdABCD1234" % acct
    for ident in (missing, "not-an-arn"):
        with pytest.raises(ClientError) as ei:
            c.get_resource(TypeName=TYPE, Identifier=ident)
        assert error_of(ei)[:2] == ("ResourceNotFoundException",
                                    "Resource of type 'AWS::IVS::Stage' with identifier '%s' was not found." % ident)
        ev = update(c, ident, [{"op": "replace", "path": "/Name", "value": "x"}])
        assert (ev["OperationStatus"], ev["ErrorCode"]) == ("FAILED", "NotFound")
        ev = c.delete_resource(TypeName=TYPE, Identifier=ident)["ProgressEvent"]
        assert (ev["OperationStatus"], ev["ErrorCode"]) == ("FAILED", "NotFound")
    # another account's stage does not exist for this caller
    other = create(cc(srv, key="%012d" % 42), {"Name": "theirs"})["Identifier"]
    with pytest.raises(ClientError) as ei:
        c.get_resource(TypeName=TYPE, Identifier=other)
    assert error_of(ei)[0] == "ResourceNotFoundException"


def test_synchronous_errors(srv, acct):
    c, raw = cc(srv, key=acct), cc(srv, key=acct, validate=False)
    with pytest.raises(ClientError) as ei:
        c.create_resource(TypeName="AWS::IVS::Channel", DesiredState="{}")
    assert error_of(ei)[:2] == ("TypeNotFoundException", "The type 'AWS::IVS::Channel' cannot be found.")
    with pytest.raises(ClientError) as ei:
        c.list_resources(TypeName="AWS::S3::Bucket")
    assert error_of(ei)[0] == "TypeNotFoundException"
    with pytest.raises(ClientError) as ei:
        c.create_resource(TypeName=TYPE, DesiredState="{not json")
    assert error_of(ei)[0] == "InvalidRequestException" and "DesiredState" in error_of(ei)[1]
    with pytest.raises(ClientError) as ei:
        c.update_resource(TypeName=TYPE, Identifier="x", PatchDocument='{"op": "add"}')
    assert error_of(ei)[0] == "InvalidRequestException" and "PatchDocument must be a JSON array" in error_of(ei)[1]
    with pytest.raises(ClientError) as ei:
        raw.create_resource(DesiredState="{}")
    assert error_of(ei)[:2] == ("ValidationException", "1 validation error detected: Value null at 'TypeName' "
                                "failed to satisfy constraint: Member must not be null")
    with pytest.raises(ClientError) as ei:
        raw.create_resource(TypeName="bad", DesiredState="{}")
    assert error_of(ei)[0] == "ValidationException" and "TypeName" in error_of(ei)[1]
    with pytest.raises(ClientError) as ei:
        raw.list_resource_requests(MaxResults=101)
    assert error_of(ei)[0] == "ValidationException"
    with pytest.raises(ClientError) as ei:
        c.get_resource_request_status(RequestToken="no-such-token")
    assert error_of(ei)[0] == "RequestTokenNotFoundException"
    with pytest.raises(ClientError) as ei:
        c.cancel_resource_request(RequestToken="no-such-token")
    assert error_of(ei)[0] == "RequestTokenNotFoundException"
    done = create(c, {"Name": "done"})
    with pytest.raises(ClientError) as ei:
        c.cancel_resource_request(RequestToken=done["RequestToken"])
    assert error_of(ei)[0] == "ConcurrentModificationException" and "completed" in error_of(ei)[1]


def test_client_token_makes_calls_idempotent(srv, acct):
    c = cc(srv, key=acct)
    first = create(c, {"Name": "once"}, ClientToken="tok-1")
    again = create(c, {"Name": "once"}, ClientToken="tok-1")
    assert again["RequestToken"] == first["RequestToken"] and again["Identifier"] == first["Identifier"]
    assert [s["name"] for s in client(srv, key=acct).list_stages()["stages"]] == ["once"]
    with pytest.raises(ClientError) as ei:
        create(c, {"Name": "twice"}, ClientToken="tok-1")
    assert error_of(ei)[0] == "ClientTokenConflictException"
    arn = first["Identifier"]
    u1 = update(c, arn, [{"op": "replace", "path": "/Name", "value": "n2"}], ClientToken="tok-2")
    u2 = update(c, arn, [{"op": "replace", "path": "/Name", "value": "n2"}], ClientToken="tok-2")
    assert u1["RequestToken"] == u2["RequestToken"] and u1["OperationStatus"] == "SUCCESS"
    with pytest.raises(ClientError) as ei:
        c.delete_resource(TypeName=TYPE, Identifier=arn, ClientToken="tok-2")
    assert error_of(ei)[0] == "ClientTokenConflictException"
    # client tokens belong to their account
    other = create(cc(srv, key="%012d" % 43), {"Name": "once"}, ClientToken="tok-1")
    assert other["RequestToken"] != first["RequestToken"] and other["OperationStatus"] == "SUCCESS"


def test_request_status_and_listing_survive_a_restart(acct):
    s = Server().start()
    try:
        c = cc(s, key=acct)
        made = create(c, {"Name": "kept"})
        failed = create(c, {"Name": "bad name"})
        gone = c.delete_resource(TypeName=TYPE, Identifier=made["Identifier"])["ProgressEvent"]
        s.restart()
        c = cc(s, key=acct)
        assert c.get_resource_request_status(RequestToken=made["RequestToken"])["ProgressEvent"] == made
        assert c.get_resource_request_status(RequestToken=failed["RequestToken"])["ProgressEvent"] == failed
        every = c.list_resource_requests()["ResourceRequestStatusSummaries"]
        assert [e["RequestToken"] for e in every] == [gone["RequestToken"], failed["RequestToken"],
                                                      made["RequestToken"]]  # newest first
        f = c.list_resource_requests(ResourceRequestStatusFilter={"Operations": ["CREATE"],
                                                                   "OperationStatuses": ["FAILED"]})
        assert [e["RequestToken"] for e in f["ResourceRequestStatusSummaries"]] == [failed["RequestToken"]]
        f = c.list_resource_requests(ResourceRequestStatusFilter={"Operations": ["DELETE", "UPDATE"]})
        assert [e["RequestToken"] for e in f["ResourceRequestStatusSummaries"]] == [gone["RequestToken"]]
        page = c.list_resource_requests(MaxResults=2)
        rest = c.list_resource_requests(MaxResults=2, NextToken=page["NextToken"])
        assert [e["RequestToken"] for e in page["ResourceRequestStatusSummaries"] + rest["ResourceRequestStatusSummaries"]] \
            == [e["RequestToken"] for e in every] and "NextToken" not in rest
        # another account sees none of them
        assert cc(s, key="%012d" % 44).list_resource_requests()["ResourceRequestStatusSummaries"] == []
        with pytest.raises(ClientError) as ei:
            cc(s, key="%012d" % 44).get_resource_request_status(RequestToken=made["RequestToken"])
        assert error_of(ei)[0] == "RequestTokenNotFoundException"
    finally:
        s.stop()


def test_list_resources_pages(srv, acct):
    c = cc(srv, key=acct)
    arns = {create(c, {"Name": "l%d" % i})["Identifier"] for i in range(5)}
    seen, kw = [], {"TypeName": TYPE, "MaxResults": 2}
    while True:
        r = c.list_resources(**kw)
        assert len(r["ResourceDescriptions"]) <= 2
        seen += [d["Identifier"] for d in r["ResourceDescriptions"]]
        if "NextToken" not in r:
            break
        kw["NextToken"] = r["NextToken"]
    assert sorted(seen) == sorted(arns)


def test_aws_cli_cloudcontrol(srv, acct):
    rc, out = cli(srv, "cloudcontrol", "create-resource", "--type-name", TYPE, "--desired-state",
                  json.dumps({"Name": "cli", "Tags": [{"Key": "a", "Value": "b"}]}), key=acct)
    assert rc == 0 and out["ProgressEvent"]["OperationStatus"] == "SUCCESS", out
    arn = out["ProgressEvent"]["Identifier"]
    rc, out = cli(srv, "cloudcontrol", "update-resource", "--type-name", TYPE, "--identifier", arn,
                  "--patch-document", json.dumps([{"op": "replace", "path": "/Name", "value": "cli-2"}]), key=acct)
    assert rc == 0 and out["ProgressEvent"]["OperationStatus"] == "SUCCESS", out
    rc, out = cli(srv, "cloudcontrol", "get-resource", "--type-name", TYPE, "--identifier", arn, key=acct)
    assert rc == 0 and json.loads(out["ResourceDescription"]["Properties"])["Name"] == "cli-2"
    rc, out = cli(srv, "cloudcontrol", "list-resources", "--type-name", TYPE, key=acct)
    assert rc == 0 and [d["Identifier"] for d in out["ResourceDescriptions"]] == [arn]
    rc, out = cli(srv, "ivs-realtime", "get-stage", "--arn", arn, key=acct)
    assert rc == 0 and out["stage"]["name"] == "cli-2" and out["stage"]["tags"] == {"a": "b"}
    rc, out = cli(srv, "cloudcontrol", "delete-resource", "--type-name", TYPE, "--identifier", arn, key=acct)
    assert rc == 0 and out["ProgressEvent"]["OperationStatus"] == "SUCCESS"
    rc, out = cli(srv, "cloudcontrol", "get-resource", "--type-name", TYPE, "--identifier", arn, key=acct)
    assert rc != 0 and "ResourceNotFoundException" in out
    rc, out = cli(srv, "cloudcontrol", "list-resource-requests", key=acct)
    assert rc == 0 and [e["Operation"] for e in out["ResourceRequestStatusSummaries"]] == ["DELETE", "UPDATE", "CREATE"]


def test_permissions_in_strict_mode(tmp_path):
    creds = tmp_path / "creds"
    creds.write_text("[all]\naws_access_key_id = AKIAALL0000000000001\naws_secret_access_key = s1\n"
                     "account_id = 111122223333\n"
                     "[ivsonly]\naws_access_key_id = AKIAIVS0000000000001\naws_secret_access_key = s2\n"
                     "account_id = 111122223333\nactions = ivs:*\n"
                     "[cfnonly]\naws_access_key_id = AKIACFN0000000000001\naws_secret_access_key = s3\n"
                     "account_id = 111122223333\nactions = cloudformation:* ivs:GetStage\n")
    s = Server(extra_args=["--credentials", str(creds)]).start()
    try:
        ok = create(cc(s, key="AKIAALL0000000000001", secret="s1"), {"Name": "strict"})
        assert ok["OperationStatus"] == "SUCCESS"
        with pytest.raises(ClientError) as ei:
            create(cc(s, key="AKIAIVS0000000000001", secret="s2"), {"Name": "no"})
        assert error_of(ei)[0] == "AccessDeniedException" and "cloudformation:CreateResource" in error_of(ei)[1]
        # allowed by Cloud Control, not by ivs: the handler's own call is refused
        ev = create(cc(s, key="AKIACFN0000000000001", secret="s3"), {"Name": "no"})
        assert (ev["OperationStatus"], ev["ErrorCode"]) == ("FAILED", "AccessDenied")
        assert "ivs:CreateStage" in ev["StatusMessage"]
        with pytest.raises(ClientError) as ei:
            cc(s, key="AKIAALL0000000000001", secret="wrong").list_resources(TypeName=TYPE)
        assert error_of(ei)[0] == "InvalidSignatureException"
    finally:
        s.stop()
