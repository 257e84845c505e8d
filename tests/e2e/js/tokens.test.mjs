// Participant tokens verified by an independent JWT implementation (jose)
// against the JWK Set the running server publishes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createLocalJWKSet, jwtVerify, decodeProtectedHeader } from 'jose';
import { CreateStageCommand, CreateParticipantTokenCommand } from '@aws-sdk/client-ivs-realtime';
import { startServer, ivsClient, BIN } from './server.mjs';

async function jwks(url) {
  const r = await fetch(`${url}/.well-known/jwks.json`);
  assert.equal(r.status, 200);
  return r.json();
}

async function verify(url, token) {
  const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(await jwks(url)),
    { algorithms: ['ES384'] });
  return { payload, protectedHeader };
}

test('tokens verify with jose against the published JWKS, across a restart and a rotation', async () => {
  let server = await startServer();
  let ivs = ivsClient(server.url);
  const { stage, participantTokens } = await ivs.send(new CreateStageCommand({
    name: 'jose', participantTokenConfigurations: [{ userId: 'alice' }, { capabilities: ['SUBSCRIBE'], duration: 1 }],
  }));
  assert.equal(participantTokens.length, 2);

  const set = await jwks(server.url);
  assert.equal(set.keys.length, 1);
  assert.deepEqual(Object.keys(set.keys[0]).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
  assert.equal(set.keys[0].crv, 'P-384');

  const { payload: p, protectedHeader: h } = await verify(server.url, participantTokens[0].token);
  assert.deepEqual(h, { alg: 'ES384', typ: 'JWT', kid: set.keys[0].kid });
  assert.equal(p.jti, participantTokens[0].participantId);
  assert.equal(p.resource, stage.arn);
  assert.equal(p.topic, stage.arn.split('/')[1]);
  assert.equal(p.events_url, stage.endpoints.events);
  assert.equal(p.whip_url, stage.endpoints.whip);
  assert.equal(p.user_id, 'alice');
  assert.equal(p.version, '1.0');
  assert.deepEqual(p.capabilities, { allow_publish: true, allow_subscribe: true });
  assert.equal(p.exp, p.iat + 720 * 60);
  assert.equal(participantTokens[0].expirationTime.getTime() / 1000, p.exp);

  const { payload: p2 } = await verify(server.url, participantTokens[1].token);
  assert.deepEqual(p2.capabilities, { allow_subscribe: true });
  assert.equal(p2.exp, p2.iat + 60);
  assert.equal(p2.user_id, undefined);

  // a tampered token is refused
  const [hd, body, sig] = participantTokens[0].token.split('.');
  const forged = Buffer.from(JSON.stringify({ ...p, user_id: 'mallory' })).toString('base64url');
  await assert.rejects(verify(server.url, `${hd}.${forged}.${sig}`));

  // restart: the same key signs and old tokens still verify
  assert.equal(await server.stop({ keep: true }), 0);
  server = await startServer({ dataDir: server.dataDir, port: server.port });
  ivs = ivsClient(server.url);
  await verify(server.url, participantTokens[0].token);
  assert.deepEqual((await jwks(server.url)).keys, set.keys);

  // rotation while running: new tokens use the new key, old ones still verify
  const said = execFileSync(BIN, ['keys', 'rotate', ...server.storeArgs], { encoding: 'utf8' });
  const rotated = said.split(' ')[3];
  // files: at the next use; the database: within the second that nodes poll it
  let participantToken;
  for (let i = 0; i < 30; i++) {
    ({ participantToken } = await ivs.send(new CreateParticipantTokenCommand({ stageArn: stage.arn, userId: 'bob' })));
    if (decodeProtectedHeader(participantToken.token).kid === rotated) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const newKid = decodeProtectedHeader(participantToken.token).kid;
  assert.equal(newKid, rotated);
  assert.notEqual(newKid, set.keys[0].kid);
  const after = await jwks(server.url);
  assert.deepEqual(after.keys.map((k) => k.kid).sort(), [newKid, set.keys[0].kid].sort());
  assert.equal((await verify(server.url, participantToken.token)).payload.user_id, 'bob');
  assert.equal((await verify(server.url, participantTokens[0].token)).payload.user_id, 'alice');
  assert.equal(await server.stop(), 0);
});

test('CreateParticipantToken with every option, and its errors', async () => {
  const server = await startServer();
  const ivs = ivsClient(server.url);
  try {
    const { stage } = await ivs.send(new CreateStageCommand({}));
    const { participantToken: t } = await ivs.send(new CreateParticipantTokenCommand({
      stageArn: stage.arn, duration: 20160, userId: 'u-1', attributes: { role: 'host', seat: '3' },
      capabilities: ['PUBLISH'],
    }));
    assert.match(t.participantId, /^[A-Za-z0-9]{12}$/);
    assert.equal(t.userId, 'u-1');
    assert.deepEqual(t.attributes, { role: 'host', seat: '3' });
    assert.equal(t.duration, 20160);
    assert.deepEqual(t.capabilities, ['PUBLISH']);
    const { payload } = await verify(server.url, t.token);
    assert.deepEqual(payload.attributes, { role: 'host', seat: '3' });
    assert.deepEqual(payload.capabilities, { allow_publish: true });
    assert.equal(payload.exp - payload.iat, 20160 * 60);
    assert.equal(t.expirationTime.getTime() / 1000, payload.exp);

    await assert.rejects(ivs.send(new CreateParticipantTokenCommand({
      stageArn: stage.arn.replace(/[^/]+$/, 'nostagehere1'),
    })), { name: 'ResourceNotFoundException' });
    await assert.rejects(ivs.send(new CreateParticipantTokenCommand({ stageArn: stage.arn, duration: 20161 })),
      (e) => e.name === 'ValidationException' && e.message.includes("'duration'"));
    await assert.rejects(ivs.send(new CreateParticipantTokenCommand({ stageArn: stage.arn, capabilities: ['ADMIN'] })),
      (e) => e.name === 'ValidationException' && e.message.includes("'capabilities'"));
  } finally {
    assert.equal(await server.stop(), 0);
  }
});
