// One stage: its endpoints, recording configuration and active session;
// update, delete, tags; mint a participant token.
import {
  CreateParticipantTokenCommand, DeleteStageCommand, GetStageCommand, ListTagsForResourceCommand,
  TagResourceCommand, UntagResourceCommand, UpdateStageCommand,
} from '@aws-sdk/client-ivs-realtime';
import { call } from '../api.js';
import { checkbox, control, copyable, field, h, link, onSubmit, parsePairs, show, status, when } from '../dom.js';
import { recordingFieldset } from './recording.js';

export async function render(root, { arn }) {
  const st = status();
  let stage;
  try { ({ stage } = await call(GetStageCommand, { arn })); } catch (e) {
    st.error(e);
    root.append(h('h1', {}, 'Stage'), st, h('p', {}, link('stages', 'Back to stages')));
    return;
  }
  const enc = encodeURIComponent(arn);
  root.append(
    h('h1', {}, `Stage ${stage.name || '(no name)'}`),
    h('nav', { class: 'row subnav', 'aria-label': 'This stage' },
      link(`stage/${enc}/live`, 'Live participants and video'), link(`stage/${enc}/sessions`, 'Sessions')),
    st,
    h('section', { 'aria-labelledby': 'details-title', class: 'card' },
      h('h2', { id: 'details-title' }, 'Details'), details(stage)),
    mintForm(arn), updateForm(stage), tagsSection(arn), deleteSection(arn));
}

function details(s) {
  const rec = s.autoParticipantRecordingConfiguration ?? {};
  const row = (k, v) => [h('dt', {}, k), h('dd', { class: 'mono' }, v ?? '—')];
  return h('dl', { class: 'details' },
    row('ARN', s.arn), row('Name', s.name || '—'),
    row('Active session', s.activeSessionId ?
      link(`stage/${encodeURIComponent(s.arn)}/live`, s.activeSessionId) : 'none'),
    row('Events endpoint', s.endpoints?.events), row('WHIP endpoint', s.endpoints?.whip),
    row('RTMP endpoint', s.endpoints?.rtmp), row('RTMPS endpoint', s.endpoints?.rtmps),
    row('Recording storage', rec.storageConfigurationArn || 'not recorded'),
    row('Recording media types', (rec.mediaTypes ?? []).join(', ')),
    row('Thumbnails', rec.thumbnailConfiguration ? `${rec.thumbnailConfiguration.recordingMode} every ` +
      `${rec.thumbnailConfiguration.targetIntervalSeconds} s, ${(rec.thumbnailConfiguration.storage ?? []).join(', ')}` : '—'),
    row('Reconnect window', rec.recordingReconnectWindowSeconds !== undefined ?
      `${rec.recordingReconnectWindowSeconds} s` : '—'),
    row('HLS segment', rec.hlsConfiguration ? `${rec.hlsConfiguration.targetSegmentDurationSeconds} s` : '—'),
    row('Record replicas', rec.recordParticipantReplicas === undefined ? '—' : String(rec.recordParticipantReplicas)));
}

function mintForm(stageArn) {
  const st = status();
  const result = h('div', { class: 'result' });
  const user = field('User ID', { name: 'userId', maxlength: 128 });
  const duration = field('Duration (minutes, 1–20160)', { name: 'duration', type: 'number', min: 1, max: 20160 });
  const pub = checkbox('PUBLISH', true, { name: 'publish' });
  const sub = checkbox('SUBSCRIBE', true, { name: 'subscribe' });
  const attrs = field('Attributes (key=value per line)', { name: 'attributes', rows: 2 }, 'textarea');
  const form = h('form', { class: 'card', 'aria-labelledby': 'mint-title' },
    h('h2', { id: 'mint-title' }, 'Mint a participant token'),
    h('div', { class: 'grid' }, user, duration,
      h('fieldset', { class: 'caps' }, h('legend', {}, 'Capabilities'), pub, sub), attrs),
    h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary' }, 'Mint token')), st, result);
  onSubmit(form, st, async () => {
    const input = { stageArn, capabilities: [] };
    if (pub.querySelector('input').checked) input.capabilities.push('PUBLISH');
    if (sub.querySelector('input').checked) input.capabilities.push('SUBSCRIBE');
    if (control(user).value) input.userId = control(user).value;
    if (control(duration).value) input.duration = Number(control(duration).value);
    const a = parsePairs(control(attrs).value, 'Attributes');
    if (a) input.attributes = a;
    const { participantToken: t } = await call(CreateParticipantTokenCommand, input);
    st.ok(`Minted a token for participant ${t.participantId}, valid until ${when(t.expirationTime)}.`);
    show(result, h('p', {}, 'Participant ID ', h('code', { class: 'participant-id' }, t.participantId)),
      copyable('Token', t.token));
  });
  return form;
}

function updateForm(stage) {
  const st = status();
  const name = field('Name', { name: 'name', value: stage.name ?? '', maxlength: 128 });
  const rec = recordingFieldset(stage.autoParticipantRecordingConfiguration, { clear: true });
  const form = h('form', { class: 'card', 'aria-labelledby': 'update-title' },
    h('h2', { id: 'update-title' }, 'Update'), name, rec.el,
    h('div', { class: 'row' }, h('button', { type: 'submit' }, 'Save changes')), st);
  onSubmit(form, st, async () => {
    const input = { arn: stage.arn, name: control(name).value };
    const r = rec.value();
    const had = Boolean(stage.autoParticipantRecordingConfiguration?.storageConfigurationArn);
    if (r && (r.storageConfigurationArn || had)) input.autoParticipantRecordingConfiguration = r;
    const out = await call(UpdateStageCommand, input);
    Object.assign(stage, out.stage);
    st.ok('Saved.');
  });
  return form;
}

function tagsSection(arn) {
  const st = status();
  const body = h('div', {});
  const key = field('Key', { name: 'tagKey', required: true, maxlength: 128 });
  const value = field('Value', { name: 'tagValue', maxlength: 256 });
  async function load() {
    const { tags } = await call(ListTagsForResourceCommand, { resourceArn: arn });
    const entries = Object.entries(tags ?? {});
    show(body, entries.length ? h('ul', { class: 'tags' }, entries.map(([k, v]) => h('li', {},
      h('code', {}, `${k}=${v}`), ' ',
      h('button', { type: 'button', 'aria-label': `Remove tag ${k}`, onclick: async () => {
        try { await call(UntagResourceCommand, { resourceArn: arn, tagKeys: [k] }); await load(); } catch (e) { st.error(e); }
      } }, 'Remove')))) : h('p', {}, 'No tags.'));
  }
  const form = h('form', { class: 'row' }, key, value, h('button', { type: 'submit' }, 'Add tag'));
  onSubmit(form, st, async () => {
    await call(TagResourceCommand, { resourceArn: arn, tags: { [control(key).value]: control(value).value } });
    control(key).value = ''; control(value).value = '';
    await load();
  });
  load().catch((e) => st.error(e));
  return h('section', { class: 'card', 'aria-labelledby': 'tags-title' },
    h('h2', { id: 'tags-title' }, 'Tags'), body, form, st);
}

// Delete, with a second button to confirm (no modal dialog).
export function confirmDelete(what, fn, st) {
  const box = h('div', { class: 'row' });
  const start = h('button', { type: 'button', class: 'danger', onclick: () => {
    const yes = h('button', { type: 'button', class: 'danger', onclick: async () => {
      yes.disabled = true;
      try { await fn(); } catch (e) { st.error(e); show(box, start); }
    } }, `Yes, delete ${what}`);
    show(box, h('span', {}, `Delete ${what}? This cannot be undone.`), yes,
      h('button', { type: 'button', onclick: () => { show(box, start); start.focus(); } }, 'Cancel'));
    yes.focus();
  } }, `Delete ${what}`);
  box.append(start);
  return box;
}

function deleteSection(arn) {
  const st = status();
  return h('section', { class: 'card', 'aria-labelledby': 'delete-title' },
    h('h2', { id: 'delete-title' }, 'Delete'),
    h('p', {}, 'Participants still in the stage are disconnected (STAGE_DELETED).'),
    confirmDelete('this stage', async () => {
      await call(DeleteStageCommand, { arn });
      location.hash = '#/stages';
    }, st), st);
}
