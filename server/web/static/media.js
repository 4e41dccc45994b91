// A call's media: the browser's own RTCPeerConnection, through the server's
// TURN relay with the credentials from accepted, VP8 video and Opus audio.
// SDP and ICE candidates travel as call/wire sdp and ice messages.

// localMedia opens the camera and microphone. A missing or refused device
// degrades the call, as in the TUI, instead of stopping it: without a
// camera the page sends no video and still shows the other side's, without
// a microphone it sends no sound and still plays theirs, without either it
// only receives.
export async function localMedia() {
  const video = { width: 640, height: 480, frameRate: 30 };
  for (const want of [{ audio: true, video }, { audio: true }, { video }]) {
    try { return await navigator.mediaDevices.getUserMedia(want); } catch (e) { console.warn("media devices", want, e.name); }
  }
  return new MediaStream();
}

// prefer keeps only the named codec on a transceiver (and, for audio,
// telephone-event: keypad tones), so the browser offers and answers what
// dialtone phones speak.
function prefer(tr, kind, mime) {
  const caps = RTCRtpReceiver.getCapabilities(kind);
  if (!caps || !tr.setCodecPreferences) return;
  const keep = caps.codecs.filter(c => c.mimeType.toLowerCase() === mime);
  if (keep.length && kind === "audio") keep.push(...caps.codecs.filter(c => c.mimeType.toLowerCase() === "audio/telephone-event"));
  if (keep.length) tr.setCodecPreferences(keep);
}

export class CallMedia {
  // opts: {call, accepted, stream, signal, sign(role, sdp), onTrack(stream), onState(state)};
  // sign resolves with the statement sent beside our SDP.
  constructor(opts) {
    this.o = opts;
    const a = opts.accepted;
    const relay = a.relay || {};
    const servers = (relay.urls || []).length ? [{ urls: relay.urls, username: relay.username, credential: relay.credential }] : [];
    this.pc = new RTCPeerConnection({
      iceServers: servers,
      iceTransportPolicy: a.media === "relay" ? "relay" : "all",
      bundlePolicy: "max-bundle",
      rtcpMuxPolicy: "require",
    });
    this.pending = []; // candidates that came before the remote description
    this.remote = new MediaStream();
    this.pc.ontrack = ev => { this.remote.addTrack(ev.track); this.o.onTrack(this.remote); };
    this.pc.onicecandidate = ev => this.candidate(ev.candidate);
    this.pc.onconnectionstatechange = () => this.o.onState(this.pc.connectionState);
    // The offerer makes the transceivers; the answerer takes the offer's
    // and puts its tracks on them (onSDP), so the m-lines match one to one.
    // An offer always has its audio and its video m-line; a kind this side
    // has no device for is receive-only.
    if (a.offerer) {
      for (const kind of ["audio", "video"]) {
        const t = opts.stream.getTracks().find(x => x.kind === kind);
        const tr = t ? this.pc.addTransceiver(t, { direction: "sendrecv", streams: [opts.stream] })
          : this.pc.addTransceiver(kind, { direction: "recvonly" });
        prefer(tr, kind, kind === "video" ? "video/vp8" : "audio/opus");
      }
    }
  }

  // start sends the offer when this side is the offerer.
  async start() {
    if (!this.o.accepted.offerer) return;
    const offer = await this.pc.createOffer();
    await this.pc.setLocalDescription(offer);
    await this.sendSDP("offer", offer.sdp);
  }

  // sendSDP sends our description with its signed statement (unsigned if
  // signing fails, which the other phone then marks).
  async sendSDP(role, sdp) {
    const m = { type: "sdp", call: this.o.call, sdp_type: role, sdp };
    try { m.statement = await this.o.sign(role, sdp); } catch (e) { console.warn("statement", e); }
    if (m.statement && this.o.signal.chain) m.chain = this.o.signal.chain;
    this.o.signal.send(m);
  }

  candidate(c) {
    // The end of candidates (null, or an empty candidate) is not sent:
    // dialtone phones need no end-of-candidates marker.
    if (!c || !c.candidate) return;
    const j = c.toJSON();
    const cand = { candidate: j.candidate };
    if (j.sdpMid != null) cand.sdpMid = j.sdpMid;
    if (j.sdpMLineIndex != null) cand.sdpMLineIndex = j.sdpMLineIndex;
    if (j.usernameFragment != null) cand.usernameFragment = j.usernameFragment;
    this.o.signal.send({ type: "ice", call: this.o.call, candidate: cand });
  }

  async onSDP(m) {
    if (m.sdp_type === "offer") {
      await this.pc.setRemoteDescription({ type: "offer", sdp: m.sdp });
      const used = new Set();
      for (const tr of this.pc.getTransceivers()) {
        const k = tr.receiver.track.kind;
        prefer(tr, k, k === "video" ? "video/vp8" : "audio/opus");
        const t = this.o.stream.getTracks().find(x => x.kind === k && !used.has(x));
        if (t && !tr.sender.track) {
          used.add(t);
          await tr.sender.replaceTrack(t);
          tr.sender.setStreams(this.o.stream);
          tr.direction = "sendrecv";
        }
      }
      const answer = await this.pc.createAnswer();
      await this.pc.setLocalDescription(answer);
      await this.sendSDP("answer", answer.sdp);
    } else if (m.sdp_type === "answer") {
      await this.pc.setRemoteDescription({ type: "answer", sdp: m.sdp });
    }
    for (const c of this.pending.splice(0)) await this.addCandidate(c);
  }

  async onICE(m) {
    if (!m.candidate) return;
    if (!this.pc.remoteDescription) { this.pending.push(m.candidate); return; }
    await this.addCandidate(m.candidate);
  }

  async addCandidate(c) {
    const init = { candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex };
    if (init.sdpMid == null && init.sdpMLineIndex == null) init.sdpMLineIndex = 0; // bundled: the first m-line
    if (c.usernameFragment) init.usernameFragment = c.usernameFragment;
    try { await this.pc.addIceCandidate(init); } catch (e) { console.warn("candidate refused", e); }
  }

  // sendTones queues keypad digits as RFC 4733 events on the audio stream
  // (the browser's RTCDTMFSender), 120 ms each with 100 ms between, as
  // dialtone phones send them; false when the call's audio takes none.
  sendTones(digits) {
    const s = this.pc.getSenders().find(x => x.track && x.track.kind === "audio");
    if (!s || !s.dtmf || !s.dtmf.canInsertDTMF) return false;
    s.dtmf.insertDTMF(s.dtmf.toneBuffer + digits, 120, 100);
    return true;
  }

  setMuted(on) { for (const t of this.o.stream.getAudioTracks()) t.enabled = !on; }
  setCamera(on) { for (const t of this.o.stream.getVideoTracks()) t.enabled = on; }

  // stats summarises getStats: the selected pair, bitrates, RTT and loss.
  async stats() {
    const r = await this.pc.getStats();
    const s = { at: performance.now(), video: {}, audio: {}, pair: {} };
    let pairId = "";
    r.forEach(x => { if (x.type === "transport" && x.selectedCandidatePairId) pairId = x.selectedCandidatePairId; });
    r.forEach(x => {
      if (x.type === "candidate-pair" && (x.id === pairId || (!pairId && x.nominated && x.state === "succeeded"))) {
        const l = r.get(x.localCandidateId) || {}, rm = r.get(x.remoteCandidateId) || {};
        s.pair = { local: l.candidateType, remote: rm.candidateType, localAddr: `${l.address}:${l.port}`,
          remoteAddr: `${rm.address}:${rm.port}`, protocol: l.protocol, rtt: x.currentRoundTripTime, state: x.state };
      }
      if (x.type === "inbound-rtp") {
        const k = x.kind === "video" ? s.video : s.audio;
        Object.assign(k, { packetsReceived: x.packetsReceived, packetsLost: x.packetsLost, bytesReceived: x.bytesReceived,
          framesDecoded: x.framesDecoded, frameWidth: x.frameWidth, frameHeight: x.frameHeight, codec: (r.get(x.codecId) || {}).mimeType,
          audioLevel: x.audioLevel, totalAudioEnergy: x.totalAudioEnergy });
      }
      if (x.type === "outbound-rtp") {
        const k = x.kind === "video" ? s.video : s.audio;
        Object.assign(k, { packetsSent: x.packetsSent, bytesSent: x.bytesSent, framesEncoded: x.framesEncoded });
      }
    });
    const prev = this.prevStats;
    for (const kind of ["video", "audio"]) {
      const k = s[kind], p = prev && prev[kind];
      const dt = prev ? (s.at - prev.at) / 1000 : 0;
      if (p && dt > 0) {
        k.kbpsIn = Math.round(((k.bytesReceived || 0) - (p.bytesReceived || 0)) * 8 / dt / 1000);
        k.kbpsOut = Math.round(((k.bytesSent || 0) - (p.bytesSent || 0)) * 8 / dt / 1000);
      }
      const got = (k.packetsReceived || 0) + (k.packetsLost || 0);
      k.lossPct = got ? Math.round(1000 * (k.packetsLost || 0) / got) / 10 : 0;
    }
    this.prevStats = s;
    return s;
  }

  close() {
    this.pc.close();
  }
}
