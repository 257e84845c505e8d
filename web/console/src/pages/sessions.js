// The sessions of a stage, newest first.
import { GetStageCommand, ListStageSessionsCommand } from '@aws-sdk/client-ivs-realtime';
import { all, call } from '../api.js';
import { h, link, status, when } from '../dom.js';

export async function render(root, { arn }) {
  const st = status();
  const enc = encodeURIComponent(arn);
  root.append(h('h1', {}, 'Sessions'), h('p', {}, link(`stage/${enc}`, 'Back to the stage')), st);
  try {
    const [{ stage }, sessions] = await Promise.all([call(GetStageCommand, { arn }),
      all(ListStageSessionsCommand, { stageArn: arn, maxResults: 100 }, 'stageSessions')]);
    root.querySelector('h1').textContent = `Sessions of ${stage.name || stage.arn}`;
    sessions.sort((a, b) => new Date(b.startTime) - new Date(a.startTime));
    root.append(sessions.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'sessions' },
      h('caption', { class: 'sr-only' }, 'Sessions, newest first'),
      h('thead', {}, h('tr', {}, ['Session', 'Started', 'Ended'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, sessions.map((s) => h('tr', {},
        h('td', { class: 'mono' }, link(`stage/${enc}/sessions/${s.sessionId}`, s.sessionId)),
        h('td', {}, when(s.startTime)), h('td', {}, s.endTime ? when(s.endTime) : 'active'))))))
      : h('p', {}, 'No sessions yet: a session begins when the first participant joins.'));
  } catch (e) { st.error(e); }
}
