// Stage sessions and participants through the AWS SDK for JavaScript v3,
// after participants really joined over the events WebSocket (the ws
// package, the token as the subprotocol, as the IVS clients do).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import {
  CreateStageCommand, CreateParticipantTokenCommand, GetStageCommand, GetStageSessionCommand,
  ListStageSessionsCommand, ListParticipantsCommand, GetParticipantCommand,
  ListParticipantEventsCommand, DisconnectParticipantCommand, paginateListParticipants,
} from '@aws-sdk/client-ivs-realtime';
import { freePort, startServer, ivsClient } from './server.mjs';

const IDLE_S = 2;	// --session-idle-timeout
const RECV_MS = 5000;	// the longest any one wait lasts
const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) ' +
  'Chrome/124.0.0.0 Safari/537.36';

let server, ivs;
before(async () => {
  const port = await freePort();
  server = await startServer({ port, args: [
    '--endpoint-events', `ws://127.0.0.1:${port}/events`,
    '--endpoint-whip', `http://127.0.0.1:${port}/whip`,
    '--session-idle-timeout', String(IDLE_S)] });
  ivs = ivsClient(server.url);
});
after(async () => { ivs?.destroy(); assert.equal(await server.stop(), 0); });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const claims = (token) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());

async function until(fn, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
}

// Joins with token at its events_url; resolves once the first STAGE_STATE
// came. Returns {ws, messages, waitFor, state, next, closed}.
function join(token) {
  const c = claims(token);
  const url = `${c.events_url}?error_over_ws=1&topic=${c.topic}/publishers&traceid=js`;
  const ws = new WebSocket(url, token, { headers: { 'User-Agent': UA } });
  const messages = [];
  const waiters = [];
  const s = { ws, messages, closed: new Promise((r) => ws.once('close', (code) => r(code))) };
  ws.on('message', (data) => {
    const m = JSON.parse(String(data));
    messages.push(m);
    for (const w of [...waiters]) if (w.pred(m)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(m); }
  });
  // The first message satisfying pred, among those received or to come.
  s.waitFor = (pred, what) => {
    const old = messages.find(pred);
    if (old) return Promise.resolve(old);
    return s.next(pred, what);
  };
  // The newest STAGE_STATE if its payload satisfies pred (a snapshot is the
  // whole stage), else the first later one that does.
  s.state = (pred, what) => {
    const latest = messages.findLast((m) => m.type === 'STAGE_STATE');
    if (latest && pred(latest.payload)) return Promise.resolve(latest);
    return s.next((m) => m.type === 'STAGE_STATE' && pred(m.payload), what);
  };
  // The first message to come satisfying pred.
  s.next = (pred, what) => {
    return new Promise((resolve, reject) => {
      const w = { pred, resolve };
      waiters.push(w);
      setTimeout(() => { if (waiters.includes(w)) reject(new Error(`no ${what} within ${RECV_MS} ms`)); }, RECV_MS);
    });
  };
  return new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.once('open', () => {
      assert.equal(ws.protocol, token, 'the 101 echoes the token');
      s.waitFor((m) => m.type === 'STAGE_STATE' && m.payload.sequenceNumber > 0, 'STAGE_STATE')
        .then(() => resolve(s), reject);
    });
  });
}

async function newToken(stageArn, input = {}) {
  return (await ivs.send(new CreateParticipantTokenCommand({ stageArn, ...input }))).participantToken;
}

test('a joined stage has a session; its participants and events are the ones that joined', async () => {
  const { stage } = await ivs.send(new CreateStageCommand({ name: 'js-sessions' }));
  const ta = await newToken(stage.arn, { userId: 'ann', attributes: { team: 'red' } });
  const tb = await newToken(stage.arn, { userId: 'ben' });
  assert.equal((await ivs.send(new GetStageCommand({ arn: stage.arn }))).stage.activeSessionId ?? '', '');

  const a = await join(ta.token);
  const b = await join(tb.token);
  await a.state((p) => p.participants.length === 2, 'two in the roster');
  const sessionId = await until(async () =>
    (await ivs.send(new GetStageCommand({ arn: stage.arn }))).stage.activeSessionId, RECV_MS, 'activeSessionId');
  assert.match(sessionId, /^st-[A-Za-z0-9]{13}$/);

  const { stageSession } = await ivs.send(new GetStageSessionCommand({ stageArn: stage.arn, sessionId }));
  assert.equal(stageSession.sessionId, sessionId);
  assert.ok(stageSession.startTime instanceof Date && !stageSession.endTime);

  b.ws.close();
  await b.closed;
  await a.state((p) => p.participants.length === 1 && p.participants[0].id === ta.participantId, 'ben gone');

  // the history records the leave (the snapshot may go out first)
  const { participants } = await until(async () => {
    const r = await ivs.send(new ListParticipantsCommand({ stageArn: stage.arn, sessionId }));
    return r.participants.some((p) => p.participantId === tb.participantId && p.state === 'DISCONNECTED') && r;
  }, RECV_MS, 'ben DISCONNECTED');
  assert.deepEqual(participants.map((p) => p.participantId).sort(), [ta.participantId, tb.participantId].sort());
  const byId = Object.fromEntries(participants.map((p) => [p.participantId, p]));
  assert.equal(byId[ta.participantId].state, 'CONNECTED');
  assert.equal(byId[tb.participantId].state, 'DISCONNECTED');
  assert.equal(byId[ta.participantId].userId, 'ann');
  assert.equal(byId[ta.participantId].published, false);

  const connected = await ivs.send(new ListParticipantsCommand({ stageArn: stage.arn, sessionId, filterByState: 'CONNECTED' }));
  assert.deepEqual(connected.participants.map((p) => p.participantId), [ta.participantId]);
  const ben = await ivs.send(new ListParticipantsCommand({ stageArn: stage.arn, sessionId, filterByUserId: 'ben' }));
  assert.deepEqual(ben.participants.map((p) => p.participantId), [tb.participantId]);

  const walked = [];
  for await (const page of paginateListParticipants({ client: ivs, pageSize: 1 }, { stageArn: stage.arn, sessionId })) {
    assert.ok(page.participants.length <= 1);
    walked.push(...page.participants.map((p) => p.participantId));
  }
  assert.deepEqual(walked.sort(), [ta.participantId, tb.participantId].sort());

  const { participant } = await ivs.send(new GetParticipantCommand({
    stageArn: stage.arn, sessionId, participantId: ta.participantId }));
  assert.equal(participant.userId, 'ann');
  assert.deepEqual(participant.attributes, { team: 'red' });
  assert.equal(participant.state, 'CONNECTED');
  assert.ok(participant.firstJoinTime instanceof Date);
  assert.match(participant.browserName ?? '', /chrom/i);
  assert.match(participant.osName ?? '', /linux/i);

  const { events } = await ivs.send(new ListParticipantEventsCommand({
    stageArn: stage.arn, sessionId, participantId: tb.participantId }));
  assert.deepEqual(events.map((e) => e.name), ['JOINED', 'LEFT']);
  assert.ok(events.every((e) => e.participantId === tb.participantId && e.eventTime instanceof Date));

  // DisconnectParticipant reaches ann's socket and the history says so
  await ivs.send(new DisconnectParticipantCommand({ stageArn: stage.arn, participantId: ta.participantId }));
  const bye = await a.waitFor((m) => m.type === 'aws:ivs:DISCONNECT', 'DISCONNECT');
  assert.equal(bye.payload.code, 'PARTICIPANT_DISCONNECTED');
  await Promise.race([a.closed, sleep(RECV_MS).then(() => { throw new Error('socket not closed'); })]);
  const gone = await until(async () => {
    const { participant: p } = await ivs.send(new GetParticipantCommand({
      stageArn: stage.arn, sessionId, participantId: ta.participantId }));
    return p.state === 'DISCONNECTED' && p;
  }, RECV_MS, 'ann DISCONNECTED');
  assert.equal(gone.userId, 'ann');

  // the session ends the idle timeout after the last one left
  const ended = await until(async () => (await ivs.send(new GetStageSessionCommand({
    stageArn: stage.arn, sessionId }))).stageSession.endTime, (IDLE_S + 4) * 1000, 'the session to end');
  assert.ok(ended > stageSession.startTime);
  assert.equal((await ivs.send(new GetStageCommand({ arn: stage.arn }))).stage.activeSessionId ?? '', '');
  const { stageSessions } = await ivs.send(new ListStageSessionsCommand({ stageArn: stage.arn }));
  assert.deepEqual(stageSessions.map((s) => s.sessionId), [sessionId]);
});

test('an unknown participant of a real session is ResourceNotFoundException', async () => {
  const { stage } = await ivs.send(new CreateStageCommand({ name: 'js-404' }));
  const t = await newToken(stage.arn);
  const s = await join(t.token);
  const sessionId = await until(async () =>
    (await ivs.send(new GetStageCommand({ arn: stage.arn }))).stage.activeSessionId, RECV_MS, 'activeSessionId');
  await assert.rejects(ivs.send(new GetParticipantCommand({
    stageArn: stage.arn, sessionId, participantId: 'nobodyHere12' })), (e) => {
    assert.equal(e.name, 'ResourceNotFoundException');
    assert.equal(e.$metadata.httpStatusCode, 404);
    return true;
  });
  s.ws.close();
  await s.closed;
});
