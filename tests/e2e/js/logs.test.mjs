// The request log through the AWS SDK for JavaScript v3: one JSON line per
// request, whose request id is the response's x-amzn-RequestId.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateStageCommand, GetStageCommand } from '@aws-sdk/client-ivs-realtime';
import { CloudControlClient, ListResourcesCommand } from '@aws-sdk/client-cloudcontrol';
import { startServer, ivsClient } from './server.mjs';

let server;
before(async () => { server = await startServer({ args: ['--log-format', 'json'] }); });
after(async () => { await server.stop(); });

function lineOf(requestId) {
  const lines = readFileSync(join(server.dataDir, 'server.log'), 'utf8').split('\n')
    .filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  return lines.find((r) => r.msg === 'request' && r.request_id === requestId);
}

async function waitLine(requestId) {
  for (let i = 0; i < 100; i++) {
    const r = lineOf(requestId);
    if (r) return r;
    await new Promise((ok) => setTimeout(ok, 20));
  }
  throw new Error(`no log line for ${requestId}`);
}

test('a success is logged with its operation and request id', async () => {
  const ivs = ivsClient(server.url, 'us-west-2');
  const out = await ivs.send(new CreateStageCommand({ name: 'js-logged' }));
  const rec = await waitLine(out.$metadata.requestId);
  assert.equal(rec.operation, 'CreateStage');
  assert.equal(rec.status, 200);
  assert.equal(rec.error, null);
  assert.equal(rec.region, 'us-west-2');
  assert.equal(rec.remote, '127.0.0.1');
});

test('an error is logged with its AWS error name', async () => {
  const ivs = ivsClient(server.url);
  const err = await ivs.send(new GetStageCommand({
    arn: 'arn:aws:ivs:us-east-1:123456789012:stage/JSjsJSjsJSjs',
  })).catch((e) => e);
  assert.equal(err.name, 'ResourceNotFoundException');
  const rec = await waitLine(err.$metadata.requestId);
  assert.equal(rec.operation, 'GetStage');
  assert.equal(rec.status, 404);
  assert.equal(rec.error, 'ResourceNotFoundException');
});

test('a Cloud Control call is logged with its operation', async () => {
  const cc = new CloudControlClient({
    region: 'us-east-1', endpoint: server.url, maxAttempts: 1,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
  });
  const out = await cc.send(new ListResourcesCommand({ TypeName: 'AWS::IVS::Stage' }));
  const rec = await waitLine(out.$metadata.requestId);
  assert.equal(rec.operation, 'ListResources');
  assert.equal(rec.status, 200);
});
