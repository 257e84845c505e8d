// Smoke tests of the browser tier itself: the official IVS Web Broadcast SDK
// loads in Debian's Chromium, accepts a token rtstage issued, and join()
// goes as far as the events WebSocket named in the token; the page never
// leaves loopback; and every process the harness started is gone after it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { isLoopback, startHarness, tokenClaims, until } from './harness.mjs';

describe('browser tier: IVS Web Broadcast SDK 1.41.0 in Chromium against rtstage', () => {
  let h;
  before(async () => { h = await startHarness(); });
  after(async () => { await h?.close(); });

  test('the test page loads the SDK bundle, which exposes Stage, LocalStageStream and StageEvents', async () => {
    const p = await h.openPage();
    const api = await p.api();
    assert.equal(api.client, true, 'window.IVSBroadcastClient');
    assert.equal(api.Stage, true, 'IVSBroadcastClient.Stage');
    assert.equal(api.LocalStageStream, true, 'IVSBroadcastClient.LocalStageStream');
    for (const name of ['STAGE_CONNECTION_STATE_CHANGED', 'STAGE_PARTICIPANT_JOINED',
      'STAGE_PARTICIPANT_LEFT', 'STAGE_PARTICIPANT_STREAMS_ADDED', 'STAGE_LEFT'])
      assert.ok(api.StageEvents.includes(name), `StageEvents.${name}`);
    assert.deepEqual(api.SubscribeType.sort(), ['audio_only', 'audio_video', 'none']);
    await p.close();
  });

  test('join() with a CreateParticipantToken token opens the events WebSocket at the token\'s events_url, token as subprotocol', async () => {
    const stage = await h.createStage({ name: 'browser-smoke' });
    const { token, participantId } = await h.token(stage.arn, { userId: 'viewer' });
    const claims = tokenClaims(token);
    assert.equal(claims.jti, participantId);
    assert.ok(isLoopback(claims.events_url), `events_url ${claims.events_url} is on loopback`);

    const p = await h.openPage();
    await p.start(token, { publish: false, subscribe: true });	// throws if the SDK refuses the token
    const ws = await p.waitForSocket(claims.events_url);
    const u = new URL(ws.url);
    assert.equal(`${u.origin}${u.pathname}`, claims.events_url);
    assert.equal(u.searchParams.get('topic'), `${claims.topic}/publishers`);
    await until(() => ws.protocol !== null, 5000, 'the handshake headers');
    assert.equal(ws.protocol, token, 'the token is the only credential, as the subprotocol');
    const connecting = await p.waitForEvent('stageConnectionStateChanged');
    assert.equal(typeof connecting.args[0], 'string');
    await p.leave();
    await p.close();
  });

  test('a publishing page gets the fake camera (640x360) and microphone as LocalStageStreams', async () => {
    const stage = await h.createStage({});
    const { token } = await h.token(stage.arn, { capabilities: ['PUBLISH', 'SUBSCRIBE'] });
    const p = await h.openPage();
    await p.start(token, { publish: true });
    const local = await p.page.evaluate(() => window.rt.local.map((t) => ({
      kind: t.kind, state: t.readyState, width: t.getSettings().width,
      height: t.getSettings().height })));
    assert.deepEqual(local.map((t) => t.kind).sort(), ['audio', 'video']);
    assert.ok(local.every((t) => t.state === 'live'));
    const video = local.find((t) => t.kind === 'video');
    assert.deepEqual([video.width, video.height], [640, 360]);
    await p.leave();
    await p.close();
  });

  test('the page reaches no host but loopback: off-machine requests fail at once, the SDK\'s analytics harmlessly', async () => {
    const stage = await h.createStage({});
    const { token } = await h.token(stage.arn);
    const p = await h.openPage();
    const probe = await p.page.evaluate(async () => {
      const t0 = performance.now();
      try { await fetch('https://example.com/'); return { ok: true }; } catch (e) {
        return { ok: false, ms: performance.now() - t0 };
      }
    });
    assert.equal(probe.ok, false, 'a fetch off this machine fails');
    assert.ok(probe.ms < 2000, `and fails at once (${probe.ms} ms)`);
    await p.start(token);
    await p.waitForSocket(tokenClaims(token).events_url);
    // The SDK posts analytics from the start of join(): aborted, and the
    // page goes on without an uncaught error.
    await until(() => p.blocked.some((u) => u !== 'https://example.com/'), 10000,
      'the SDK\'s first off-machine request');
    await p.leave();
    for (const r of p.requests)
      assert.ok(isLoopback(r.url) || p.blocked.includes(r.url), `${r.method} ${r.url} went out`);
    assert.ok(p.blocked.every((u) => !isLoopback(u)));
    assert.ok(!p.log.some((l) => l.startsWith('pageerror:')), p.log.join('\n'));
    await p.close();
  });

  test('closing the harness ends every Chromium and rtstage process it started, checked by PID', async () => {
    const pids = h.pids();
    const whats = new Set(h.alive().map((p) => p.what));
    assert.ok(whats.has('rtstage') && whats.has('chromium') && whats.has('chromium child'),
      [...whats].join(', '));
    const profile = h.userDataDir;
    assert.ok(profile && existsSync(profile), `a fresh user-data-dir: ${profile}`);
    assert.deepEqual(await h.close(), []);
    for (const pid of pids) {
      const gone = !existsSync(`/proc/${pid}`) || h.alive().every((p) => p.pid !== pid);
      assert.ok(gone, `process ${pid} still runs`);
    }
    assert.ok(!existsSync(profile), `user-data-dir ${profile} removed`);
  });
});
