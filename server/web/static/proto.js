// The signalling client: call/wire over one WebSocket to /v1 on the page's
// own origin. It registers (hello, challenge, proof), keeps the connection
// alive with ping, and after a drop connects again and resumes the session
// (hello with resume and last), so calls survive a short outage.

const Subprotocol = "dialtone.v1";
const ProofContext = "dialtone/1 registration proof\0";
const Fatal = new Set(["auth-failed", "invite-required", "invite-invalid", "bad-number", "unsupported-version",
  "link-invalid", "link-expired", "link-used", "link-wrong-number", "link-limited", "link-unconfirmed", "device-limit", "unlinked"]);

export function b64(bytes) {
  let s = "";
  for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
  return btoa(s);
}

export function unb64(s) {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

// proofMessage is call/wire's ProofMessage: context, number, a zero byte, nonce.
export function proofMessage(number, nonce) {
  const enc = new TextEncoder();
  const a = enc.encode(ProofContext), n = enc.encode(number);
  const out = new Uint8Array(a.length + n.length + 1 + nonce.length);
  out.set(a, 0); out.set(n, a.length); out[a.length + n.length] = 0; out.set(nonce, a.length + n.length + 1);
  return out;
}

export function endpoint() {
  return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/v1";
}

export class Signal {
  // opts: {number, keys, invite, onMessage(m), onState(text, registered), onFatal(m), onReplaced(m)}
  constructor(opts) {
    this.o = opts;
    this.seq = 0;
    this.lastSN = 0;
    this.session = "";
    this.waiters = new Map();
    this.ws = null;
    this.registered = false;
    this.closing = false;
    this.retry = 0;
  }

  // start connects and resolves with the first registered message, or
  // rejects with the error message that refused the registration.
  start() {
    return new Promise((resolve, reject) => {
      this.first = { resolve, reject };
      this.connect();
    });
  }

  connect() {
    this.o.onState(this.session ? "reconnecting…" : "connecting…", false);
    const ws = new WebSocket(endpoint(), Subprotocol);
    this.ws = ws;
    ws.onopen = async () => {
      const pub = await crypto.subtle.exportKey("raw", this.o.keys.publicKey);
      const hello = { type: "hello", number: this.o.number, key: b64(pub), client: "dialtone-web" };
      if (this.o.invite) hello.invite = this.o.invite;
      // A link code joins this browser to the number's devices once.
      if (this.o.link && !this.registrations) { hello.link = this.o.link; hello.device = "browser"; }
      if (this.session) { hello.resume = this.session; hello.last = this.lastSN; }
      this.send(hello);
    };
    ws.onmessage = ev => this.receive(ws, ev.data);
    ws.onclose = () => this.dropped(ws);
  }

  async receive(ws, data) {
    if (ws !== this.ws) return;
    let m;
    try { m = JSON.parse(data); } catch { return; }
    if (typeof m !== "object" || m === null) return;
    if (m.sn && m.sn > this.lastSN) this.lastSN = m.sn;
    switch (m.type) {
    case "challenge": {
      const sig = await crypto.subtle.sign({ name: "Ed25519" }, this.o.keys.privateKey,
        proofMessage(this.o.number, unb64(m.nonce)));
      this.send({ type: "proof", sig: b64(sig) });
      return;
    }
    case "registered":
      this.registered = true;
      this.registrations = (this.registrations || 0) + 1;
      this.resumed = !!m.resumed;
      this.retry = 0;
      this.session = m.session || "";
      // A linked browser's link certificates, sent with its call statements.
      if (Array.isArray(m.chain) && m.chain.length) this.chain = m.chain;
      this.keepalive(m.keepalive_s || 15);
      this.o.onState("registered", true);
      if (this.first) { this.first.resolve(m); this.first = null; }
      break;
    case "error":
      if (m.code === "resume-failed") { // the calls are gone; register afresh
        this.session = ""; this.lastSN = 0;
        this.send({ type: "hello", number: this.o.number, key: b64(await crypto.subtle.exportKey("raw", this.o.keys.publicKey)), client: "dialtone-web" });
        return;
      }
      if (m.code === "replaced" && !m.re) {
        // These keys registered again elsewhere (another tab): connecting
        // again would push that one off in turn, so this one stops. The
        // auth-failed that follows, for older clients, is not read.
        this.closing = true;
        this.registered = false;
        this.ws = null;
        clearInterval(this.ping);
        ws.close();
        this.o.onReplaced(m);
        return;
      }
      if (!this.registered && Fatal.has(m.code)) {
        this.closing = true;
        ws.close();
        if (this.first) { this.first.reject(m); this.first = null; } else this.o.onFatal(m);
        return;
      }
      break;
    }
    if (m.re && this.waiters.has(m.re)) {
      const w = this.waiters.get(m.re);
      this.waiters.delete(m.re);
      w(m);
    }
    this.o.onMessage(m);
  }

  keepalive(s) {
    clearInterval(this.ping);
    this.ping = setInterval(() => this.send({ type: "ping" }), s * 1000);
  }

  dropped(ws) {
    if (ws !== this.ws) return;
    clearInterval(this.ping);
    this.registered = false;
    if (this.closing) { this.o.onState("offline", false); return; }
    // Back off a little, staying well inside the server's grace period.
    const wait = Math.min(4000, 250 * 2 ** this.retry++);
    this.o.onState("connection lost; reconnecting…", false);
    this.timer = setTimeout(() => this.connect(), wait);
  }

  // send stamps v and seq and returns the seq.
  send(m) {
    m.v = 1;
    m.seq = ++this.seq;
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(m));
    return m.seq;
  }

  // request sends m and resolves with the server's reply to it.
  request(m) {
    return new Promise(resolve => { this.waiters.set(this.send(m), resolve); });
  }

  // drop closes the socket as a network failure would (for tests of resume).
  drop() { if (this.ws) this.ws.close(); }

  close() {
    this.closing = true;
    clearTimeout(this.timer);
    clearInterval(this.ping);
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.send({ type: "bye" });
      this.ws.close();
    }
  }
}
