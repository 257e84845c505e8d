// The fieldset of an autoParticipantRecordingConfiguration, shared by the
// create and update forms: every member of the model, and only what the
// user set is sent (the server applies the defaults).
import { ListStorageConfigurationsCommand } from '@aws-sdk/client-ivs-realtime';
import { all } from '../api.js';
import { checkbox, control, field, h, select } from '../dom.js';

// {el, value()}: value() is the configuration to send, or undefined when
// recording is off (and clear is false), or {storageConfigurationArn: ''}
// when clear is true (UpdateStage's way to turn it off).
export function recordingFieldset(initial, { clear = false } = {}) {
  const cfg = initial ?? {};
  const on = Boolean(cfg.storageConfigurationArn);
  const enabled = checkbox('Record each participant automatically', on);
  const arn = select('Storage configuration', [['', '(loading…)']], '');
  const media = select('Media types', [['', '(default)'], ['AUDIO_VIDEO', 'AUDIO_VIDEO'],
    ['AUDIO_ONLY', 'AUDIO_ONLY'], ['NONE', 'NONE']], cfg.mediaTypes?.[0] ?? '');
  const th = cfg.thumbnailConfiguration ?? {};
  const thMode = select('Thumbnails', [['', '(default)'], ['INTERVAL', 'INTERVAL'],
    ['DISABLED', 'DISABLED']], th.recordingMode ?? '');
  const thInterval = field('Thumbnail interval (seconds, 1–86400)', { type: 'number', min: 1,
    max: 86400, value: th.targetIntervalSeconds ?? '' });
  const thSeq = checkbox('Thumbnail storage SEQUENTIAL', th.storage?.includes('SEQUENTIAL'));
  const thLatest = checkbox('Thumbnail storage LATEST', th.storage?.includes('LATEST'));
  const reconnect = field('Reconnect window (seconds, 0–300)', { type: 'number', min: 0, max: 300,
    value: cfg.recordingReconnectWindowSeconds ?? '' });
  const hls = field('HLS segment duration (seconds, 2–10)', { type: 'number', min: 2, max: 10,
    value: cfg.hlsConfiguration?.targetSegmentDurationSeconds ?? '' });
  const replicas = checkbox('Record participant replicas', cfg.recordParticipantReplicas);
  const details = h('div', { class: 'grid' }, arn, media, thMode, thInterval, thSeq, thLatest,
    reconnect, hls, replicas);
  const box = enabled.querySelector('input');
  const sync = () => { details.hidden = !box.checked; };
  box.addEventListener('change', sync);
  sync();
  all(ListStorageConfigurationsCommand, { maxResults: 50 }, 'storageConfigurations', 5)
    .then((list) => {
      const s = control(arn);
      s.replaceChildren(h('option', { value: '' }, list.length ? '(choose one)' : '(none: create one first)'),
        ...list.map((c) => h('option', { value: c.arn, selected: c.arn === cfg.storageConfigurationArn },
          `${c.name || '(no name)'} — ${c.arn}`)));
      if (cfg.storageConfigurationArn && !list.some((c) => c.arn === cfg.storageConfigurationArn))
        s.append(h('option', { value: cfg.storageConfigurationArn, selected: true }, cfg.storageConfigurationArn));
    }, () => { control(arn).replaceChildren(h('option', { value: cfg.storageConfigurationArn ?? '' },
      cfg.storageConfigurationArn || '(storage configurations could not be listed)')); });
  const num = (f) => (control(f).value === '' ? undefined : Number(control(f).value));
  return {
    el: h('fieldset', {}, h('legend', {}, 'Automatic participant recording'), enabled, details),
    value() {
      if (!box.checked) return clear ? { storageConfigurationArn: '' } : undefined;
      const v = { storageConfigurationArn: control(arn).value };
      if (control(media).value) v.mediaTypes = [control(media).value];
      const storage = [thSeq, thLatest].filter((c) => c.querySelector('input').checked)
        .map((c) => (c === thSeq ? 'SEQUENTIAL' : 'LATEST'));
      const t = { recordingMode: control(thMode).value || undefined,
        targetIntervalSeconds: num(thInterval), storage: storage.length ? storage : undefined };
      if (Object.values(t).some((x) => x !== undefined)) v.thumbnailConfiguration = t;
      if (num(reconnect) !== undefined) v.recordingReconnectWindowSeconds = num(reconnect);
      if (num(hls) !== undefined) v.hlsConfiguration = { targetSegmentDurationSeconds: num(hls) };
      if (replicas.querySelector('input').checked) v.recordParticipantReplicas = true;
      return v;
    },
  };
}
