// Numbers as the user types them, by the terminal phone's rules: the
// server answers GET /v1/format with what call/number makes of the typed
// text (its display form, whether it is a number, and why not), so the
// page carries no second copy of the world's numbering plans. Only while
// the server cannot be reached does the page group digits itself.

// MaxInput is call/number's bound on typed text.
export const MaxInput = 64;

// accepts is the terminal phone's filter for a number field: digits and
// what numbers are written with.
export function accepts(ch) { return /^[0-9+ ()-]$/.test(ch); }

// filter keeps what a number field accepts, at most MaxInput characters.
export function filter(s) { return [...String(s)].filter(accepts).slice(0, MaxInput).join(""); }

// Country codes of one and two digits; every other code has three (for
// the fallback only).
const cc1 = new Set(["1", "7"]);
const cc2 = new Set(("20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 " +
  "60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98").split(" "));

// digits keeps the digits and a leading plus.
export function digits(s) {
  const t = String(s).trim();
  const d = t.replace(/[^0-9]/g, "");
  return (t.startsWith("+") ? "+" : "") + d;
}

// countryCode returns the country code of an E.164 digit string ("+4420…" → "44").
export function countryCode(e164) {
  const d = e164.replace(/^\+/, "");
  for (const n of [1, 2, 3]) {
    const c = d.slice(0, n);
    if (n === 1 && cc1.has(c)) return c;
    if (n === 2 && cc2.has(c)) return c;
  }
  return d.slice(0, 3);
}

// group is the fallback while the server cannot be reached: digits in
// groups for reading, "+15550100001" → "+1 555 010 0001".
export function group(s) {
  const d = digits(s);
  if (!d.startsWith("+")) return d;
  const body = d.slice(1);
  if (body === "") return "+";
  const cc = countryCode(d);
  const rest = body.slice(cc.length);
  const groups = [];
  if (cc === "1") {
    if (rest.length > 0) groups.push(rest.slice(0, 3));
    if (rest.length > 3) groups.push(rest.slice(3, 6));
    if (rest.length > 6) groups.push(rest.slice(6));
  } else {
    let i = 0;
    while (rest.length - i > 4) { groups.push(rest.slice(i, i + 3)); i += 3; }
    if (i < rest.length) groups.push(rest.slice(i));
  }
  return ["+" + cc, ...groups].join(" ");
}

// normalize is the fallback for what is sent when the server cannot say:
// "+digits", or a short service code; a national number takes the
// caller's country code. The server still judges it.
export function normalize(s, own) {
  const d = digits(s);
  if (d.startsWith("+") || d.length <= 6 || !own) return d;
  const cc = countryCode(own);
  return "+" + cc + d.replace(/^0/, "");
}

const maxCache = 512;

// Numbers asks the server about numbers and remembers its answers.
export class Numbers {
  // opts: {fetch (default window.fetch), onLearn() called when a number
  // shown with display() has its server form}
  constructor(opts = {}) {
    this.fetch = opts.fetch || ((...a) => fetch(...a));
    this.onLearn = opts.onLearn || (() => {});
    this.region = "";   // the page's own number's country: national numbers are its
    this.online = true; // the last question was answered
    this.cache = new Map();    // region NUL typed → answer
    this.inflight = new Map(); // region NUL typed → promise of the answer
    this.labels = [];          // numbers display() still has to learn, asked one at a time
    this.learning = false;
    this.requests = 0;         // questions sent (tests count them)
  }

  key(typed) { return this.region + "\0" + typed; }

  // known is the server's answer for typed, if it has given one.
  known(typed) { return this.cache.get(this.key(typed)); }

  // shown is what to show for typed now: the server's display form when
  // known, the typed text while the answer is on its way, or the digits
  // grouped while the server cannot be reached.
  shown(typed) {
    const f = this.known(typed);
    if (f) return f.display;
    return this.online ? typed : group(typed);
  }

  // ask resolves with the server's answer about typed, or null when it
  // cannot be had (offline, refused, or an answer that is not one).
  ask(typed) {
    const key = this.key(typed);
    if (this.cache.has(key)) return Promise.resolve(this.cache.get(key));
    if (this.inflight.has(key)) return this.inflight.get(key);
    const url = "/v1/format?n=" + encodeURIComponent(typed) + "&region=" + encodeURIComponent(this.region);
    this.requests++;
    const p = (async () => {
      try {
        const r = await this.fetch(url, { cache: "no-store", credentials: "same-origin" });
        if (!r.ok) throw new Error("HTTP " + r.status);
        const f = await r.json();
        if (!f || typeof f.display !== "string" || typeof f.ok !== "boolean") throw new Error("not an answer");
        this.online = true;
        if (this.cache.size >= maxCache) this.cache.delete(this.cache.keys().next().value);
        this.cache.set(key, f);
        return f;
      } catch (e) {
        this.online = false;
        return null;
      } finally {
        this.inflight.delete(key);
      }
    })();
    this.inflight.set(key, p);
    return p;
  }

  // display is a stored number (E.164 or a service code) for people: the
  // server's form when known, grouped digits until it is learnt.
  display(n) {
    n = String(n || "");
    const f = this.known(n);
    if (f) return f.display;
    if (n && this.labels.length < 64 && !this.labels.includes(n)) { this.labels.push(n); this.learn(); }
    return group(n);
  }

  async learn() {
    if (this.learning) return;
    this.learning = true;
    let learnt = false;
    while (this.labels.length) {
      const f = await this.ask(this.labels[0]);
      this.labels.shift();
      if (!f) { this.labels.length = 0; break; } // offline: grouped digits it is
      learnt = true;
    }
    this.learning = false;
    if (learnt) this.onLearn();
  }
}

// NumberField makes an input a number field like the terminal phone's:
// it holds what was typed (the characters a number is written with,
// edited at the end), shows it by the server's rules as soon as the server
// answers, and asks again only once typing pauses; an answer to anything
// but the latest text is dropped.
export class NumberField {
  // onEdit is called when the user changes what was typed.
  constructor(el, numbers, delay = 120, onEdit = () => {}) {
    this.el = el; this.numbers = numbers; this.delay = delay; this.onEdit = onEdit;
    this.raw = ""; this.seq = 0; this.timer = 0;
    el.addEventListener("beforeinput", e => this.beforeInput(e));
    el.addEventListener("input", () => { if (el.value !== this.el.dataset.shown) this.edit(el.value); }); // autofill and the like
    this.render();
  }

  beforeInput(e) {
    const el = this.el;
    const all = el.value.length > 0 && el.selectionStart === 0 && el.selectionEnd === el.value.length;
    let raw = this.raw;
    if (e.inputType === "insertLineBreak") return;
    if (e.inputType.startsWith("insert")) {
      const data = e.data ?? (e.dataTransfer ? e.dataTransfer.getData("text/plain") : "");
      raw = (all ? "" : raw) + (data || "");
    } else if (e.inputType.startsWith("delete")) {
      raw = all ? "" : [...raw].slice(0, -1).join("");
    } else {
      return; // undo and the like: the input event puts the field right
    }
    e.preventDefault();
    this.edit(raw);
  }

  // edit is a change the user made: as in the TUI, it clears the reason
  // a number was refused.
  edit(raw) {
    if (filter(raw) !== this.raw) this.onEdit();
    this.set(raw);
  }

  // set replaces what was typed.
  set(raw) {
    this.raw = filter(raw);
    this.render();
    clearTimeout(this.timer);
    const seq = ++this.seq;
    if (this.raw === "" || this.numbers.known(this.raw)) return;
    this.timer = setTimeout(async () => {
      await this.numbers.ask(this.raw);
      if (seq === this.seq) this.render();
    }, this.delay);
  }

  append(s) { this.edit(this.raw + s); }
  erase() { this.edit([...this.raw].slice(0, -1).join("")); }

  render() {
    const shown = this.numbers.shown(this.raw);
    const f = this.numbers.known(this.raw);
    this.el.dataset.shown = shown;
    this.el.dataset.fmt = f ? "server" : (this.numbers.online ? "typed" : "local");
    if (this.el.value !== shown) this.el.value = shown;
  }

  // check resolves with the server's verdict on what was typed, or null
  // when the server cannot be reached.
  async check() {
    clearTimeout(this.timer);
    const raw = this.raw;
    const f = await this.numbers.ask(raw);
    if (raw === this.raw) this.render();
    return f;
  }
}
