// What the tests call in the page (page.evaluate): window.rt joins one Stage
// of the IVS Web Broadcast SDK with a subscribe-only or a publishing
// strategy, records every StageEvents event into rt.events as plain JSON,
// plays each remote video track in a <video> and counts its decoded frames,
// and leaves. It only uses the SDK's public API.
'use strict';

(function () {
  const SDK = window.IVSBroadcastClient;

  // A JSON-safe picture of an event argument: participants, streams, errors.
  function plain(v) {
    if (v === null || v === undefined) return v ?? null;
    if (Array.isArray(v)) return v.map(plain);
    if (typeof v !== 'object') return v;
    if (v instanceof Error) return { error: v.message, code: v.code ?? null, category: v.category ?? null };
    if ('mediaStreamTrack' in v) {
      return { streamType: v.streamType, trackId: v.mediaStreamTrack?.id ?? null,
        kind: v.mediaStreamTrack?.kind ?? null, isMuted: v.isMuted ?? null };
    }
    if ('id' in v && 'isLocal' in v) {
      return { id: v.id, userId: v.userId, isLocal: v.isLocal, attributes: v.attributes,
        isPublishing: v.isPublishing, audioMuted: v.audioMuted, videoStopped: v.videoStopped };
    }
    try { return JSON.parse(JSON.stringify(v)); } catch { return String(v); }
  }

  const rt = {
    sdkVersion: SDK?.__version ?? null,
    events: [],		// {at (ms since page start), name, args}
    frames: {},		// remote participant id -> decoded video frames
    joined: null,	// null while join() runs, then {ok} or {error}
    stage: null,
    local: [],		// MediaStreamTracks from the fake camera and microphone

    // Has the page the SDK's classes the tests rely on?
    api() {
      return {
        client: typeof SDK === 'object' && SDK !== null,
        Stage: typeof SDK?.Stage === 'function',
        LocalStageStream: typeof SDK?.LocalStageStream === 'function',
        StageEvents: SDK?.StageEvents ? Object.keys(SDK.StageEvents) : null,
        SubscribeType: SDK?.SubscribeType ? Object.values(SDK.SubscribeType) : null,
      };
    },

    // Creates the Stage (errors from the constructor are thrown to the
    // test); opts: publish (fake camera and microphone), subscribe,
    // audio, video. Returns once the Stage exists; join() then runs on
    // and settles rt.joined.
    async start(token, { publish = false, subscribe = true, audio = true, video = true } = {}) {
      let streams = [];
      if (publish) {
        const media = await navigator.mediaDevices.getUserMedia({
          audio, video: video ? { width: 640, height: 360 } : false });
        rt.local = media.getTracks();
        streams = rt.local.map((t) => new SDK.LocalStageStream(t));
      }
      const strategy = {
        stageStreamsToPublish: () => streams,
        shouldPublishParticipant: () => publish,
        shouldSubscribeToParticipant: () =>
          subscribe ? SDK.SubscribeType.AUDIO_VIDEO : SDK.SubscribeType.NONE,
      };
      const stage = new SDK.Stage(token, strategy);
      rt.stage = stage;
      for (const name of Object.values(SDK.StageEvents)) {
        stage.on(name, (...args) => {
          rt.events.push({ at: Math.round(performance.now()), name, args: args.map(plain) });
          if (name === SDK.StageEvents.STAGE_PARTICIPANT_STREAMS_ADDED) show(args[0], args[1]);
        });
      }
      rt.localStreams = streams;
      keepStreams(stage);
      rt.joined = null;
      stage.join().then(() => { rt.joined = { ok: true }; },
        (e) => { rt.joined = { ok: false, error: plain(e) }; });
      return true;
    },

    leave() {
      rt.stage?.leave();
      for (const t of rt.local) t.stop();
      rt.local = [];
      return true;
    },
  };

  // Plays the remote participant's video and counts its decoded frames.
  function show(participant, streams) {
    if (!participant || participant.isLocal) return;
    for (const s of streams ?? []) {
      if (s.mediaStreamTrack?.kind !== 'video') continue;
      const v = document.createElement('video');
      v.muted = true;
      v.autoplay = true;
      v.playsInline = true;
      v.dataset.participant = participant.id;
      v.srcObject = new MediaStream([s.mediaStreamTrack]);
      document.getElementById('remote').appendChild(v);
      rt.frames[participant.id] = rt.frames[participant.id] ?? 0;
      const count = () => {
        rt.frames[participant.id] += 1;
        v.requestVideoFrameCallback(count);
      };
      v.requestVideoFrameCallback(count);
      v.play().catch(() => {});
    }
  }

  // For the media tests: the remote StageStreams of each participant (kept
  // from the streams-added and -removed events) and the WebRTC statistics of
  // remote and local streams as plain JSON.
  rt.remote = {};	// remote participant id -> [RemoteStageStream]
  rt.localStreams = [];	// the LocalStageStreams published

  function keepStreams(stage) {
    const E = SDK.StageEvents;
    stage.on(E.STAGE_PARTICIPANT_STREAMS_ADDED, (p, streams) => {
      if (!p || p.isLocal) return;
      rt.remote[p.id] = [...(rt.remote[p.id] ?? []), ...(streams ?? [])];
    });
    stage.on(E.STAGE_PARTICIPANT_STREAMS_REMOVED, (p, streams) => {
      if (!p || p.isLocal) return;
      const gone = new Set((streams ?? []).map((s) => s.id));
      rt.remote[p.id] = (rt.remote[p.id] ?? []).filter((s) => !gone.has(s.id));
    });
  }

  // The RTP entries (type: inbound-rtp or outbound-rtp) of a stream's
  // requestRTCStats() report, with their codec's mimeType and fmtp line
  // and their transport's SRTP cipher.
  async function rtpStats(stream, type) {
    let report;
    try { report = await stream.requestRTCStats(); } catch (e) { return [{ error: String(e) }]; }
    if (!report) return [];
    const out = [];
    report.forEach((r) => {
      if (r.type !== type) return;
      const codec = r.codecId ? report.get(r.codecId) : null;
      const transport = r.transportId ? report.get(r.transportId) : null;
      out.push({ kind: r.kind, ssrc: r.ssrc, packetsReceived: r.packetsReceived ?? null,
        packetsSent: r.packetsSent ?? null, bytesReceived: r.bytesReceived ?? null,
        framesDecoded: r.framesDecoded ?? null, framesEncoded: r.framesEncoded ?? null,
        mimeType: codec?.mimeType ?? null, sdpFmtpLine: codec?.sdpFmtpLine ?? null,
        payloadType: codec?.payloadType ?? null, srtpCipher: transport?.srtpCipher ?? null });
    });
    return out;
  }

  // inbound-rtp statistics of every remote stream of participant id.
  rt.inbound = async (id) => {
    const out = [];
    for (const s of rt.remote[id] ?? []) {
      for (const r of await rtpStats(s, 'inbound-rtp'))
        out.push({ streamType: s.streamType, trackKind: s.mediaStreamTrack?.kind ?? null, ...r });
    }
    return out;
  };

  // outbound-rtp statistics of every published local stream.
  rt.outbound = async () => {
    const out = [];
    for (const s of rt.localStreams) {
      for (const r of await rtpStats(s, 'outbound-rtp'))
        out.push({ streamType: s.streamType, trackKind: s.mediaStreamTrack?.kind ?? null, ...r });
    }
    return out;
  };

  // The kinds of the remote tracks received from participant id ('audio', 'video').
  rt.remoteKinds = (id) => (rt.remote[id] ?? []).map((s) => s.mediaStreamTrack?.kind ?? null);

  // A WebRTC offer of this browser for sendonly audio and video (fake
  // devices), for raw WHIP requests of the tests.
  rt.makeOffer = async () => {
    const media = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
    const pc = new RTCPeerConnection();
    for (const t of media.getTracks()) pc.addTransceiver(t, { direction: 'sendonly' });
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((resolve) => {
      if (pc.iceGatheringState === 'complete') { resolve(); return; }
      pc.addEventListener('icegatheringstatechange', () => {
        if (pc.iceGatheringState === 'complete') resolve();
      });
      setTimeout(resolve, 3000);
    });
    const sdp = pc.localDescription.sdp;
    pc.close();
    for (const t of media.getTracks()) t.stop();
    return sdp;
  };

  window.rt = rt;
})();
