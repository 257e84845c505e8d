// Strict mode through the AWS SDK for JavaScript v3: its SigV4 signatures
// are verified, and keys are held to their accounts and actions.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateStageCommand, GetStageCommand, DeleteStageCommand, ListStagesCommand,
  TagResourceCommand, UntagResourceCommand, ListTagsForResourceCommand,
} from '@aws-sdk/client-ivs-realtime';
import { startServer, ivsClient } from './server.mjs';

const CREDS = `[ops]
aws_access_key_id = AKIAJSOPS00000000001
aws_secret_access_key = js-ops
account_id = 121212121212

[reader]
aws_access_key_id = AKIAJSREAD0000000001
aws_secret_access_key = js-read
account_id = 121212121212
actions = ivs:Get* ivs:List*

[temp]
aws_access_key_id = ASIAJSTEMP0000000001
aws_secret_access_key = js-temp
aws_session_token = js/session+token=
account_id = 121212121212
`;

let server;
const as = (key, opts = {}) => ivsClient(server.url, opts.region ?? 'us-east-1', key, opts);

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rtstage-js-creds-'));
  writeFileSync(join(dir, 'creds'), CREDS);
  server = await startServer({ args: ['--credentials', join(dir, 'creds')] });
});
after(async () => { assert.equal(await server.stop(), 0); });

test('a valid key works, including tag operations on encoded ARNs', async () => {
  const ops = as('AKIAJSOPS00000000001', { secretAccessKey: 'js-ops' });
  const { stage } = await ops.send(new CreateStageCommand({ name: 'js', tags: { a: '1' } }));
  assert.ok(stage.arn.includes(':121212121212:stage/'));
  await ops.send(new TagResourceCommand({ resourceArn: stage.arn, tags: { 'b c': 'd/e' } }));
  await ops.send(new UntagResourceCommand({ resourceArn: stage.arn, tagKeys: ['a', 'zz'] }));
  const { tags } = await ops.send(new ListTagsForResourceCommand({ resourceArn: stage.arn }));
  assert.deepEqual(tags, { 'b c': 'd/e' });
  await ops.send(new DeleteStageCommand({ arn: stage.arn }));
});

test('wrong secret, unknown key, skewed clock', async () => {
  await assert.rejects(as('AKIAJSOPS00000000001', { secretAccessKey: 'nope' }).send(new ListStagesCommand({})),
    (e) => e.name === 'InvalidSignatureException' && e.$metadata.httpStatusCode === 403);
  await assert.rejects(as('AKIAJSNOBODY00000001', { secretAccessKey: 'x' }).send(new ListStagesCommand({})),
    (e) => e.name === 'UnrecognizedClientException' && e.$metadata.httpStatusCode === 403);
  await assert.rejects(as('AKIAJSOPS00000000001', { secretAccessKey: 'js-ops', systemClockOffset: -10 * 60 * 1000 })
    .send(new ListStagesCommand({})),
  (e) => e.name === 'InvalidSignatureException' && e.message.startsWith('Signature expired'));
  const fine = await as('AKIAJSOPS00000000001', { secretAccessKey: 'js-ops', systemClockOffset: -2 * 60 * 1000 })
    .send(new ListStagesCommand({}));
  assert.ok(Array.isArray(fine.stages));
});

test('session tokens', async () => {
  const ok = as('ASIAJSTEMP0000000001', { secretAccessKey: 'js-temp', sessionToken: 'js/session+token=' });
  assert.ok(Array.isArray((await ok.send(new ListStagesCommand({}))).stages));
  await assert.rejects(as('ASIAJSTEMP0000000001', { secretAccessKey: 'js-temp' }).send(new ListStagesCommand({})),
    { name: 'UnrecognizedClientException' });
});

test('a read-only key reads but may not change', async () => {
  const ops = as('AKIAJSOPS00000000001', { secretAccessKey: 'js-ops' });
  const reader = as('AKIAJSREAD0000000001', { secretAccessKey: 'js-read' });
  const { stage } = await ops.send(new CreateStageCommand({ name: 'ro' }));
  assert.equal((await reader.send(new GetStageCommand({ arn: stage.arn }))).stage.name, 'ro');
  await assert.rejects(reader.send(new DeleteStageCommand({ arn: stage.arn })), (e) => {
    assert.equal(e.name, 'AccessDeniedException');
    assert.equal(e.message, `User: arn:aws:iam::121212121212:user/reader is not authorized to perform: `
      + `ivs:DeleteStage on resource: ${stage.arn}`);
    return true;
  });
  await assert.rejects(reader.send(new TagResourceCommand({ resourceArn: stage.arn, tags: { a: 'b' } })),
    { name: 'AccessDeniedException' });
});
