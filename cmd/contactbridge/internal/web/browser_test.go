package web

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/prometheus/client_golang/prometheus"
)

// chromium returns the path of a Chromium binary, from $CB_CHROMIUM or the
// PATH. Without one the test is skipped with a loud message, except when
// CI=true, where a missing browser is a failure: CI must never pass without
// the real browser.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CB_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome-stable", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "web: no Chromium binary (install the Debian package chromium: apt-get install -y chromium): " +
		"THE STATUS PAGE IS NOT TESTED IN A REAL BROWSER"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + " (CI=true: a missing browser is a failure)")
	}
	t.Skip("**** " + msg + " ****")
	return ""
}

// browser starts one headless Chromium for t and returns a context for
// chromedp.NewContext.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium(t)))
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // Chromium refuses to run as root with its sandbox
	}
	ctx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	return ctx
}

// colorScheme makes the page see prefers-color-scheme: scheme.
func colorScheme(scheme string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, target *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, target, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
		})
		return chromedp.Void{}, err
	}
}

// tab is one browser tab that records what the page reports as wrong: console
// errors and warnings, uncaught exceptions, browser log entries (failed loads,
// CSP refusals), and Content Security Policy violation events.
type tab struct {
	ctx context.Context

	mu       sync.Mutex
	problems []string
}

// cspReporter runs in the page before its own content (through the
// DevTools protocol, which the CSP does not restrict), and turns every CSP
// violation into a console error, so that none goes unseen even if the
// browser's own log message changes.
const cspReporter = `document.addEventListener("securitypolicyviolation", e =>
	console.error("CSP violation: " + e.violatedDirective + " blocked " + e.blockedURI));`

func newTab(t *testing.T, browserCtx context.Context) *tab {
	t.Helper()
	tb := &tab{}
	ctx, cancel := chromedp.NewContext(browserCtx, chromedp.WithListener(tb.listen))
	t.Cleanup(cancel)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancelTimeout)
	tb.ctx = ctx
	addScript := func(ctx context.Context, target *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, target, cdppage.AddScriptToEvaluateOnNewDocument,
			cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: cspReporter})
		return chromedp.Void{}, err
	}
	if err := chromedp.Do(ctx, addScript); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return tb
}

// listen runs in the tab's event loop: it only records.
func (tb *tab) listen(ev any) {
	var p string
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning ||
			ev.Type == runtime.ConsoleAPICalledTypeAssert {
			var args []string
			for _, a := range ev.Args {
				if len(a.Value) > 0 {
					args = append(args, string(a.Value))
				} else {
					args = append(args, a.Description)
				}
			}
			p = fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " "))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		p = fmt.Sprintf("uncaught exception at %s:%d: %s", d.URL, d.LineNumber+1, d.Text)
		if d.Exception != nil {
			p += " " + d.Exception.Description
		}
	case *cdplog.EventEntryAdded:
		if e := ev.Entry; e.Level == cdplog.EntryLevelError || e.Level == cdplog.EntryLevelWarning {
			p = fmt.Sprintf("browser log (%s, %s): %s %s", e.Source, e.Level, e.Text, e.URL)
		}
	}
	if p != "" {
		tb.mu.Lock()
		tb.problems = append(tb.problems, p)
		tb.mu.Unlock()
	}
}

// Problems returns what the page reported so far. A round trip to the page
// first makes sure the events sent before it have been seen.
func (tb *tab) Problems(t *testing.T) []string {
	t.Helper()
	if _, err := chromedp.Run(tb.ctx, chromedp.Evaluate[int]("1")); err != nil {
		t.Fatalf("reaching the page: %v", err)
	}
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return append([]string(nil), tb.problems...)
}

// TestBrowser loads the status page in a real headless Chromium, at the
// width of a phone and of a desktop, in light and dark mode, with and without
// accounts and banners. It checks what a person sees, that the page raises no
// console error, exception or CSP violation and does not scroll sideways,
// and keeps a full-page screenshot of each as a test artifact: go test
// -artifacts keeps them under -outputdir (see testing.T.ArtifactDir); without
// it they go with the test's temp dir.
func TestBrowser(t *testing.T) {
	browserCtx := browser(t)

	type account struct{ name, state, result string }
	fixtureAccounts := []account{
		{"fastmail", "OK", "2 created, 1 updated"},
		{"google-work", "Failing", scriptError},
		{"nextcloud", "Running", "412 created"},
		{"phone-folder", "Not run yet", "never"},
	}
	reloadFailed := fixture()
	reloadFailed.ConfigError = `config: line 14: account "icloud": unknown type "cardav"`
	notReady := Snapshot{Version: "v1.4.0", Started: fixtureNow.Add(-5 * time.Second), Now: fixtureNow,
		ConfigError: "store: open /var/lib/contactbridge/hub.db: permission denied"}

	for _, sc := range []struct {
		name          string
		snap          Snapshot
		width, height int64
		dark          bool
		title         string
		accounts      []account
		texts         []string // more text the page must show
	}{
		{name: "phone", snap: fixture(), width: 390, height: 844,
			title: "1 failing · ContactBridge", accounts: fixtureAccounts},
		{name: "desktop", snap: fixture(), width: 1280, height: 800,
			title: "1 failing · ContactBridge", accounts: fixtureAccounts},
		{name: "desktop-dark", snap: fixture(), width: 1280, height: 800, dark: true,
			title: "1 failing · ContactBridge", accounts: fixtureAccounts},
		{name: "desktop-reload-failed", snap: reloadFailed, width: 1280, height: 800,
			title: "1 failing · ContactBridge", accounts: fixtureAccounts,
			texts: []string{"configuration reload failed", reloadFailed.ConfigError}},
		{name: "phone-not-ready", snap: notReady, width: 390, height: 844,
			title: "not ready · ContactBridge",
			texts: []string{"Not ready", notReady.ConfigError, "No accounts yet"}},
	} {
		t.Run(sc.name, func(t *testing.T) {
			srv := httptest.NewServer(Handler(newFakeService(sc.snap), prometheus.NewRegistry(),
				slog.New(slog.NewTextHandler(io.Discard, nil))))
			t.Cleanup(srv.Close)
			tb := newTab(t, browserCtx)
			scheme := "light"
			if sc.dark {
				scheme = "dark"
			}
			if err := chromedp.Do(tb.ctx,
				chromedp.EmulateViewport(sc.width, sc.height),
				colorScheme(scheme),
				chromedp.Navigate(srv.URL+"/"),
				chromedp.WaitVisible(chromedp.CSS("main")),
			); err != nil {
				t.Fatalf("loading the page: %v", err)
			}

			if title, err := chromedp.Run(tb.ctx, chromedp.Title()); err != nil || title != sc.title {
				t.Errorf("title = %q, %v; want %q", title, err, sc.title)
			}
			body, err := chromedp.Run(tb.ctx, chromedp.Text(chromedp.CSS("body")))
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range sc.texts {
				if !strings.Contains(body, s) {
					t.Errorf("the page lacks %q; it shows:\n%s", s, body)
				}
			}
			for _, w := range sc.accounts {
				text, err := chromedp.Run(tb.ctx, chromedp.Text(chromedp.CSS(`tbody[data-account="`+w.name+`"]`)))
				if err != nil {
					t.Fatalf("account %s: %v", w.name, err)
				}
				for _, s := range []string{w.name, w.state, w.result} {
					if !strings.Contains(text, s) {
						t.Errorf("account %s: the page shows %q, which lacks %q", w.name, text, s)
					}
				}
			}

			// The stylesheet loaded under the CSP, and no markup of an error
			// became an element.
			n, err := chromedp.Run(tb.ctx, chromedp.Evaluate[int](`document.styleSheets.length + 10 * document.scripts.length`))
			if err != nil || n != 1 {
				t.Errorf("stylesheets + 10 × scripts = %d, %v; want 1 stylesheet and no script", n, err)
			}
			if len(sc.accounts) > 0 {
				display, err := chromedp.Run(tb.ctx, chromedp.Evaluate[string](
					`getComputedStyle(document.querySelector("table.accounts thead")).display`))
				if err != nil {
					t.Fatal(err)
				}
				if cards, want := display == "none", sc.width < 900; cards != want {
					t.Errorf("at %d px the table header's display is %q; want cards: %v", sc.width, display, want)
				}
			}
			overflow, err := chromedp.Run(tb.ctx, chromedp.Evaluate[int](
				`document.documentElement.scrollWidth - document.documentElement.clientWidth`))
			if err != nil || overflow > 0 {
				t.Errorf("the page is %d px wider than the %d px viewport (%v): it scrolls sideways", overflow, sc.width, err)
			}

			png, err := chromedp.Run(tb.ctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatalf("screenshot: %v", err)
			}
			path := filepath.Join(t.ArtifactDir(), fmt.Sprintf("status-%s-%dx%d.png", sc.name, sc.width, sc.height))
			if err := os.WriteFile(path, png, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("screenshot: %s", path)

			if p := tb.Problems(t); len(p) > 0 {
				t.Errorf("the page reported %d problem(s):\n  %s", len(p), strings.Join(p, "\n  "))
			}
		})
	}

	// The checks above pass vacuously if the tab hears nothing: show that a
	// page breaking the same CSP is heard.
	t.Run("hears a CSP violation", func(t *testing.T) {
		bad := httptest.NewServer(securityHeaders(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, `<!doctype html><title>bad</title><p style="color:red">inline style</p>`)
		})))
		t.Cleanup(bad.Close)
		tb := newTab(t, browserCtx)
		if err := chromedp.Do(tb.ctx, chromedp.Navigate(bad.URL+"/"), chromedp.WaitReady(chromedp.CSS("p"))); err != nil {
			t.Fatal(err)
		}
		// The violation event is queued as a task: give it a moment.
		var p []string
		for deadline := time.Now().Add(10 * time.Second); len(p) == 0 && time.Now().Before(deadline); {
			time.Sleep(50 * time.Millisecond)
			p = tb.Problems(t)
		}
		if len(p) == 0 {
			t.Fatal("an inline style under the CSP reported nothing: the browser test cannot see CSP violations")
		}
		t.Logf("heard, as expected:\n  %s", strings.Join(p, "\n  "))
	})
}
