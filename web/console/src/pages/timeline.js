// One session: each participant's events (ListParticipantEvents) on a
// timeline across the session, and as an ordered list.
import {
  GetStageSessionCommand, ListParticipantEventsCommand, ListParticipantsCommand,
} from '@aws-sdk/client-ivs-realtime';
import { all, call } from '../api.js';
import { h, link, status, when } from '../dom.js';

// Event name -> the kind it is drawn as.
const KIND = {
  JOINED: 'join', LEFT: 'leave', TOKEN_EXCHANGED: 'join',
  PUBLISH_STARTED: 'publish', PUBLISH_STOPPED: 'publish',
  SUBSCRIBE_STARTED: 'subscribe', SUBSCRIBE_STOPPED: 'subscribe',
  REPLICATION_STARTED: 'publish', REPLICATION_STOPPED: 'publish',
  JOIN_ERROR: 'error', PUBLISH_ERROR: 'error', SUBSCRIBE_ERROR: 'error',
};

export async function render(root, { arn, session: sessionId }) {
  const st = status();
  const enc = encodeURIComponent(arn);
  root.append(h('h1', {}, `Session ${sessionId}`),
    h('p', {}, link(`stage/${enc}/sessions`, 'All sessions of the stage')), st);
  try {
    const [{ stageSession: s }, people] = await Promise.all([
      call(GetStageSessionCommand, { stageArn: arn, sessionId }),
      all(ListParticipantsCommand, { stageArn: arn, sessionId, maxResults: 100 }, 'participants')]);
    const events = await Promise.all(people.map((p) => all(ListParticipantEventsCommand,
      { stageArn: arn, sessionId, participantId: p.participantId, maxResults: 100 }, 'events')));
    const start = new Date(s.startTime).getTime();
    const end = Math.max(s.endTime ? new Date(s.endTime).getTime() : Date.now(), start + 1,
      ...events.flat().map((e) => new Date(e.eventTime).getTime()));
    root.append(h('p', {}, `Started ${when(s.startTime)}; `, s.endTime ? `ended ${when(s.endTime)}.` : 'still active.'),
      h('ul', { class: 'legend', 'aria-label': 'Legend' },
        ['join', 'leave', 'publish', 'subscribe', 'error'].map((k) => h('li', { class: `ev-${k}` }, k))));
    people.sort((a, b) => new Date(a.firstJoinTime) - new Date(b.firstJoinTime));
    people.forEach((p, i) => root.append(participant(p, events[i], start, end)));
    if (!people.length) root.append(h('p', {}, 'No participants in this session.'));
  } catch (e) { st.error(e); }
}

function participant(p, events, start, end) {
  const sorted = events.map((e, i) => ({ e, i, t: new Date(e.eventTime).getTime() }))
    .sort((a, b) => a.t - b.t || a.i - b.i).map((x) => x.e);
  const track = h('div', { class: 'track', 'aria-hidden': 'true' });
  for (const e of sorted) {
    const m = h('span', { class: `mark ev-${KIND[e.name] ?? 'join'}`, title: `${when(e.eventTime)} ${e.name}` });
    m.style.left = `${(100 * (new Date(e.eventTime).getTime() - start)) / (end - start)}%`;
    track.append(m);
  }
  return h('section', { class: 'card participant', 'data-participant-id': p.participantId,
    'aria-label': `Participant ${p.participantId}` },
  h('h2', {}, p.userId ? `${p.userId} ` : '', h('code', {}, p.participantId)),
  h('p', {}, `${p.state}${p.published ? ', published' : ''}; first joined ${when(p.firstJoinTime)}`),
  track,
  h('ol', { class: 'events' }, sorted.map((e) => h('li', { class: `ev-${KIND[e.name] ?? 'join'}`, 'data-event': e.name },
    h('time', { datetime: new Date(e.eventTime).toISOString() }, when(e.eventTime)), ' ',
    h('strong', {}, e.name),
    e.remoteParticipantId ? ` (remote participant ${e.remoteParticipantId})` : '',
    e.errorCode ? ` — ${e.errorCode}` : ''))));
}
