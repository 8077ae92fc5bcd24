package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// server serves Handler for svc on a test server, with a fresh registry.
func server(t *testing.T, svc Service) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(Handler(svc, prometheus.NewRegistry(), slog.New(slog.NewTextHandler(io.Discard, nil))))
	t.Cleanup(srv.Close)
	return srv
}

// do sends a request with the given headers and returns the response with
// its body read.
func do(t *testing.T, method, url string, header map[string]string, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func TestStatusJSON(t *testing.T) {
	srv := server(t, newFakeService(fixture()))
	resp, body := do(t, "GET", srv.URL+"/api/status", nil, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}

	t.Run("field names", func(t *testing.T) {
		var top map[string]json.RawMessage
		if err := json.Unmarshal([]byte(body), &top); err != nil {
			t.Fatal(err)
		}
		var accounts []map[string]json.RawMessage
		if err := json.Unmarshal(top["accounts"], &accounts); err != nil {
			t.Fatal(err)
		}
		keys := func(m map[string]json.RawMessage) []string {
			var k []string
			for key := range m {
				k = append(k, key)
			}
			slices.Sort(k)
			return k
		}
		checkKeys(t, "snapshot", keys(top), "accounts", "config_error", "now", "ready", "started", "version")
		// fastmail: every time set.
		checkKeys(t, "account", keys(accounts[0]), "conflicts_waiting", "consecutive_failures", "last",
			"last_success", "name", "next", "running", "schedule", "state", "type")
		// nextcloud: running, no next run, no backoff: the zero times are left out.
		checkKeys(t, "running account", keys(accounts[2]), "conflicts_waiting", "consecutive_failures", "last",
			"last_success", "name", "running", "schedule", "state", "type")
		// phone-folder: never ran.
		if string(accounts[3]["last"]) != "null" {
			t.Errorf("last of an account that never ran = %s, want null", accounts[3]["last"])
		}
		var last map[string]json.RawMessage
		if err := json.Unmarshal(accounts[0]["last"], &last); err != nil {
			t.Fatal(err)
		}
		checkKeys(t, "last run", keys(last), "conflicts", "duration_ms", "error", "error_kind", "failed", "id",
			"start", "to_hub", "to_remote", "trigger", "waiting")
		if got := string(last["duration_ms"]); got != "4200" {
			t.Errorf("duration_ms = %s, want 4200", got)
		}
		var toHub bytes.Buffer
		if err := json.Compact(&toHub, last["to_hub"]); err != nil || toHub.String() != `{"created":2,"updated":1,"deleted":0}` {
			t.Errorf("to_hub = %s (%v)", last["to_hub"], err)
		}
		if got := string(accounts[1]["state"]); got != `"failing"` {
			t.Errorf("state of google-work = %s, want \"failing\"", got)
		}
	})

	t.Run("round trip", func(t *testing.T) {
		var got Snapshot
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatal(err)
		}
		if want := fixture(); !reflect.DeepEqual(normalise(got), normalise(want)) {
			t.Errorf("decoded snapshot differs:\n got %+v\nwant %+v", got, want)
		}
	})

	t.Run("no accounts is an empty list", func(t *testing.T) {
		srv := server(t, newFakeService(Snapshot{Now: fixtureNow}))
		_, body := do(t, "GET", srv.URL+"/api/status", nil, "")
		if !strings.Contains(body, `"accounts": []`) {
			t.Errorf("body has no empty accounts list:\n%s", body)
		}
	})
}

func checkKeys(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s fields = %q, want %q", what, got, want)
	}
}

// normalise makes times comparable with DeepEqual after a JSON round trip
// (which drops the monotonic clock and may change the location).
func normalise(s Snapshot) Snapshot {
	utc := func(t time.Time) time.Time {
		if t.IsZero() {
			return time.Time{}
		}
		return t.UTC()
	}
	s.Started, s.Now = utc(s.Started), utc(s.Now)
	accts := make([]AccountStatus, len(s.Accounts))
	for i, a := range s.Accounts {
		a.Next, a.LastSuccess, a.BackoffUntil = utc(a.Next), utc(a.LastSuccess), utc(a.BackoffUntil)
		if a.Last != nil {
			r := *a.Last
			r.Start = utc(r.Start)
			a.Last = &r
		}
		accts[i] = a
	}
	s.Accounts = accts
	return s
}

func TestRunStatusDurationMilliseconds(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0"},
		{1499 * time.Microsecond, "1"},
		{1500 * time.Microsecond, "2"},
		{42 * time.Minute, "2520000"},
	} {
		b, err := json.Marshal(RunStatus{Duration: tc.d})
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		if got := string(m["duration_ms"]); got != tc.want {
			t.Errorf("%v: duration_ms = %s, want %s", tc.d, got, tc.want)
		}
		if _, ok := m["Duration"]; ok {
			t.Errorf("%v: the Go field name leaked into the JSON: %s", tc.d, b)
		}
	}
}

func TestHealthz(t *testing.T) {
	srv := server(t, newFakeService(Snapshot{})) // not even ready: still alive
	resp, body := do(t, "GET", srv.URL+"/healthz", nil, "")
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(body) != "ok" {
		t.Errorf("GET /healthz = %d %q, want 200 ok", resp.StatusCode, body)
	}
}

func TestReadyz(t *testing.T) {
	for _, tc := range []struct {
		name     string
		snap     Snapshot
		code     int
		contains string
	}{
		{"ready", Snapshot{Ready: true}, http.StatusOK, "ready"},
		{"ready with a failed reload", Snapshot{Ready: true, ConfigError: "bad yaml"}, http.StatusOK, "ready"},
		{"not ready", Snapshot{}, http.StatusServiceUnavailable, "not ready: the first configuration load"},
		{"not ready, with the reason", Snapshot{ConfigError: "store: permission denied"},
			http.StatusServiceUnavailable, "store: permission denied"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := server(t, newFakeService(tc.snap))
			resp, body := do(t, "GET", srv.URL+"/readyz", nil, "")
			if resp.StatusCode != tc.code || !strings.Contains(body, tc.contains) {
				t.Errorf("GET /readyz = %d %q, want %d with %q", resp.StatusCode, body, tc.code, tc.contains)
			}
		})
	}
}

func TestSync(t *testing.T) {
	const host = "status.example:8080"
	for _, tc := range []struct {
		name    string
		method  string
		account string
		header  map[string]string
		body    string
		code    int
	}{
		// Accepted.
		{"no browser headers (CLI, curl)", "POST", "fastmail", nil, "", http.StatusAccepted},
		{"same-origin fetch", "POST", "fastmail", map[string]string{
			"Sec-Fetch-Site": "same-origin", "Origin": "http://" + host}, "", http.StatusAccepted},
		{"typed in by the user", "POST", "fastmail", map[string]string{"Sec-Fetch-Site": "none"}, "", http.StatusAccepted},
		{"Origin of this host, old browser", "POST", "fastmail", map[string]string{"Origin": "http://" + host}, "", http.StatusAccepted},
		{"JSON body", "POST", "fastmail", map[string]string{"Content-Type": "application/json"}, "{}", http.StatusAccepted},
		{"name needing escapes", "POST", "work%20%2F%20private", nil, "", http.StatusAccepted},

		// Refused as cross-site.
		{"Sec-Fetch-Site cross-site", "POST", "fastmail", map[string]string{"Sec-Fetch-Site": "cross-site"}, "", http.StatusForbidden},
		{"Sec-Fetch-Site same-site", "POST", "fastmail", map[string]string{"Sec-Fetch-Site": "same-site"}, "", http.StatusForbidden},
		{"Origin of another host", "POST", "fastmail", map[string]string{"Origin": "http://evil.example"}, "", http.StatusForbidden},
		{"Origin of another port", "POST", "fastmail", map[string]string{"Origin": "http://status.example:9090"}, "", http.StatusForbidden},
		{"Origin null", "POST", "fastmail", map[string]string{"Origin": "null"}, "", http.StatusForbidden},
		{"Origin mismatch despite same-origin", "POST", "fastmail", map[string]string{
			"Sec-Fetch-Site": "same-origin", "Origin": "http://evil.example"}, "", http.StatusForbidden},
		{"form post", "POST", "fastmail", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, "a=b", http.StatusForbidden},
		{"multipart form post", "POST", "fastmail", map[string]string{"Content-Type": "multipart/form-data; boundary=x"}, "--x--", http.StatusForbidden},
		{"text/plain post", "POST", "fastmail", map[string]string{"Content-Type": "Text/Plain; charset=utf-8"}, "hi", http.StatusForbidden},
		{"unknown account, cross-site", "POST", "nobody", map[string]string{"Sec-Fetch-Site": "cross-site"}, "", http.StatusForbidden},

		// Other answers.
		{"unknown account", "POST", "nobody", nil, "", http.StatusNotFound},
		{"GET", "GET", "fastmail", nil, "", http.StatusMethodNotAllowed},
		{"PUT", "PUT", "fastmail", nil, "", http.StatusMethodNotAllowed},
		{"DELETE", "DELETE", "fastmail", nil, "", http.StatusMethodNotAllowed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			snap := fixture()
			snap.Accounts = append(snap.Accounts, AccountStatus{Name: "work / private", Type: "vdir"})
			svc := newFakeService(snap)
			srv := server(t, svc)
			header := map[string]string{"Host": host}
			for k, v := range tc.header {
				header[k] = v
			}
			resp, body := do(t, tc.method, srv.URL+"/api/sync/"+tc.account, header, tc.body)
			if resp.StatusCode != tc.code {
				t.Fatalf("%s = %d %s, want %d", tc.method, resp.StatusCode, body, tc.code)
			}
			triggered := svc.Triggered()
			switch tc.code {
			case http.StatusAccepted:
				var got syncAccepted
				if err := json.Unmarshal([]byte(body), &got); err != nil {
					t.Fatalf("body %q: %v", body, err)
				}
				want := strings.ReplaceAll(strings.ReplaceAll(tc.account, "%20", " "), "%2F", "/")
				if got.Account != want || got.Status != "accepted" || !slices.Equal(triggered, []string{want}) {
					t.Errorf("body %+v, triggered %q; want account %q accepted and triggered once", got, triggered, want)
				}
			case http.StatusMethodNotAllowed:
				if allow := resp.Header.Get("Allow"); allow != "POST" {
					t.Errorf("Allow = %q, want POST", allow)
				}
				fallthrough
			default:
				if len(triggered) > 0 {
					t.Errorf("triggered %q on a %d", triggered, tc.code)
				}
				if tc.code == http.StatusForbidden || tc.code == http.StatusNotFound {
					var e apiError
					if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error == "" {
						t.Errorf("body %q is not a JSON error (%v)", body, err)
					}
				}
			}
		})
	}

	t.Run("service error", func(t *testing.T) {
		svc := newFakeService(fixture())
		svc.err = errors.New("scheduler stopped")
		srv := server(t, svc)
		resp, body := do(t, "POST", srv.URL+"/api/sync/fastmail", nil, "")
		if resp.StatusCode != http.StatusInternalServerError || !strings.Contains(body, "scheduler stopped") {
			t.Errorf("= %d %s, want 500 with the error", resp.StatusCode, body)
		}
	})
}

func TestSecurityHeaders(t *testing.T) {
	srv := server(t, newFakeService(fixture()))
	for _, tc := range []struct{ method, path string }{
		{"GET", "/"}, {"GET", "/static/style.css"}, {"GET", "/api/status"}, {"GET", "/metrics"},
		{"GET", "/healthz"}, {"GET", "/readyz"}, {"POST", "/api/sync/fastmail"},
		{"GET", "/no/such/page"}, {"POST", "/"}, {"GET", "/api/sync/fastmail"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			resp, _ := do(t, tc.method, srv.URL+tc.path, nil, "")
			for k, want := range map[string]string{
				"X-Content-Type-Options":  "nosniff",
				"Content-Security-Policy": contentSecurityPolicy,
				"Referrer-Policy":         "no-referrer",
			} {
				if got := resp.Header.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
		})
	}
	for _, directive := range []string{"default-src 'none'", "style-src 'self'", "img-src data:", "frame-ancestors 'none'"} {
		if !strings.Contains(contentSecurityPolicy, directive) {
			t.Errorf("the CSP lacks %s", directive)
		}
	}
}

func TestNotFound(t *testing.T) {
	srv := server(t, newFakeService(fixture()))
	for _, path := range []string{"/index.html", "/static/", "/static/other.css", "/api", "/api/sync/"} {
		if resp, _ := do(t, "GET", srv.URL+path, nil, ""); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, resp.StatusCode)
		}
	}
}

func TestStylesheet(t *testing.T) {
	srv := server(t, newFakeService(fixture()))
	_, page := do(t, "GET", srv.URL+"/", nil, "")
	i := strings.Index(page, `href="/static/style.css?v=`)
	if i < 0 {
		t.Fatalf("the page links no versioned stylesheet:\n%s", page)
	}
	href := page[i+len(`href="`):]
	href = href[:strings.IndexByte(href, '"')]
	resp, css := do(t, "GET", srv.URL+href, nil, "")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") ||
		!strings.Contains(css, "table.accounts") {
		t.Fatalf("GET %s = %d %s, %d bytes", href, resp.StatusCode, resp.Header.Get("Content-Type"), len(css))
	}
	etag := resp.Header.Get("ETag")
	if !strings.Contains(href, strings.Trim(etag, `"`)) {
		t.Errorf("ETag %s is not the version in %s", etag, href)
	}
	resp, _ = do(t, "GET", srv.URL+href, map[string]string{"If-None-Match": etag}, "")
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("GET with If-None-Match = %d, want 304", resp.StatusCode)
	}
}

func TestStatusPage(t *testing.T) {
	get := func(t *testing.T, s Snapshot) string {
		t.Helper()
		srv := server(t, newFakeService(s))
		resp, body := do(t, "GET", srv.URL+"/", nil, "")
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
			t.Fatalf("GET / = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		return body
	}

	t.Run("accounts", func(t *testing.T) {
		body := get(t, fixture())
		for _, s := range []string{
			`<meta http-equiv="refresh" content="30">`,
			`<meta name="viewport" content="width=device-width, initial-scale=1">`,
			"v1.4.0 (3f2a9c1)",
			// every account, its state in words and as a class (the colour)
			`data-account="fastmail"`, `badge badge-ok`, ">OK<",
			`data-account="google-work"`, `badge badge-failing`, ">Failing<", "failed 3 times in a row", "retrying in 8 min",
			"last success 2 h 14 min ago",
			`data-account="nextcloud"`, `badge badge-running`, ">Running<", "412 created", "2 failed", "after this run",
			`data-account="phone-folder"`, `badge badge-never`, ">Not run yet<",
			// last run: relative, absolute in a title, trigger, duration, counts
			`title="2026-05-04 13:00:05 UTC">4 min ago</time>`, "schedule", "took 4.2 s",
			"2 created, 1 updated", "3 updated, 1 deleted", "1 conflict", "3 waiting",
			// next run, conflicts waiting and the hint
			`title="2026-05-04 13:15:05 UTC">in 11 min</time>`, "<code>contactbridge conflicts</code>",
			// the error, escaped, with its kind and hint
			"google: list contacts: 401 Unauthorized: &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;",
			"sign-in", "Check the account&#39;s credentials",
		} {
			if !strings.Contains(body, s) {
				t.Errorf("the page lacks %q", s)
			}
		}
		if strings.Contains(body, "<script") {
			t.Error("the page holds a <script> element: the error was not escaped")
		}
	})

	t.Run("escapes every value", func(t *testing.T) {
		s := fixture()
		s.Version = `<b>v</b>`
		s.ConfigError = `<img src=x onerror=alert(1)>`
		a := &s.Accounts[0]
		a.Name, a.Type, a.Schedule = `"><i>name`, `<u>type`, `<s>sched`
		a.Last.Trigger = `<em>trigger`
		body := get(t, s)
		for _, raw := range []string{"<b>v", "<img", `"><i>`, "<u>type", "<s>sched", "<em>"} {
			if strings.Contains(body, raw) {
				t.Errorf("the page holds %q unescaped", raw)
			}
		}
	})

	t.Run("config reload failed", func(t *testing.T) {
		s := fixture()
		s.ConfigError = "config: line 3: bad indentation"
		body := get(t, s)
		for _, want := range []string{"banner-warn", "The last configuration reload failed", "config: line 3: bad indentation"} {
			if !strings.Contains(body, want) {
				t.Errorf("the page lacks %q", want)
			}
		}
	})

	t.Run("not ready", func(t *testing.T) {
		body := get(t, Snapshot{Now: fixtureNow, ConfigError: "store: locked"})
		for _, want := range []string{"banner-error", "Not ready.", "store: locked", "No accounts yet", "<title>not ready"} {
			if !strings.Contains(body, want) {
				t.Errorf("the page lacks %q", want)
			}
		}
	})

	t.Run("no accounts", func(t *testing.T) {
		body := get(t, Snapshot{Ready: true, Now: fixtureNow, Started: fixtureNow.Add(-time.Minute)})
		for _, want := range []string{"No accounts configured", "<code>accounts:</code>", "<title>no accounts"} {
			if !strings.Contains(body, want) {
				t.Errorf("the page lacks %q", want)
			}
		}
		if strings.Contains(body, "banner") {
			t.Error("a ready service with a good config shows a banner")
		}
	})

	t.Run("HEAD", func(t *testing.T) {
		srv := server(t, newFakeService(fixture()))
		resp, body := do(t, "HEAD", srv.URL+"/", nil, "")
		if resp.StatusCode != http.StatusOK || body != "" {
			t.Errorf("HEAD / = %d with %d bytes", resp.StatusCode, len(body))
		}
	})
}

// TestNoBodyLogged checks that nothing of a request body reaches the log.
func TestNoBodyLogged(t *testing.T) {
	var logBuf bytes.Buffer
	srv := httptest.NewServer(Handler(newFakeService(fixture()), prometheus.NewRegistry(),
		slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	t.Cleanup(srv.Close)
	const secret = "Jane Doe +1 555 0100"
	do(t, "POST", srv.URL+"/api/sync/fastmail", map[string]string{"Content-Type": "application/json"}, `{"n":"`+secret+`"}`)
	do(t, "POST", srv.URL+"/api/sync/fastmail", map[string]string{"Content-Type": "text/plain"}, secret)
	do(t, "POST", srv.URL+"/api/sync/nobody", nil, secret)
	if strings.Contains(logBuf.String(), "Jane") {
		t.Errorf("a request body reached the log:\n%s", logBuf.String())
	}
	if !strings.Contains(logBuf.String(), "sync requested") {
		t.Errorf("the log does not show the sync request:\n%s", logBuf.String())
	}
}
