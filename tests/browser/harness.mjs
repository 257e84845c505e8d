// The browser tier's harness: a real rtstage process, a loopback HTTP server
// for the test page and the IVS Web Broadcast SDK (a test-only dependency
// installed from npm into node_modules, never shipped), and Debian's
// Chromium driven by playwright-core. Every process it starts is tracked by
// PID and stopped by close(), also when a test failed; the page may reach
// loopback addresses only.
import { createRequire } from 'node:module';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { freePort, ivsClient, startServer } from '../e2e/js/server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
// The AWS SDK for JavaScript of the js tier (tests/e2e/js, installed by
// tests/run.sh), so that its commands match server.mjs's client.
const { CreateStageCommand, CreateParticipantTokenCommand } =
  createRequire(join(here, '..', 'e2e', 'js', 'server.mjs'))('@aws-sdk/client-ivs-realtime');

export const CHROMIUM = process.env.RTSTAGE_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
  '--allow-loopback-in-peer-connection', '--autoplay-policy=no-user-gesture-required',
];
const SDK_FILE = join(here, 'node_modules', 'amazon-ivs-web-broadcast', 'dist',
  'amazon-ivs-web-broadcast.js');
const STOP_MS = 5000;	// for a process to exit after its polite request

// What the page server answers: path -> [file, content type].
const FILES = {
  '/': [join(here, 'page', 'index.html'), 'text/html; charset=utf-8'],
  '/stage.js': [join(here, 'page', 'stage.js'), 'text/javascript; charset=utf-8'],
  '/sdk/amazon-ivs-web-broadcast.js': [SDK_FILE, 'text/javascript; charset=utf-8'],
};

// Is url on this machine (127.0.0.0/8, localhost, ::1)? Non-network schemes
// (data:, blob:, about:) count as local.
export function isLoopback(url) {
  const u = new URL(url);
  if (!/^(https?|wss?):$/.test(u.protocol)) return true;
  const h = u.hostname.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

// The claims of a participant token, decoded without verification as the SDK does.
export function tokenClaims(token) {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
}

// A process's identity: its start time in clock ticks (field 22 of
// /proc/PID/stat), so that a reused PID is not taken for it; null if gone
// or a zombie.
export function startTime(pid) {
  let stat;
  try { stat = readFileSync(`/proc/${pid}/stat`, 'utf8'); } catch { return null; }
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');	// f[0] is field 3
  return f[0] === 'Z' ? null : f[19];
}

// The PIDs of pid's descendants now.
export function descendants(pid) {
  const kids = new Map();
  for (const d of readdirSafe('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let stat;
    try { stat = readFileSync(`/proc/${d}/stat`, 'utf8'); } catch { continue; }
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!kids.has(ppid)) kids.set(ppid, []);
    kids.get(ppid).push(Number(d));
  }
  const out = [];
  const todo = [pid];
  while (todo.length) {
    for (const k of kids.get(todo.pop()) ?? []) { out.push(k); todo.push(k); }
  }
  return out;
}

function readdirSafe(dir) {
  try { return readdirSync(dir); } catch { return []; }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Waits until fn() is truthy and returns it; throws what after ms.
export async function until(fn, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
}

// Every harness alive in this process, so that an exit without close()
// (an uncaught error, process.exit, a signal) still ends their processes.
const live = new Set();
process.on('exit', () => { for (const h of live) h.killAll(); });
for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]])
  process.once(sig, () => { for (const h of live) h.killAll(); process.exit(code); });

// Starts rtstage, the page server and Chromium. args: more options of
// rtstage serve; events, whip: the endpoint templates the tokens name,
// given the server's port (default: paths on the server itself). Returns
// the harness; the caller must await close() (an after() hook) to stop them.
export async function startHarness({ args = [], events = (port) => `ws://127.0.0.1:${port}/events`,
  whip = (port) => `http://127.0.0.1:${port}/whip` } = {}) {
  const tracked = new Map();	// pid -> {what, start}: every process started
  const track = (pid, what) => {
    const start = startTime(pid);
    if (start !== null && !tracked.has(pid)) tracked.set(pid, { what, start });
  };
  const alive = () => [...tracked].filter(([pid, p]) => startTime(pid) === p.start)
    .map(([pid, p]) => ({ pid, what: p.what }));
  let server = null, pages = null, browserServer = null, browser = null, chromiumPid = 0;
  const opened = [];
  const h = {
    server: null, ivs: null, base: '', userDataDir: '',
    // Every tracked process still running: [{pid, what}].
    alive,
    // Every PID the harness started (server, Chromium and its children).
    pids: () => [...tracked.keys()],
    killAll() {
      for (const { pid } of alive()) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
    },
  };
  live.add(h);

  // Records Chromium's children (renderers, GPU, network service, zygotes)
  // so that close() can check each one by PID.
  h.trackChromium = () => {
    if (chromiumPid && startTime(chromiumPid) !== null)
      for (const pid of descendants(chromiumPid)) track(pid, 'chromium child');
  };

  // A stage of rtstage (CreateStage's `stage`).
  h.createStage = async (input = {}) => (await h.ivs.send(new CreateStageCommand(input))).stage;

  // A participant token for the stage (CreateParticipantToken's `participantToken`).
  h.token = async (stageArn, input = {}) =>
    (await h.ivs.send(new CreateParticipantTokenCommand({ stageArn, ...input }))).participantToken;

  // Opens the test page in a context of its own; see the page object below.
  h.openPage = async () => {
    const p = await openPage(browser, h.base);
    opened.push(p);
    h.trackChromium();
    return p;
  };

  // Stops everything: pages, Chromium (politely, then SIGKILL by PID),
  // rtstage (SIGTERM; rejects on a sanitizer report), the page server.
  // Returns the processes still running after that ([] when all is well).
  let closing = null;
  h.close = () => closing ??= (async () => {
    let failure = null;
    h.trackChromium();
    for (const p of opened) await p.close().catch(() => {});
    await browser?.close().catch(() => {});
    await Promise.race([browserServer?.close().catch(() => {}), sleep(STOP_MS)]);
    for (const { pid, what } of alive())
      if (what !== 'rtstage') { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
    if (server && startTime(server.pid) !== null) {
      const stopped = server.stop().then(() => true, (e) => { failure = e; return true; });
      if (await Promise.race([stopped, sleep(STOP_MS)]) !== true) {
        try { process.kill(server.pid, 'SIGKILL'); } catch { /* gone */ }
        await Promise.race([stopped, sleep(STOP_MS)]);
      }
    }
    if (pages) { pages.closeAllConnections(); await new Promise((r) => pages.close(r)); }
    h.ivs?.destroy();
    const left = await until(() => alive().length === 0 || null, STOP_MS, 'processes to exit')
      .then(() => [], () => alive());
    live.delete(h);
    if (failure) throw failure;
    return left;
  })();

  try {
    const port = await freePort();
    server = await startServer({ port, args: [
      '--media-port', '0', '--endpoint-events', events(port), '--endpoint-whip', whip(port), ...args] });
    track(server.pid, 'rtstage');
    h.server = server;
    h.ivs = ivsClient(server.url);

    pages = createServer((req, res) => {
      const f = FILES[new URL(req.url, 'http://x').pathname];
      if (!f || req.method !== 'GET') { res.writeHead(404).end(); return; }
      res.writeHead(200, { 'Content-Type': f[1], 'Cache-Control': 'no-store' });
      res.end(readFileSync(f[0]));
    });
    await new Promise((r) => pages.listen(0, '127.0.0.1', r));
    h.base = `http://127.0.0.1:${pages.address().port}`;

    // launchServer, not launch, to know Chromium's PID. Playwright gives it
    // a fresh temporary user-data-dir and removes it when Chromium exits.
    browserServer = await chromium.launchServer({
      executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, handleSIGINT: false,
      handleSIGTERM: false, handleSIGHUP: false });
    chromiumPid = browserServer.process().pid;
    track(chromiumPid, 'chromium');
    const cmd = readFileSync(`/proc/${chromiumPid}/cmdline`, 'utf8').split('\0');
    h.userDataDir = (cmd.find((a) => a.startsWith('--user-data-dir=')) ?? '').slice(16);
    browser = await chromium.connect(browserServer.wsEndpoint());
  } catch (e) {
    await h.close().catch(() => {});
    throw e;
  }

  return h;
}

// The test page in a fresh browser context: non-loopback requests and
// WebSockets fail at once, WebSockets and requests are recorded, and the
// page's window.rt (page/stage.js) is reachable through these helpers.
async function openPage(browser, base) {
  const context = await browser.newContext({ permissions: ['camera', 'microphone'] });
  const blocked = [];	// URLs the page tried to reach off this machine
  const sockets = [];	// {url, protocol (Sec-WebSocket-Protocol), closed, sent, received}
  const early = [];	// handshakes seen before playwright reported their socket
  const requests = [];	// {method, url} of every HTTP request
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (isLoopback(url)) return route.continue();
    blocked.push(url);
    return route.abort('internetdisconnected');
  });
  await context.routeWebSocket((u) => !isLoopback(u.href), (ws) => {
    blocked.push(ws.url());
    ws.close({ code: 1011, reason: 'no network in tests' });
  });
  const page = await context.newPage();
  const log = [];		// the page's console and uncaught errors
  page.on('console', (m) => log.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
  page.on('request', (r) => requests.push({ method: r.method(), url: r.url() }));
  page.on('websocket', (ws) => {
    const i = early.findIndex((x) => x.url === ws.url());
    const protocol = i < 0 ? null : early.splice(i, 1)[0].protocol;
    const s = { url: ws.url(), protocol, closed: false, sent: [], received: [] };
    sockets.push(s);
    ws.on('framesent', (f) => s.sent.push(String(f.payload)));
    ws.on('framereceived', (f) => s.received.push(String(f.payload)));
    ws.on('close', () => { s.closed = true; });
  });
  // The handshake's headers, which playwright's WebSocket does not show.
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  const wsUrl = new Map();	// CDP requestId -> URL
  cdp.on('Network.webSocketCreated', (e) => wsUrl.set(e.requestId, e.url));
  cdp.on('Network.webSocketWillSendHandshakeRequest', (e) => {
    const url = wsUrl.get(e.requestId);
    const hdr = Object.entries(e.request.headers)
      .find(([k]) => k.toLowerCase() === 'sec-websocket-protocol');
    const s = sockets.find((x) => x.url === url && x.protocol === null);
    if (s) s.protocol = hdr ? hdr[1] : '';
    else early.push({ url, protocol: hdr ? hdr[1] : '' });
  });
  await page.goto(`${base}/`);

  const rt = (fn, arg) => page.evaluate(fn, arg);
  return {
    page, context, blocked, sockets, requests, log,
    // What the SDK exposes (rt.api()).
    api: () => rt(() => window.rt.api()),
    // Creates the Stage for token and starts join(); opts as rt.start.
    start: (token, opts = {}) => rt(([t, o]) => window.rt.start(t, o), [token, opts]),
    // join()'s outcome: null while it runs, {ok} or {ok:false, error}.
    joined: () => rt(() => window.rt.joined),
    // The SDK events recorded so far: [{at, name, args}].
    events: () => rt(() => window.rt.events),
    // The first recorded event named name whose args satisfy pred.
    waitForEvent: (name, pred = () => true, ms = 15000) => until(async () =>
      (await rt(() => window.rt.events)).find((e) => e.name === name && pred(e.args)),
      ms, `SDK event ${name}`),
    // The first WebSocket whose URL starts with prefix.
    waitForSocket: (prefix, ms = 15000) =>
      until(() => sockets.find((s) => s.url.startsWith(prefix)), ms, `a WebSocket to ${prefix}`),
    // Decoded video frames per remote participant id.
    frames: () => rt(() => window.rt.frames),
    waitForFrames: (participantId, n, ms = 15000) => until(async () =>
      ((await rt(() => window.rt.frames))[participantId] ?? 0) >= n, ms,
      `${n} decoded frames of ${participantId}`),
    leave: () => rt(() => window.rt.leave()),
    // WebRTC statistics (page/stage.js): inbound-rtp of the remote streams of
    // participant id, outbound-rtp of the published local streams.
    inbound: (id) => rt((i) => window.rt.inbound(i), id),
    outbound: () => rt(() => window.rt.outbound()),
    // The kinds of the tracks received from participant id.
    remoteKinds: (id) => rt((i) => window.rt.remoteKinds(i), id),
    // A sendonly audio + video offer of this browser (fake devices).
    makeOffer: () => rt(() => window.rt.makeOffer()),
    close: async () => {
      await page.evaluate(() => window.rt?.leave()).catch(() => {});
      await context.close();
    },
  };
}

// True if the SDK bundle is installed (npm ci in tests/browser).
export const sdkInstalled = () => existsSync(SDK_FILE);
