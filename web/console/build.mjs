// Bundles the console into DIR (argv[2]): index.html, app.js (the modules
// and the AWS SDK for JavaScript, minified), app.css, and licenses.txt
// naming every package bundled with its licence. tools/embed_assets.py
// then embeds DIR in the binary. Prints each file's size.
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2];
if (!out) { console.error('usage: node build.mjs OUTDIR'); process.exit(2); }
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const common = { bundle: true, minify: true, logLevel: 'warning', legalComments: 'none',
  target: ['chrome109', 'firefox115', 'safari16'] };
const js = await esbuild.build({ ...common, entryPoints: [join(here, 'src', 'main.js')],
  outfile: join(out, 'app.js'), format: 'esm', platform: 'browser', metafile: true });
await esbuild.build({ ...common, entryPoints: [join(here, 'src', 'style.css')],
  outfile: join(out, 'app.css') });
copyFileSync(join(here, 'src', 'index.html'), join(out, 'index.html'));

// The packages in the bundle, from esbuild's list of inputs, with their licences.
const pkgs = new Map();
for (const input of Object.keys(js.metafile.inputs)) {
  const m = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//);
  if (!m || pkgs.has(m[1])) continue;
  const meta = JSON.parse(readFileSync(join(here, 'node_modules', m[1], 'package.json'), 'utf8'));
  pkgs.set(m[1], `${m[1]} ${meta.version} (${meta.license ?? 'see its package'})`);
}
writeFileSync(join(out, 'licenses.txt'), 'The console bundles these packages from npm:\n' +
  [...pkgs.values()].sort().join('\n') + '\n');

for (const f of readdirSync(out).sort())
  console.log(`  ${f.padEnd(14)} ${String(statSync(join(out, f)).size).padStart(8)} bytes`);
