// Storage configurations: list, create (an S3 bucket name), delete.
import {
  CreateStorageConfigurationCommand, DeleteStorageConfigurationCommand, ListStorageConfigurationsCommand,
} from '@aws-sdk/client-ivs-realtime';
import { all, call } from '../api.js';
import { control, field, h, onSubmit, parsePairs, show, status } from '../dom.js';
import { confirmDelete } from './stage.js';

export async function render(root) {
  const st = status();
  const list = h('div', { class: 'table-wrap' });
  async function load() {
    const items = await all(ListStorageConfigurationsCommand, { maxResults: 50 }, 'storageConfigurations');
    show(list, items.length ? h('table', {},
      h('caption', { class: 'sr-only' }, 'Storage configurations'),
      h('thead', {}, h('tr', {}, ['Name', 'ARN', 'S3 bucket', 'Tags', ''].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, items.map((c) => h('tr', {},
        h('td', {}, c.name || '(no name)'), h('td', { class: 'mono' }, c.arn), h('td', {}, c.s3?.bucketName ?? ''),
        h('td', {}, Object.entries(c.tags ?? {}).map(([k, v]) => `${k}=${v}`).join(', ')),
        h('td', {}, confirmDelete(c.name || 'this configuration', async () => {
          await call(DeleteStorageConfigurationCommand, { arn: c.arn });
          st.ok(`Deleted ${c.arn}.`);
          await load();
        }, st))))))
      : h('p', {}, 'No storage configurations.'));
  }
  const name = field('Name', { name: 'name', maxlength: 128 });
  const bucket = field('S3 bucket name', { name: 'bucket', required: true, minlength: 3, maxlength: 63 });
  const tags = field('Tags (key=value per line)', { name: 'tags', rows: 2 }, 'textarea');
  const cst = status();
  const form = h('form', { class: 'card', 'aria-labelledby': 'create-title' },
    h('h2', { id: 'create-title' }, 'Create a storage configuration'), name, bucket, tags,
    h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary' }, 'Create')), cst);
  onSubmit(form, cst, async () => {
    const input = { s3: { bucketName: control(bucket).value } };
    if (control(name).value) input.name = control(name).value;
    const t = parsePairs(control(tags).value, 'Tags');
    if (t) input.tags = t;
    const out = await call(CreateStorageConfigurationCommand, input);
    cst.ok(`Created ${out.storageConfiguration.arn}.`);
    await load();
  });
  root.append(h('h1', {}, 'Storage configurations'), st, list, form);
  await load().catch((e) => st.error(e));
}
