"""The five stage operations through boto3 and the AWS CLI against a real server."""
import json
import signal
import subprocess

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT, BIN, Server, cli, client, error_of, signed_request

DEFAULT_REC = {
    "storageConfigurationArn": "",
    "mediaTypes": ["AUDIO_VIDEO"],
    "thumbnailConfiguration": {"targetIntervalSeconds": 60, "storage": ["SEQUENTIAL"],
                               "recordingMode": "DISABLED"},
    "recordingReconnectWindowSeconds": 0,
    "hlsConfiguration": {"targetSegmentDurationSeconds": 6},
    "recordParticipantReplicas": True,
}


def full_rec(storage_arn):
    """Every member of the recording configuration, none at its default."""
    return {
        "storageConfigurationArn": storage_arn,
        "mediaTypes": ["AUDIO_ONLY"],
        "thumbnailConfiguration": {"targetIntervalSeconds": 30, "storage": ["LATEST", "SEQUENTIAL"],
                                   "recordingMode": "INTERVAL"},
        "recordingReconnectWindowSeconds": 100,
        "hlsConfiguration": {"targetSegmentDurationSeconds": 5},
        "recordParticipantReplicas": False,
    }


def make_storage(c, name="rec"):
    return c.create_storage_configuration(name=name, s3={"bucketName": "my-bucket"})["storageConfiguration"]["arn"]


@pytest.fixture(scope="module")
def STORAGE_ARN(ivs):
    return make_storage(ivs)


@pytest.fixture(scope="module")
def FULL_REC(STORAGE_ARN):
    return full_rec(STORAGE_ARN)


# ---- the AWS CLI reference examples -------------------------------------------------

def test_cli_create_stage_reference_example(server):
    rc, out = cli(server, "ivs-realtime", "create-stage", "--name", "stage1")
    assert rc == 0, out
    stage = out["stage"]
    assert stage["name"] == "stage1"
    assert stage["arn"].startswith("arn:aws:ivs:us-east-1:%s:stage/" % ACCOUNT)
    stage_id = stage["arn"].rsplit("/", 1)[1]
    assert len(stage_id) == 12 and stage_id.isalnum()
    assert stage["tags"] == {}
    assert stage["autoParticipantRecordingConfiguration"] == DEFAULT_REC
    ep = stage["endpoints"]
    assert set(ep) == {"events", "whip", "rtmp", "rtmps"}
    # events and whip are this node's own, from its public URL (by default
    # the listen address with the port bound); rtmp(s) keep the real shapes
    assert ep["events"] == "ws://127.0.0.1:%d/events" % server.port
    assert ep["whip"] == "http://127.0.0.1:%d/whip" % server.port
    hexpart = ep["rtmp"].split("//")[1].split(".")[0]
    assert len(hexpart) == 12 and all(c in "0123456789abcdef" for c in hexpart)
    assert ep["rtmp"] == "rtmp://%s.global-contribute.live-video.net/app/" % hexpart
    assert ep["rtmps"] == "rtmps://%s.global-contribute.live-video.net:443/app/" % hexpart
    assert "activeSessionId" not in stage

    rc, got = cli(server, "ivs-realtime", "get-stage", "--arn", stage["arn"])
    assert rc == 0, got
    assert got["stage"] == stage


def test_cli_error_is_readable(server):
    rc, err = cli(server, "ivs-realtime", "create-stage", "--name", "my stage!")
    assert rc != 0
    assert "ValidationException" in err
    assert ("1 validation error detected: Value 'my stage!' at 'name' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9-_]*") in err


# ---- round trips ---------------------------------------------------------------------

def test_boto3_full_request_round_trip(ivs, FULL_REC):
    created = ivs.create_stage(name="full-1", tags={"team": "video", "env": "ci"},
                               autoParticipantRecordingConfiguration=FULL_REC)["stage"]
    assert created["name"] == "full-1"
    assert created["tags"] == {"team": "video", "env": "ci"}
    assert created["autoParticipantRecordingConfiguration"] == FULL_REC

    got = ivs.get_stage(arn=created["arn"])["stage"]
    assert got == created

    rec2 = dict(FULL_REC, mediaTypes=["NONE"], recordingReconnectWindowSeconds=300,
                hlsConfiguration={"targetSegmentDurationSeconds": 2},
                thumbnailConfiguration={"targetIntervalSeconds": 86400, "storage": [],
                                        "recordingMode": "DISABLED"})
    updated = ivs.update_stage(arn=created["arn"], name="full-2",
                               autoParticipantRecordingConfiguration=rec2)["stage"]
    assert updated["name"] == "full-2"
    assert updated["autoParticipantRecordingConfiguration"] == rec2
    assert updated["tags"] == {"team": "video", "env": "ci"}
    assert ivs.get_stage(arn=created["arn"])["stage"] == updated

    summaries = [s for p in walk(ivs) for s in p["stages"]]
    mine = [s for s in summaries if s["arn"] == created["arn"]]
    assert mine == [{"arn": created["arn"], "name": "full-2", "tags": {"team": "video", "env": "ci"}}]


def test_update_changes_only_what_is_named(ivs, FULL_REC, STORAGE_ARN):
    arn = ivs.create_stage(name="keep-me", autoParticipantRecordingConfiguration=FULL_REC)["stage"]["arn"]
    s = ivs.update_stage(arn=arn, name="renamed")["stage"]
    assert s["autoParticipantRecordingConfiguration"] == FULL_REC
    s = ivs.update_stage(arn=arn, autoParticipantRecordingConfiguration={
        "storageConfigurationArn": STORAGE_ARN, "mediaTypes": ["AUDIO_VIDEO"]})["stage"]
    assert s["name"] == "renamed"
    # a configuration in the request replaces the object; missing members take defaults
    assert s["autoParticipantRecordingConfiguration"] == dict(DEFAULT_REC, storageConfigurationArn=STORAGE_ARN)
    s = ivs.update_stage(arn=arn)["stage"]
    assert s["name"] == "renamed"


def test_empty_storage_arn_resets_everything(ivs, FULL_REC):
    arn = ivs.create_stage(autoParticipantRecordingConfiguration=FULL_REC)["stage"]["arn"]
    reset = dict(FULL_REC, storageConfigurationArn="")
    s = ivs.update_stage(arn=arn, autoParticipantRecordingConfiguration=reset)["stage"]
    assert s["autoParticipantRecordingConfiguration"] == DEFAULT_REC
    s = ivs.create_stage(autoParticipantRecordingConfiguration=reset)["stage"]
    assert s["autoParticipantRecordingConfiguration"] == DEFAULT_REC
    assert s["name"] == ""


def test_delete_and_unknown(ivs):
    arn = ivs.create_stage(name="doomed")["stage"]["arn"]
    assert ivs.delete_stage(arn=arn)["ResponseMetadata"]["HTTPStatusCode"] == 200
    for call in (lambda: ivs.get_stage(arn=arn), lambda: ivs.delete_stage(arn=arn),
                 lambda: ivs.update_stage(arn=arn, name="x")):
        with pytest.raises(ClientError) as ei:
            call()
        code, msg, status = error_of(ei)
        assert (code, status) == ("ResourceNotFoundException", 404)
        assert arn in msg
    assert arn not in [s["arn"] for p in walk(ivs) for s in p["stages"]]
    with pytest.raises(ClientError) as ei:
        ivs.get_stage(arn="arn:aws:ivs:us-east-1:%s:stage/neverExisted" % ACCOUNT)
    assert error_of(ei)[:1] == ("ResourceNotFoundException",)


def test_accounts_and_regions_are_separate(server):
    east, west = client(server, "us-east-1"), client(server, "us-west-2")
    other = client(server, "us-east-1", key="111122223333")
    s = west.create_stage(name="westie")["stage"]
    assert s["arn"].startswith("arn:aws:ivs:us-west-2:%s:stage/" % ACCOUNT)
    o = other.create_stage(name="theirs")["stage"]
    assert o["arn"].startswith("arn:aws:ivs:us-east-1:111122223333:stage/")
    for c, arn in ((east, s["arn"]), (east, o["arn"]), (other, s["arn"]), (west, o["arn"])):
        with pytest.raises(ClientError) as ei:
            c.get_stage(arn=arn)
        assert error_of(ei)[0] == "ResourceNotFoundException"
        with pytest.raises(ClientError) as ei:
            c.delete_stage(arn=arn)
        assert error_of(ei)[0] == "ResourceNotFoundException"
    assert [x["arn"] for p in walk(other) for x in p["stages"]] == [o["arn"]]
    assert all(":us-west-2:" in x["arn"] for p in walk(west) for x in p["stages"])
    assert s["arn"] not in [x["arn"] for p in walk(east) for x in p["stages"]]
    assert west.get_stage(arn=s["arn"])["stage"]["name"] == "westie"


# ---- validation: one bad request per constraint ---------------------------------------

GOOD_ARN = "arn:aws:ivs:us-east-1:%s:stage/abcdABCD1234" % ACCOUNT
REC = "autoParticipantRecordingConfiguration"


def rec(**kw):
    return dict({"storageConfigurationArn": ""}, **kw)


BAD = [
    # (operation, params, member path named in the message, constraint words)
    ("create_stage", {"name": "x" * 129}, "name", "length less than or equal to 128"),
    ("create_stage", {"name": "bad name"}, "name", "regular expression pattern"),
    ("create_stage", {"tags": {"k%d" % i: "v" for i in range(51)}}, "tags", "length less than or equal to 50"),
    ("create_stage", {"tags": {"": "v"}}, "tags", "Map keys must satisfy constraint"),
    ("create_stage", {"tags": {"k" * 129: "v"}}, "tags", "length less than or equal to 128"),
    ("create_stage", {"tags": {"k": "v" * 257}}, "tags", "Map value must satisfy constraint"),
    ("create_stage", {REC: {}}, REC + ".storageConfigurationArn", "must not be null"),
    ("create_stage", {REC: rec(storageConfigurationArn="arn:aws:ivs:us-east-1:1:stage/x")},
     REC + ".storageConfigurationArn", "regular expression pattern"),
    ("create_stage", {REC: rec(storageConfigurationArn="arn:aws:ivs:us-east-1:1:storage-configuration/" + "a" * 120)},
     REC + ".storageConfigurationArn", "length less than or equal to 128"),
    ("create_stage", {REC: rec(mediaTypes=["AUDIO_ONLY", "NONE"])}, REC + ".mediaTypes",
     "length less than or equal to 1"),
    ("create_stage", {REC: rec(mediaTypes=["VIDEO"])}, REC + ".mediaTypes", "enum value set"),
    ("create_stage", {REC: rec(thumbnailConfiguration={"targetIntervalSeconds": 0})},
     REC + ".thumbnailConfiguration.targetIntervalSeconds", "value greater than or equal to 1"),
    ("create_stage", {REC: rec(thumbnailConfiguration={"targetIntervalSeconds": 86401})},
     REC + ".thumbnailConfiguration.targetIntervalSeconds", "value less than or equal to 86400"),
    ("create_stage", {REC: rec(thumbnailConfiguration={"storage": ["LATEST", "SEQUENTIAL", "LATEST"]})},
     REC + ".thumbnailConfiguration.storage", "length less than or equal to 2"),
    ("create_stage", {REC: rec(thumbnailConfiguration={"storage": ["OLDEST"]})},
     REC + ".thumbnailConfiguration.storage", "enum value set"),
    ("create_stage", {REC: rec(thumbnailConfiguration={"recordingMode": "ALWAYS"})},
     REC + ".thumbnailConfiguration.recordingMode", "enum value set"),
    ("create_stage", {REC: rec(recordingReconnectWindowSeconds=301)},
     REC + ".recordingReconnectWindowSeconds", "value less than or equal to 300"),
    ("create_stage", {REC: rec(recordingReconnectWindowSeconds=-1)},
     REC + ".recordingReconnectWindowSeconds", "value greater than or equal to 0"),
    ("create_stage", {REC: rec(hlsConfiguration={"targetSegmentDurationSeconds": 1})},
     REC + ".hlsConfiguration.targetSegmentDurationSeconds", "value greater than or equal to 2"),
    ("create_stage", {REC: rec(hlsConfiguration={"targetSegmentDurationSeconds": 11})},
     REC + ".hlsConfiguration.targetSegmentDurationSeconds", "value less than or equal to 10"),
    ("create_stage", {"participantTokenConfigurations": [{}] * 13}, "participantTokenConfigurations",
     "length less than or equal to 12"),
    ("get_stage", {}, "arn", "must not be null"),
    ("get_stage", {"arn": ""}, "arn", "length greater than or equal to 1"),
    ("get_stage", {"arn": "arn:aws:ivs:us-east-1:%s:stage/" % ACCOUNT + "a" * 100}, "arn",
     "length less than or equal to 128"),
    ("get_stage", {"arn": "arn:aws:ivs:us-east-1:%s:channel/abc" % ACCOUNT}, "arn", "regular expression pattern"),
    ("update_stage", {}, "arn", "must not be null"),
    ("update_stage", {"arn": "nope"}, "arn", "regular expression pattern"),
    ("update_stage", {"arn": GOOD_ARN, "name": "x" * 129}, "name", "length less than or equal to 128"),
    ("update_stage", {"arn": GOOD_ARN, "name": "a/b"}, "name", "regular expression pattern"),
    ("update_stage", {"arn": GOOD_ARN, REC: rec(mediaTypes=["X"])}, REC + ".mediaTypes", "enum value set"),
    ("update_stage", {"arn": GOOD_ARN, REC: {}}, REC + ".storageConfigurationArn", "must not be null"),
    ("delete_stage", {}, "arn", "must not be null"),
    ("delete_stage", {"arn": "arn:aws:ivs:us-east-1:x:stage/abc"}, "arn", "regular expression pattern"),
    ("list_stages", {"maxResults": 0}, "maxResults", "value greater than or equal to 1"),
    ("list_stages", {"maxResults": 101}, "maxResults", "value less than or equal to 100"),
    ("list_stages", {"nextToken": "a" * 1025}, "nextToken", "length less than or equal to 1024"),
    ("list_stages", {"nextToken": "not a token!"}, "nextToken", "regular expression pattern"),
]


@pytest.mark.parametrize("op,params,member,words", BAD, ids=["%s:%s:%s" % (b[0], b[2], b[3][:20]) for b in BAD])
def test_each_constraint_is_a_validation_exception(raw_ivs, op, params, member, words):
    with pytest.raises(ClientError) as ei:
        getattr(raw_ivs, op)(**params)
    code, msg, status = error_of(ei)
    assert (code, status) == ("ValidationException", 400), msg
    assert "at '%s' failed to satisfy constraint" % member in msg, msg
    assert words in msg, msg
    assert msg.startswith("1 validation error detected: ") or "validation errors detected" in msg


def test_several_violations_are_all_listed(raw_ivs):
    with pytest.raises(ClientError) as ei:
        raw_ivs.create_stage(name="bad name", tags={"": "x"},
                             autoParticipantRecordingConfiguration=rec(recordingReconnectWindowSeconds=999))
    code, msg, _ = error_of(ei)
    assert msg.startswith("3 validation errors detected: ")
    assert msg.count("; Value") == 2


def test_failed_validation_changes_nothing(ivs, raw_ivs):
    stage = ivs.create_stage(name="unchanged")["stage"]
    before = sorted(s["arn"] for p in walk(ivs) for s in p["stages"])
    with pytest.raises(ClientError):
        raw_ivs.update_stage(arn=stage["arn"], name="renamed",
                             autoParticipantRecordingConfiguration={"mediaTypes": ["X"]})
    with pytest.raises(ClientError):
        raw_ivs.create_stage(name="ok", tags={"k": "v" * 300})
    assert sorted(s["arn"] for p in walk(ivs) for s in p["stages"]) == before
    assert ivs.get_stage(arn=stage["arn"])["stage"] == stage


# ---- protocol details ----------------------------------------------------------------

def test_error_wire_form(server):
    status, headers, body = signed_request(server, "POST", "/GetStage", json.dumps({"arn": GOOD_ARN}).encode())
    assert status == 404
    assert headers["x-amzn-ErrorType"] == "ResourceNotFoundException"
    assert len(headers["x-amzn-RequestId"]) == 36
    assert body["exceptionMessage"] == body["message"] and GOOD_ARN in body["message"]


def test_request_id_on_success(ivs):
    r = ivs.list_stages(maxResults=1)
    assert len(r["ResponseMetadata"]["RequestId"]) == 36


def test_malformed_json_is_serialization_exception(server):
    for body in (b"{", b"{\"name\": }", b"[1,2]", b"\"x\"", b"{\"name\":\"a\\u0000b\"}"):
        status, headers, out = signed_request(server, "POST", "/CreateStage", body)
        assert status == 400, body
        assert headers["x-amzn-ErrorType"] == "SerializationException", body
        assert out["message"]


def test_wrong_json_type_is_serialization_exception(server):
    status, headers, out = signed_request(server, "POST", "/ListStages", b'{"maxResults": "ten"}')
    assert (status, headers["x-amzn-ErrorType"]) == (400, "SerializationException")
    assert "maxResults" in out["message"]


def test_authentication_header_errors(server):
    status, headers, out = signed_request(server, "POST", "/ListStages", b"{}", sign=False)
    assert (status, headers["x-amzn-ErrorType"]) == (403, "MissingAuthenticationTokenException")
    status, headers, out = signed_request(server, "POST", "/ListStages", b"{}", sign=False,
                               headers={"Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/ivs/aws4_request",
                                        "X-Amz-Date": "20260101T000000Z"})
    assert (status, headers["x-amzn-ErrorType"]) == (403, "IncompleteSignatureException")
    assert "SignedHeaders" in out["message"]


def test_unknown_operation(server):
    status, headers, out = signed_request(server, "POST", "/DoesNotExist", b"{}")
    assert (status, headers["x-amzn-ErrorType"]) == (404, "UnknownOperationException")
    status, headers, out = signed_request(server, "GET", "/CreateStage")
    assert (status, headers["x-amzn-ErrorType"]) == (404, "UnknownOperationException")


# ---- ListStages paging ---------------------------------------------------------------

def walk(c, page=None):
    kw, pages = {}, []
    while True:
        if page:
            kw["maxResults"] = page
        r = c.list_stages(**kw)
        pages.append(r)
        if "nextToken" not in r:
            return pages
        kw = {"nextToken": r["nextToken"]}


def test_list_stages_paging_under_churn():
    s = Server().start()
    try:
        c = client(s)
        stable = [c.create_stage(name="s%02d" % i)["stage"]["arn"] for i in range(23)]
        doomed = [c.create_stage(name="d%02d" % i)["stage"]["arn"] for i in range(5)]
        seen, kw, pages = [], {"maxResults": 4}, 0
        while True:
            r = c.list_stages(**kw)
            pages += 1
            assert len(r["stages"]) <= 4
            seen += [x["arn"] for x in r["stages"]]
            if pages == 2:  # churn in the middle of the walk
                for arn in doomed:
                    c.delete_stage(arn=arn)
                c.create_stage(name="late")
            if "nextToken" not in r:
                break
            kw = {"nextToken": r["nextToken"], "maxResults": 4}
        for arn in stable:
            assert seen.count(arn) == 1, arn
        assert len(seen) == len(set(seen))
        assert [x["arn"] for p in walk(c) for x in p["stages"]][:23] == stable  # stable order
        assert len(c.list_stages()["stages"]) == 24  # default page size 50 covers all
        # exactly a full page: no nextToken on an empty remainder
        r = c.list_stages(maxResults=24)
        assert len(r["stages"]) == 24 and "nextToken" not in r
    finally:
        s.stop()


def test_forged_or_foreign_token_is_refused(server, ivs, raw_ivs):
    for i in range(3):
        ivs.create_stage(name="tok%d" % i)
    token = ivs.list_stages(maxResults=1)["nextToken"]
    forged = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    for bad in (forged, "abc", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"):
        with pytest.raises(ClientError) as ei:
            raw_ivs.list_stages(nextToken=bad)
        code, msg, status = error_of(ei)
        assert (code, status) == ("ValidationException", 400)
        assert "nextToken" in msg
    west = client(server, "us-west-2")
    with pytest.raises(ClientError) as ei:
        west.list_stages(nextToken=token)  # a token is bound to its account and region
    assert error_of(ei)[0] == "ValidationException"


# ---- durability and process life -----------------------------------------------------

def test_restart_keeps_stages_and_tokens():
    s = Server().start()
    try:
        c = client(s)
        rec_config = full_rec(make_storage(c))
        made = {c.create_stage(name="r%d" % i, tags={"i": str(i)},
                               autoParticipantRecordingConfiguration=rec_config)["stage"]["arn"] for i in range(7)}
        first = c.list_stages(maxResults=3)
        before = {a: c.get_stage(arn=a)["stage"] for a in made}
        s.restart()
        c = client(s)
        for a in made:
            assert c.get_stage(arn=a)["stage"] == before[a]
        rest, kw = [], {"nextToken": first["nextToken"], "maxResults": 3}
        while True:
            r = c.list_stages(**kw)
            rest += [x["arn"] for x in r["stages"]]
            if "nextToken" not in r:
                break
            kw["nextToken"] = r["nextToken"]
        assert set(rest) | {x["arn"] for x in first["stages"]} == made
        assert len(rest) == 4
    finally:
        s.stop()


def test_sigterm_and_sigint_stop_cleanly():
    for sig in (signal.SIGTERM, signal.SIGINT):
        s = Server().start()
        client(s).create_stage(name="bye")
        assert s.stop(sig) == 0
        assert "stopping" in open(s.log).read()


def test_protected_mode_refuses_non_loopback(tmp_path):
    p = subprocess.run([BIN, "serve", "--listen", "0.0.0.0:0", "--data-dir", str(tmp_path)],
                       capture_output=True, text=True, timeout=10)
    assert p.returncode != 0
    assert "protected mode" in p.stderr and "loopback" in p.stderr


def test_help_and_version():
    out = subprocess.run([BIN, "--help"], capture_output=True, text=True).stdout
    for word in ("serve", "--listen", "--data-dir", "RTSTAGE_LISTEN", "RTSTAGE_DATA_DIR"):
        assert word in out
    assert subprocess.run([BIN, "--version"], capture_output=True, text=True).stdout.startswith("rtstage ")
    p = subprocess.run([BIN, "serve", "--bogus"], capture_output=True, text=True)
    assert p.returncode != 0 and "--bogus" in p.stderr
