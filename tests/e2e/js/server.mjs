// A real rtstage process on a free loopback port, for the tests in this folder.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IVSRealTimeClient } from '@aws-sdk/client-ivs-realtime';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const BIN = process.env.RTSTAGE_BIN ?? join(root, 'build', 'rtstage');

export function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

// The back-end under test: PostgreSQL when tests/run.sh started a private
// cluster (RTSTAGE_TEST_PG), else SQLite. On PostgreSQL each data directory
// has a database of its own, named after it.
const PG = process.env.RTSTAGE_TEST_PG;
function pgDatabase(dataDir) {
  const name = `t_${createHash('sha1').update(dataDir).digest('hex').slice(0, 20)}`;
  const exists = execFileSync('psql', [`${PG}/postgres`, '-tAc',
    `SELECT 1 FROM pg_database WHERE datname = '${name}'`], { encoding: 'utf8' }).trim();
  if (!exists) execFileSync('psql', [`${PG}/postgres`, '-qc', `CREATE DATABASE "${name}"`]);
  return `${PG}/${name}`;
}

// Starts rtstage; pass the dataDir and port of a stopped server to restart it.
export async function startServer({ dataDir = mkdtempSync(join(tmpdir(), 'rtstage-js-')), port, args = [] } = {}) {
  port = port ?? await freePort();
  const storeArgs = ['--data-dir', dataDir, ...(PG ? ['--db', pgDatabase(dataDir)] : [])];
  const log = join(dataDir, 'server.log');
  const { openSync } = await import('node:fs');
  const fd = openSync(log, 'a');
  const proc = spawn(BIN, ['serve', '--listen', `127.0.0.1:${port}`, '--media-port', '0', ...storeArgs, ...args],
    { stdio: ['ignore', fd, fd] });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 500; i++) {
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.status === 200) break;
    } catch { await new Promise((r) => setTimeout(r, 20)); }
  }
  return {
    url, dataDir, port,
    pid: proc.pid, // the rtstage process
    storeArgs, // where its data is, as rtstage's options (for its offline commands)
    // Resolves to the exit status; rejects on a sanitizer report (ASan+UBSan build).
    // The data directory is removed unless keep is set.
    stop: ({ keep = false } = {}) => new Promise((resolve, reject) => {
      proc.on('exit', (code) => {
        const text = readFileSync(log, 'utf8');
        if (!keep) rmSync(dataDir, { recursive: true, force: true });
        if (/ERROR: (Address|Leak)Sanitizer|runtime error:/.test(text)) reject(new Error(text));
        else resolve(code);
      });
      proc.kill('SIGTERM');
    }),
  };
}

export function ivsClient(url, region = 'us-east-1', accessKeyId = 'AKIDEXAMPLE',
  { secretAccessKey = 'secret', sessionToken, systemClockOffset } = {}) {
  return new IVSRealTimeClient({
    region, endpoint: url, maxAttempts: 1, systemClockOffset,
    credentials: { accessKeyId, secretAccessKey, sessionToken },
  });
}
