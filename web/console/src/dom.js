// Small DOM helpers: elements built from data (never from HTML text, so no
// value is ever parsed as markup), and errors shown in the API's own words.

// h('a', {href: '#/x', onclick: fn}, 'text', child, [more]): an element.
// Attributes: class, for, on<event> (a listener), a boolean (present when
// true), anything else as text; children: nodes, strings, arrays, null.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'for') el.htmlFor = v;
    else if (k === 'value' && 'value' in el) el.value = v;
    else if (k === 'checked' || k === 'selected') el[k] = Boolean(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

// Replaces el's children.
export function show(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let ids = 0;
// A labelled input: returns [label, control]; attrs go to the control.
export function field(label, attrs = {}, tag = 'input') {
  const id = attrs.id ?? `f${++ids}`;
  const control = h(tag, { ...attrs, id });
  return h('div', { class: 'field' }, h('label', { for: id }, label), control);
}

// The control inside a field() (or the field itself).
export const control = (f) => f.querySelector('input, select, textarea') ?? f;

// A <select> of options [[value, text]], with value selected.
export function select(label, options, value, attrs = {}) {
  const f = field(label, attrs, 'select');
  const s = control(f);
  for (const [v, t] of options) s.append(h('option', { value: v, selected: v === value }, t));
  return f;
}

// A checkbox with its label after it.
export function checkbox(label, checked, attrs = {}) {
  const id = `f${++ids}`;
  return h('div', { class: 'check' }, h('input', { type: 'checkbox', id, checked, ...attrs }),
    h('label', { for: id }, label));
}

// An error as AWS words it: "AccessDeniedException: User ... is not authorized ...".
export function errorText(e) {
  const name = e?.name && e.name !== 'Error' ? e.name : (e?.Code ?? '');
  return name ? `${name}: ${e.message ?? ''}` : String(e?.message ?? e);
}

// A live region that shows what a call did (role=alert for errors).
export function status() {
  const el = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
  el.error = (e) => { el.className = 'status error'; el.setAttribute('role', 'alert');
    el.textContent = errorText(e); };
  el.ok = (text) => { el.className = 'status ok'; el.setAttribute('role', 'status');
    el.textContent = text; };
  el.clear = () => { el.className = 'status'; el.textContent = ''; };
  return el;
}

// Runs fn for a form's submit with its button disabled meanwhile; an error
// thrown goes to st.
export function onSubmit(form, st, fn) {
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const btns = form.querySelectorAll('button[type=submit]');
    btns.forEach((b) => { b.disabled = true; });
    st.clear();
    try { await fn(); } catch (e) { st.error(e); } finally {
      btns.forEach((b) => { b.disabled = false; });
    }
  });
}

// A timestamp as "2024-05-01 12:34:56Z" (UTC, sortable, the same everywhere).
export function when(t) {
  if (!t) return '';
  const d = t instanceof Date ? t : new Date(t);
  return `${d.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

// "k=v" lines to an object (null when empty); a line without '=' is an error.
export function parsePairs(text, what) {
  const out = {};
  let n = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const i = line.indexOf('=');
    if (i < 1) throw new Error(`${what}: write each as key=value ("${line}" has no key)`);
    out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
    n++;
  }
  return n ? out : null;
}

// A read-only text with a Copy button.
export function copyable(label, text) {
  const f = field(label, { readonly: true, value: text, class: 'mono' }, 'textarea');
  const area = control(f);
  const done = h('span', { class: 'copied', 'aria-live': 'polite' });
  const btn = h('button', { type: 'button', onclick: async () => {
    try { await navigator.clipboard.writeText(text); } catch {
      area.select(); document.execCommand('copy');
    }
    done.textContent = 'Copied';
  } }, `Copy ${label.toLowerCase()}`);
  return h('div', { class: 'copyable' }, f, h('div', { class: 'row' }, btn, done));
}

// A link to a page of the console.
export const link = (path, text) => h('a', { href: `#/${path}` }, text);
