// Imported public keys through the AWS SDK for JavaScript v3: ImportPublicKey,
// GetPublicKey, ListPublicKeys, DeletePublicKey, with keys made by node's crypto.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import {
  ImportPublicKeyCommand, GetPublicKeyCommand, ListPublicKeysCommand, DeletePublicKeyCommand,
  ListTagsForResourceCommand, paginateListPublicKeys,
} from '@aws-sdk/client-ivs-realtime';
import { startServer, ivsClient } from './server.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { assert.equal(await server.stop(), 0); });

const account = () => String(Math.floor(Math.random() * 1e12)).padStart(12, '0');

function pem(namedCurve = 'secp384r1') {
  return generateKeyPairSync('ec', {
    namedCurve, publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  }).publicKey;
}

// SHA-256 of the DER SubjectPublicKeyInfo, as colon-separated hex pairs.
function fingerprint(text) {
  const der = createPublicKey(text).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex').match(/../g).join(':');
}

test('import, get, list and delete a public key', async () => {
  const acct = account();
  const ivs = ivsClient(server.url, 'us-east-1', acct);
  const material = pem();
  const { publicKey: k } = await ivs.send(new ImportPublicKeyCommand({
    publicKeyMaterial: material, name: 'js-key', tags: { app: 'js' },
  }));
  assert.match(k.arn, new RegExp(`^arn:aws:ivs:us-east-1:${acct}:public-key/[A-Za-z0-9]{12}$`));
  assert.equal(k.publicKeyMaterial, material);
  assert.equal(k.fingerprint, fingerprint(material));
  assert.deepEqual([k.name, k.tags], ['js-key', { app: 'js' }]);
  assert.deepEqual((await ivs.send(new GetPublicKeyCommand({ arn: k.arn }))).publicKey, k);
  const { publicKeys } = await ivs.send(new ListPublicKeysCommand({}));
  assert.deepEqual(publicKeys, [{ arn: k.arn, name: 'js-key', tags: { app: 'js' } }]);
  assert.deepEqual((await ivs.send(new ListTagsForResourceCommand({ resourceArn: k.arn }))).tags, { app: 'js' });
  await ivs.send(new DeletePublicKeyCommand({ arn: k.arn }));
  await assert.rejects(ivs.send(new GetPublicKeyCommand({ arn: k.arn })), (e) => {
    assert.equal(e.name, 'ResourceNotFoundException');
    assert.equal(e.$metadata.httpStatusCode, 404);
    return true;
  });
  assert.deepEqual((await ivs.send(new ListPublicKeysCommand({}))).publicKeys, []);
});

test('refusals: P-256, duplicate, quota, another account', async () => {
  const acct = account();
  const ivs = ivsClient(server.url, 'us-east-1', acct);
  await assert.rejects(ivs.send(new ImportPublicKeyCommand({ publicKeyMaterial: pem('prime256v1') })),
    (e) => e.name === 'ValidationException' && /P-384/.test(e.message));
  const keys = [pem(), pem(), pem()];
  const arns = [];
  for (const material of keys) {
    arns.push((await ivs.send(new ImportPublicKeyCommand({ publicKeyMaterial: material }))).publicKey.arn);
  }
  await assert.rejects(ivs.send(new ImportPublicKeyCommand({ publicKeyMaterial: keys[0] })),
    (e) => e.name === 'ConflictException' && e.$metadata.httpStatusCode === 409);
  await assert.rejects(ivs.send(new ImportPublicKeyCommand({ publicKeyMaterial: pem() })),
    (e) => e.name === 'ServiceQuotaExceededException' && e.$metadata.httpStatusCode === 402);
  const other = ivsClient(server.url, 'us-east-1', account());
  await assert.rejects(other.send(new GetPublicKeyCommand({ arn: arns[0] })),
    { name: 'ResourceNotFoundException' });
  await assert.rejects(other.send(new DeletePublicKeyCommand({ arn: arns[0] })),
    { name: 'ResourceNotFoundException' });
  const seen = [];
  for await (const page of paginateListPublicKeys({ client: ivs, pageSize: 2 }, {})) {
    assert.ok(page.publicKeys.length <= 2);
    seen.push(...page.publicKeys.map((k) => k.arn));
  }
  assert.deepEqual(seen, arns);
});
