// Numbers as the user types them: a small formatter of our own. It only
// groups digits for reading; the server (call/number) decides what is valid.

// Country codes of one and two digits; every other code has three.
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

// format groups what was typed: "+15550100001" → "+1 555 010 0001",
// "+442071234567" → "+44 207 123 4567", service codes as they are.
export function format(s) {
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

// normalize turns typed text into what is sent: "+digits", or a short
// service code ("600"); a national number takes the caller's country code.
export function normalize(s, own) {
  const d = digits(s);
  if (d.startsWith("+") || d.length <= 6 || !own) return d;
  const cc = countryCode(own);
  return "+" + cc + d.replace(/^0/, "");
}
