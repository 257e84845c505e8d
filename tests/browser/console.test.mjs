// The web console (/console/) in Chromium against a real rtstage: a stage
// created in the console is found by the AWS CLI; one made with the AWS SDK
// for JavaScript appears in the console; a token minted in the console
// joins the official IVS Web Broadcast SDK (the harness's page), publishing
// a fake camera, and the console shows it live and publishing with its
// video tile decoding frames; the console disconnects it and the SDK page
// leaves; the session's timeline lists the events in order; in strict mode
// a read-only key's CreateStage shows the API's AccessDeniedException.
// The console's page may reach its own server only. Screenshots of the main
// pages go to build/screenshots/ (not committed).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startHarness, until } from './harness.mjs';
import { ivsClient, startServer } from '../e2e/js/server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const SHOTS = join(root, 'build', 'screenshots');
const {
  CreateStageCommand, ListParticipantEventsCommand,
} = createRequire(join(here, '..', 'e2e', 'js', 'server.mjs'))('@aws-sdk/client-ivs-realtime');

const JOIN_MS = 15000;		// the SDK's own join wait is 12 s
const UI_MS = 10000;		// for the console to show what the API says (it polls every 2 s)
const FRAMES = 10;		// decoded frames the console's tile must grow by ...
const FRAMES_MS = 15000;	// ... within this long

// The console's page in a context of its own: requests off its server are
// aborted and recorded; console errors (a CSP violation among them) kept.
async function openConsole(browser, base, viewport = { width: 1280, height: 900 }) {
  const context = await browser.newContext({ viewport });
  const foreign = [];
  const origin = new URL(base).origin;
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (new URL(url).origin === origin || /^(data|blob):/.test(url)) return route.continue();
    foreign.push(url);
    return route.abort('internetdisconnected');
  });
  const page = await context.newPage();
  const log = [];
  page.on('console', (m) => { if (m.type() === 'error') log.push(m.text()); });
  page.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
  await page.goto(`${base}/console`);
  return { page, context, foreign, log };
}

async function signIn(page, key, secret, region = 'us-east-1') {
  await page.getByLabel('Access key ID').fill(key);
  await page.getByLabel('Secret access key').fill(secret);
  await page.getByLabel('Region').fill(region);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Stages', level: 1 }).waitFor({ timeout: UI_MS });
}

async function shot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

// `aws ivs-realtime ARGS` against url (Debian's awscli, the repository's
// model), as account 111122223333 (protected mode: a 12-digit key is its account).
function aws(url, ...args) {
  const env = { ...process.env, AWS_DATA_PATH: join(root, 'spec', 'aws-models'),
    AWS_ACCESS_KEY_ID: '111122223333', AWS_SECRET_ACCESS_KEY: 'x', AWS_DEFAULT_REGION: 'us-east-1',
    AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_PAGER: '' };
  return JSON.parse(execFileSync('/usr/bin/aws', ['--endpoint-url', url, '--output', 'json',
    'ivs-realtime', ...args], { env, encoding: 'utf8', timeout: 60000 }));
}

describe('the web console, protected mode', () => {
  let h, con, sdk, stageArn, participantId, sessionId;
  before(async () => {
    h = await startHarness();
    sdk = await h.openPage();	// also gives the browser for the console's context
    con = await openConsole(sdk.context.browser(), h.server.url);
  });
  after(async () => {
    await con?.context.close().catch(() => {});
    await sdk?.close().catch(() => {});
    assert.deepEqual(await h?.close(), []);
  });

  test('signs in (any key works here, and the page says so)', async () => {
    const { page } = con;
    await page.getByText('protected mode: any access key works').waitFor({ timeout: UI_MS });
    await shot(page, 'console-signin');
    await signIn(page, '111122223333', 'anything');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('rtstage.console.key') !== null), true);
    assert.equal(await page.evaluate(() => localStorage.length), 0);
  });

  test('a stage created in the console, with every kind of option, is found with the AWS CLI', async () => {
    const { page } = con;
    const form = page.locator('form', { has: page.getByRole('heading', { name: 'Create a stage' }) });
    await form.getByLabel('Name', { exact: true }).fill('console-made');
    await form.getByLabel('Tags (key=value per line)').fill('team=blue\nenv=test');
    await form.getByRole('button', { name: 'Add a participant token' }).click();
    await form.getByLabel('User ID').fill('bob');
    await form.getByLabel('Duration (minutes, 1–20160)').fill('30');
    await form.getByLabel('Attributes (key=value per line)').fill('seat=3');
    await form.getByRole('button', { name: 'Create stage' }).click();
    await form.getByText('Created stage console-made.').waitFor({ timeout: UI_MS });
    const token = await form.getByLabel('Token of bob').inputValue();
    assert.match(token, /^eyJ/);
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
    assert.equal(claims.user_id, 'bob');
    assert.deepEqual(claims.attributes, { seat: '3' });
    assert.equal(claims.exp - claims.iat, 30 * 60);

    // The key was 12 digits: the console acted as that account, as the API does.
    const { stages } = aws(h.server.url, 'list-stages');
    const made = stages.find((s) => s.name === 'console-made');
    assert.ok(made, JSON.stringify(stages));
    assert.match(made.arn, /^arn:aws:ivs:us-east-1:111122223333:stage\//);
    const { stage } = aws(h.server.url, 'get-stage', '--arn', made.arn);
    assert.deepEqual(stage.tags, { team: 'blue', env: 'test' });
    await page.getByRole('link', { name: 'console-made' }).first().waitFor({ timeout: UI_MS });
    await shot(page, 'console-stages');
  });

  test('a stage made with the AWS SDK for JavaScript appears in the console, found by name', async () => {
    const { page } = con;
    const ivs = ivsClient(h.server.url, 'us-east-1', '111122223333');
    try {
      ({ stage: { arn: stageArn } } = await ivs.send(new CreateStageCommand({ name: 'sdk-made-stage' })));
    } finally { ivs.destroy(); }
    await page.getByLabel('Search by name').fill('sdk-made');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const rows = page.locator('table tbody tr');
    await until(async () => (await rows.count()) === 1 &&
      (await rows.first().innerText()).includes(stageArn), UI_MS, 'the SDK stage alone in the results');
    await page.getByRole('link', { name: 'sdk-made-stage' }).click();
    await page.getByRole('heading', { name: 'Stage sdk-made-stage' }).waitFor({ timeout: UI_MS });
    assert.equal(await page.locator('dl.details').getByText(`ws://127.0.0.1:${h.server.port}/events`).count(), 1);
    await shot(page, 'console-stage');
  });

  test('a token minted in the console joins the SDK, publishing; the console shows it live with video', async () => {
    const { page } = con;
    const form = page.locator('form', { has: page.getByRole('heading', { name: 'Mint a participant token' }) });
    await form.getByLabel('User ID').fill('alice');
    await form.getByLabel('Attributes (key=value per line)').fill('role=host');
    await form.getByRole('button', { name: 'Mint token' }).click();
    const token = await form.getByLabel('Token').inputValue();
    participantId = await form.locator('.participant-id').innerText();
    assert.equal(JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).jti, participantId);

    await sdk.start(token, { publish: true, subscribe: false });
    await until(() => sdk.joined(), JOIN_MS, 'join() to settle');
    assert.deepEqual(await sdk.joined(), { ok: true }, sdk.log.join('\n'));

    await page.getByRole('link', { name: 'Live participants and video' }).click();
    const row = page.locator(`tr[data-participant-id="${participantId}"]`);
    await until(async () => (await row.count()) === 1 &&
      (await row.locator('td.published').innerText()) === 'publishing', JOIN_MS, 'alice publishing in the console');
    const video = page.locator(`.tile[data-participant-id="${participantId}"] video`);
    await video.waitFor({ timeout: UI_MS });
    const frames = () => video.evaluate((v) => v.getVideoPlaybackQuality().totalVideoFrames);
    await until(async () => (await frames()) > 0, FRAMES_MS, 'a first decoded frame in the tile');
    const n0 = await frames();
    await until(async () => (await frames()) >= n0 + FRAMES, FRAMES_MS, `${FRAMES} more decoded frames`);
    // The fake microphone's beeps move the tile's audio meter.
    const meter = page.locator(`.tile[data-participant-id="${participantId}"] meter`);
    await until(async () => (await meter.evaluate((m) => m.value)) > 0, FRAMES_MS, 'the audio meter to move');
    const size = await video.evaluate((v) => [v.videoWidth, v.videoHeight]);
    assert.ok(size[0] > 0 && size[1] > 0, `video size ${size}`);
    // The console joined as a subscribe-only participant of its own.
    await page.getByText('(this console)').waitFor({ timeout: UI_MS });
    sessionId = await page.locator('.session-state a').innerText();
    await shot(page, 'console-live');
    await page.setViewportSize({ width: 390, height: 844 });
    await shot(page, 'console-live-phone');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  test('the console disconnects the participant and the SDK page leaves', async () => {
    const { page } = con;
    await page.getByRole('button', { name: 'Disconnect alice' }).click();
    await sdk.waitForEvent('stageLeft', () => true, UI_MS);
    await page.getByText(`Disconnected ${participantId}.`).waitFor({ timeout: UI_MS });
    await until(async () => (await page.locator(`tr[data-participant-id="${participantId}"]`).count()) === 0 &&
      (await page.locator('.tile').count()) === 0, UI_MS, 'alice gone from the live page');
  });

  test('the session timeline shows each participant\'s events in order', async () => {
    const { page } = con;
    await page.goto(`${h.server.url}/console/#/stage/${encodeURIComponent(stageArn)}/sessions`);
    await page.getByRole('link', { name: sessionId }).click();
    const section = page.locator(`section[data-participant-id="${participantId}"]`);
    await section.waitFor({ timeout: UI_MS });
    // LEFT is recorded once the runtime has seen the socket close.
    const ivs = ivsClient(h.server.url, 'us-east-1', '111122223333');
    let api;
    try {
      await until(async () => {
        api = (await ivs.send(new ListParticipantEventsCommand({ stageArn, sessionId, participantId }))).events;
        return api.some((e) => e.name === 'LEFT');
      }, UI_MS, 'LEFT in the history');
    } finally { ivs.destroy(); }
    await page.reload();
    await section.waitFor({ timeout: UI_MS });
    const shown = await section.locator('ol.events li').evaluateAll((lis) =>
      lis.map((li) => [li.dataset.event, li.querySelector('time').getAttribute('datetime')]));
    const names = shown.map(([n]) => n);
    const times = shown.map(([, t]) => Date.parse(t));
    assert.deepEqual([...times].sort((a, b) => a - b), times, 'in time order');
    assert.deepEqual([...names].sort(), api.map((e) => e.name).sort(), 'every event of the API');
    for (const [a, b] of [['JOINED', 'PUBLISH_STARTED'], ['PUBLISH_STARTED', 'LEFT'], ['JOINED', 'LEFT']])
      assert.ok(names.indexOf(a) >= 0 && names.indexOf(a) < names.indexOf(b), `${a} before ${b}: ${names}`);
    // The console's own subscriber subscribed to alice.
    const subscribed = await page.locator('ol.events li[data-event="SUBSCRIBE_STARTED"]').allInnerTexts();
    assert.ok(subscribed.some((t) => t.includes(participantId)), subscribed.join('\n'));
    await shot(page, 'console-timeline');
  });

  test('storage configurations and public keys pages list and create', async () => {
    const { page } = con;
    await page.getByRole('link', { name: 'Storage configurations' }).click();
    await page.getByLabel('S3 bucket name').fill('my-recordings');
    await page.getByLabel('Name', { exact: true }).fill('rec');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.locator('table').getByText('my-recordings').waitFor({ timeout: UI_MS });
    await shot(page, 'console-storage');
    await page.getByRole('link', { name: 'Public keys' }).click();
    // the page's first list is in before the form is used (nothing re-renders under it)
    await page.locator('.table-wrap > *').first().waitFor({ timeout: UI_MS });
    await page.getByLabel('Public key (an ECDSA P-384 PEM block)').fill('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----');
    await page.getByRole('button', { name: 'Import' }).click();
    await page.getByRole('alert').filter({ hasText: /^ValidationException: / }).waitFor({ timeout: UI_MS })
      .catch(async (e) => {
        throw new Error(`${e.message}\nthe page's status lines: ${JSON.stringify(await page.locator('.status').allTextContents())}`);
      });
    await shot(page, 'console-keys');
  });

  test('the page reached its own server only, and broke no rule of its CSP', () => {
    assert.deepEqual(con.foreign, []);
    assert.deepEqual(con.log.filter((l) => /Content Security Policy|pageerror/.test(l)), []);
  });
});

describe('the web console, strict mode', () => {
  const CREDS = `[reader]
aws_access_key_id = AKIACONSOLEREAD00001
aws_secret_access_key = console-read
account_id = 131313131313
actions = ivs:Get* ivs:List*
`;
  let h, server, dir, con, blank;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rtstage-console-'));
    writeFileSync(join(dir, 'creds'), CREDS);
    h = await startHarness();
    blank = await h.openPage();
    server = await startServer({ args: ['--credentials', join(dir, 'creds')] });
    con = await openConsole(blank.context.browser(), server.url);
  });
  after(async () => {
    await con?.context.close().catch(() => {});
    await blank?.close().catch(() => {});
    if (server) assert.equal(await server.stop(), 0);
    rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(await h?.close(), []);
  });

  test('a wrong secret is refused at sign-in in the API\'s words', async () => {
    const { page } = con;
    await page.getByText('strict mode').waitFor({ timeout: UI_MS });
    await page.getByLabel('Access key ID').fill('AKIACONSOLEREAD00001');
    await page.getByLabel('Secret access key').fill('wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: /^InvalidSignatureException: / }).waitFor({ timeout: UI_MS });
  });

  test('a read-only key lists but may not create: the console shows AccessDeniedException', async () => {
    const { page } = con;
    await signIn(page, 'AKIACONSOLEREAD00001', 'console-read');
    const form = page.locator('form', { has: page.getByRole('heading', { name: 'Create a stage' }) });
    await form.getByLabel('Name', { exact: true }).fill('not-allowed');
    await form.getByRole('button', { name: 'Create stage' }).click();
    const alert = form.getByRole('alert');
    await alert.waitFor({ timeout: UI_MS });
    // The same refusal through the SDK directly: the console shows the API's own words.
    const ivs = ivsClient(server.url, 'us-east-1', 'AKIACONSOLEREAD00001', { secretAccessKey: 'console-read' });
    const e = await ivs.send(new CreateStageCommand({ name: 'not-allowed' })).then(() => null, (x) => x);
    ivs.destroy();
    assert.equal(e?.name, 'AccessDeniedException');
    assert.equal(await alert.innerText(), `AccessDeniedException: ${e.message}`);
    assert.match(e.message, /not authorized to perform: ivs:CreateStage/);
    await shot(page, 'console-strict-denied');
    assert.deepEqual(con.foreign, []);
  });
});
