// The events and WHIP endpoints name rtstage itself (--public-url, or the
// listen address by default), in stages and token claims, through the AWS
// SDK for JavaScript; and the SDK over HTTPS with a self-signed certificate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateStageCommand, IVSRealTimeClient } from '@aws-sdk/client-ivs-realtime';
import { BIN, freePort, ivsClient, startServer } from './server.mjs';

const claims = (token) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());

async function endpointsOf(ivs) {
  const { stage, participantTokens } = await ivs.send(new CreateStageCommand({
    participantTokenConfigurations: [{ userId: 'js' }],
  }));
  const c = claims(participantTokens[0].token);
  assert.equal(c.events_url, stage.endpoints.events);
  assert.equal(c.whip_url, stage.endpoints.whip);
  assert.match(stage.endpoints.rtmps, /^rtmps:\/\/[0-9a-f]{12}\.global-contribute\.live-video\.net:443\/app\/$/);
  return stage.endpoints;
}

test('by default the endpoints are the listen address with its port', async () => {
  const server = await startServer();
  try {
    const ep = await endpointsOf(ivsClient(server.url));
    assert.equal(ep.events, `ws://127.0.0.1:${server.port}/events`);
    assert.equal(ep.whip, `http://127.0.0.1:${server.port}/whip`);
  } finally {
    assert.equal(await server.stop(), 0);
  }
});

test('--public-url names the endpoints; a template still wins', async () => {
  const server = await startServer({ args: ['--public-url', 'https://stage.example.test:8443',
    '--endpoint-whip', 'https://{region}.whip.example.test'] });
  try {
    const ep = await endpointsOf(ivsClient(server.url));
    assert.equal(ep.events, 'wss://stage.example.test:8443/events');
    assert.equal(ep.whip, 'https://us-east-1.whip.example.test');
  } finally {
    assert.equal(await server.stop(), 0);
  }
});

test('the SDK over HTTPS, trusting a self-signed certificate', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rtstage-js-tls-'));
  const cert = join(dir, 'cert.pem'), key = join(dir, 'key.pem'), log = join(dir, 'server.log');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
    '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
  const port = await freePort();
  const fd = openSync(log, 'a');
  const proc = spawn(BIN, ['serve', '--listen', `127.0.0.1:${port}`, '--data-dir', join(dir, 'data'),
    '--tls-cert', cert, '--tls-key', key], { stdio: ['ignore', fd, fd] });
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  try {
    for (let i = 0; i < 500 && !readFileSync(log, 'utf8').includes('ready at'); i++)
      await new Promise((r) => setTimeout(r, 20));
    const url = `https://127.0.0.1:${port}`;
    assert.match(readFileSync(log, 'utf8'), new RegExp(`ready at ${url} \\(protected mode, TLS`));
    const ivs = new IVSRealTimeClient({
      region: 'us-east-1', endpoint: url, maxAttempts: 1,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      requestHandler: { httpsAgent: new Agent({ ca: readFileSync(cert) }) },
    });
    const ep = await endpointsOf(ivs);
    assert.equal(ep.events, `wss://127.0.0.1:${port}/events`);
    assert.equal(ep.whip, `https://127.0.0.1:${port}/whip`);
    // without the certificate trusted, the SDK refuses the connection
    await assert.rejects(ivsClient(url).send(new CreateStageCommand({})),
      /self[- ]signed|certificate/i);
  } finally {
    proc.kill('SIGTERM');
    assert.equal(await exited, 0);
    const text = readFileSync(log, 'utf8');
    rmSync(dir, { recursive: true, force: true });
    assert.doesNotMatch(text, /ERROR: (Address|Leak)Sanitizer|runtime error:/);
  }
});
