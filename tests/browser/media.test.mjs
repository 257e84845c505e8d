// Media through rtstage's SFU with the official IVS Web Broadcast SDK: two
// pages publish their fake camera and microphone and each decodes the
// other's H.264 video and receives its audio; a subscribe-only page receives
// both and cannot publish (the SDK declines; a raw WHIP publish with its
// token is 403 + 2003 and a PUBLISH_ERROR); DisconnectParticipant ends a
// publisher's media; leave() sends the DELETEs. Once with SDP over the events
// socket (serverFeatures xdp, the default) and once with --sdp-exchange http
// (the SDK POSTs to the WHIP URLs). Every wait is bounded.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startHarness, tokenClaims, until } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const {
  GetStageCommand, ListParticipantsCommand, ListParticipantEventsCommand,
  DisconnectParticipantCommand,
} = createRequire(join(here, '..', 'e2e', 'js', 'server.mjs'))('@aws-sdk/client-ivs-realtime');

const JOIN_MS = 15000;		// the SDK's own join wait is 12 s
const FRAMES = 10;		// decoded frames a page must see grow by ...
const FRAMES_MS = 15000;	// ... within this long
const HISTORY_MS = 5000;	// for the history to record what the SFU reported
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The messages a page sent on its events socket(s), parsed.
const sentMessages = (p) => p.sockets.flatMap((s) => s.sent).map((t) => {
  try { return JSON.parse(t); } catch { return null; }
}).filter(Boolean);
const receivedMessages = (p) => p.sockets.flatMap((s) => s.received).map((t) => {
  try { return JSON.parse(t); } catch { return null; }
}).filter(Boolean);

// The WHIP URLs a page sent offers to over the socket (XDP).
const xdpOffers = (p) => sentMessages(p).filter((m) => m.type === 'aws:ivs:SDP_OFFER')
  .map((m) => m.payload?.whipUrl);

// The HTTP requests of a page under the WHIP URL whip: [{method, url}].
const whipRequests = (p, whip) => p.requests.filter((r) => r.url.startsWith(whip) &&
  r.method !== 'OPTIONS');

// One run of the media tests on a server started with args; xdp: whether
// offers go over the events socket; full: also the subscribe-only and
// DisconnectParticipant cases (they do not depend on how SDP travels).
function mediaSuite(name, args, { xdp, full }) {
  describe(`media through the SFU, ${name}`, () => {
    let h, stage, a, b, c, d, ta, tb, tc, td, whip, sessionId;
    before(async () => { h = await startHarness({ args: ['--media-port', '0', ...args] }); });
    after(async () => {
      for (const p of [a, b, c, d]) await p?.close().catch(() => {});
      assert.deepEqual(await h?.close(), []);
    });

    async function joined(token, opts) {
      const p = await h.openPage();
      await p.start(token, opts);
      await until(() => p.joined(), JOIN_MS, 'join() to settle');
      assert.deepEqual(await p.joined(), { ok: true }, p.log.join('\n'));
      return p;
    }

    // Waits until page p decodes FRAMES more frames of participant id than now.
    async function framesGrow(p, id, what) {
      const n0 = (await p.frames())[id] ?? 0;
      await until(async () => ((await p.frames())[id] ?? 0) >= n0 + FRAMES, FRAMES_MS,
        `${what}: ${FRAMES} more decoded frames of ${id}`).catch((e) => {
        throw new Error(`${e.message}\n${p.log.slice(-30).join('\n')}`);
      });
    }

    // The inbound-rtp entry of kind from participant id on page p.
    const inbound = async (p, id, kind) => (await p.inbound(id)).find((r) => r.kind === kind);

    // The stage's session, once it has one.
    const session = async () => sessionId ??= await until(async () => (await h.ivs.send(
      new GetStageCommand({ arn: stage.arn }))).stage.activeSessionId, 5000, 'activeSessionId');
    const events = async (pid) => (await h.ivs.send(new ListParticipantEventsCommand({
      stageArn: stage.arn, sessionId: await session(), participantId: pid }))).events;
    const mediaNames = async (pid) => (await events(pid)).map((e) => e.name)
      .filter((n) => /^(PUBLISH|SUBSCRIBE)_/.test(n));
    const roster = async (more = {}) => (await h.ivs.send(new ListParticipantsCommand({
      stageArn: stage.arn, sessionId: await session(), ...more }))).participants;

    test('two publishing pages each decode the other\'s H.264 video and receive its audio', async () => {
      stage = await h.createStage({ name: `media-${name.replace(/\W+/g, '-')}` });
      ta = await h.token(stage.arn, { userId: 'pub-a', capabilities: ['PUBLISH', 'SUBSCRIBE'] });
      tb = await h.token(stage.arn, { userId: 'pub-b', capabilities: ['PUBLISH', 'SUBSCRIBE'] });
      whip = tokenClaims(ta.token).whip_url;
      a = await joined(ta.token, { publish: true, subscribe: true });
      b = await joined(tb.token, { publish: true, subscribe: true });

      await a.waitForEvent('stageParticipantPublishStateChanged',
        (x) => x[0]?.isLocal && x[1] === 'published', FRAMES_MS);
      await framesGrow(a, tb.participantId, 'page a');
      await framesGrow(b, ta.participantId, 'page b');

      for (const [p, other] of [[a, tb.participantId], [b, ta.participantId]]) {
        assert.deepEqual((await p.remoteKinds(other)).sort(), ['audio', 'video'],
          'an audio and a video track arrive');
        const v = await inbound(p, other, 'video');
        assert.ok(v, `inbound video stats: ${JSON.stringify(await p.inbound(other))}`);
        assert.equal(v.mimeType?.toLowerCase(), 'video/h264', JSON.stringify(v));
        assert.match(v.sdpFmtpLine ?? '', /profile-level-id=42e01f/i, JSON.stringify(v));
        assert.match(v.sdpFmtpLine ?? '', /packetization-mode=1/, JSON.stringify(v));
        assert.ok(v.framesDecoded > FRAMES, JSON.stringify(v));
        // rtstage's SRTP prefers AEAD-AES-128-GCM (srtp_evp.c), which Chromium offers
        assert.equal(v.srtpCipher, 'SRTP_AEAD_AES_128_GCM', JSON.stringify(v));
        const au0 = await inbound(p, other, 'audio');
        assert.equal(au0?.mimeType?.toLowerCase(), 'audio/opus', JSON.stringify(au0));
        await until(async () => (await inbound(p, other, 'audio')).packetsReceived >
          au0.packetsReceived + 10, 5000, 'audio packets received to grow');
      }
    });

    test(`the offers went ${xdp ? 'over the events socket (XDP)' : 'as WHIP POSTs'}`, async () => {
      assert.ok(a && b, 'the publishing pages joined');
      for (const [p, self, other] of [[a, ta, tb], [b, tb, ta]]) {
        const features = receivedMessages(p).filter((m) => m.type === 'STAGE_STATE')
          .map((m) => m.payload?.serverFeatures ?? []);
        assert.ok(features.length > 0, 'STAGE_STATE snapshots arrived');
        const publishUrl = `${whip}/publish/${self.participantId}`;
        const subscribeUrl = `${whip}/subscribe/${other.participantId}`;
        const posts = whipRequests(p, whip).filter((r) => r.method === 'POST').map((r) => r.url);
        if (xdp) {
          assert.ok(features.every((f) => f.includes('xdp')), JSON.stringify(features));
          assert.ok(xdpOffers(p).includes(publishUrl), JSON.stringify(xdpOffers(p)));
          assert.ok(xdpOffers(p).includes(subscribeUrl), JSON.stringify(xdpOffers(p)));
          assert.deepEqual(posts, [], 'no WHIP POST when SDP goes over the socket');
          const answers = receivedMessages(p).filter((m) => m.type === 'aws:ivs:SDP_ANSWER');
          assert.ok(answers.some((m) => m.payload?.httpStatusCode === 201 && m.payload?.location),
            JSON.stringify(answers.map((m) => ({ ...m.payload, content: undefined }))));
        } else {
          assert.ok(features.every((f) => !f.includes('xdp')), JSON.stringify(features));
          assert.deepEqual(xdpOffers(p), [], 'no SDP_OFFER over the socket');
          assert.ok(posts.includes(publishUrl), JSON.stringify(posts));
          assert.ok(posts.includes(subscribeUrl), JSON.stringify(posts));
        }
      }
    });

    test('ListParticipants shows both publishers published; the history has PUBLISH_STARTED and SUBSCRIBE_STARTED', async () => {
      assert.ok(a && b, 'the publishing pages joined');
      const published = await roster({ filterByPublished: true });
      assert.deepEqual(published.map((p) => p.participantId).sort(),
        [ta.participantId, tb.participantId].sort());
      for (const [self, other] of [[ta, tb], [tb, ta]]) {
        const evs = await until(async () => {
          const e = await events(self.participantId);
          return e.some((x) => x.name === 'SUBSCRIBE_STARTED') && e;
        }, HISTORY_MS, 'SUBSCRIBE_STARTED');
        assert.ok(evs.some((e) => e.name === 'PUBLISH_STARTED'), JSON.stringify(evs));
        const sub = evs.find((e) => e.name === 'SUBSCRIBE_STARTED');
        assert.equal(sub.remoteParticipantId, other.participantId, JSON.stringify(sub));
      }
    });

    if (full) test('a subscribe-only page receives both publishers', async () => {
      assert.ok(a && b, 'the publishing pages joined');
      tc = await h.token(stage.arn, { userId: 'viewer-c', capabilities: ['SUBSCRIBE'] });
      c = await joined(tc.token, { publish: false, subscribe: true });
      await framesGrow(c, ta.participantId, 'viewer c');
      await framesGrow(c, tb.participantId, 'viewer c');
      for (const id of [ta.participantId, tb.participantId])
        assert.deepEqual((await c.remoteKinds(id)).sort(), ['audio', 'video']);
    });

    if (full) test('a subscribe-only participant cannot publish: the SDK declines, a raw WHIP publish is 403 + 2003', async () => {
      assert.ok(stage, 'the stage exists');
      td = await h.token(stage.arn, { userId: 'viewer-d', capabilities: ['SUBSCRIBE'] });
      d = await joined(td.token, { publish: true, subscribe: true });
      const publishUrl = `${whip}/publish/${td.participantId}`;
      // The SDK reads the token's capabilities itself and, without
      // allow_publish, never publishes: no offer, no publish state, its
      // local participant not publishing (observed in 1.41.0: silently,
      // no error event).
      await d.waitForEvent('stageParticipantJoined', (x) => x[0]?.isLocal, 5000);
      await sleep(3000);
      assert.ok(!xdpOffers(d).includes(publishUrl), 'no publish offer over the socket');
      assert.ok(!whipRequests(d, whip).some((r) => r.url === publishUrl), 'no WHIP publish request');
      const evs0 = await d.events();
      assert.ok(!evs0.some((e) => e.name === 'stageParticipantPublishStateChanged' &&
        e.args[0]?.isLocal && e.args[1] === 'published'), 'never published');
      const self = evs0.filter((e) => e.args[0]?.isLocal && e.args[0]?.id === td.participantId)
        .map((e) => e.args[0]);
      assert.ok(self.length > 0 && self.every((x) => x.isPublishing === false), JSON.stringify(self));

      // A raw WHIP publish with that token is refused by the server.
      const sdp = await d.makeOffer();
      const r = await fetch(publishUrl, { method: 'POST', body: sdp, headers: {
        Authorization: `Bearer ${td.token}`, 'Content-Type': 'application/sdp' } });
      const text = await r.text();
      assert.equal(r.status, 403, text);
      assert.equal(JSON.parse(text).code, 2003, text);
      const evs = await until(async () => {
        const e = await events(td.participantId);
        return e.some((x) => x.name === 'PUBLISH_ERROR') && e;
      }, HISTORY_MS, 'PUBLISH_ERROR');
      assert.ok(!evs.some((e) => e.name === 'PUBLISH_STARTED'), JSON.stringify(evs));
      assert.equal(evs.find((e) => e.name === 'PUBLISH_ERROR').errorCode, 'INSUFFICIENT_CAPABILITIES');
      assert.ok(!(await roster({ filterByPublished: true })).some((p) =>
        p.participantId === td.participantId), 'not published');
    });

    if (full) test('DisconnectParticipant while publishing ends its media; the others see it leave', async () => {
      assert.ok(a && b && c, 'the pages joined');
      await h.ivs.send(new DisconnectParticipantCommand({ stageArn: stage.arn,
        participantId: ta.participantId, reason: 'media test' }));
      const left = await a.waitForEvent('stageLeft', () => true, 5000);
      assert.equal(left.args[0], 'participant-disconnected');
      for (const p of [b, c]) {
        await p.waitForEvent('stageParticipantLeft', (x) => x[0]?.id === ta.participantId, 5000);
        await p.waitForEvent('stageParticipantStreamsRemoved', (x) => x[0]?.id === ta.participantId,
          5000).catch(() => null);	// the SDK may drop the streams with the participant
      }
      // Its media ended: no more frames of a on b.
      await sleep(1000);
      const n0 = (await b.frames())[ta.participantId];
      await sleep(2000);
      assert.equal((await b.frames())[ta.participantId], n0, 'frames of a stopped');
      await until(async () => (await mediaNames(ta.participantId)).includes('PUBLISH_STOPPED'),
        HISTORY_MS, 'PUBLISH_STOPPED of a').catch(async (e) => {
        throw new Error(`${e.message}: ${JSON.stringify(await events(ta.participantId))}`);
      });
      const names = await mediaNames(ta.participantId);
      assert.ok(names.indexOf('PUBLISH_STARTED') < names.indexOf('PUBLISH_STOPPED'), names.join());
      assert.ok(!(await roster()).some((p) => p.participantId === ta.participantId &&
        p.state === 'CONNECTED'), 'a is no longer connected');
    });

    test('leave() sends DELETEs for the sessions; the roster and the others follow', async () => {
      const watcher = full ? c : a;	// a was disconnected in the full run
      assert.ok(b && watcher, 'the pages joined');
      const before = whipRequests(b, whip).length;
      await b.leave();
      const deletes = await until(() => {
        const dels = whipRequests(b, whip).slice(before).filter((r) => r.method === 'DELETE');
        return dels.length > 0 && dels;
      }, 5000, 'DELETE requests of page b');
      // The publish session's URL: the location the server answered
      // (over the socket) or the Location of the 201 (HTTP): under whip.
      assert.ok(deletes.every((r) => r.url.startsWith(whip)), JSON.stringify(deletes));
      if (xdp) {
        const locations = receivedMessages(b).filter((m) => m.type === 'aws:ivs:SDP_ANSWER')
          .map((m) => new URL(m.payload.location, whip).href);
        assert.ok(deletes.some((r) => locations.includes(r.url)),
          `${JSON.stringify(deletes)} vs ${JSON.stringify(locations)}`);
      }
      await watcher.waitForEvent('stageParticipantLeft', (x) => x[0]?.id === tb.participantId, 5000);
      await until(async () => (await roster()).find((p) => p.participantId === tb.participantId)
        ?.state === 'DISCONNECTED', 5000, 'b DISCONNECTED in ListParticipants');
      await until(async () => (await mediaNames(tb.participantId)).includes('PUBLISH_STOPPED'),
        HISTORY_MS, 'PUBLISH_STOPPED of b');
      const wid = full ? tc.participantId : ta.participantId;
      await until(async () => (await events(wid)).some((e) => e.name === 'SUBSCRIBE_STOPPED' &&
        e.remoteParticipantId === tb.participantId), HISTORY_MS, 'SUBSCRIBE_STOPPED of the watcher');
    });
  });
}

mediaSuite('SDP over the events socket (default)', [], { xdp: true, full: true });
mediaSuite('--sdp-exchange http', ['--sdp-exchange', 'http'], { xdp: false, full: false });
