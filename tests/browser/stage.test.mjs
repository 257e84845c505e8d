// The official IVS Web Broadcast SDK joins a stage of rtstage: two pages
// with subscribe-only strategies reach `connected` and see each other; the
// API's roster is theirs; leave() takes a participant out of the other's
// roster; DisconnectParticipant and DeleteStage make the SDK leave with the
// reasons it reports (StageLeftReason).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startHarness, until } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const {
  GetStageCommand, GetParticipantCommand, ListParticipantsCommand, DisconnectParticipantCommand,
  DeleteStageCommand,
} = createRequire(join(here, '..', 'e2e', 'js', 'server.mjs'))('@aws-sdk/client-ivs-realtime');

const JOIN_MS = 15000;	// the SDK's own join wait is 12 s

describe('browser tier: two SDK participants on one rtstage stage', () => {
  let h, stage, a, b, c, ta, tb, tc, sessionId;
  before(async () => { h = await startHarness(); });
  after(async () => {
    for (const p of [a, b, c]) await p?.close().catch(() => {});
    assert.deepEqual(await h?.close(), []);
  });

  // Opens a page and starts a subscribe-only join with token.
  async function joined(token) {
    const p = await h.openPage();
    await p.start(token, { publish: false, subscribe: true });
    await until(() => p.joined(), JOIN_MS, 'join() to settle');
    assert.deepEqual(await p.joined(), { ok: true }, p.log.join('\n'));
    await p.waitForEvent('stageConnectionStateChanged', (args) => args[0] === 'connected', JOIN_MS);
    return p;
  }

  const sees = (p, id, ms = JOIN_MS) => p.waitForEvent('stageParticipantJoined',
    (args) => args[0]?.id === id && args[0]?.isLocal === false, ms);

  const roster = async () => (await h.ivs.send(new ListParticipantsCommand({
    stageArn: stage.arn, sessionId }))).participants;

  test('two pages join with CreateParticipantToken tokens, reach connected and see each other', async () => {
    stage = await h.createStage({ name: 'browser-stage' });
    ta = await h.token(stage.arn, { userId: 'page-a', capabilities: ['SUBSCRIBE'] });
    tb = await h.token(stage.arn, { userId: 'page-b', capabilities: ['SUBSCRIBE'] });
    a = await joined(ta.token);
    b = await joined(tb.token);
    const seenByA = await sees(a, tb.participantId);
    const seenByB = await sees(b, ta.participantId);
    assert.equal(seenByA.args[0].userId, 'page-b');
    assert.equal(seenByB.args[0].userId, 'page-a');
  });

  test('ListParticipants shows both CONNECTED, from Chromium', async () => {
    sessionId = await until(async () => (await h.ivs.send(new GetStageCommand({ arn: stage.arn })))
      .stage.activeSessionId, 5000, 'activeSessionId');
    const list = await roster();
    assert.deepEqual(list.map((p) => p.participantId).sort(), [ta.participantId, tb.participantId].sort());
    for (const p of list) {
      assert.equal(p.state, 'CONNECTED', JSON.stringify(p));
      assert.equal(p.published, false);
    }
    for (const t of [ta, tb]) {
      const { participant } = await h.ivs.send(new GetParticipantCommand({
        stageArn: stage.arn, sessionId, participantId: t.participantId }));
      assert.match(participant.browserName ?? '', /chrom/i, JSON.stringify(participant));
      assert.match(participant.osName ?? '', /linux/i, JSON.stringify(participant));
    }
  });

  test('leave() takes the participant out of the other\'s roster', async () => {
    await b.leave();
    const left = await a.waitForEvent('stageParticipantLeft', (args) => args[0]?.id === tb.participantId);
    assert.equal(left.args[0].isLocal, false);
    await until(async () => (await roster()).find((p) => p.participantId === tb.participantId)
      ?.state === 'DISCONNECTED', 5000, 'page-b DISCONNECTED in ListParticipants');
  });

  test('DisconnectParticipant makes the SDK leave with participant-disconnected', async () => {
    tc = await h.token(stage.arn, { userId: 'page-c', capabilities: ['SUBSCRIBE'] });
    c = await joined(tc.token);
    await sees(c, ta.participantId);
    await h.ivs.send(new DisconnectParticipantCommand({ stageArn: stage.arn,
      participantId: ta.participantId, reason: 'test' }));
    const left = await a.waitForEvent('stageLeft', () => true, 5000);
    assert.equal(left.args[0], 'participant-disconnected');
    await c.waitForEvent('stageParticipantLeft', (args) => args[0]?.id === ta.participantId, 5000);
  });

  test('DeleteStage makes the other leave with stage-deleted', async () => {
    await h.ivs.send(new DeleteStageCommand({ arn: stage.arn }));
    const left = await c.waitForEvent('stageLeft', () => true, 5000);
    assert.equal(left.args[0], 'stage-deleted');
    const states = (await c.events()).filter((e) => e.name === 'stageConnectionStateChanged')
      .map((e) => e.args[0]);
    assert.equal(states.at(-1), 'disconnected');
  });
});
