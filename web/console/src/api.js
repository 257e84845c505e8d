// The console's only way to the server's data: the ivs-realtime API, called
// with the AWS SDK for JavaScript and signed (SigV4) in this page with the
// key the user entered. The key lives in this tab's sessionStorage only and
// leaves the page only as signatures.
import { IVSRealTimeClient } from '@aws-sdk/client-ivs-realtime';

const STORE = 'rtstage.console.key';
let client = null;

// The signed-in key {accessKeyId, secretAccessKey, sessionToken, region}, or null.
export function session() {
  try { return JSON.parse(sessionStorage.getItem(STORE)); } catch { return null; }
}

export function signIn(key) {
  sessionStorage.setItem(STORE, JSON.stringify(key));
  client?.destroy();
  client = null;
}

export function signOut() {
  sessionStorage.removeItem(STORE);
  client?.destroy();
  client = null;
}

// A client for key (default: the signed-in one), on this server.
export function clientFor(key = session()) {
  const { accessKeyId, secretAccessKey, sessionToken, region } = key;
  return new IVSRealTimeClient({
    endpoint: location.origin, region, maxAttempts: 1,
    credentials: { accessKeyId, secretAccessKey, sessionToken: sessionToken || undefined },
  });
}

// Sends Command(input) signed by the session's key; the output, or throws
// the API's error (name: the AWS error code, message: its message).
export async function call(Command, input = {}) {
  client ??= clientFor();
  return client.send(new Command(input));
}

// Every item of a paged list: follows nextToken for at most pages pages.
export async function all(Command, input, key, pages = 20) {
  const items = [];
  let nextToken;
  for (let i = 0; i < pages; i++) {
    const out = await call(Command, { ...input, nextToken });
    items.push(...(out[key] ?? []));
    nextToken = out.nextToken;
    if (!nextToken) break;
  }
  return items;
}

// Protected or strict mode (GET /console/config.json).
export async function serverMode() {
  try {
    const r = await fetch('config.json', { cache: 'no-store' });
    return (await r.json()).mode;
  } catch { return 'unknown'; }
}

// The region an ARN names.
export const arnRegion = (arn) => arn.split(':')[3];
// The account an ARN names.
export const arnAccount = (arn) => arn.split(':')[4];
