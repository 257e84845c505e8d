// The official IVS Web Broadcast SDK joins a stage of rtstage with a token
// the application signed itself: a P-384 key made by openssl as the IVS
// guide makes it, its public half imported with ImportPublicKey, the token
// signed here in node (ES384, raw R||S) with the imported key's ARN as kid
// and the stage's endpoints (the test server's) as events_url and whip_url.
// The page reaches `connected` and the API lists the participant; once the
// key is deleted the same token is refused.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPrivateKey, randomUUID, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isLoopback, startHarness, tokenClaims, until } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { ImportPublicKeyCommand, DeletePublicKeyCommand, GetStageCommand, ListParticipantsCommand } =
  createRequire(join(here, '..', 'e2e', 'js', 'server.mjs'))('@aws-sdk/client-ivs-realtime');
const JOIN_MS = 20000;

// A P-384 key pair made as the IVS guide makes it: {priv (KeyObject), pub (PEM text)}.
function keyPair() {
  const d = mkdtempSync(join(tmpdir(), 'rtstage-custkey-'));
  try {
    execFileSync('openssl', ['ecparam', '-name', 'secp384r1', '-genkey', '-noout', '-out', 'priv.pem'], { cwd: d });
    execFileSync('openssl', ['ec', '-in', 'priv.pem', '-pubout', '-out', 'pub.pem'], { cwd: d, stdio: 'ignore' });
    return { priv: createPrivateKey(readFileSync(join(d, 'priv.pem'))), pub: readFileSync(join(d, 'pub.pem'), 'utf8') };
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
}

const b64url = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

// A compact JWS of claims, header {alg ES384, typ JWT, kid}, signed by priv.
function signToken(priv, kid, claims) {
  const text = `${b64url({ alg: 'ES384', typ: 'JWT', kid })}.${b64url(claims)}`;
  const sig = sign('sha384', Buffer.from(text), { key: priv, dsaEncoding: 'ieee-p1363' });
  return `${text}.${sig.toString('base64url')}`;
}

// The claims of a participant token for stage, as the IVS guide lists them.
function claimsFor(stage, over = {}) {
  const now = Math.floor(Date.now() / 1000);
  return {
    exp: now + 3600, iat: now, jti: `cust-${randomUUID().slice(0, 12)}`,
    resource: stage.arn, topic: stage.arn.split('/').pop(),
    events_url: stage.endpoints.events, whip_url: stage.endpoints.whip,
    user_id: 'self-signed', attributes: { origin: 'app' },
    capabilities: { allow_subscribe: true }, version: '1.0', ...over,
  };
}

describe('browser tier: the IVS Web Broadcast SDK joins with a customer-signed token', () => {
  let h, key, kid, stage;
  before(async () => {
    h = await startHarness();
    key = keyPair();
    kid = (await h.ivs.send(new ImportPublicKeyCommand({ publicKeyMaterial: key.pub, name: 'app' })))
      .publicKey.arn;
    stage = await h.createStage({ name: 'customer-signed' });
  });
  after(async () => { await h?.close(); });

  test('join() with a token the application signed reaches connected; ListParticipants shows it', async () => {
    const claims = claimsFor(stage);
    const token = signToken(key.priv, kid, claims);
    assert.ok(isLoopback(tokenClaims(token).events_url), `events_url ${claims.events_url} is the test server`);
    assert.ok(isLoopback(tokenClaims(token).whip_url), `whip_url ${claims.whip_url} is the test server`);
    const p = await h.openPage();
    await p.start(token, { publish: false, subscribe: true });
    await until(() => p.joined(), JOIN_MS, 'join() to settle');
    assert.deepEqual(await p.joined(), { ok: true }, p.log.join('\n'));
    await p.waitForEvent('stageConnectionStateChanged', (args) => args[0] === 'connected', JOIN_MS);
    const ws = await p.waitForSocket(claims.events_url);
    await until(() => ws.protocol !== null, 5000, 'the handshake headers');
    assert.equal(ws.protocol, token, 'the customer-signed token is the subprotocol');
    const sessionId = (await h.ivs.send(new GetStageCommand({ arn: stage.arn }))).stage.activeSessionId;
    assert.ok(sessionId, 'the join began a session');
    const parts = (await h.ivs.send(new ListParticipantsCommand({ stageArn: stage.arn, sessionId })))
      .participants;
    const me = parts.find((x) => x.participantId === claims.jti);
    assert.ok(me, JSON.stringify(parts));
    assert.equal(me.userId, 'self-signed');
    assert.equal(me.state, 'CONNECTED');
    await p.leave();
    await p.close();
  });

  test('after DeletePublicKey the SDK\'s join() fails with the token refused', async () => {
    const token = signToken(key.priv, kid, claimsFor(stage));
    await h.ivs.send(new DeletePublicKeyCommand({ arn: kid }));
    const p = await h.openPage();
    await p.start(token, { publish: false, subscribe: true });
    await until(() => p.joined(), JOIN_MS, 'join() to settle');
    const joined = await p.joined();
    assert.equal(joined.ok, false, JSON.stringify(joined));
    const ws = await p.waitForSocket(stage.endpoints.events);
    await until(() => ws.received.some((m) => m.includes('aws:ivs:JOIN_ERROR')), 5000, 'a JOIN_ERROR');
    const err = JSON.parse(ws.received.find((m) => m.includes('aws:ivs:JOIN_ERROR')));
    assert.equal(err.payload.code, 'TOKEN_INVALID_SIGNATURE');
    await p.close();
  });
});
