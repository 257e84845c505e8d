// Stages: search by name, page through, create with every option.
import { CreateStageCommand, ListStagesCommand } from '@aws-sdk/client-ivs-realtime';
import { all, call } from '../api.js';
import { checkbox, control, copyable, field, h, link, onSubmit, parsePairs, show, status } from '../dom.js';
import { recordingFieldset } from './recording.js';

const PAGE = 20;		// stages per page
const SEARCH_PAGES = 10;	// a search reads at most this many pages of 100 (the quota is 1,000)

export async function render(root) {
  const st = status();
  const list = h('div', { class: 'table-wrap' });
  const q = field('Search by name', { type: 'search', name: 'q', autocomplete: 'off' });
  const prev = h('button', { type: 'button', disabled: true }, 'Previous page');
  const next = h('button', { type: 'button', disabled: true }, 'Next page');
  const tokens = [];	// nextToken of each page shown so far; tokens[0] undefined
  let page = 0;

  async function load() {
    st.clear();
    const text = control(q).value.trim().toLowerCase();
    try {
      let stages, nextToken;
      if (text) {
        stages = (await all(ListStagesCommand, { maxResults: 100 }, 'stages', SEARCH_PAGES))
          .filter((s) => (s.name ?? '').toLowerCase().includes(text));
      } else {
        ({ stages, nextToken } = await call(ListStagesCommand,
          { maxResults: PAGE, nextToken: tokens[page] }));
        tokens[page + 1] = nextToken;
      }
      prev.disabled = text !== '' || page === 0;
      next.disabled = text !== '' || !nextToken;
      show(list, table(stages, text));
    } catch (e) { st.error(e); }
  }
  prev.addEventListener('click', () => { page--; load(); });
  next.addEventListener('click', () => { page++; load(); });
  const search = h('form', { class: 'row search', role: 'search' }, q,
    h('button', { type: 'submit' }, 'Search'));
  search.addEventListener('submit', (ev) => { ev.preventDefault(); page = 0; load(); });

  root.append(h('h1', {}, 'Stages'), search, st, list,
    h('div', { class: 'row' }, prev, next), createForm(load));
  await load();
}

function table(stages, text) {
  if (!stages.length)
    return h('p', {}, text ? 'No stage has a name containing that.' : 'No stages yet.');
  return h('table', {},
    h('caption', { class: 'sr-only' }, 'Stages'),
    h('thead', {}, h('tr', {}, ['Name', 'ARN', 'Active session', 'Tags'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, stages.map((s) => h('tr', {},
      h('td', {}, link(`stage/${encodeURIComponent(s.arn)}`, s.name || '(no name)')),
      h('td', { class: 'mono' }, s.arn),
      h('td', { class: 'mono' }, s.activeSessionId ?
        link(`stage/${encodeURIComponent(s.arn)}/live`, s.activeSessionId) : '—'),
      h('td', {}, Object.entries(s.tags ?? {}).map(([k, v]) => `${k}=${v}`).join(', '))))));
}

// One participantTokenConfiguration's fields.
function tokenConfig(onRemove) {
  const user = field('User ID', { maxlength: 128 });
  const duration = field('Duration (minutes, 1–20160)', { type: 'number', min: 1, max: 20160 });
  const pub = checkbox('PUBLISH', true);
  const sub = checkbox('SUBSCRIBE', true);
  const attrs = field('Attributes (key=value per line)', { rows: 2 }, 'textarea');
  const el = h('fieldset', { class: 'token-config' }, h('legend', {}, 'Participant token'),
    h('div', { class: 'grid' }, user, duration, h('div', { class: 'caps' }, pub, sub), attrs),
    h('button', { type: 'button', onclick: () => onRemove(el) }, 'Remove this token'));
  el.value = () => {
    const v = { capabilities: [] };
    if (pub.querySelector('input').checked) v.capabilities.push('PUBLISH');
    if (sub.querySelector('input').checked) v.capabilities.push('SUBSCRIBE');
    if (control(user).value) v.userId = control(user).value;
    if (control(duration).value) v.duration = Number(control(duration).value);
    const a = parsePairs(control(attrs).value, 'Attributes');
    if (a) v.attributes = a;
    return v;
  };
  return el;
}

function createForm(reload) {
  const st = status();
  const result = h('div', { class: 'result' });
  const name = field('Name', { name: 'name', maxlength: 128, pattern: '[a-zA-Z0-9\\-_]*' });
  const tags = field('Tags (key=value per line)', { name: 'tags', rows: 3 }, 'textarea');
  const configs = h('div', { class: 'token-configs' });
  const add = h('button', { type: 'button', onclick: () => {
    const c = tokenConfig((el) => el.remove());
    configs.append(c);
    c.querySelector('input').focus();
  } }, 'Add a participant token');
  const rec = recordingFieldset(null);
  const form = h('form', { class: 'card', 'aria-labelledby': 'create-title' },
    h('h2', { id: 'create-title' }, 'Create a stage'), name, tags,
    h('fieldset', {}, h('legend', {}, 'Participant tokens to issue with the stage'), configs, add),
    rec.el, h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary' }, 'Create stage')),
    st, result);
  onSubmit(form, st, async () => {
    const input = {};
    if (control(name).value) input.name = control(name).value;
    const t = parsePairs(control(tags).value, 'Tags');
    if (t) input.tags = t;
    const cfgs = [...configs.children].map((c) => c.value());
    if (cfgs.length) input.participantTokenConfigurations = cfgs;
    const r = rec.value();
    if (r) input.autoParticipantRecordingConfiguration = r;
    const out = await call(CreateStageCommand, input);
    st.ok(`Created stage ${out.stage.name || out.stage.arn}.`);
    show(result, h('p', {}, link(`stage/${encodeURIComponent(out.stage.arn)}`,
      `Open ${out.stage.name || out.stage.arn}`)),
    (out.participantTokens ?? []).map((p) => copyable(`Token of ${p.userId || p.participantId}`, p.token)));
    await reload();
  });
  return form;
}
