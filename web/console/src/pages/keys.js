// Public keys for customer-signed participant tokens: list, import a
// pasted PEM, delete.
import { DeletePublicKeyCommand, ImportPublicKeyCommand, ListPublicKeysCommand } from '@aws-sdk/client-ivs-realtime';
import { all, call } from '../api.js';
import { control, field, h, onSubmit, parsePairs, show, status } from '../dom.js';
import { confirmDelete } from './stage.js';

export async function render(root) {
  const st = status();
  const list = h('div', { class: 'table-wrap' });
  async function load() {
    const items = await all(ListPublicKeysCommand, { maxResults: 50 }, 'publicKeys');
    show(list, items.length ? h('table', {},
      h('caption', { class: 'sr-only' }, 'Public keys'),
      h('thead', {}, h('tr', {}, ['Name', 'ARN', 'Tags', ''].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, items.map((k) => h('tr', {},
        h('td', {}, k.name || '(no name)'), h('td', { class: 'mono' }, k.arn),
        h('td', {}, Object.entries(k.tags ?? {}).map(([a, b]) => `${a}=${b}`).join(', ')),
        h('td', {}, confirmDelete(k.name || 'this key', async () => {
          await call(DeletePublicKeyCommand, { arn: k.arn });
          st.ok(`Deleted ${k.arn}.`);
          await load();
        }, st))))))
      : h('p', {}, 'No public keys.'));
  }
  const name = field('Name', { name: 'name', maxlength: 128 });
  const pem = field('Public key (an ECDSA P-384 PEM block)', { name: 'pem', required: true, rows: 6,
    class: 'mono', placeholder: '-----BEGIN PUBLIC KEY-----\n…\n-----END PUBLIC KEY-----', spellcheck: 'false' }, 'textarea');
  const tags = field('Tags (key=value per line)', { name: 'tags', rows: 2 }, 'textarea');
  const ist = status();
  const result = h('div', {});
  const form = h('form', { class: 'card', 'aria-labelledby': 'import-title' },
    h('h2', { id: 'import-title' }, 'Import a public key'),
    h('p', { class: 'note' }, 'Make a key pair with ', h('code', {}, 'openssl ecparam -name secp384r1 -genkey -noout -out priv.pem'),
      ' and ', h('code', {}, 'openssl ec -in priv.pem -pubout'), '; paste the public half here.'),
    name, pem, tags, h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary' }, 'Import')), ist, result);
  onSubmit(form, ist, async () => {
    const input = { publicKeyMaterial: control(pem).value };
    if (control(name).value) input.name = control(name).value;
    const t = parsePairs(control(tags).value, 'Tags');
    if (t) input.tags = t;
    const { publicKey: k } = await call(ImportPublicKeyCommand, input);
    ist.ok(`Imported ${k.arn}.`);
    show(result, h('p', {}, 'Fingerprint ', h('code', {}, k.fingerprint)));
    await load();
  });
  root.append(h('h1', {}, 'Public keys'), st, list, form);
  await load().catch((e) => st.error(e));
}
