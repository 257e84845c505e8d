"""Cloud Control requests are atomic and crash-safe: a FAILED UpdateResource
changes nothing, a ClientToken names one request of one operation, and a
stage never exists without its CreateResource request recorded SUCCESS."""
import json
import random
import signal
import threading
import time
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import Server, client, error_of

TYPE = "AWS::IVS::Stage"


def cc(server, key="AKIDEXAMPLE", secret="secret", fragile=False):
    cfg = Config(retries={"total_max_attempts": 1}, connect_timeout=1, read_timeout=3) if fragile \
        else Config(retries={"total_max_attempts": 1})
    return boto3.session.Session().client(
        "cloudcontrol", region_name="us-east-1", endpoint_url=server.url,
        aws_access_key_id=key, aws_secret_access_key=secret, config=cfg)


@pytest.fixture(scope="module")
def srv():
    s = Server().start()
    yield s
    assert s.stop() == 0


@pytest.fixture
def acct():
    return "%012d" % (uuid.uuid4().int % 10 ** 12)


def create(c, desired, **kw):
    return c.create_resource(TypeName=TYPE, DesiredState=json.dumps(desired), **kw)["ProgressEvent"]


def update(c, arn, patch, **kw):
    return c.update_resource(TypeName=TYPE, Identifier=arn, PatchDocument=json.dumps(patch), **kw)["ProgressEvent"]


def model(c, arn):
    return json.loads(c.get_resource(TypeName=TYPE, Identifier=arn)["ResourceDescription"]["Properties"])


RENAME = {"op": "replace", "path": "/Name", "value": "changed"}

FAILING_UPDATES = [
    ([RENAME, {"op": "add", "path": "/Tags/-", "value": {"Key": "aws:x", "Value": "1"}}],
     "InvalidRequest", "aws:"),
    ([RENAME, {"op": "add", "path": "/Tags/-", "value": {"Key": "k", "Value": "2"}}],
     "InvalidRequest", "[k] appears more than once"),
    ([RENAME, {"op": "add", "path": "/AutoParticipantRecordingConfiguration", "value": {
        "StorageConfigurationArn": "arn:aws:ivs:us-east-1:123456789012:storage-configuration/abcdABCD1234"}}],
     "InvalidRequest", "storageConfigurationArn"),
]


@pytest.mark.parametrize("patch,code,words", FAILING_UPDATES)
def test_failed_update_changes_nothing(srv, acct, patch, code, words):
    c, ivs = cc(srv, key=acct), client(srv, key=acct)
    arn = create(c, {"Name": "keep", "Tags": [{"Key": "k", "Value": "v"}]})["Identifier"]
    before = model(c, arn)
    ev = update(c, arn, patch)
    assert (ev["OperationStatus"], ev["ErrorCode"]) == ("FAILED", code), ev
    assert words in ev["StatusMessage"], ev["StatusMessage"]
    assert "ResourceModel" not in ev
    stage = ivs.get_stage(arn=arn)["stage"]
    assert stage["name"] == "keep" and stage["tags"] == {"k": "v"}
    assert model(c, arn) == before
    # the same change without its faulty part goes through, whole
    ev = update(c, arn, [RENAME, {"op": "add", "path": "/Tags/-", "value": {"Key": "n", "Value": "1"}}])
    assert ev["OperationStatus"] == "SUCCESS", ev
    stage = ivs.get_stage(arn=arn)["stage"]
    assert stage["name"] == "changed" and stage["tags"] == {"k": "v", "n": "1"}
    assert json.loads(ev["ResourceModel"]) == model(c, arn)


def test_update_without_permission_for_one_part_changes_nothing(tmp_path):
    creds = tmp_path / "creds"
    creds.write_text("[all]\naws_access_key_id = AKIAALL0000000000001\naws_secret_access_key = s1\n"
                     "account_id = 111122223333\n"
                     "[notag]\naws_access_key_id = AKIANOT0000000000001\naws_secret_access_key = s2\n"
                     "account_id = 111122223333\nactions = cloudformation:* ivs:GetStage ivs:UpdateStage "
                     "ivs:UntagResource ivs:ListTagsForResource\n")
    s = Server(extra_args=["--credentials", str(creds)]).start()
    try:
        admin, limited = cc(s, "AKIAALL0000000000001", "s1"), cc(s, "AKIANOT0000000000001", "s2")
        arn = create(admin, {"Name": "keep", "Tags": [{"Key": "k", "Value": "v"}]})["Identifier"]
        before = model(admin, arn)
        ev = update(limited, arn, [RENAME, {"op": "add", "path": "/Tags/-", "value": {"Key": "n", "Value": "1"}}])
        assert (ev["OperationStatus"], ev["ErrorCode"]) == ("FAILED", "AccessDenied"), ev
        assert "ivs:TagResource" in ev["StatusMessage"]
        assert model(admin, arn) == before
        # what the key may do, it does
        ev = update(limited, arn, [RENAME, {"op": "remove", "path": "/Tags/0"}])
        assert ev["OperationStatus"] == "SUCCESS", ev
        after = model(admin, arn)
        assert after["Name"] == "changed" and "Tags" not in after
    finally:
        assert s.stop() == 0


def test_client_token_belongs_to_one_operation(srv, acct):
    c = cc(srv, key=acct)
    desired = {"Name": "x"}
    made = create(c, desired, ClientToken="tok-op")
    assert made["OperationStatus"] == "SUCCESS"
    # an identifier spelled like the create's desired state: the same text, another operation
    for ident in (json.dumps(desired, separators=(",", ":")), json.dumps(desired), made["Identifier"]):
        with pytest.raises(ClientError) as ei:
            c.delete_resource(TypeName=TYPE, Identifier=ident, ClientToken="tok-op")
        assert error_of(ei)[0] == "ClientTokenConflictException"
    with pytest.raises(ClientError) as ei:
        update(c, made["Identifier"], [RENAME], ClientToken="tok-op")
    assert error_of(ei)[0] == "ClientTokenConflictException"
    # nothing was deleted or changed, and the create still replays
    assert client(srv, key=acct).get_stage(arn=made["Identifier"])["stage"]["name"] == "x"
    again = create(c, desired, ClientToken="tok-op")
    assert again["RequestToken"] == made["RequestToken"] and again["Identifier"] == made["Identifier"]
    # a delete's token replays the delete only
    gone = c.delete_resource(TypeName=TYPE, Identifier=made["Identifier"], ClientToken="tok-del")["ProgressEvent"]
    assert gone["OperationStatus"] == "SUCCESS"
    with pytest.raises(ClientError) as ei:
        create(c, desired, ClientToken="tok-del")
    assert error_of(ei)[0] == "ClientTokenConflictException"


def test_list_resources_shows_recording_and_tags_as_get_does(srv, acct):
    c, ivs = cc(srv, key=acct), client(srv, key=acct)
    sc = ivs.create_storage_configuration(name="r", s3={"bucketName": "rec-bucket"})["storageConfiguration"]["arn"]
    arns = [create(c, {"Name": "a", "Tags": [{"Key": "z", "Value": "1"}, {"Key": "a", "Value": "2"}],
                       "AutoParticipantRecordingConfiguration": {"StorageConfigurationArn": sc,
                                                                 "MediaTypes": ["AUDIO_ONLY"]}})["Identifier"],
            create(c, {"Name": "b"})["Identifier"],
            ivs.create_stage(name="c", tags={"t": "v"})["stage"]["arn"]]
    seen, kw = {}, {"TypeName": TYPE, "MaxResults": 2}
    while True:
        r = c.list_resources(**kw)
        seen.update({d["Identifier"]: json.loads(d["Properties"]) for d in r["ResourceDescriptions"]})
        if "NextToken" not in r:
            break
        kw["NextToken"] = r["NextToken"]
    assert sorted(seen) == sorted(arns)
    for arn in arns:
        assert seen[arn] == model(c, arn)
    assert seen[arns[0]]["Tags"] == [{"Key": "a", "Value": "2"}, {"Key": "z", "Value": "1"}]
    assert seen[arns[0]]["AutoParticipantRecordingConfiguration"]["MediaTypes"] == ["AUDIO_ONLY"]


def test_sigkill_during_creates_leaves_no_orphan_stage():
    """Creates with ClientTokens from several threads, the server killed under
    them, three times: afterwards every stage has its CREATE recorded SUCCESS
    naming it, and a retry of every token answers the same stage."""
    rng = random.Random(int(time.time()))
    acct = "%012d" % (uuid.uuid4().int % 10 ** 12)
    s = Server().start()
    tokens = []  # (token, name)
    lock = threading.Lock()
    try:
        for rnd in range(3):
            stop, acked = threading.Event(), threading.Event()

            def burst(w):
                c = cc(s, key=acct, fragile=True)
                n = 0
                while not stop.is_set():
                    n += 1
                    tok, name = "t%d-%d-%d" % (rnd, w, n), "s%d-%d-%d" % (rnd, w, n)
                    with lock:
                        tokens.append((tok, name))
                    try:
                        create(c, {"Name": name}, ClientToken=tok)
                        acked.set()
                    except Exception:
                        return

            threads = [threading.Thread(target=burst, args=(w,)) for w in range(4)]
            for t in threads:
                t.start()
            acked.wait(10)  # a loaded machine: let some creates through first
            time.sleep(rng.random() * 0.7)
            s.stop(signal.SIGKILL)
            stop.set()
            for t in threads:
                t.join()
            s.start()
        c, ivs = cc(s, key=acct), client(s, key=acct)
        stages, kw = {}, {"maxResults": 100}
        while True:
            r = ivs.list_stages(**kw)
            stages.update({st["name"]: st["arn"] for st in r["stages"]})
            if "nextToken" not in r:
                break
            kw["nextToken"] = r["nextToken"]
        events, kw = {}, {"MaxResults": 100}
        while True:
            r = c.list_resource_requests(**kw)
            events.update({e["RequestToken"]: e for e in r["ResourceRequestStatusSummaries"]})
            if "NextToken" not in r:
                break
            kw["NextToken"] = r["NextToken"]
        recorded = {e["Identifier"] for e in events.values()
                    if e["Operation"] == "CREATE" and e["OperationStatus"] == "SUCCESS"}
        assert stages and set(stages.values()) <= recorded
        for tok, name in tokens:
            first = create(c, {"Name": name}, ClientToken=tok)
            again = create(c, {"Name": name}, ClientToken=tok)
            assert again == first
            if name in stages:
                assert (first["OperationStatus"], first["Identifier"]) == ("SUCCESS", stages[name]), first
            else:  # never made: the claim may stand, but names nothing
                assert "Identifier" not in first or first["OperationStatus"] == "SUCCESS", first
        names = [st["name"] for st in ivs.list_stages(maxResults=100)["stages"]]
        assert len(names) == len(set(names))  # no token acted twice
    finally:
        s.stop()
