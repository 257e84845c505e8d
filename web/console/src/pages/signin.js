// Sign-in: an access key and a region. The key is tried with ListStages
// before it is kept, so a wrong key is told at once in the API's words.
import { ListStagesCommand } from '@aws-sdk/client-ivs-realtime';
import { clientFor, serverMode, session, signIn } from '../api.js';
import { control, field, h, onSubmit, status } from '../dom.js';

// The regions of Amazon IVS Real-Time; any other may be typed.
const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-south-1',
  'ap-northeast-1', 'ap-northeast-2'];

export async function render(root) {
  const mode = await serverMode();
  const prev = session();
  const st = status();
  const protectedMode = mode === 'protected';
  const id = field('Access key ID', { name: 'accessKeyId', required: true, autocomplete: 'username',
    value: prev?.accessKeyId ?? (protectedMode ? 'AKIDEXAMPLE' : ''), spellcheck: 'false' });
  const secret = field('Secret access key', { name: 'secretAccessKey', type: 'password',
    required: true, autocomplete: 'current-password', value: protectedMode ? 'any' : '' });
  const token = field('Session token (only for temporary credentials)', { name: 'sessionToken',
    autocomplete: 'off' });
  const region = field('Region', { name: 'region', required: true, list: 'regions',
    value: prev?.region ?? 'us-east-1', pattern: '[a-z]{2}(-[a-z]+)+-[0-9]+', spellcheck: 'false' });
  const form = h('form', { class: 'card narrow', 'aria-labelledby': 'signin-title' },
    h('h2', { id: 'signin-title' }, 'Access key'), id, secret, token, region,
    h('datalist', { id: 'regions' }, REGIONS.map((r) => h('option', { value: r }))),
    h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary' }, 'Sign in')), st);
  root.append(h('h1', {}, 'Sign in'),
    protectedMode
      ? h('p', { class: 'note' }, 'This server runs in protected mode: any access key works. ',
        'A 12-digit access key ID acts as that account; any other key acts as the server\'s ',
        'default account. Resources belong to the region you choose.')
      : h('p', { class: 'note' }, 'This server checks every request (strict mode): sign in with ',
        'your access key. It is kept in this tab\'s session storage only and leaves the page ',
        'only as request signatures. What your key may not do, the console may not do either.'),
    form);
  onSubmit(form, st, async () => {
    const key = { accessKeyId: control(id).value.trim(), secretAccessKey: control(secret).value,
      sessionToken: control(token).value.trim(), region: control(region).value.trim() };
    const c = clientFor(key);
    try {
      await c.send(new ListStagesCommand({ maxResults: 1 }));
    } catch (e) {
      // A known key that may not list stages may still do other things:
      // keep it. An unknown key or a wrong secret is refused here.
      if (e.name !== 'AccessDeniedException') throw e;
    } finally { c.destroy(); }
    signIn(key);
    location.hash = '#/stages';
  });
  control(id).focus();
}
