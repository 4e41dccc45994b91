// What the page keeps in the browser: the identity key in IndexedDB (a
// non-extractable CryptoKeyPair; the private half never leaves WebCrypto),
// contacts and recent calls in localStorage.

const DB = "dialtone", STORE = "identity", KEY = "me";

function db() {
  return new Promise((resolve, reject) => {
    const r = indexedDB.open(DB, 1);
    r.onupgradeneeded = () => r.result.createObjectStore(STORE);
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

async function tx(mode, f) {
  const d = await db();
  return new Promise((resolve, reject) => {
    const t = d.transaction(STORE, mode);
    const r = f(t.objectStore(STORE));
    t.oncomplete = () => { d.close(); resolve(r.result); };
    t.onerror = () => { d.close(); reject(t.error); };
  });
}

// loadIdentity returns {number, keys} or undefined.
export function loadIdentity() { return tx("readonly", s => s.get(KEY)); }

export function saveIdentity(id) { return tx("readwrite", s => s.put(id, KEY)); }

export function forgetIdentity() { return tx("readwrite", s => s.delete(KEY)); }

// newKeys makes an Ed25519 key pair whose private key cannot be exported.
export function newKeys() {
  return crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
}

function load(name) {
  try {
    const v = JSON.parse(localStorage.getItem("dialtone." + name) || "[]");
    return Array.isArray(v) ? v : [];
  } catch { return []; }
}

function save(name, v) { localStorage.setItem("dialtone." + name, JSON.stringify(v)); }

const MaxRecents = 50;

export const contacts = {
  list: () => load("contacts").filter(c => typeof c.name === "string" && typeof c.number === "string"),
  put(c) {
    const l = contacts.list().filter(x => x.number !== c.number);
    l.push({ name: c.name.slice(0, 64), number: c.number });
    l.sort((a, b) => a.name.localeCompare(b.name));
    save("contacts", l);
  },
  remove(number) { save("contacts", contacts.list().filter(x => x.number !== number)); },
  name(number) { const c = contacts.list().find(x => x.number === number); return c ? c.name : ""; },
};

// recents are {number, kind: "out"|"in"|"missed", at, call}; newest first.
export const recents = {
  list: () => load("recents").filter(r => typeof r.number === "string"),
  add(r) {
    const l = recents.list();
    if (r.call && l.some(x => x.call === r.call)) return; // one record per call
    l.unshift({ number: r.number, kind: r.kind, at: r.at || new Date().toISOString(), call: r.call || "" });
    save("recents", l.slice(0, MaxRecents));
  },
};
