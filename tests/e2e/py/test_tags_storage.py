"""Tags, storage configurations, references between them, and quotas."""
import concurrent.futures

import pytest
from botocore.exceptions import ClientError

from conftest import Server, cli, client, error_of

ACCT = "222233334444"  # this module's own account (a 12-digit key is its account)


@pytest.fixture(scope="module")
def c(server):
    return client(server, key=ACCT)


@pytest.fixture(scope="module")
def rc(server):
    return client(server, key=ACCT, validate=False)


@pytest.fixture(scope="module")
def storage(c):
    return c.create_storage_configuration(name="shared", s3={"bucketName": "rec-bucket"})["storageConfiguration"]


def new_stage(c, **kw):
    return c.create_stage(**kw)["stage"]["arn"]


# ---- tags ----------------------------------------------------------------------------

def test_tag_untag_list_on_stage_and_storage(c, storage):
    for arn in (new_stage(c, tags={"a": "1"}), storage["arn"]):
        c.tag_resource(resourceArn=arn, tags={"b": "2", "c": "3", "d": "", "e/f g": "x y"})
        assert c.list_tags_for_resource(resourceArn=arn)["tags"] == dict(
            ({"a": "1"} if ":stage/" in arn else {}), b="2", c="3", d="", **{"e/f g": "x y"})
        c.tag_resource(resourceArn=arn, tags={"b": "changed"})
        c.untag_resource(resourceArn=arn, tagKeys=["c", "d", "e/f g", "never-there"])
        want = dict(({"a": "1"} if ":stage/" in arn else {}), b="changed")
        assert c.list_tags_for_resource(resourceArn=arn)["tags"] == want


def test_tags_show_in_get_and_list(c, storage):
    arn = new_stage(c, name="tagged")
    c.tag_resource(resourceArn=arn, tags={"team": "rt"})
    assert c.get_stage(arn=arn)["stage"]["tags"] == {"team": "rt"}
    summaries = [s for s in c.list_stages(maxResults=100)["stages"] if s["arn"] == arn]
    assert summaries[0]["tags"] == {"team": "rt"}
    c.tag_resource(resourceArn=storage["arn"], tags={"k": "v"})
    got = c.get_storage_configuration(arn=storage["arn"])["storageConfiguration"]
    assert got["tags"]["k"] == "v"
    listed = [x for x in c.list_storage_configurations()["storageConfigurations"] if x["arn"] == storage["arn"]]
    assert listed[0]["tags"]["k"] == "v"


def test_tags_through_the_cli(server, c):
    arn = new_stage(c)
    rc_, out = cli(server, "ivs-realtime", "tag-resource", "--resource-arn", arn, "--tags", "x=1,y=2,z=3", key=ACCT)
    assert rc_ == 0, out
    rc_, out = cli(server, "ivs-realtime", "untag-resource", "--resource-arn", arn, "--tag-keys", "x", "z", key=ACCT)
    assert rc_ == 0, out
    rc_, out = cli(server, "ivs-realtime", "list-tags-for-resource", "--resource-arn", arn, key=ACCT)
    assert rc_ == 0 and out == {"tags": {"y": "2"}}, out
    rc_, out = cli(server, "ivs-realtime", "tag-resource", "--resource-arn", arn, "--tags", "aws:x=1", key=ACCT)
    assert rc_ != 0 and "ValidationException" in out and "aws:" in out


def test_fifty_tag_limit_is_atomic(c):
    arn = new_stage(c, tags={"k%02d" % i: "v" for i in range(45)})
    c.tag_resource(resourceArn=arn, tags={"k00": "replaced", "n1": "1", "n2": "2", "n3": "3", "n4": "4", "n5": "5"})
    assert len(c.list_tags_for_resource(resourceArn=arn)["tags"]) == 50
    with pytest.raises(ClientError) as ei:
        c.tag_resource(resourceArn=arn, tags={"k01": "changed", "n6": "6"})
    code, msg, status = error_of(ei)
    assert (code, status) == ("ValidationException", 400) and "50" in msg
    tags = c.list_tags_for_resource(resourceArn=arn)["tags"]
    assert len(tags) == 50 and tags["k01"] == "v" and tags["k00"] == "replaced"


@pytest.mark.parametrize("tags,words", [
    ({"aws:owner": "me"}, "aws:"),
    ({"ok": "1", "aws:x": "2"}, "aws:"),
    ({"k" * 129: "v"}, "Map keys must satisfy constraint"),
    ({"": "v"}, "length greater than or equal to 1"),
    ({"k": "v" * 257}, "Map value must satisfy constraint"),
    ({"k%d" % i: "v" for i in range(51)}, "at 'tags'"),
])
def test_bad_tags_change_nothing(c, rc, tags, words):
    arn = new_stage(c, tags={"keep": "me"})
    with pytest.raises(ClientError) as ei:
        rc.tag_resource(resourceArn=arn, tags=tags)
    code, msg, status = error_of(ei)
    assert (code, status) == ("ValidationException", 400) and words in msg, msg
    assert c.list_tags_for_resource(resourceArn=arn)["tags"] == {"keep": "me"}


def test_untag_rules(c, rc):
    arn = new_stage(c, tags={"a": "1"})
    for keys, words in ((["aws:a"], "aws:"), (["k%d" % i for i in range(51)], "at 'tagKeys'"),
                        ([""], "at 'tagKeys'")):
        with pytest.raises(ClientError) as ei:
            rc.untag_resource(resourceArn=arn, tagKeys=keys)
        code, msg, _ = error_of(ei)
        assert code == "ValidationException" and words in msg, msg
    with pytest.raises(ClientError) as ei:
        rc.untag_resource(resourceArn=arn)
    assert "Value null at 'tagKeys'" in error_of(ei)[1]
    assert c.list_tags_for_resource(resourceArn=arn)["tags"] == {"a": "1"}


def test_unknown_foreign_and_malformed_arns(server, c, rc, storage):
    mine = new_stage(c)
    other = client(server, key="999988887777")
    west = client(server, region="us-west-2", key=ACCT)
    unknown = "arn:aws:ivs:us-east-1:%s:stage/doesNotExist" % ACCT
    gone = new_stage(c)
    c.delete_stage(arn=gone)
    for who, arn in ((c, unknown), (c, gone), (other, mine), (west, mine), (other, storage["arn"]),
                     (c, "arn:aws:ivs:us-east-1:%s:channel/abc" % ACCT)):
        for call in (lambda: who.tag_resource(resourceArn=arn, tags={"a": "b"}),
                     lambda: who.untag_resource(resourceArn=arn, tagKeys=["a"]),
                     lambda: who.list_tags_for_resource(resourceArn=arn)):
            with pytest.raises(ClientError) as ei:
                call()
            assert error_of(ei)[0::2] == ("ResourceNotFoundException", 404), arn
    for bad in ("not-an-arn", "arn:aws:ivs:us-east-1:%s:stage" % ACCT, "arn:aws:s3:::bucket/x"):
        with pytest.raises(ClientError) as ei:
            rc.list_tags_for_resource(resourceArn=bad)
        code, msg, status = error_of(ei)
        assert (code, status) == ("ValidationException", 400) and "resourceArn" in msg


def test_reserved_tags_on_create(c, rc):
    with pytest.raises(ClientError) as ei:
        rc.create_stage(tags={"aws:cloudformation:stack": "x"})
    assert error_of(ei)[0] == "ValidationException"
    with pytest.raises(ClientError) as ei:
        rc.create_storage_configuration(s3={"bucketName": "abc"}, tags={"aws:x": "y"})
    assert error_of(ei)[0] == "ValidationException"


# ---- storage configurations ----------------------------------------------------------

def test_storage_configuration_lifecycle(c):
    sc = c.create_storage_configuration(name="my-rec_1", s3={"bucketName": "bucket.with-dots"},
                                        tags={"t": "1"})["storageConfiguration"]
    assert sc["arn"].startswith("arn:aws:ivs:us-east-1:%s:storage-configuration/" % ACCT)
    assert len(sc["arn"].rsplit("/", 1)[1]) == 12
    assert sc == {"arn": sc["arn"], "name": "my-rec_1", "s3": {"bucketName": "bucket.with-dots"}, "tags": {"t": "1"}}
    assert c.get_storage_configuration(arn=sc["arn"])["storageConfiguration"] == sc
    assert sc in c.list_storage_configurations()["storageConfigurations"]
    c.delete_storage_configuration(arn=sc["arn"])
    for call in (lambda: c.get_storage_configuration(arn=sc["arn"]),
                 lambda: c.delete_storage_configuration(arn=sc["arn"]),
                 lambda: c.list_tags_for_resource(resourceArn=sc["arn"])):
        with pytest.raises(ClientError) as ei:
            call()
        assert error_of(ei)[0::2] == ("ResourceNotFoundException", 404)


@pytest.mark.parametrize("params,member,words", [
    ({}, "s3", "must not be null"),
    ({"s3": {}}, "s3.bucketName", "must not be null"),
    ({"s3": {"bucketName": "ab"}}, "s3.bucketName", "length greater than or equal to 3"),
    ({"s3": {"bucketName": "a" * 64}}, "s3.bucketName", "length less than or equal to 63"),
    ({"s3": {"bucketName": "Upper_Case"}}, "s3.bucketName", "regular expression pattern"),
    ({"s3": {"bucketName": "abc"}, "name": "no spaces"}, "name", "regular expression pattern"),
    ({"s3": {"bucketName": "abc"}, "name": "n" * 129}, "name", "length less than or equal to 128"),
])
def test_storage_configuration_validation(rc, params, member, words):
    with pytest.raises(ClientError) as ei:
        rc.create_storage_configuration(**params)
    code, msg, status = error_of(ei)
    assert (code, status) == ("ValidationException", 400)
    assert "at '%s'" % member in msg and words in msg, msg


def test_storage_get_delete_list_validation(rc):
    for call, member in ((lambda: rc.get_storage_configuration(arn="arn:aws:ivs:us-east-1:1:stage/x"), "arn"),
                         (lambda: rc.delete_storage_configuration(), "arn"),
                         (lambda: rc.list_storage_configurations(maxResults=0), "maxResults"),
                         (lambda: rc.list_storage_configurations(maxResults=101), "maxResults"),
                         (lambda: rc.list_storage_configurations(nextToken="bogus"), "nextToken")):
        with pytest.raises(ClientError) as ei:
            call()
        code, msg, _ = error_of(ei)
        assert code == "ValidationException" and member in msg, msg


def test_storage_list_paging():
    s = Server(extra_args=["--quota-storage-configurations", "20"]).start()
    try:
        c = client(s)
        made = [c.create_storage_configuration(name="s%d" % i, s3={"bucketName": "b%02d" % i})
                ["storageConfiguration"]["arn"] for i in range(7)]
        seen, kw = [], {"maxResults": 2}
        while True:
            r = c.list_storage_configurations(**kw)
            assert len(r["storageConfigurations"]) <= 2
            seen += [x["arn"] for x in r["storageConfigurations"]]
            if "nextToken" not in r:
                break
            kw["nextToken"] = r["nextToken"]
        assert seen == made
        c.create_stage()
        c.create_stage()
        stage_token = c.list_stages(maxResults=1)["nextToken"]
        with pytest.raises(ClientError) as ei:  # a stage list token is no storage list token
            c.list_storage_configurations(nextToken=stage_token)
        assert error_of(ei)[0] == "ValidationException"
    finally:
        s.stop()


# ---- references ----------------------------------------------------------------------

def test_cli_reference_example_with_recording(server, c):
    sc = c.create_storage_configuration(name="cli", s3={"bucketName": "cli-bucket"})["storageConfiguration"]["arn"]
    for thumb in ({"recordingMode": "INTERVAL", "storage": ["SEQUENTIAL"], "targetIntervalSeconds": 60},
                  {"recordingMode": "INTERVAL", "storage": ["LATEST"], "targetIntervalSeconds": 30}):
        config = ('{"mediaTypes": ["AUDIO_VIDEO"], "storageConfigurationArn": "%s", '
                  '"recordingReconnectWindowSeconds": 100, "hlsConfiguration": {"targetSegmentDurationSeconds": 5}, '
                  '"thumbnailConfiguration": %s}') % (sc, str(thumb).replace("'", '"'))
        rc_, out = cli(server, "ivs-realtime", "create-stage", "--name", "stage1",
                       "--auto-participant-recording-configuration", config, key=ACCT)
        assert rc_ == 0, out
        apr = out["stage"]["autoParticipantRecordingConfiguration"]
        assert apr == {"storageConfigurationArn": sc, "mediaTypes": ["AUDIO_VIDEO"],
                       "thumbnailConfiguration": thumb, "recordingReconnectWindowSeconds": 100,
                       "hlsConfiguration": {"targetSegmentDurationSeconds": 5},
                       "recordParticipantReplicas": True}
        rc_, got = cli(server, "ivs-realtime", "get-stage", "--arn", out["stage"]["arn"], key=ACCT)
        assert got["stage"] == out["stage"]


def test_storage_reference_must_exist(server, c, rc, storage):
    theirs = client(server, key="555566667777").create_storage_configuration(
        s3={"bucketName": "theirs"})["storageConfiguration"]["arn"]
    west = client(server, region="us-west-2", key=ACCT).create_storage_configuration(
        s3={"bucketName": "west"})["storageConfiguration"]["arn"]
    missing = "arn:aws:ivs:us-east-1:%s:storage-configuration/nothingHere1" % ACCT
    arn = new_stage(c)
    for ref in (theirs, west, missing):
        rec = {"storageConfigurationArn": ref}
        with pytest.raises(ClientError) as ei:
            c.create_stage(autoParticipantRecordingConfiguration=rec)
        code, msg, status = error_of(ei)
        assert (code, status) == ("ValidationException", 400) and ref in msg
        with pytest.raises(ClientError) as ei:
            c.update_stage(arn=arn, name="changed", autoParticipantRecordingConfiguration=rec)
        assert error_of(ei)[0] == "ValidationException"
    assert c.get_stage(arn=arn)["stage"]["name"] == ""  # the failed update changed nothing


def test_delete_storage_in_use_is_a_conflict(c):
    sc = c.create_storage_configuration(s3={"bucketName": "busy"})["storageConfiguration"]["arn"]
    a = new_stage(c, autoParticipantRecordingConfiguration={"storageConfigurationArn": sc})
    b = new_stage(c)
    c.update_stage(arn=b, autoParticipantRecordingConfiguration={"storageConfigurationArn": sc})
    for _ in range(2):
        with pytest.raises(ClientError) as ei:
            c.delete_storage_configuration(arn=sc)
        code, msg, status = error_of(ei)
        assert (code, status) == ("ConflictException", 409) and sc in msg
        assert c.get_storage_configuration(arn=sc)["storageConfiguration"]["arn"] == sc
        c.update_stage(arn=a, autoParticipantRecordingConfiguration={"storageConfigurationArn": ""})
        a, b = b, a
    c.delete_stage(arn=a)  # the last user goes away: now it can be deleted
    c.delete_storage_configuration(arn=sc)


# ---- quotas --------------------------------------------------------------------------

def test_quotas_with_lowered_limits():
    s = Server(extra_args=["--quota-stages", "3", "--quota-storage-configurations", "2"]).start()
    try:
        c = client(s)
        stages = [new_stage(c) for _ in range(3)]
        with pytest.raises(ClientError) as ei:
            c.create_stage(name="fourth")
        code, msg, status = error_of(ei)
        assert (code, status) == ("ServiceQuotaExceededException", 402)
        assert "Stages" in msg and "3" in msg
        assert len(c.list_stages()["stages"]) == 3
        client(s, region="us-west-2").create_stage()  # quotas are per region...
        client(s, key="333344445555").create_stage()  # ...and per account
        c.delete_stage(arn=stages[0])
        new_stage(c)  # a freed slot can be used again
        for _ in range(2):
            c.create_storage_configuration(s3={"bucketName": "quota"})
        with pytest.raises(ClientError) as ei:
            c.create_storage_configuration(s3={"bucketName": "quota"})
        code, msg, status = error_of(ei)
        assert (code, status) == ("ServiceQuotaExceededException", 402) and "Storage configurations" in msg
    finally:
        s.stop()


def test_concurrent_creates_never_overshoot():
    s = Server(extra_args=["--quota-stages", "7", "--threads", "4"]).start()
    try:
        def one(i):
            try:
                client(s).create_stage(name="race%d" % i)
                return "ok"
            except ClientError as e:
                return e.response["Error"]["Code"]
        with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
            results = list(pool.map(one, range(40)))
        assert results.count("ok") == 7, results
        assert results.count("ServiceQuotaExceededException") == 33
        assert len(client(s).list_stages()["stages"]) == 7
    finally:
        s.stop()


def test_quota_survives_restart():
    s = Server(extra_args=["--quota-stages", "2"]).start()
    try:
        c = client(s)
        new_stage(c)
        new_stage(c)
        s.restart()
        with pytest.raises(ClientError) as ei:
            client(s).create_stage()
        assert error_of(ei)[0] == "ServiceQuotaExceededException"
    finally:
        s.stop()
