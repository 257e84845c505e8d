// make bench-media, part 4: join times with the official IVS Web Broadcast
// SDK in Debian's Chromium, through tests/browser's harness (rtstage, the
// test page, playwright-core). For BENCH_JOINS rounds: a subscribe-only page
// joins a stage where one page already publishes (join() to its first
// decoded frame of that publisher), then a second publisher joins (its
// join() to the first SDK event on the watching page that shows it
// publishing). Both measured from node by polling every POLL_MS. Prints one
// JSON line: medians and 95th percentiles in milliseconds.
import { startHarness, until } from '../tests/browser/harness.mjs';

const JOINS = Number(process.env.BENCH_JOINS ?? 12);
const POLL_MS = 10;
const WAIT_MS = 15000;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (xs, q) => { const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]; };

// Polls fn every POLL_MS until it is truthy; returns the milliseconds since t0.
async function timeTo(t0, fn, what) {
  const end = Date.now() + WAIT_MS;
  for (;;) {
    if (await fn()) return Date.now() - t0;
    if (Date.now() > end) throw new Error(`no ${what} within ${WAIT_MS} ms`);
    await sleep(POLL_MS);
  }
}

const h = await startHarness();
const frames = [], publishing = [];
try {
  const stage = await h.createStage({ name: 'bench-join' });
  const tp = await h.token(stage.arn, { userId: 'bench-pub', capabilities: ['PUBLISH', 'SUBSCRIBE'] });
  const pub = await h.openPage();
  await pub.start(tp.token, { publish: true, subscribe: false });
  await pub.waitForEvent('stageParticipantPublishStateChanged',
    (x) => x[0]?.isLocal && x[1] === 'published', WAIT_MS);
  for (let i = 0; i < JOINS; i++) {
    const ts = await h.token(stage.arn, { userId: `bench-sub-${i}`, capabilities: ['SUBSCRIBE'] });
    const sub = await h.openPage();
    let t0 = Date.now();
    await sub.start(ts.token, { publish: false, subscribe: true });
    frames.push(await timeTo(t0, async () => ((await sub.frames())[tp.participantId] ?? 0) > 0,
      'first decoded frame'));

    const t2 = await h.token(stage.arn, { userId: `bench-pub2-${i}`, capabilities: ['PUBLISH'] });
    const p2 = await h.openPage();
    t0 = Date.now();
    await p2.start(t2.token, { publish: true, subscribe: false });
    publishing.push(await timeTo(t0, async () => (await sub.events()).some((e) =>
      e.args.some((a) => a?.id === t2.participantId && a?.isPublishing === true)),
    'isPublishing seen'));
    await p2.close();
    await sub.close();
  }
  await pub.close();
} finally {
  const left = await h.close();
  if (left.length) console.error('processes left:', left);
}
console.log(JSON.stringify({
  joins: frames.length,
  frame_p50_ms: pct(frames, 0.5), frame_p95_ms: pct(frames, 0.95),
  publishing_p50_ms: pct(publishing, 0.5), publishing_p95_ms: pct(publishing, 0.95),
  frames_ms: frames, publishing_ms: publishing,
}));
