package main

import (
	"fmt"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/chromedp/chromedp"

	"github.com/dialtone/dialtone/call/number"
	"github.com/dialtone/dialtone/tui/components/field"
	"github.com/dialtone/dialtone/tui/pages/home"
)

// tuiShows is what the terminal phone shows for keys typed into its number
// field, and what the field then holds: its filter, then home.Formatted.
// Where the number parses, the display is checked against number.Format.
func tuiShows(t *testing.T, typed, region string) (held, shown string) {
	t.Helper()
	f := field.Field{Accept: field.Digits, Max: number.MaxInput}
	for _, r := range typed {
		f.Update(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
	held, shown = f.Value(), home.Formatted(f.Value(), region)
	if n, err := number.Parse(held, region); err == nil && !n.IsService() && shown != number.Format(n, region) {
		t.Fatalf("the TUI shows %q for %q, number.Format says %q", shown, held, number.Format(n, region))
	}
	return held, shown
}

// tuiRefuses is what the terminal phone says when enter is pressed on
// held: call/number's reason, or "" when it takes the number.
func tuiRefuses(held, region string) string {
	_, err := number.Parse(held, region)
	return number.Reason(err)
}

// shown is how the phones show a stored number to a phone in region.
func shown(n, region string) string { return number.Format(number.Number(n), region) }

// formatCases are typed as a person would, key by key, into the page and
// (in Go) into the TUI's field.
var formatCases = []struct{ name, typed string }{
	{"US", "+15550100001"},
	{"US written out", "+1 (555) 010-0001"},
	{"UK", "+442079460000"},
	{"DE", "+4930123456"},
	{"FR", "+33142685300"},
	{"service code", "600"},
	{"too short", "+1555"},
	{"too long", "+15550100001234"},
	{"off the plan", "+10000000000"},
	{"not a country", "+999123456789"},
	{"letters", "+44 2O79 46OO OO ext"},
}

// TestBrowserFormatsAsTheTUI: the page's number fields show, key by key,
// what the TUI's show for the same keys (call/number's rules, from the
// server), on the first-run screen (no region yet) and once registered
// (its own number's region, so national numbers and the national form);
// enter on a number that is not one says the TUI's reason.
func TestBrowserFormatsAsTheTUI(t *testing.T) {
	srv := startWebServer(t)
	b := newBrowser(t)
	b.open(srv.page)
	try := func(t *testing.T, id, fieldName, typed, region string) string {
		b.t = t
		held, want := tuiShows(t, typed, region)
		b.run(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`window.dialtone.fields.%s.set("")`, fieldName)))
		b.run(chromedp.SendKeys("#"+id, typed))
		b.wait("the server's form", fmt.Sprintf(`(f => f.raw === %s && f.el.dataset.fmt === "server")(window.dialtone.fields.%s)`, jsString(held), fieldName))
		if got := evalJS[string](b, fmt.Sprintf(`window.dialtone.fields.%s.el.value`, fieldName)); got != want {
			t.Errorf("typed %q: the page shows %q, the TUI %q", typed, got, want)
		}
		return held
	}

	t.Run("first run", func(t *testing.T) {
		for _, tc := range formatCases {
			t.Run(tc.name, func(t *testing.T) {
				held := try(t, "setup-number", "setup", tc.typed, "")
				why := tuiRefuses(held, "")
				if why == "" && held != "600" {
					return // a number: enter would register it
				}
				if held == "600" {
					why = "600 is a service code, not a number"
				}
				b.key("\r")
				b.wait("the reason", fmt.Sprintf(`document.getElementById("setup-error").textContent === %s`, jsString(why)))
			})
		}
	})

	b.t = t
	const me = "+15550100091"
	b.run(chromedp.Evaluate[chromedp.Void](`window.dialtone.fields.setup.set("")`))
	b.register(me, "")
	b.wait("registration", `document.body.dataset.screen === "home" && document.body.dataset.registered === "1"`)
	region := number.Region(me)
	if got, want := b.text("me"), shown(me, region); got != want {
		t.Errorf("the page says it is %q, the TUI would say %q", got, want)
	}
	national := append(formatCases[:len(formatCases):len(formatCases)],
		struct{ name, typed string }{"national", "2025550131"},
		struct{ name, typed string }{"national written out", "(555) 010-0002"},
		struct{ name, typed string }{"national too short", "555010"},
		struct{ name, typed string }{"unknown service", "601"},
	)
	t.Run("registered", func(t *testing.T) {
		for _, tc := range national {
			t.Run(tc.name, func(t *testing.T) {
				held := try(t, "dial-number", "dial", tc.typed, region)
				why := tuiRefuses(held, region)
				if held == "601" {
					why = "601 is no service of this server; write numbers with + and the country code"
				}
				if why == "" {
					return // a number: enter would dial it
				}
				b.key("\r")
				b.wait("the reason", fmt.Sprintf(`document.getElementById("dial-error").textContent === %s`, jsString(why)))
				if s := b.screen(); s != "home" {
					t.Errorf("a refused number went to %q", s)
				}
			})
		}
	})
	// As in the TUI, typing again clears the reason.
	b.t = t
	b.key("0")
	b.wait("the reason cleared", `document.getElementById("dial-error").textContent === ""`)
}

// TestBrowserFormatField: the page asks the server once typing pauses,
// drops answers to anything but the latest text, and groups digits itself
// when the server cannot be reached. A fetch of the test's own stands in
// for the network, so the order of answers is the test's.
func TestBrowserFormatField(t *testing.T) {
	srv := startWebServer(t)
	b := newBrowser(t)
	b.open(srv.page)
	got := evalJS[[]any](b, `import("./format.js").then(async m => {
		const pending = [];
		const answer = (i, display) => pending[i].res({ ok: true, json: async () => ({ display, ok: true }) });
		const turn = () => new Promise(r => setTimeout(r, 0)); // after the field's own timer (delay 0)
		const nums = new m.Numbers({ fetch: url => new Promise(res => pending.push({ url, res })) });
		const el = document.createElement("input");
		document.body.append(el);
		const f = new m.NumberField(el, nums, 0);
		for (const c of "+44207946") f.append(c);   // typed in one go: one question
		await turn();
		const asked = pending.length;
		f.append("0"); f.append("0"); f.append("0"); f.append("0");
		await turn();
		answer(1, "new"); await turn();               // the latest answered first
		const after = el.value;
		answer(0, "old"); await turn();               // then the stale one
		const off = new m.Numbers({ fetch: () => Promise.reject(new TypeError("offline")) });
		const el2 = document.createElement("input");
		const g = new m.NumberField(el2, off, 0);
		g.set("+15550100001"); await turn(); await turn();
		el.remove();
		return [asked, pending[0].url, after, el.value, el2.value, el2.dataset.fmt, await g.check()];
	})`)
	want := []any{float64(1), "/v1/format?n=%2B44207946&region=", "new", "new", "+1 555 010 0001", "local", nil}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
