// Calls the server cannot listen to: the page signs, with its WebCrypto
// Ed25519 key, a statement binding its SDP's DTLS fingerprints to the call
// (call/identity's canonical form, described in call/wire's package doc),
// checks the other phone's, pins the keys it has seen per number in
// localStorage (trust on first use), and shows the safety code both
// screens share.

import { b64, unb64 } from "./proto.js";

const StatementContext = "dialtone/1 call statement";
const SafetyContext = "dialtone/1 safety code";
const enc = new TextEncoder();

function field(parts, bytes) {
  const len = new Uint8Array(2);
  new DataView(len.buffer).setUint16(0, bytes.length);
  parts.push(len, bytes);
}

function u64(parts, n) {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n));
  field(parts, b);
}

function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let i = 0;
  for (const p of parts) { out.set(p, i); i += p.length; }
  return out;
}

// fingerprints lists the SDP's a=fingerprint values as the statement
// carries them: "sha-256 AB:CD:…", sorted, each once.
export function fingerprints(sdp) {
  const out = new Set();
  for (const line of sdp.split(/\r?\n/)) {
    if (!line.startsWith("a=fingerprint:")) continue;
    const [alg, hex] = line.slice(14).trim().split(/\s+/);
    if (!alg || !hex) throw new Error("malformed fingerprint");
    out.add(alg.toLowerCase() + " " + hex.toUpperCase());
  }
  if (!out.size || out.size > 4) throw new Error("sdp has no fingerprint, or more than 4");
  return [...out].sort();
}

function statementBytes(s) {
  const p = [];
  for (const x of [StatementContext, s.call, s.caller, s.callee, s.role]) field(p, enc.encode(x));
  u64(p, s.fingerprints.length);
  for (const f of s.fingerprints) field(p, enc.encode(f));
  field(p, s.key);
  return concat(p);
}

function parseStatement(bytes) {
  let i = 0;
  const next = () => {
    if (i + 2 > bytes.length) throw new Error("statement ends early");
    const n = (bytes[i] << 8) | bytes[i + 1];
    if (i + 2 + n > bytes.length) throw new Error("statement ends early");
    const f = bytes.slice(i + 2, i + 2 + n);
    i += 2 + n;
    return f;
  };
  const dec = new TextDecoder();
  const str = () => dec.decode(next());
  if (str() !== StatementContext) throw new Error("not a call statement");
  const s = { call: str(), caller: str(), callee: str(), role: str(), fingerprints: [] };
  const count = next();
  if (count.length !== 8) throw new Error("bad count");
  const n = Number(new DataView(count.buffer).getBigUint64(0));
  if (n < 1 || n > 4) throw new Error("bad count");
  for (let k = 0; k < n; k++) s.fingerprints.push(str());
  s.key = next();
  if (s.key.length !== 32 || i !== bytes.length) throw new Error("malformed statement");
  return s;
}

// sign makes the statement for our SDP.
export async function sign(keys, c, me, role, sdp) {
  const key = new Uint8Array(await crypto.subtle.exportKey("raw", keys.publicKey));
  const [caller, callee] = c.dir === "out" ? [me, c.peer] : [c.peer, me];
  const body = statementBytes({ call: c.id, caller, callee, role, fingerprints: fingerprints(sdp), key });
  const sig = await crypto.subtle.sign({ name: "Ed25519" }, keys.privateKey, body);
  return { body: b64(body), sig: b64(sig) };
}

// pins: {number: {keys: [base64], verified: bool, changed: base64}}.
function loadPins() {
  try { return JSON.parse(localStorage.getItem("dialtone.pins") || "{}") || {}; } catch { return {}; }
}

function savePins(p) { localStorage.setItem("dialtone.pins", JSON.stringify(p)); }

async function safetyCode(a, b) {
  const party = x => { const p = []; field(p, enc.encode(x.number)); field(p, x.key); return concat(p); };
  let pa = party(a), pb = party(b);
  const less = (x, y) => { for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] < y[i]; return x.length < y.length; };
  if (less(pb, pa)) [pa, pb] = [pb, pa];
  let sum = enc.encode(SafetyContext);
  for (let r = 0; r < 1024; r++) sum = new Uint8Array(await crypto.subtle.digest("SHA-512", concat([sum, pa, pb])));
  const groups = [];
  for (let g = 0; g < 6; g++) {
    let v = 0n;
    for (let k = 0; k < 5; k++) v = (v << 8n) | BigInt(sum[5 * g + k]);
    groups.push(String(v % 100000n).padStart(5, "0"));
  }
  return groups.join(" ");
}

// judge checks the statement that came with the peer's SDP m, as the
// terminal phone does; it returns {state, detail, code}, where code is a
// promise of the safety code (1024 digests: kept off the call's set-up).
// States "invalid" and "key-changed" must not carry media.
export async function judge(keys, c, me, m) {
  if (!c.peer.startsWith("+")) return { state: "via-server", via: "service", detail: "the other end is the server itself" };
  const pins = loadPins();
  const known = pins[c.peer];
  if (!m.statement && m.via) return viaServer(c.peer, m.via, known);
  if (!m.statement) {
    if (known && known.keys.length) return { state: "invalid", detail: "it sent no signed statement, though it has signed before" };
    return { state: "unsigned", detail: "the other phone signs nothing" };
  }
  let s;
  try { s = parseStatement(unb64(m.statement.body)); } catch (e) { return { state: "invalid", detail: "its statement: " + e.message }; }
  const pub = await crypto.subtle.importKey("raw", s.key, { name: "Ed25519" }, false, ["verify"]);
  if (!await crypto.subtle.verify({ name: "Ed25519" }, pub, unb64(m.statement.sig), unb64(m.statement.body))) {
    return { state: "invalid", detail: "its statement's signature does not verify" };
  }
  let fps;
  try { fps = fingerprints(m.sdp); } catch (e) { return { state: "invalid", detail: e.message }; }
  if (fps.join("\n") !== s.fingerprints.join("\n")) {
    return { state: "invalid", detail: "the DTLS fingerprint in its SDP is not the one it signed: the server is in the middle" };
  }
  const [caller, callee] = c.dir === "out" ? [me, c.peer] : [c.peer, me];
  if (s.call !== c.id || s.caller !== caller || s.callee !== callee || s.role !== m.sdp_type) {
    return { state: "invalid", detail: "its statement is for another call" };
  }
  const mine = new Uint8Array(await crypto.subtle.exportKey("raw", keys.publicKey));
  const code = safetyCode({ number: me, key: mine }, { number: c.peer, key: s.key });
  const k = b64(s.key);
  if (!known || !known.keys.length) {
    pins[c.peer] = { keys: [k], verified: false };
    savePins(pins);
    return { state: "new", code };
  }
  if (known.keys.includes(k)) return { state: known.verified ? "verified" : "pinned", code };
  known.changed = k;
  savePins(pins);
  return { state: "key-changed", code, detail: "the key is not the one pinned for this number: a new phone, or someone in the middle" };
}

// viaServer judges an unsigned SDP the server marks as one of its own
// parties (via "sip": the SIP gateway). The mark is the server's word: the
// call connects, never verified, pins nothing, and for a number with a
// pinned key says it is not that device (call/wire's "Server parties").
function viaServer(peer, via, known) {
  const t = { state: "via-server", via };
  const what = via === "sip" ? "the SIP gateway, for a SIP phone of " + peer :
    via === "trunk" ? "the SIP gateway, for " + peer + " beyond a SIP trunk" : "a party of the server";
  t.detail = "via server: " + what +
    "; not end to end verified";
  if (known && known.keys.length) {
    t.pinned = true;
    t.wasVerified = !!known.verified;
    t.detail += ", and not the device " + (known.verified ? "you verified" : "whose key is pinned") + " for " + peer;
  }
  return t;
}

// carries says whether a call in state may carry media.
export const carries = state => state !== "invalid" && state !== "key-changed";

// accept pins number's changed key (unverified); verify marks it verified.
export function accept(number) {
  const pins = loadPins();
  const p = pins[number];
  if (!p || !p.changed) return false;
  pins[number] = { keys: [p.changed], verified: false };
  savePins(pins);
  return true;
}

export function verify(number) {
  const pins = loadPins();
  if (!pins[number]) return false;
  pins[number].verified = true;
  savePins(pins);
  return true;
}

export function words(t) {
  if (t.state === "via-server") {
    const w = t.via === "sip" ? "via server (SIP gateway): a SIP phone, not end to end verified" :
      t.via === "trunk" ? "via server (SIP trunk): a phone beyond the trunk, not end to end verified" : "via server";
    return t.pinned ? w + " · not your " + (t.wasVerified ? "verified" : "pinned") + " device" : w;
  }
  return ({
    verified: "verified", pinned: "not verified yet: compare the code by voice",
    new: "first call: key pinned now; compare the code by voice", "via-server": "via server",
    unsigned: "unverified: the other phone signs nothing", "key-changed": "KEY CHANGED: not connected",
    invalid: "NOT VERIFIED: not connected",
  })[t.state] || t.state;
}
