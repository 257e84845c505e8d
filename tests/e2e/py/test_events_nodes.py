"""Two rtstage nodes on one PostgreSQL database serve one stage: participants
connected to different nodes see one roster, and DisconnectParticipant and
DeleteStage sent to either node reach the sockets on both."""
import random
import time

import pytest

from conftest import Server, client, pg_database, postgres_only
from events_client import Events, claims_of, run

pytestmark = postgres_only
ROSTER_S = 1.0      # how soon a change on one node shows on the other


def node(db):
    s = Server(db=db)
    s.extra_args = ["--endpoint-events", "ws://127.0.0.1:%d/events" % s.port,
                    "--endpoint-whip", "http://127.0.0.1:%d/whip" % s.port,
                    "--session-idle-timeout", "2"]
    return s.start()


@pytest.fixture
def nodes():
    db = pg_database("ev_%d_%d" % (int(time.time() * 1000), random.randrange(1 << 30)))
    a, b = node(db), node(db)
    yield a, b
    assert a.stop() == 0 and b.stop() == 0


def on(server, tok):
    """The query-form events URL of tok on server (whichever node minted it)."""
    c = claims_of(tok)
    return "ws://127.0.0.1:%d/events?error_over_ws=1&topic=%s/publishers&traceid=n" % (server.port, c["topic"])


def two_joined(nodes):
    a, b = nodes
    ca = client(a)
    st = ca.create_stage(name="two-nodes", participantTokenConfigurations=[{"userId": "on-a"},
                                                                          {"userId": "on-b"}])
    ta, tb = st["participantTokens"]
    return st["stage"], ta, tb


def test_one_roster_across_nodes(nodes):
    a, b = nodes
    st, ta, tb = two_joined(nodes)
    both = {ta["participantId"], tb["participantId"]}

    async def body():
        ea = await Events.join(ta["token"], url=on(a, ta["token"]))
        eb = await Events.join(tb["token"], url=on(b, tb["token"]))
        pa = await ea.roster(both, timeout=ROSTER_S)
        pb = await eb.roster(both, timeout=ROSTER_S)
        assert {p["userId"] for p in pa["participants"]} == {"on-a", "on-b"}
        assert {p["userId"] for p in pb["participants"]} == {"on-a", "on-b"}
        # a change on B reaches A
        await eb.send({"type": "SET_STATE", "version": "0", "audioMuted": True, "videoStopped": True})
        got = await ea.state(lambda p: any(x["id"] == tb["participantId"] and x["audioMuted"]
                                           for x in p["participants"]), timeout=ROSTER_S)
        assert got["sequenceNumber"] > 0
        await eb.close()
        await ea.roster({ta["participantId"]}, timeout=ROSTER_S)
        # both nodes report the one session
        sid = client(a).get_stage(arn=st["arn"])["stage"]["activeSessionId"]
        assert client(b).get_stage(arn=st["arn"])["stage"]["activeSessionId"] == sid
        listed = client(b).list_participants(stageArn=st["arn"], sessionId=sid)["participants"]
        assert {p["participantId"] for p in listed} == both
        await ea.close()
    run(body())


@pytest.mark.parametrize("via", ["a", "b"])
def test_disconnect_participant_through_either_node(nodes, via):
    a, b = nodes
    st, ta, tb = two_joined(nodes)
    api = client(a if via == "a" else b)

    async def body():
        ea = await Events.join(ta["token"], url=on(a, ta["token"]))
        eb = await Events.join(tb["token"], url=on(b, tb["token"]))
        await ea.roster({ta["participantId"], tb["participantId"]}, timeout=ROSTER_S)
        # the participant on the node the call does not reach is the one disconnected
        victim, vtok, witness = (eb, tb, ea) if via == "a" else (ea, ta, eb)
        api.disconnect_participant(stageArn=st["arn"], participantId=vtok["participantId"])
        m = await victim.expect("aws:ivs:DISCONNECT", timeout=ROSTER_S + 1)
        assert m["payload"]["code"] == "PARTICIPANT_DISCONNECTED", m
        await victim.closed()
        p = await witness.state(lambda p: vtok["participantId"] not in {x["id"] for x in p["participants"]},
                                timeout=ROSTER_S + 1)
        assert {"id": vtok["participantId"], "status": "KICKED"} in p["disconnected"], p
        await witness.close()
    run(body())


@pytest.mark.parametrize("via", ["a", "b"])
def test_delete_stage_through_either_node(nodes, via):
    a, b = nodes
    st, ta, tb = two_joined(nodes)

    async def body():
        ea = await Events.join(ta["token"], url=on(a, ta["token"]))
        eb = await Events.join(tb["token"], url=on(b, tb["token"]))
        await eb.roster({ta["participantId"], tb["participantId"]}, timeout=ROSTER_S)
        client(a if via == "a" else b).delete_stage(arn=st["arn"])
        for e in (ea, eb):
            m = await e.expect("aws:ivs:DISCONNECT", timeout=ROSTER_S + 1)
            assert m["payload"]["code"] == "STAGE_DELETED", m
            await e.closed()
    run(body())
