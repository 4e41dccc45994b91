// The browser phone: screens, keys, and the call flow. Every string shown
// is set with textContent; nothing from the network or storage is parsed
// as HTML.
import { Numbers, NumberField, normalize } from "./format.js";
import { Signal } from "./proto.js";
import { CallMedia, localMedia } from "./media.js";
import * as store from "./store.js";
import * as trust from "./trust.js";

const $ = id => document.getElementById(id);
const Screens = ["setup", "home", "outgoing", "incall", "ended"];

// dialtone is the page's state, exposed for tests (window.dialtone).
const st = {
  me: "", signal: null, services: [],
  calls: new Map(),   // call ID → {id, peer, dir, state, media, accepted}
  current: null,      // the call on the outgoing or in-call screen
  incoming: null,     // the call in the incoming dialog
  queued: [],         // further incoming calls, oldest first, each asked about in its turn
  dialSeq: 0, dialTo: "",
  stream: null, muted: false, cameraOff: false, showStats: false,
  lastStats: null, ended: [],
  cspViolations: [], // what the Content-Security-Policy refused (tests expect none)
};
document.addEventListener("securitypolicyviolation", e => st.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
window.dialtone = st;

// Numbers are shown by the server's rules (call/number, as in the TUI);
// texts that show one are bound, so they are redrawn when it is learnt.
st.numbers = new Numbers({ onLearn: () => refreshLabels() });
const fmt = n => st.numbers.display(n);
const bound = new Map(); // element → function giving its text
function bind(el, text) { bound.set(el, text); el.textContent = text(); }
function refreshLabels() {
  for (const [el, text] of bound) el.textContent = text();
  renderLists();
  renderIncoming();
}
const fields = {};

function show(name) {
  document.body.dataset.screen = name;
  for (const s of Screens) $(s).hidden = s !== name;
  const first = { setup: "setup-number", home: "dial-number", outgoing: "cancel", incall: "hangup", ended: "ended-ok" }[name];
  if (first) $(first).focus();
}

// announce says a change of call state to screen readers (the live
// region is read out even when focus is elsewhere).
function announce(text) { $("announce").textContent = text; }

// openDialog shows a modal dialog and remembers what had focus, so that
// closing it puts focus back (unless a new screen took it meanwhile).
function openDialog(d, focus) {
  if (!d.open) {
    const prev = document.activeElement;
    d.returnFocus = prev && prev !== document.body && !d.contains(prev) ? prev : null;
    d.showModal();
  }
  focus.focus();
}

function restoreFocus(d) {
  const back = d.returnFocus;
  d.returnFocus = null;
  const a = document.activeElement;
  if (!back || !back.isConnected || back.closest("[hidden]")) return;
  if (!a || a === document.body || d.contains(a)) back.focus();
}

// trapTab keeps Tab and shift+Tab inside an open modal dialog, going
// round from the last control to the first and back.
function trapTab(ev, d) {
  const els = [...d.querySelectorAll("button, input, [tabindex]")].filter(e => !e.disabled && !e.closest("[hidden]") && e.tabIndex >= 0);
  if (!els.length) return;
  const i = els.indexOf(document.activeElement);
  const next = ev.shiftKey ? (i <= 0 ? els.length - 1 : i - 1) : (i < 0 || i === els.length - 1 ? 0 : i + 1);
  ev.preventDefault();
  els[next].focus();
}

function status(text) { bind($("status"), typeof text === "function" ? text : () => text); }

function peerLabel(n) {
  const name = store.contacts.name(n);
  return name ? `${name} (${fmt(n)})` : fmt(n);
}

// ---- registration

async function register(number, invite, keys, link) {
  const sig = new Signal({
    number, keys, invite, link,
    onMessage: m => handle(m),
    onState: (text, ok) => { status(ok ? () => `${fmt(number)} · registered` : text); document.body.dataset.registered = ok ? "1" : ""; },
    onFatal: m => { status("refused: " + (m.message || m.code)); show("setup"); },
    onReplaced: () => {
      for (const c of [...st.calls.values()]) end(c, "this phone connected again elsewhere");
      document.body.dataset.registered = "";
      status("stopped: this phone connected again elsewhere (another tab or device with these keys). " +
        "Close the other one, or reload this page to take the number back here.");
    },
  });
  const reg = await sig.start();
  st.signal = sig;
  st.me = reg.number || number;
  st.services = reg.services; // absent: the server did not say, so any code may be tried
  // National numbers are one's own country's, as in the TUI.
  const own = await st.numbers.ask(st.me);
  st.numbers.region = (own && own.region) || "";
  await st.numbers.ask(st.me); // as this phone shows it, before home shows it
  refreshLabels();
  for (const f of Object.values(fields)) f.set(f.raw);
  missed(reg.missed || []);
  return reg;
}

function missed(list) {
  let last = 0;
  for (const m of list) {
    if (typeof m.from !== "string") continue;
    store.recents.add({ number: m.from, kind: "missed", at: m.at, call: m.call });
    last = Math.max(last, m.id || 0);
  }
  if (last) st.signal.send({ type: "missed-ack", id: last });
  renderLists();
}

async function setup(ev) {
  ev.preventDefault();
  const invite = $("setup-invite").value.trim();
  const link = $("setup-link").value.trim();
  $("setup-error").textContent = "";
  $("setup-register").disabled = true;
  const f = await fields.setup.check();
  $("setup-register").disabled = false;
  // The TUI's first-run checks: a number, and not a service code.
  let number = normalize(fields.setup.raw, "");
  if (f && !f.ok) { $("setup-error").textContent = f.reason; fields.setup.el.focus(); return; }
  if (f && f.service) { $("setup-error").textContent = `${f.number} is a service code, not a number`; fields.setup.el.focus(); return; }
  if (f) number = f.number;
  else if (!number.startsWith("+")) { $("setup-error").textContent = "Write the number with + and the country code."; fields.setup.el.focus(); return; }
  $("setup-register").disabled = true;
  try {
    const keys = await store.newKeys();
    await register(number, invite, keys, link);
    await store.saveIdentity({ number: st.me, keys });
    home();
  } catch (e) {
    $("setup-error").textContent = e && e.code ? `${e.message || e.code} (${e.code})` : String(e && e.message || e);
  } finally {
    $("setup-register").disabled = false;
  }
}

// ---- home

function home() {
  bind($("me"), () => fmt(st.me));
  renderLists();
  show("home");
}

function renderLists() {
  const cl = $("contacts");
  cl.replaceChildren();
  for (const c of store.contacts.list()) {
    const li = document.createElement("li");
    const b = document.createElement("button");
    b.type = "button"; b.className = "who";
    b.textContent = `${c.name} · ${fmt(c.number)}`;
    b.setAttribute("aria-label", `Call ${c.name}, ${fmt(c.number)}`);
    b.addEventListener("click", () => dial(c.number));
    const d = document.createElement("button");
    d.type = "button"; d.textContent = "Delete";
    d.setAttribute("aria-label", `Delete contact ${c.name}`);
    // Two presses, as the TUI asks for y: the first asks, the second deletes.
    d.addEventListener("click", () => {
      if (d.dataset.confirm !== "1") {
        d.dataset.confirm = "1"; d.textContent = "Really delete?";
        d.setAttribute("aria-label", `Really delete contact ${c.name}? Press again to delete`);
        announce(`Press again to delete ${c.name}`);
        return;
      }
      store.contacts.remove(c.number);
      renderLists();
      announce(`${c.name} deleted`);
      $("dial-number").focus();
    });
    d.addEventListener("blur", () => {
      if (d.dataset.confirm !== "1") return;
      d.dataset.confirm = ""; d.textContent = "Delete"; d.setAttribute("aria-label", `Delete contact ${c.name}`);
    });
    li.append(b, d);
    cl.append(li);
  }
  if (!cl.children.length) { const li = document.createElement("li"); li.textContent = "none yet"; cl.append(li); }
  const rl = $("recents");
  rl.replaceChildren();
  for (const r of store.recents.list().slice(0, 20)) {
    const li = document.createElement("li");
    li.className = r.kind;
    const b = document.createElement("button");
    b.type = "button"; b.className = "who";
    const label = { out: "called", in: "answered", missed: "missed" }[r.kind] || r.kind;
    b.textContent = `${peerLabel(r.number)} · ${label}`;
    b.setAttribute("aria-label", `Call back ${peerLabel(r.number)} (${label})`);
    b.addEventListener("click", () => dial(r.number));
    const w = document.createElement("span");
    w.className = "when";
    const at = new Date(r.at);
    w.textContent = isNaN(at) ? "" : at.toLocaleString();
    li.append(b, w);
    rl.append(li);
  }
  if (!rl.children.length) { const li = document.createElement("li"); li.textContent = "none yet"; rl.append(li); }
}

// ---- calls

async function ensureStream() {
  if (!st.stream) st.stream = await localMedia();
  for (const t of st.stream.getAudioTracks()) t.enabled = !st.muted;
  for (const t of st.stream.getVideoTracks()) t.enabled = !st.cameraOff;
  return st.stream;
}

// dialTyped dials what is in the number field, once the server's rules
// (call/number, as in the TUI) say it is a number, and says why not.
async function dialTyped() {
  const field = fields.dial;
  const err = $("dial-error");
  err.textContent = "";
  if (field.raw.trim() === "") { err.textContent = "type a number, or dial 600 for the echo test"; return; }
  const f = await field.check();
  if (!f) return dial(normalize(field.raw, st.me)); // the server cannot say: it judges the dial itself
  if (!f.ok) { err.textContent = f.reason; return; }
  if (f.service && Array.isArray(st.services) && !st.services.some(s => s.code === f.number)) {
    err.textContent = `${f.number} is no service of this server; write numbers with + and the country code`;
    return;
  }
  return dial(f.number);
}

async function dial(to) {
  $("dial-error").textContent = "";
  if (!to) { $("dial-error").textContent = "type a number, or dial 600 for the echo test"; return; }
  if (st.current) return;
  fields.dial.set(""); // dialled: the next call starts afresh, as in the TUI
  st.current = { id: "", peer: to, dir: "out", state: "dialling" };
  st.dialAt = performance.now();
  bind($("outgoing-peer"), () => peerLabel(to));
  announce(`Calling ${peerLabel(to)}`);
  $("outgoing-state").textContent = "dialling…";
  show("outgoing");
  try { await ensureStream(); } catch (e) { end(st.current, "no camera or microphone: " + e.message); return; }
  if (!st.current || st.current.id) return;
  st.dialSeq = st.signal.send({ type: "dial", to });
}

function callOf(m) {
  if (m.call && st.calls.has(m.call)) return st.calls.get(m.call);
  if (st.current && !st.current.id && m.re && m.re === st.dialSeq) return st.current;
  return null;
}

function handle(m) {
  const c = callOf(m);
  switch (m.type) {
  case "registered":
    if (m.resumed) resumed(m.calls || []);
    missed(m.missed || []);
    return;
  case "ringing":
    if (!c) return;
    c.id = m.call; c.state = "ringing";
    st.calls.set(c.id, c);
    $("outgoing-state").textContent = "ringing…";
    announce("Ringing");
    return;
  case "incoming": return incoming(m);
  case "accepted": return accepted(c, m);
  case "sdp": if (c && c.media) peerSDP(c, m); return;
  case "ice": if (c && c.media) c.media.onICE(m).catch(e => console.warn("ice", e)); return;
  case "refused": return end(c, "refused");
  case "busy": return end(c, "busy");
  case "no-answer": return end(c, "no answer");
  case "unavailable": return end(c, m.reason === "offline" ? "not connected" : "no such number");
  case "cancelled":
    if (m.reason === "answered-elsewhere") return answeredElsewhere(c, m.device);
    return end(c, c && c.dir === "in" ? "missed" : "cancelled");
  case "hangup-ack": return end(c, "hung up");
  case "ended": return end(c, { hangup: "the other party hung up", "peer-lost": "the other party was lost" }[m.reason] || "ended: " + (m.reason || ""));
  case "error":
    if (c) return end(c, m.message || m.code);
    if (m.re && m.re === st.dialSeq && st.current) return end(st.current, m.message || m.code);
    status("error: " + (m.message || m.code || ""));
  }
}

function resumed(list) {
  const held = new Set(list.map(x => x.call));
  for (const [id, c] of st.calls) if (!held.has(id)) end(c, "lost while reconnecting");
}

// maxQueued bounds the incoming calls waiting behind the dialog's, as in
// the TUI; the server lets few ring at once, so more is a misbehaving server.
const maxQueued = 8;

function incoming(m) {
  if (typeof m.from !== "string" || !m.call) return;
  if (st.calls.has(m.call)) return; // told again (a resume): already asked or queued
  const c = { id: m.call, peer: m.from, dir: "in", state: "incoming" };
  if (st.incoming) {
    // One question at a time; the others wait their turn, as in the TUI.
    if (st.queued.length >= maxQueued) { st.signal.send({ type: "refuse", call: c.id }); return; }
    st.calls.set(c.id, c);
    st.queued.push(c);
    renderIncoming();
    return;
  }
  st.calls.set(c.id, c);
  ask(c);
}

// ask puts c in the incoming dialog.
function ask(c) {
  st.incoming = c;
  renderIncoming();
  openDialog($("incoming"), $("accept"));
  announce(`${st.current ? "Call waiting" : "Incoming call"} from ${peerLabel(c.peer)}`);
  $("ringtone").play().catch(() => {}); // autoplay may be refused before any click
}

// renderIncoming draws the dialog: call waiting over a call in progress,
// and how many more are calling, so one caller ringing again and again
// does not hide the others.
function renderIncoming() {
  const c = st.incoming;
  if (!c) return;
  const waiting = !!st.current;
  $("incoming-title").textContent = waiting ? "Call waiting" : "Incoming call";
  bind($("incoming-from"), () => peerLabel(c.peer));
  $("incoming-waiting").hidden = !waiting;
  $("accept").firstChild.textContent = waiting ? "End call and accept " : "Accept ";
  $("incoming-more").hidden = st.queued.length === 0;
  $("incoming-more").textContent = `+${st.queued.length} more calling`;
}

// nextIncoming asks about the oldest queued call, if the dialog is free.
function nextIncoming() {
  if (st.incoming || !st.queued.length) return;
  ask(st.queued.shift());
}

function closeIncoming() {
  st.incoming = null;
  $("ringtone").pause();
  $("ringtone").currentTime = 0;
  if ($("incoming").open) $("incoming").close();
}

async function accept() {
  const c = st.incoming;
  if (!c) return;
  closeIncoming();
  if (st.current) leave(st.current);
  st.current = c;
  c.state = "accepting";
  st.dialAt = performance.now();
  bind($("incall-peer"), () => peerLabel(c.peer));
  bind($("incall-peer-sr"), () => peerLabel(c.peer));
  show("incall");
  nextIncoming(); // the next in line is now call waiting over this one
  try { await ensureStream(); } catch (e) { st.signal.send({ type: "refuse", call: c.id }); end(c, "no camera or microphone: " + e.message); return; }
  st.signal.send({ type: "accept", call: c.id });
}

// leave ends the call in progress for a waiting call: hang up (or cancel
// the one still ringing) and let it go without the ended screen.
function leave(c) {
  if (c.id && c.state === "ringing") st.signal.send({ type: "cancel", call: c.id });
  else if (c.id && c.state !== "dialling") st.signal.send({ type: "hangup", call: c.id });
  if (c.id) st.calls.delete(c.id);
  if (c.media) c.media.close();
  clearInterval(st.statsTimer);
  st.lastStats = null; // the next call's own, not this one's
  $("remote").srcObject = null;
  st.ended.push({ call: c.id, peer: c.peer, why: "ended for a waiting call", firstFrameMs: c.firstFrameMs });
  store.recents.add({ number: c.peer, kind: c.dir === "out" ? "out" : (c.media ? "in" : "missed"), call: c.id });
  st.current = null;
}

function refuse() {
  const c = st.incoming;
  if (!c) return;
  closeIncoming();
  st.signal.send({ type: "refuse", call: c.id });
  st.calls.delete(c.id);
  store.recents.add({ number: c.peer, kind: "missed", call: c.id });
  renderLists();
  nextIncoming();
}

function accepted(c, m) {
  if (!c || c.media) return;
  c.state = "active";
  c.accepted = m;
  st.current = c;
  bind($("incall-peer"), () => peerLabel(c.peer));
  bind($("incall-peer-sr"), () => peerLabel(c.peer));
  $("incall-keys").textContent = "";
  if (document.body.dataset.screen !== "incall") show("incall");
  announce(`In a call with ${peerLabel(c.peer)}`);
  $("self").srcObject = st.stream;
  // A device the browser lacks or refused: said where the self-view would
  // be, as the TUI does, and its button does nothing, so it is disabled.
  const cam = st.stream.getVideoTracks().length > 0, mic = st.stream.getAudioTracks().length > 0;
  $("self").hidden = !cam;
  $("camera").disabled = !cam;
  $("mute").disabled = !mic;
  $("devices").textContent = [cam ? "" : "no camera", mic ? "" : "no microphone"].filter(Boolean).join(" · ");
  c.media = new CallMedia({
    call: c.id, accepted: m, stream: st.stream, signal: st.signal,
    sign: (role, sdp) => trust.sign(st.signal.o.keys, c, st.me, role, sdp),
    onTrack: s => { if ($("remote").srcObject !== s) $("remote").srcObject = s; },
    onState: s => { document.body.dataset.media = s; },
  });
  c.media.start().catch(e => console.warn("offer", e));
  watchFirstFrame(c);
  clearInterval(st.statsTimer);
  st.statsTimer = setInterval(() => refreshStats(c), 1000);
}

// peerSDP judges the statement beside the other phone's SDP before the
// browser may use it: a statement that fails, or a changed key, ends the
// call unconnected, as on the terminal phone. SDPs are taken in order.
function peerSDP(c, m) {
  c.sdpChain = (c.sdpChain || Promise.resolve()).then(async () => {
    const { code, ...t } = await trust.judge(st.signal.o.keys, c, st.me, m);
    c.trust = t;
    if (!trust.carries(t.state)) {
      st.signal.send({ type: "hangup", call: c.id });
      end(c, trust.words(t) + (t.detail ? " (" + t.detail + ")" : ""));
      return;
    }
    if (c.media) await c.media.onSDP(m);
    if (code) t.code = await code;
    renderStats(c);
  }).catch(e => console.warn("sdp", e));
}

// showTrustButtons offers, after a call, what the user may say of the
// other phone's key: that a changed key is theirs, or that the codes they
// read to each other matched.
function showTrustButtons(c) {
  const t = c.trust || {};
  st.endedPeer = c.peer;
  $("trust-note").textContent = "";
  $("trust-new-key").hidden = t.state !== "key-changed";
  $("codes-match").hidden = !t.code || !["new", "pinned"].includes(t.state);
}

function trustNewKey() {
  if (trust.accept(st.endedPeer)) $("trust-note").textContent = "new key trusted, not verified: compare the safety code at the next call";
  $("trust-new-key").hidden = true;
}

function codesMatch() {
  if (trust.verify(st.endedPeer)) $("trust-note").textContent = "marked verified";
  $("codes-match").hidden = true;
}

// watchFirstFrame records how long the call took from dial (or accept) to
// the first decoded remote frame.
function watchFirstFrame(c) {
  const v = $("remote");
  const tick = () => {
    if (st.current !== c) return;
    if (v.videoWidth > 0) { c.firstFrameMs = performance.now() - st.dialAt; return; }
    (v.requestVideoFrameCallback ? v.requestVideoFrameCallback.bind(v) : requestAnimationFrame)(tick);
  };
  tick();
}

async function refreshStats(c) {
  if (!c.media || st.current !== c) return;
  st.lastStats = await c.media.stats();
  renderStats(c);
}

function renderStats(c) {
  const s = st.lastStats;
  if (!st.showStats || !c || !c.accepted || !s) return;
  const a = c.accepted;
  const rows = [
    ["leases", `${a.local_lease || "?"} ↔ ${a.remote_lease || "?"}`],
    ["media", a.media || ""],
    ["path", s.pair.local ? `${s.pair.local} ${s.pair.localAddr} → ${s.pair.remote} ${s.pair.remoteAddr} (${s.pair.protocol})` : "connecting"],
    ["rtt", s.pair.rtt != null ? `${Math.round(s.pair.rtt * 1000)} ms` : "–"],
    ["video in", `${s.video.kbpsIn ?? "–"} kbit/s ${s.video.frameWidth || 0}×${s.video.frameHeight || 0}, ${s.video.framesDecoded || 0} frames, loss ${s.video.lossPct}%`],
    ["video out", `${s.video.kbpsOut ?? "–"} kbit/s`],
    ["audio in", `${s.audio.kbpsIn ?? "–"} kbit/s, loss ${s.audio.lossPct}%`],
    ["audio out", `${s.audio.kbpsOut ?? "–"} kbit/s`],
  ];
  if (c.trust) rows.push(["safety", (c.trust.code ? c.trust.code + " · " : "") + trust.words(c.trust)]);
  const dl = $("stats");
  dl.replaceChildren();
  for (const [k, v] of rows) {
    const dt = document.createElement("dt"); dt.textContent = k;
    const dd = document.createElement("dd"); dd.textContent = v;
    dl.append(dt, dd);
  }
}

function hangup() {
  const c = st.current;
  if (!c) return;
  if (c.state === "dialling") { end(c, "cancelled"); return; }
  if (c.state === "ringing") { st.signal.send({ type: "cancel", call: c.id }); return; }
  st.signal.send({ type: "hangup", call: c.id });
}

// answeredElsewhere drops an incoming call another device of the number
// took: no missed call, just a word in the status line.
function answeredElsewhere(c, device) {
  if (!c) return;
  st.calls.delete(c.id);
  const q = st.queued.indexOf(c);
  if (q >= 0) st.queued.splice(q, 1);
  else if (st.incoming === c) closeIncoming();
  else return;
  nextIncoming();
  renderIncoming();
  status(`${peerLabel(c.peer)} answered on ${device || "another device"}`);
}

function end(c, why) {
  if (!c) return;
  if (c.id) st.calls.delete(c.id);
  const q = st.queued.indexOf(c);
  if (q >= 0 || st.incoming === c) {
    if (q >= 0) st.queued.splice(q, 1);
    else closeIncoming();
    store.recents.add({ number: c.peer, kind: "missed", call: c.id });
    renderLists();
    nextIncoming();
    renderIncoming();
    return;
  }
  if (c.media) c.media.close();
  st.ended.push({ call: c.id, peer: c.peer, why, firstFrameMs: c.firstFrameMs, trust: c.trust });
  if (st.current !== c) return;
  st.current = null;
  clearInterval(st.statsTimer);
  $("remote").srcObject = null;
  store.recents.add({ number: c.peer, kind: c.dir === "out" ? "out" : (c.media ? "in" : "missed"), call: c.id });
  if (st.stream && !st.incoming) { for (const t of st.stream.getTracks()) t.stop(); st.stream = null; }
  bind($("ended-reason"), () => `${peerLabel(c.peer)}: ${why}` +
    (c.trust && c.trust.code ? ` · safety code ${c.trust.code} (${trust.words(c.trust)})` : "") +
    (c.trust && c.trust.state === "via-server" && c.trust.via !== "service" ? ` · ${trust.words(c.trust)}` : ""));
  announce(`Call ended. ${peerLabel(c.peer)}: ${why}`);
  showTrustButtons(c);
  show("ended");
  if (st.incoming) { renderIncoming(); $("accept").focus(); } // a waiting call is now just incoming
}

function toggleMute() {
  if ($("mute").disabled) return; // no microphone
  st.muted = !st.muted;
  if (st.current && st.current.media) st.current.media.setMuted(st.muted);
  $("mute").setAttribute("aria-pressed", String(st.muted));
  announce(st.muted ? "Microphone muted" : "Microphone on");
}

function toggleCamera() {
  if ($("camera").disabled) return; // no camera
  st.cameraOff = !st.cameraOff;
  if (st.current && st.current.media) st.current.media.setCamera(!st.cameraOff);
  $("camera").setAttribute("aria-pressed", String(st.cameraOff));
  announce(st.cameraOff ? "Camera off" : "Camera on");
}

// sendKey sends one keypad tone in the call and shows the keys sent.
// (Browsers tell a page nothing of the tones the other side sends.)
function sendKey(k) {
  const c = st.current;
  if (!c || !c.media || !c.media.sendTones(k)) return;
  c.keysSent = ((c.keysSent || "") + k).slice(-24);
  $("incall-keys").textContent = "keys sent: " + c.keysSent;
}

function toggleStats() {
  st.showStats = !st.showStats;
  $("stats").hidden = !st.showStats;
  $("stats-toggle").setAttribute("aria-pressed", String(st.showStats));
  renderStats(st.current);
}

// ---- contacts

function newContact(number) {
  $("contact-name").value = "";
  fields.contact.set(number || "");
  $("contact-error").textContent = "";
  openDialog($("contact-dialog"), $("contact-name"));
}

async function saveContact(ev) {
  ev.preventDefault();
  const name = $("contact-name").value.trim();
  if (!name) { $("contact-error").textContent = "A contact needs a name."; $("contact-name").focus(); return; }
  const f = await fields.contact.check();
  if (f && !f.ok) { $("contact-error").textContent = f.reason; fields.contact.el.focus(); return; }
  const number = f ? f.number : normalize(fields.contact.raw, st.me);
  if (!number) { $("contact-error").textContent = "A contact needs a number."; return; }
  store.contacts.put({ name, number });
  $("contact-dialog").close();
  renderLists();
}

// ---- keys: the TUI's, where they make sense in a page

function onKey(ev) {
  if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
  const k = ev.key;
  const inField = ev.target instanceof HTMLInputElement;
  // Enter and space on a focused button are that button's: Enter on
  // Refuse refuses, whatever the shortcut for Enter is.
  const ownKey = ev.target instanceof HTMLButtonElement && (k === "Enter" || k === " ");
  for (const d of [$("contact-dialog"), $("incoming")]) if (d.open && k === "Tab") return trapTab(ev, d);
  if ($("contact-dialog").open) return; // the form's own keys; esc closes it
  if (st.incoming) {
    if (k === "a" || (k === "Enter" && !ownKey)) { ev.preventDefault(); accept(); }
    else if (k === "r" || k === "Escape") { ev.preventDefault(); refuse(); }
    return;
  }
  if (k === "?" && !(inField && ev.target.id !== "dial-number")) { ev.preventDefault(); $("help").hidden = !$("help").hidden; return; }
  const screen = document.body.dataset.screen;
  if (screen === "home") {
    if (!inField && /^[0-9+]$/.test(k)) { ev.preventDefault(); $("dial-number").focus(); fields.dial.append(k); }
    else if (!inField && k === "Backspace") { ev.preventDefault(); fields.dial.erase(); }
    else if (k === "n" && (!inField || ev.target.id === "dial-number")) { ev.preventDefault(); newContact(fields.dial.raw); }
    return;
  }
  if (screen === "outgoing" && (k === "h" || k === "Escape")) { ev.preventDefault(); hangup(); return; }
  if (screen === "incall") {
    const f = { h: hangup, Escape: hangup, m: toggleMute, v: toggleCamera, s: toggleStats }[k];
    if (f) { ev.preventDefault(); f(); }
    else if (/^[0-9*#A-D]$/.test(k)) { ev.preventDefault(); sendKey(k); }
    return;
  }
  if (screen === "ended" && !ownKey && (k === "Enter" || k === "Escape" || k === " ")) { ev.preventDefault(); home(); }
  if (screen === "ended" && k === "T" && !$("trust-new-key").hidden) { ev.preventDefault(); trustNewKey(); }
  if (screen === "ended" && k === "V" && !$("codes-match").hidden) { ev.preventDefault(); codesMatch(); }
}

// ---- start

async function main() {
  $("setup-form").addEventListener("submit", setup);
  const clears = id => () => { $(id).textContent = ""; };
  fields.setup = new NumberField($("setup-number"), st.numbers, 120, clears("setup-error"));
  fields.dial = new NumberField($("dial-number"), st.numbers, 120, clears("dial-error"));
  fields.contact = new NumberField($("contact-number"), st.numbers, 120, clears("contact-error"));
  st.fields = fields;
  $("dial-form").addEventListener("submit", ev => { ev.preventDefault(); dialTyped(); });
  $("pad").addEventListener("click", ev => {
    const d = ev.target.closest("button");
    if (!d) return;
    if (d.id === "erase") fields.dial.erase(); else fields.dial.append(d.dataset.digit);
  });
  $("add-contact").addEventListener("click", () => newContact(fields.dial.raw));
  $("echo").addEventListener("click", () => dial("600"));
  $("contact-form").addEventListener("submit", saveContact);
  $("contact-back").addEventListener("click", () => $("contact-dialog").close());
  $("cancel").addEventListener("click", hangup);
  $("hangup").addEventListener("click", hangup);
  $("mute").addEventListener("click", toggleMute);
  $("camera").addEventListener("click", toggleCamera);
  $("stats-toggle").addEventListener("click", toggleStats);
  $("accept").addEventListener("click", accept);
  $("refuse").addEventListener("click", refuse);
  $("incoming").addEventListener("cancel", ev => { ev.preventDefault(); refuse(); });
  for (const d of [$("incoming"), $("contact-dialog")]) d.addEventListener("close", () => restoreFocus(d));
  $("ended-ok").addEventListener("click", home);
  $("trust-new-key").addEventListener("click", trustNewKey);
  $("codes-match").addEventListener("click", codesMatch);
  document.addEventListener("keydown", onKey);
  window.addEventListener("pagehide", () => { if (st.signal) st.signal.close(); });

  if (!window.crypto || !crypto.subtle) { status("this page needs a secure origin (https, or localhost)"); show("setup"); return; }
  const id = await store.loadIdentity().catch(() => undefined);
  if (!id) { status("not registered"); show("setup"); document.body.dataset.ready = "1"; return; }
  try {
    await register(id.number, "", id.keys);
    home();
  } catch (e) {
    fields.setup.set(id.number);
    $("setup-error").textContent = e && e.code ? `${e.message || e.code} (${e.code})` : String(e);
    show("setup");
  }
  document.body.dataset.ready = "1";
}

main();
