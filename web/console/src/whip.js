// Subscribing to one participant's media through the server's own WHIP
// endpoint with a plain RTCPeerConnection: a recvonly offer (audio mid 0,
// video mid 1, H.264 and Opus preferred), POST {origin}/whip/subscribe/{id}
// with the console's subscribe-only token, the answer applied; close()
// DELETEs the session's Location.

const RETRIES = 15;	// 429 answers (the publisher's media not up yet) ...
const RETRY_MS = 1000;	// ... retried this often
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Puts codecs of mime type first on transceiver t (H.264 packetization
// mode 1, constrained baseline, before the other H.264 entries); leaves the
// browser's order where it cannot say.
function prefer(t, kind, mime) {
  try {
    const caps = RTCRtpReceiver.getCapabilities(kind)?.codecs ?? [];
    const score = (c) => (c.sdpFmtpLine?.includes('packetization-mode=1') ? 2 : 0) +
      (c.sdpFmtpLine?.includes('42e01f') ? 1 : 0);
    const mine = caps.filter((c) => c.mimeType.toLowerCase() === mime).sort((a, b) => score(b) - score(a));
    if (mine.length && t.setCodecPreferences) t.setCodecPreferences(mine);
  } catch { /* the browser's own order */ }
}

// Can this browser receive the stage's video (H.264, packetization mode
// 1)? Firefox has H.264 for WebRTC only with its OpenH264 plugin, which a
// fresh or offline profile lacks; the server refuses an offer without it.
// True where the browser cannot say.
export function receivesH264() {
  const codecs = globalThis.RTCRtpReceiver?.getCapabilities?.('video')?.codecs;
  if (!codecs) return true;
  return codecs.some((c) => c.mimeType.toLowerCase() === 'video/h264' &&
    (c.sdpFmtpLine ?? '').includes('packetization-mode=1'));
}

// Resolves to {pc, stream, audio (the audio receiver), close()} once the
// answer is applied; rejects with the server's message.
export async function subscribe({ origin, token, participantId, signal }) {
  const url = `${origin}/whip/subscribe/${encodeURIComponent(participantId)}`;
  const auth = { Authorization: `Bearer ${token}` };
  const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
  const stream = new MediaStream();
  pc.addEventListener('track', (e) => stream.addTrack(e.track));
  const audio = pc.addTransceiver('audio', { direction: 'recvonly' });
  const video = pc.addTransceiver('video', { direction: 'recvonly' });
  prefer(audio, 'audio', 'audio/opus');
  prefer(video, 'video', 'video/h264');
  let location = null;
  const close = () => {
    pc.close();
    if (location) fetch(location, { method: 'DELETE', headers: auth, keepalive: true }).catch(() => {});
    location = null;
  };
  try {
    await pc.setLocalDescription(await pc.createOffer());
    let r;
    for (let i = 0; ; i++) {
      r = await fetch(url, { method: 'POST', signal,
        headers: { ...auth, 'Content-Type': 'application/sdp' }, body: pc.localDescription.sdp });
      if (r.status !== 429 || i >= RETRIES) break;
      await sleep(RETRY_MS);
    }
    const text = await r.text();
    if (r.status !== 201) {
      let msg = text;
      try { const j = JSON.parse(text); msg = `${j.message ?? text}${j.code ? ` (code ${j.code})` : ''}`; } catch { /* text */ }
      throw new Error(`subscribe refused (HTTP ${r.status}): ${msg}`);
    }
    location = new URL(r.headers.get('Location'), url).href;
    await pc.setRemoteDescription({ type: 'answer', sdp: text });
  } catch (e) {
    close();
    throw e;
  }
  return { pc, stream, audio: audio.receiver, close };
}
