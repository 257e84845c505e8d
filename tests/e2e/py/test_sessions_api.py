"""Stage session history through boto3 and the AWS CLI: GetStageSession, ListStageSessions,
GetParticipant, ListParticipants, ListParticipantEvents and DisconnectParticipant on stages
without live participants (sessions with participants come with the events socket)."""
import subprocess

import pytest
from botocore.exceptions import ClientError

from conftest import BIN, cli, client, error_of

ACCT = "777788889999"
OTHER = "111122223333"
NO_SESSION = "st-ABCDEFGHIJKLM"


@pytest.fixture(scope="module")
def c(server):
    return client(server, key=ACCT)


@pytest.fixture(scope="module")
def rc(server):
    """Client-side validation off: the server alone judges input."""
    return client(server, key=ACCT, validate=False)


@pytest.fixture(scope="module")
def stage(c):
    return c.create_stage(name="history")["stage"]


def missing(call, **kw):
    with pytest.raises(ClientError) as ei:
        call(**kw)
    return error_of(ei)


def test_no_history_lists_empty(server, c, stage):
    assert c.list_stage_sessions(stageArn=stage["arn"])["stageSessions"] == []
    rc_, out = cli(server, "ivs-realtime", "list-stage-sessions", "--stage-arn", stage["arn"],
                   key=ACCT)
    assert rc_ == 0 and out["stageSessions"] == [], out


@pytest.mark.parametrize("op,extra", [
    ("get_stage_session", {}),
    ("get_participant", {"participantId": "abcdefABCDEF"}),
])
def test_unknown_session_is_not_found(c, stage, op, extra):
    code, msg, status = missing(getattr(c, op), stageArn=stage["arn"], sessionId=NO_SESSION, **extra)
    assert (code, status) == ("ResourceNotFoundException", 404)
    assert NO_SESSION in msg


def test_unknown_session_lists_nothing(c, stage):
    # ListParticipants and ListParticipantEvents name no ResourceNotFoundException in the model:
    # an unknown session has no participants and no events
    assert c.list_participants(stageArn=stage["arn"], sessionId=NO_SESSION)["participants"] == []
    assert c.list_participant_events(stageArn=stage["arn"], sessionId=NO_SESSION,
                                     participantId="abcdefABCDEF")["events"] == []


def test_unknown_stage(c, stage):
    gone = stage["arn"][:-12] + "ZZZZZZZZZZZZ"
    code, msg, status = missing(c.get_stage_session, stageArn=gone, sessionId=NO_SESSION)
    assert (code, status) == ("ResourceNotFoundException", 404) and gone in msg
    assert c.list_stage_sessions(stageArn=gone)["stageSessions"] == []


@pytest.mark.parametrize("op,kw,member", [
    ("get_stage_session", {"sessionId": "st-short"}, "sessionId"),
    ("get_stage_session", {"sessionId": "xx-ABCDEFGHIJKLM"}, "sessionId"),
    ("get_participant", {"sessionId": NO_SESSION, "participantId": "bad id!"}, "participantId"),
    ("list_participant_events", {"sessionId": NO_SESSION, "participantId": "x" * 65}, "participantId"),
    ("list_participants", {"sessionId": NO_SESSION, "maxResults": 101}, "maxResults"),
    ("list_stage_sessions", {"maxResults": 0}, "maxResults"),
    ("disconnect_participant", {"participantId": "bad id!"}, "participantId"),
])
def test_malformed_is_validation(rc, stage, op, kw, member):
    code, msg, status = missing(getattr(rc, op), stageArn=stage["arn"], **kw)
    assert (code, status) == ("ValidationException", 400) and member in msg, msg


def test_malformed_stage_arn(rc):
    code, msg, status = missing(rc.list_stage_sessions, stageArn="arn:aws:ivs:us-east-1:1:channel/x")
    assert (code, status) == ("ValidationException", 400) and "stageArn" in msg


@pytest.mark.parametrize("filters", [
    {"filterByUserId": "u", "filterByPublished": True},
    {"filterByPublished": True, "filterByState": "CONNECTED"},
    {"filterByState": "DISCONNECTED", "filterByRecordingState": "ACTIVE"},
    {"filterByUserId": "u", "filterByRecordingState": "FAILED"},
])
def test_filters_may_not_be_combined(c, stage, filters):
    code, msg, status = missing(c.list_participants, stageArn=stage["arn"], sessionId=NO_SESSION, **filters)
    assert (code, status) == ("ValidationException", 400)
    assert "Only one of" in msg and all(f in msg for f in filters), msg


@pytest.mark.parametrize("filters", [
    {"filterByUserId": "u"}, {"filterByPublished": False}, {"filterByState": "CONNECTED"},
    {"filterByRecordingState": "ACTIVE"},
])
def test_one_filter_is_fine(c, stage, filters):
    assert c.list_participants(stageArn=stage["arn"], sessionId=NO_SESSION, **filters)["participants"] == []


def test_bad_page_token(c, stage):
    code, _, status = missing(c.list_stage_sessions, stageArn=stage["arn"], nextToken="bm90LWEtdG9rZW4")
    assert (code, status) == ("ValidationException", 400)


def inspect(server, token):
    p = subprocess.run([BIN, "token", "inspect", token] + server.store_args(),
                       capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout + p.stderr


def test_disconnect_revokes_the_token(server, c, stage):
    tok = c.create_participant_token(stageArn=stage["arn"], userId="carol")["participantToken"]
    other = c.create_participant_token(stageArn=stage["arn"])["participantToken"]
    _, before = inspect(server, tok["token"])
    assert "revoked:   no" in before, before
    out = c.disconnect_participant(stageArn=stage["arn"], participantId=tok["participantId"],
                                   reason="misbehaving")
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert {k: v for k, v in out.items() if k != "ResponseMetadata"} == {}
    rc_, after = inspect(server, tok["token"])
    assert rc_ != 0 and "revoked:   yes" in after, after
    _, untouched = inspect(server, other["token"])
    assert "revoked:   no" in untouched, untouched
    # again, and through the CLI: still fine
    rc_, res = cli(server, "ivs-realtime", "disconnect-participant", "--stage-arn", stage["arn"],
                   "--participant-id", tok["participantId"], key=ACCT)
    assert rc_ == 0 and res == {}, res


def test_disconnect_a_token_rtstage_did_not_sign(c, stage):
    # customer-signed tokens have no record here: the id is revoked all the same
    out = c.disconnect_participant(stageArn=stage["arn"], participantId="customer-signed_id-1")
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_disconnect_unknown_stage(c, stage):
    gone = stage["arn"][:-12] + "ZZZZZZZZZZZZ"
    code, msg, status = missing(c.disconnect_participant, stageArn=gone, participantId="abc")
    assert (code, status) == ("ResourceNotFoundException", 404) and gone in msg


def test_another_accounts_stage(server, c, stage):
    other = client(server, key=OTHER)
    tok = c.create_participant_token(stageArn=stage["arn"])["participantToken"]
    code, _, status = missing(other.disconnect_participant, stageArn=stage["arn"],
                              participantId=tok["participantId"])
    assert (code, status) == ("ResourceNotFoundException", 404)
    _, text = inspect(server, tok["token"])
    assert "revoked:   no" in text, text          # nothing changed
    code, _, status = missing(other.get_stage_session, stageArn=stage["arn"], sessionId=NO_SESSION)
    assert (code, status) == ("ResourceNotFoundException", 404)
    assert other.list_stage_sessions(stageArn=stage["arn"])["stageSessions"] == []
    # another region of the same account: no such stage either
    west = client(server, key=ACCT, region="us-west-2")
    code, _, status = missing(west.disconnect_participant, stageArn=stage["arn"], participantId="abc")
    assert (code, status) == ("ResourceNotFoundException", 404)


def test_deleted_stage(c):
    st = c.create_stage(name="short-lived")["stage"]
    c.delete_stage(arn=st["arn"])
    code, _, status = missing(c.disconnect_participant, stageArn=st["arn"], participantId="abc")
    assert (code, status) == ("ResourceNotFoundException", 404)
    assert c.list_stage_sessions(stageArn=st["arn"])["stageSessions"] == []
