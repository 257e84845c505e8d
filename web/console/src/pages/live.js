// The active session, live: its participants (ListParticipants every
// POLL_MS) with DisconnectParticipant, and a video tile with an audio meter
// for each publishing one, received through the server's WHIP subscribe
// endpoint with a subscribe-only token the console mints for itself.
import {
  CreateParticipantTokenCommand, DisconnectParticipantCommand, GetStageCommand, ListParticipantsCommand,
} from '@aws-sdk/client-ivs-realtime';
import { all, call } from '../api.js';
import { h, link, show, status, when } from '../dom.js';
import { receivesH264, subscribe } from '../whip.js';

const POLL_MS = 2000;		// how often the participants are read
const METER_MS = 200;		// how often the audio meters are read
const TOKEN_MINUTES = 720;	// the console's own subscribe-only token

export async function render(root, { arn }) {
  const st = status();
  const enc = encodeURIComponent(arn);
  const state = h('p', { class: 'session-state', 'aria-live': 'polite' }, 'Reading the stage…');
  const people = h('div', { class: 'table-wrap' });
  const tiles = h('div', { class: 'tiles', 'aria-label': 'Video of the publishing participants' });
  root.append(h('h1', {}, 'Live'), h('p', {}, link(`stage/${enc}`, 'Back to the stage')), st, state,
    h('h2', {}, 'Participants'), people, h('h2', {}, 'Video'), tiles);

  const subs = new Map();	// participant id -> {tile, sub, failed}
  let me = null;		// {token, participantId, sessionId}: the console's own participant
  let stopped = false;
  let timer = null;
  const abort = new AbortController();

  async function ownToken(sessionId) {
    if (me?.sessionId === sessionId) return me;
    const { participantToken: t } = await call(CreateParticipantTokenCommand, {
      stageArn: arn, capabilities: ['SUBSCRIBE'], userId: 'rtstage-console', duration: TOKEN_MINUTES,
      attributes: { role: 'console' } });
    me = { token: t.token, participantId: t.participantId, sessionId };
    return me;
  }

  function drop(id) {
    const s = subs.get(id);
    if (!s) return;
    s.sub?.close();
    s.tile.remove();
    subs.delete(id);
  }

  // A tile that says why there is no video, without an offer the server
  // would refuse (each refusal a JOINED, SUBSCRIBE_ERROR and LEFT in the
  // session's history).
  function noVideo(p) {
    const tile = h('figure', { class: 'tile', 'data-participant-id': p.participantId },
      h('p', { class: 'tile-none', role: 'status' }, 'No video here: this browser cannot decode ',
        'H.264, the stage\'s video codec. Firefox decodes it with its OpenH264 plugin ',
        '(about:addons, Plugins).'),
      h('figcaption', {}, h('span', {}, p.userId || '(no user id)', ' ', h('code', {}, p.participantId))));
    subs.set(p.participantId, { tile, sub: null });
    tiles.append(tile);
  }

  async function watch(p, sessionId) {
    if (!receivesH264()) { noVideo(p); return; }
    const mine = await ownToken(sessionId);
    const video = h('video', { autoplay: true, playsinline: true, muted: true });
    video.muted = true;
    const meter = h('meter', { min: 0, max: 1, value: 0, 'aria-label': `Audio level of ${p.userId || p.participantId}` });
    const note = h('span', { class: 'tile-state' }, 'connecting…');
    const sound = h('button', { type: 'button', onclick: () => {
      video.muted = !video.muted;
      sound.textContent = video.muted ? 'Unmute' : 'Mute';
    } }, 'Unmute');
    const tile = h('figure', { class: 'tile', 'data-participant-id': p.participantId }, video,
      h('figcaption', {}, h('span', {}, p.userId || '(no user id)', ' ', h('code', {}, p.participantId)),
        h('span', { class: 'row' }, meter, sound, note)));
    const entry = { tile, sub: null };
    subs.set(p.participantId, entry);
    tiles.append(tile);
    try {
      entry.sub = await subscribe({ origin: location.origin, token: mine.token,
        participantId: p.participantId, signal: abort.signal });
      if (stopped || subs.get(p.participantId) !== entry) { entry.sub.close(); return; }
      video.srcObject = entry.sub.stream;
      note.textContent = '';
      entry.sub.pc.addEventListener('connectionstatechange', () => {
        const cs = entry.sub.pc.connectionState;
        note.textContent = cs === 'connected' ? '' : cs;
        if (cs === 'failed') drop(p.participantId);
      });
      entry.meter = setInterval(() => {
        const level = entry.sub.audio.getSynchronizationSources?.()[0]?.audioLevel ?? 0;
        meter.value = level;
      }, METER_MS);
      const stop = entry.sub.close;
      entry.sub.close = () => { clearInterval(entry.meter); stop(); };
    } catch (e) {
      if (stopped) return;
      note.textContent = e.message;
      note.setAttribute('role', 'alert');
      // tried again at a later poll
      setTimeout(() => { if (subs.get(p.participantId) === entry) drop(p.participantId); }, 3 * POLL_MS);
    }
  }

  function table(list, sessionId) {
    if (!list.length) return h('p', {}, 'Nobody is connected.');
    return h('table', { class: 'participants' },
      h('caption', { class: 'sr-only' }, `Participants connected to ${sessionId}`),
      h('thead', {}, h('tr', {}, ['Participant', 'User ID', 'Publishing', 'Joined', ''].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, list.map((p) => h('tr', { 'data-participant-id': p.participantId },
        h('td', { class: 'mono' }, p.participantId),
        h('td', {}, p.userId || '—', p.participantId === me?.participantId ? ' (this console)' : ''),
        h('td', { class: 'published' }, p.published ? 'publishing' : 'not publishing'),
        h('td', {}, when(p.firstJoinTime)),
        h('td', {}, p.participantId === me?.participantId ? '' : h('button', { type: 'button',
          class: 'danger', 'aria-label': `Disconnect ${p.userId || p.participantId}`,
          onclick: async (ev) => {
            ev.target.disabled = true;
            try {
              await call(DisconnectParticipantCommand, { stageArn: arn, participantId: p.participantId,
                reason: 'Disconnected from the rtstage console' });
              st.ok(`Disconnected ${p.participantId}.`);
              await poll();
            } catch (e) { st.error(e); ev.target.disabled = false; }
          } }, 'Disconnect'))))));
  }

  async function poll() {
    clearTimeout(timer);
    try {
      const { stage } = await call(GetStageCommand, { arn });
      root.querySelector('h1').textContent = `Live: ${stage.name || stage.arn}`;
      const sessionId = stage.activeSessionId;
      let list = [];
      if (sessionId) {
        list = await all(ListParticipantsCommand, { stageArn: arn, sessionId, filterByState: 'CONNECTED',
          maxResults: 100 }, 'participants', 5);
        show(state, 'Session ', link(`stage/${enc}/sessions/${sessionId}`, sessionId),
          ` is active: ${list.length} connected. Updated ${when(new Date())}.`);
      } else {
        show(state, `No active session: a session begins when someone joins. Checked ${when(new Date())}.`);
      }
      if (stopped) return;
      show(people, sessionId ? table(list, sessionId) : '');
      const publishing = new Set(list.filter((p) => p.published && p.participantId !== me?.participantId)
        .map((p) => p.participantId));
      for (const id of [...subs.keys()]) if (!publishing.has(id)) drop(id);
      for (const p of list)
        if (publishing.has(p.participantId) && !subs.has(p.participantId)) watch(p, sessionId).catch((e) => st.error(e));
      if (!publishing.size && !subs.size) show(tiles, h('p', { class: 'empty' }, 'Nobody is publishing.'));
      else tiles.querySelector('.empty')?.remove();
    } catch (e) { st.error(e); }
    if (!stopped) timer = setTimeout(poll, POLL_MS);
  }

  const leave = () => { for (const id of [...subs.keys()]) drop(id); };
  window.addEventListener('pagehide', leave);
  await poll();
  return () => {
    stopped = true;
    clearTimeout(timer);
    abort.abort();
    window.removeEventListener('pagehide', leave);
    leave();
  };
}
