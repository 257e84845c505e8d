// The web console (/console/) in Debian's Firefox ESR, driven over WebDriver
// BiDi by puppeteer-core, against a real rtstage, at a desktop (1280x800)
// and a phone (390x844) viewport: the keyboard reaches the sign-in fields
// and its button in order and signs in; a stage created through the form is
// listed and found through the API; the stage page mints a token; the
// sessions, storage and public keys pages open; no console error, no CSP
// violation, no request off the server, and at phone width nothing wider
// than the viewport. At desktop width a participant publishing from the
// IVS Web Broadcast SDK in Chromium (the harness's page) shows in the
// console live, publishing; its tile decodes through POST /whip/subscribe
// from Firefox's RTCPeerConnection if this Firefox has H.264 (its OpenH264
// plugin), else says why it has no video and sends no offer.
// Firefox gets a fresh profile, reaches loopback addresses only, and it and
// every process it starts are stopped by PID. Screenshots go to
// build/screenshots/firefox-*.png (not committed).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';
import { descendants, startHarness, startTime, tokenClaims, until } from './harness.mjs';
import { ivsClient } from '../e2e/js/server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const SHOTS = join(here, '..', '..', 'build', 'screenshots');
const { GetStageCommand, ListParticipantsCommand, ListStagesCommand } =
  createRequire(join(here, '..', 'e2e', 'js', 'server.mjs'))('@aws-sdk/client-ivs-realtime');

export const FIREFOX = process.env.RTSTAGE_FIREFOX ?? '/usr/bin/firefox-esr';
const ACCOUNT = '111122223333';	// protected mode: a 12-digit key acts as that account
const UI_MS = 10000;		// for the console to show what the API says
const JOIN_MS = 15000;		// the SDK's own join wait is 12 s
const STOP_MS = 5000;		// for Firefox to exit after its polite request
const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
];

// Preferences of the fresh profile. Everything but loopback goes to a
// proxy on a loopback port where nothing listens (port 9, discard), so
// nothing reaches another host; loopback itself is never proxied
// (network.proxy.allow_hijacking_localhost stays false). WebRTC may use
// loopback addresses, as the server's candidates are 127.0.0.1.
const PREFS = {
  'network.proxy.type': 1,
  'network.proxy.http': '127.0.0.1', 'network.proxy.http_port': 9,
  'network.proxy.ssl': '127.0.0.1', 'network.proxy.ssl_port': 9,
  'network.proxy.allow_hijacking_localhost': false,
  'network.trr.mode': 5, 'network.dns.disablePrefetch': true, 'network.predictor.enabled': false,
  'media.peerconnection.ice.loopback': true,
  'media.peerconnection.ice.obfuscate_host_addresses': false,
  'media.autoplay.default': 0,
};

// The PIDs of the crash helpers of Firefox process pid.
function crashHelpers(pid) {
  const out = [];
  let dirs = [];
  try { dirs = readdirSync('/proc'); } catch { return out; }
  for (const d of dirs) {
    if (!/^\d+$/.test(d)) continue;
    let cmd;
    try { cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0'); } catch { continue; }
    if (cmd[0].endsWith('/crashhelper') && cmd[1] === String(pid)) out.push(Number(d));
  }
  return out;
}

// Firefox in headless mode on a fresh profile; returns {browser, alive(),
// track(), close()}. close() stops it politely, then SIGKILLs by PID what
// is left of it and its children, removes the profile, and returns the
// processes still running ([] when all is well).
async function launchFirefox() {
  const profile = mkdtempSync(join(tmpdir(), 'rtstage-firefox-'));
  const tracked = new Map();	// pid -> start time
  const track = (pid) => {
    const start = startTime(pid);
    if (start !== null && !tracked.has(pid)) tracked.set(pid, start);
  };
  const alive = () => [...tracked].filter(([pid, start]) => startTime(pid) === start).map(([pid]) => pid);
  let browser = null, pid = 0;
  const ff = {
    browser: null, alive,
    // Records Firefox's content, GPU, socket and RDD processes by PID, and
    // its crash helper, which detaches from it (its parent is init) and
    // names Firefox's PID as its first argument.
    track: () => {
      if (!pid || startTime(pid) === null) return;
      for (const p of descendants(pid)) track(p);
      for (const p of crashHelpers(pid)) track(p);
    },
    killAll: () => { for (const p of alive()) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } } },
    close: async () => {
      ff.track();
      await Promise.race([browser?.close().catch(() => {}), new Promise((r) => setTimeout(r, STOP_MS))]);
      ff.killAll();
      const left = await until(() => alive().length === 0 || null, STOP_MS, 'Firefox to exit')
        .then(() => [], () => alive());
      rmSync(profile, { recursive: true, force: true });
      return left;
    },
  };
  process.on('exit', ff.killAll);
  try {
    browser = await puppeteer.launch({
      browser: 'firefox', executablePath: FIREFOX, headless: true, userDataDir: profile,
      extraPrefsFirefox: PREFS, handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false,
    });
    pid = browser.process().pid;
    track(pid);
    ff.track();
    ff.browser = browser;
  } catch (e) {
    await ff.close();
    throw e;
  }
  return ff;
}

// A page of its own browser context at viewport vp, recording console
// errors, uncaught errors, CSP violations (the securitypolicyviolation
// event, reported to the test) and requests to any other origin than base.
// Every RTCPeerConnection the page makes is kept in window.__rtPeers.
async function openConsole(ff, base, vp) {
  const context = await ff.browser.createBrowserContext();
  const page = await context.newPage();
  ff.track();
  await page.setViewport({ width: vp.width, height: vp.height });
  const errors = [], csp = [], foreign = [], requests = [];
  const origin = new URL(base).origin;
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message ?? e}`));
  page.on('request', (r) => {
    const url = r.url();
    requests.push({ method: r.method(), url });
    if (!/^(data|blob|about):/.test(url) && new URL(url).origin !== origin) foreign.push(url);
  });
  await page.exposeFunction('__rtCsp', (v) => { csp.push(v); });
  await page.evaluateOnNewDocument(() => {
    document.addEventListener('securitypolicyviolation', (e) =>
      window.__rtCsp(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
    const Peer = window.RTCPeerConnection;
    window.__rtPeers = [];
    window.RTCPeerConnection = class extends Peer {
      constructor(...a) { super(...a); window.__rtPeers.push(this); }
    };
  });
  await page.goto(`${base}/console/`);
  return { page, context, errors, csp, foreign, requests };
}

// The form control labelled label (exactly), inside the form whose heading
// is form if given; waits for it.
async function byLabel(page, label, form) {
  const handle = await page.waitForFunction(([l, f]) => {
    const scope = f ? [...document.querySelectorAll('form')]
      .find((x) => x.querySelector('h2')?.textContent === f) : document;
    const lab = scope && [...scope.querySelectorAll('label')].find((x) => x.textContent.trim() === l);
    return lab ? document.getElementById(lab.htmlFor) : null;
  }, { timeout: UI_MS, polling: 100 }, [label, form]);
  return handle.asElement();
}

// Types value into the control labelled label, replacing what it held.
async function fill(page, label, value, form) {
  const el = await byLabel(page, label, form);
  await el.evaluate((e) => { e.value = ''; });
  await el.type(value);
}

// Clicks the button or link whose text is text (exactly), inside form if given.
async function click(page, text, form, tag = 'button') {
  const handle = await page.waitForFunction(([t, f, g]) => {
    const scope = f ? [...document.querySelectorAll('form')]
      .find((x) => x.querySelector('h2')?.textContent === f) : document;
    return scope && [...scope.querySelectorAll(g)].find((x) => x.textContent.trim() === t && !x.disabled);
  }, { timeout: UI_MS, polling: 100 }, [text, form, tag]);
  await handle.asElement().click();
}

const waitH1 = (page, pred) => page.waitForFunction((p) => {
  const t = document.querySelector('main h1')?.textContent ?? '';
  return p.startsWith('^') ? t.startsWith(p.slice(1)) : t === p;
}, { timeout: UI_MS, polling: 100 }, pred);

const waitText = (page, text, sel = 'main') => page.waitForFunction(([t, s]) =>
  document.querySelector(s)?.innerText.includes(t), { timeout: UI_MS, polling: 100 }, [text, sel]);

describe('the web console in Firefox', () => {
  let h, ff;
  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    [h, ff] = await Promise.all([startHarness(), launchFirefox()]);
  });
  after(async () => {
    const left = await ff?.close();
    const hLeft = await h?.close();
    assert.deepEqual(left, [], 'Firefox processes left');
    assert.deepEqual(hLeft, [], 'harness processes left');
  });

  for (const vp of VIEWPORTS) {
    describe(`at ${vp.name} width (${vp.width}x${vp.height})`, () => {
      let con, stageArn, token;
      const name = `ff-${vp.name}`;
      // A screenshot; at phone width, nothing may be wider than the viewport.
      const look = async (what) => {
        const { page } = con;
        await page.screenshot({ path: join(SHOTS, `firefox-${vp.name}-${what}.png`), fullPage: true });
        const [sw, cw, iw] = await page.evaluate(() => [document.documentElement.scrollWidth,
          document.documentElement.clientWidth, window.innerWidth]);
        assert.equal(iw, vp.width, 'the viewport');
        // clientWidth is innerWidth less a vertical scrollbar, which headless Firefox draws.
        if (vp.name === 'phone') assert.ok(sw <= iw && sw <= cw, `${what}: scrollWidth ${sw} > ${cw} (${iw})`);
      };
      before(async () => { con = await openConsole(ff, h.server.url, vp); });
      after(async () => { await con?.context.close().catch(() => {}); });

      test('Tab reaches the sign-in fields and the button in order; the keyboard signs in', async () => {
        const { page } = con;
        await waitText(page, 'protected mode: any access key works');
        await look('signin');
        // From the top of the page: the skip link, then the form in order.
        await page.evaluate(() => document.querySelector('a.skip').focus());
        const order = [];
        for (let i = 0; i < 5; i++) {
          await page.keyboard.press('Tab');
          order.push(await page.evaluate(() => {
            const e = document.activeElement;
            return e.labels?.[0]?.textContent ?? `${e.tagName.toLowerCase()}: ${e.textContent.trim()}`;
          }));
        }
        assert.deepEqual(order, ['Access key ID', 'Secret access key',
          'Session token (only for temporary credentials)', 'Region', 'button: Sign in']);
        await fill(page, 'Access key ID', ACCOUNT);
        await fill(page, 'Secret access key', 'anything');
        await page.keyboard.press('Enter');	// in the secret field: submits the form
        await waitH1(page, 'Stages');
        assert.equal(await page.evaluate(() => sessionStorage.getItem('rtstage.console.key') !== null), true);
        assert.equal(await page.evaluate(() => localStorage.length), 0);
      });

      test('a stage created through the form is listed, and the API has it', async () => {
        const { page } = con;
        const form = 'Create a stage';
        await fill(page, 'Name', name, form);
        await fill(page, 'Tags (key=value per line)', `browser=firefox\nwidth=${vp.name}`, form);
        await click(page, 'Create stage', form);
        await waitText(page, `Created stage ${name}.`);
        await page.waitForFunction((n) => [...document.querySelectorAll('table a')]
          .some((a) => a.textContent === n), { timeout: UI_MS, polling: 100 }, name);
        await look('stages');
        const ivs = ivsClient(h.server.url, 'us-east-1', ACCOUNT);
        try {
          const { stages } = await ivs.send(new ListStagesCommand({ maxResults: 100 }));
          const made = stages.find((s) => s.name === name);
          assert.ok(made, JSON.stringify(stages));
          assert.match(made.arn, new RegExp(`^arn:aws:ivs:us-east-1:${ACCOUNT}:stage/`));
          stageArn = made.arn;
          const { stage } = await ivs.send(new GetStageCommand({ arn: stageArn }));
          assert.equal(stage.name, name);
          assert.deepEqual(made.tags, { browser: 'firefox', width: vp.name });
        } finally { ivs.destroy(); }
      });

      test('the stage page mints a participant token', async () => {
        const { page } = con;
        await click(page, name, null, 'table a');
        await waitH1(page, `Stage ${name}`);
        const form = 'Mint a participant token';
        await fill(page, 'User ID', `publisher-${vp.name}`, form);
        await click(page, 'Mint token', form);
        const area = await byLabel(page, 'Token', form);
        token = await area.evaluate((e) => e.value);
        assert.match(token, /^eyJ/);
        const shown = await page.$eval('.participant-id', (e) => e.textContent);
        const claims = tokenClaims(token);
        assert.equal(claims.jti, shown);
        assert.equal(claims.user_id, `publisher-${vp.name}`);
        await waitText(page, `Minted a token for participant ${shown}`);
        await look('stage');
      });

      if (vp.name === 'desktop') {
        test('a participant publishing from the SDK in Chromium shows live, its tile decoding or saying why not', async () => {
          const { page } = con;
          const sdk = await h.openPage();
          try {
            await sdk.start(token, { publish: true, subscribe: false });
            await until(() => sdk.joined(), JOIN_MS, 'join() to settle');
            assert.deepEqual(await sdk.joined(), { ok: true }, sdk.log.join('\n'));
            const id = tokenClaims(token).jti;
            await click(page, 'Live participants and video', null, 'a');
            await page.waitForFunction((i) => document.querySelector(
              `tr[data-participant-id="${i}"] td.published`)?.textContent === 'publishing',
            { timeout: JOIN_MS, polling: 100 }, id);
            const h264 = await page.evaluate(() => RTCRtpReceiver.getCapabilities('video').codecs
              .some((c) => c.mimeType.toLowerCase() === 'video/h264' &&
                (c.sdpFmtpLine ?? '').includes('packetization-mode=1')));
            const tile = `.tile[data-participant-id="${id}"]`;
            await page.waitForSelector(tile, { timeout: UI_MS });
            if (h264) {
              // The OpenH264 plugin is there: the tile decodes, over ICE and DTLS from Firefox.
              await page.waitForFunction((t) => document.querySelector(`${t} video`)
                ?.getVideoPlaybackQuality().totalVideoFrames > 0, { timeout: JOIN_MS, polling: 100 }, tile);
              await until(() => page.evaluate(() => window.__rtPeers
                .some((p) => p.remoteDescription && p.connectionState === 'connected')), UI_MS, 'connected');
            } else {
              // Debian's Firefox ESR, on a fresh profile with no network, has no
              // OpenH264 plugin, so no H.264 for WebRTC; the stage's video is
              // H.264 only and the server refuses an offer without it. The
              // tile says so, and the console sends no offer (each refusal
              // would be a JOINED, SUBSCRIBE_ERROR and LEFT in the session).
              await page.waitForFunction((t) => document.querySelector(`${t} .tile-none`)
                ?.textContent.includes('cannot decode H.264'), { timeout: UI_MS, polling: 100 }, tile);
              const polled = await page.$eval('.session-state', (e) => e.textContent);
              await page.waitForFunction((was) => document.querySelector('.session-state')?.textContent !== was,
                { timeout: UI_MS, polling: 100 }, polled);	// a poll later, still no offer
              assert.deepEqual(con.requests.filter((r) => r.url.includes('/whip/')), []);
              assert.equal(await page.evaluate(() => window.__rtPeers.length), 0);
              const ivs = ivsClient(h.server.url, 'us-east-1', ACCOUNT);
              try {
                const { stage } = await ivs.send(new GetStageCommand({ arn: stageArn }));
                const { participants } = await ivs.send(new ListParticipantsCommand(
                  { stageArn, sessionId: stage.activeSessionId }));
                assert.deepEqual(participants.map((p) => p.participantId), [id]);
              } finally { ivs.destroy(); }
            }
            await look('live');
          } finally {
            await sdk.close();
          }
        });
      }

      test('the sessions, storage and public keys pages open', async () => {
        const { page } = con;
        await page.goto(`${h.server.url}/console/#/stage/${encodeURIComponent(stageArn)}/sessions`);
        await waitH1(page, `Sessions of ${name}`);
        await look('sessions');
        await click(page, 'Storage configurations', null, 'nav a');
        await waitH1(page, 'Storage configurations');
        await byLabel(page, 'S3 bucket name');
        await look('storage');
        await click(page, 'Public keys', null, 'nav a');
        await waitH1(page, 'Public keys');
        await byLabel(page, 'Public key (an ECDSA P-384 PEM block)');
        await look('keys');
      });

      test('no console error, no CSP violation, no request off the server', async () => {
        assert.deepEqual(con.errors, []);
        assert.deepEqual(con.csp, []);
        assert.deepEqual(con.foreign, []);
        // The listeners hear a violation: an inline script is one.
        await con.page.evaluate(() => {
          const s = document.createElement('script');
          s.textContent = 'window.ran = true';
          document.body.append(s);
        });
        await until(() => con.csp.length > 0, UI_MS, 'the probe violation reported');
        assert.match(con.csp[0], /^script-src/);
        assert.equal(await con.page.evaluate(() => window.ran ?? false), false);
      });
    });
  }
});
