package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/contactbridge/contactbridge/connectors"
	"github.com/contactbridge/contactbridge/connectors/outlook/graphtest"
)

// outlookClientID is the app registration the tests sign in with.
const outlookClientID = "6731de76-14a6-49ae-97bc-6eba6914391e"

func TestOutlookConfigChecks(t *testing.T) {
	const head = "key_file: k\nstore:\n  sqlite: s\naccounts:\n"
	const id = "client_id: " + outlookClientID
	cases := []struct {
		name string
		acct string // the account's keys, in flow style, besides name
		want string // a fragment of the error; "" means valid
	}{
		{"the issue's example", "type: outlook, tenant: common, " + id + ", folder: Contacts, refresh_token_file: /etc/contactbridge/work.token, " +
			"api_endpoint: \"https://graph.microsoft.com/v1.0/\", token_url: \"https://login.microsoftonline.com/common/oauth2/v2.0/token\"", ""},
		{"only client_id", "type: outlook, " + id, ""},
		{"tenant id", "type: outlook, tenant: 8eaef023-2b34-4da1-9baa-8bc8c9d6a490, " + id, ""},
		{"tenant domain", "type: outlook, tenant: contoso.onmicrosoft.com, " + id, ""},
		{"national cloud", "type: outlook, tenant: contoso.com, " + id + ", api_endpoint: \"https://graph.microsoft.us/v1.0/\", token_url: \"https://login.microsoftonline.us/contoso.com/oauth2/v2.0/token\"", ""},
		{"client_id missing", "type: outlook, tenant: common", "type outlook needs client_id"},
		{"client_id not an application id", "type: outlook, client_id: my-app", `client_id "my-app"`},
		{"tenant with a space", "type: outlook, tenant: \"my tenant\", " + id, `tenant "my tenant"`},
		{"tenant given as an address", "type: outlook, tenant: \"https://login.microsoftonline.com/common\", " + id, "tenant \"https:"},
		{"token_url not http", "type: outlook, " + id + ", token_url: \"ftp://login.example.com/common/oauth2/v2.0/token\"", "token_url"},
		{"token_url not a token endpoint", "type: outlook, " + id + ", token_url: \"https://login.microsoftonline.com/common/oauth2/v2.0/\"", "ending in /oauth2/v2.0/token"},
		{"token_url for another tenant", "type: outlook, tenant: consumers, " + id + ", token_url: \"https://login.microsoftonline.com/organizations/oauth2/v2.0/token\"", `token_url names tenant "organizations", tenant says "consumers"`},
		{"api_endpoint not http", "type: outlook, " + id + ", api_endpoint: graph.microsoft.com", "api_endpoint"},
		{"blank folder", "type: outlook, " + id + ", folder: \" \"", "folder is blank"},
		{"client secret on outlook", "type: outlook, " + id + ", client_secret_file: s", "type outlook: client_secret_file and listing_delay belong to type google"},
		{"listing_delay on outlook", "type: outlook, " + id + ", listing_delay: 0s", "type outlook: client_secret_file and listing_delay belong to type google"},
		{"carddav key on outlook", "type: outlook, " + id + ", url: \"https://dav.example.com/\"", "type outlook: url, username"},
		{"path on outlook", "type: outlook, " + id + ", path: p", "path, version and create belong to other types"},
		{"tenant on google", "type: google, client_id: c, tenant: common", "type google: tenant and folder belong to type outlook"},
		{"folder on google", "type: google, client_id: c, folder: Contacts", "type google: tenant and folder belong to type outlook"},
		{"google with the shared keys", "type: google, client_id: c, refresh_token_file: t, api_endpoint: \"http://127.0.0.1:1/\", token_url: \"http://127.0.0.1:1/token\"", ""},
		{"folder on vdir", "type: vdir, path: p, folder: Contacts", "type vdir: tenant and folder belong to type outlook"},
		{"client_id on vdir", "type: vdir, path: p, client_id: c", "type vdir: client_id, refresh_token_file, api_endpoint and token_url belong to types google and outlook"},
		{"tenant on carddav", "type: carddav, url: \"https://dav.example.com/\", tenant: common", "type carddav: tenant and folder belong to type outlook"},
		{"token_url on carddav", "type: carddav, url: \"https://dav.example.com/\", token_url: \"https://x/token\"", "type carddav: client_id, refresh_token_file"},
	}
	dir := t.TempDir()
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, fmt.Sprintf("%d.yaml", i))
			if err := os.WriteFile(p, []byte(head+"  - {name: work, "+c.acct+"}\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := loadConfig(p)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), `account "work"`)):
				t.Fatalf("err = %v, want one naming the account and %q", err, c.want)
			}
		})
	}
}

// token_url defaults to the public cloud's endpoint of the tenant, and
// the device-code endpoint sits beside whichever token endpoint is used.
func TestOutlookTokenURL(t *testing.T) {
	for _, tc := range []struct {
		tenant, tokenURL string
		want, wantDevice string
	}{
		{"", "", "https://login.microsoftonline.com/common/oauth2/v2.0/token", "https://login.microsoftonline.com/common/oauth2/v2.0/devicecode"},
		{"organizations", "", "https://login.microsoftonline.com/organizations/oauth2/v2.0/token", "https://login.microsoftonline.com/organizations/oauth2/v2.0/devicecode"},
		{"contoso.com", "https://login.microsoftonline.us/contoso.com/oauth2/v2.0/token",
			"https://login.microsoftonline.us/contoso.com/oauth2/v2.0/token", "https://login.microsoftonline.us/contoso.com/oauth2/v2.0/devicecode"},
	} {
		a := AccountConfig{Name: "work", Type: "outlook", oauthSettings: oauthSettings{ClientID: outlookClientID, TokenURL: tc.tokenURL},
			outlookSettings: outlookSettings{Tenant: tc.tenant}}
		if err := checkOutlook(a); err != nil {
			t.Fatalf("tenant %q, token_url %q: %v", tc.tenant, tc.tokenURL, err)
		}
		si, err := outlookSignIn(&Config{path: "/x/config.yaml"}, a)
		if err != nil {
			t.Fatal(err)
		}
		if got := si.conf.Endpoint; got.TokenURL != tc.want || got.DeviceAuthURL != tc.wantDevice || !si.deviceCode {
			t.Errorf("tenant %q, token_url %q: sign-in at %s and %s (device code %v), want %s and %s",
				tc.tenant, tc.tokenURL, got.TokenURL, got.DeviceAuthURL, si.deviceCode, tc.want, tc.wantDevice)
		}
	}
}

// addOutlook adds account work, on srv's tenant organizations, to w's
// config; with a refresh_token_file (work.token) when file is set.
func addOutlook(w *world, srv *graphtest.Server, file bool) {
	w.t.Helper()
	entry := fmt.Sprintf("  - name: work\n    type: outlook\n    tenant: organizations\n    client_id: %s\n    api_endpoint: %s/\n    token_url: %s\n",
		outlookClientID, srv.URL(), srv.TokenURL("organizations"))
	if file {
		entry += "    refresh_token_file: work.token\n"
	}
	f, err := os.OpenFile(w.cfg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		w.t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(entry); err != nil {
		w.t.Fatal(err)
	}
}

// writeToken puts token into work's refresh_token_file, as an operator
// would.
func (w *world) writeToken(token string) {
	w.t.Helper()
	if err := os.WriteFile(filepath.Join(w.dir, "work.token"), []byte(token+"\n"), 0o600); err != nil {
		w.t.Fatal(err)
	}
}

// storedGrant is what the state of account work holds.
func (w *world) storedGrant() (outlookGrant, bool) {
	w.t.Helper()
	cfg, err := loadConfig(w.cfg)
	if err != nil {
		w.t.Fatal(err)
	}
	s, err := openSession(context.Background(), cfg, nil)
	if err != nil {
		w.t.Fatal(err)
	}
	defer s.Close()
	g, ok, err := loadOutlookGrant(context.Background(), s.engine, "work")
	if err != nil {
		w.t.Fatal(err)
	}
	return g, ok
}

// userCodeRE finds the code connect asks the user to enter.
var userCodeRE = regexp.MustCompile(`enter the code\s+([A-Z0-9]{6,})\s`)

// terminal is connect's output as the person running it sees it: it
// hands over the user code the moment it is printed.
type terminal struct {
	mu   sync.Mutex
	buf  strings.Builder
	code chan string // gets the user code once
	sent bool
}

func newTerminal() *terminal { return &terminal{code: make(chan string, 1)} }

func (t *terminal) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf.Write(p)
	if m := userCodeRE.FindStringSubmatch(t.buf.String()); m != nil && !t.sent {
		t.sent = true
		t.code <- m[1]
	}
	return len(p), nil
}

func (t *terminal) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.buf.String()
}

// connectOutlook runs `accounts connect work` and, once it has printed
// the user code, calls answer with it, as the person at the browser
// would. It returns what connect printed and its error.
func connectOutlook(t *testing.T, w *world, answer func(code string) error) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	term := newTerminal()
	done := make(chan error, 1)
	go func() { done <- runConnect(ctx, term, &options{configPath: w.cfg}, "work", nil) }()
	select {
	case code := <-term.code:
		if err := answer(code); err != nil {
			t.Fatalf("answer the sign-in page: %v", err)
		}
	case err := <-done:
		t.Fatalf("connect returned before printing a code: %v\n%s", err, term.String())
	}
	err := <-done
	return term.String(), err
}

// Outlook accounts sign in with the device-code flow: connect prints the
// address and code, polls until the user answered, keeps the refresh
// token encrypted, and says what to do about each way it can fail.
func TestOutlookConnect(t *testing.T) {
	const seed = "0.AXoA-seed-of-the-mailbox"
	t.Run("approved", func(t *testing.T) {
		srv := graphtest.New(graphtest.Options{ClientID: outlookClientID, DevicePollInterval: time.Second})
		t.Cleanup(srv.Close)
		u := srv.AddUser(seed)
		u.Put(graphtest.Contact{GivenName: "Grace", Surname: "Hopper", DisplayName: "Grace Hopper"})
		w := newWorld(t, "files")
		addOutlook(w, srv, false)

		if _, errOut, code := w.cli("sync", "--account", "work"); code != exitCannot || !strings.Contains(errOut, "not signed in: run `contactbridge accounts connect work`") {
			t.Fatalf("sync before connect: exit %d\n%s", code, errOut)
		}
		out, err := connectOutlook(t, w, func(code string) error { return srv.ApproveDevice(code, u) })
		if err != nil {
			t.Fatalf("connect: %v\n%s", err, out)
		}
		for _, want := range []string{"https://microsoft.com/devicelogin", "Microsoft says: To sign in", "15 minutes", "work: signed in"} {
			if !strings.Contains(out, want) {
				t.Errorf("connect's output lacks %q:\n%s", want, out)
			}
		}
		g, ok := w.storedGrant()
		if !ok || g.RefreshToken != u.RefreshToken() || g.Source != "" {
			t.Fatalf("stored grant %v (token is the newest: %v, source %q), want the newest refresh token, no source", ok, g.RefreshToken == u.RefreshToken(), g.Source)
		}
		if strings.Contains(out, g.RefreshToken) {
			t.Error("connect printed the refresh token")
		}
		for _, name := range []string{"store.db", "store.db-wal", "config.yaml"} {
			if b, err := os.ReadFile(filepath.Join(w.dir, name)); err == nil && strings.Contains(string(b), g.RefreshToken) {
				t.Errorf("%s holds the refresh token in plaintext", name)
			}
		}

		// Each sync is a process of its own: every rotation must have been
		// kept for the next one to sign in.
		w.mustCLI("sync")
		if got := w.cards("files"); got["Grace Hopper"] == nil {
			t.Errorf("the folder after sync: %v", keysOf(got))
		}
		for range 2 {
			srv.ExpireAccessTokens()
			before := srv.Requests()["token"]
			w.mustCLI("sync")
			if srv.Requests()["token"] == before {
				t.Fatal("sync after the access token expired asked for no new one")
			}
		}
		if g, _ := w.storedGrant(); g.RefreshToken != u.RefreshToken() {
			t.Error("the stored refresh token is not the newest after syncs")
		}
	})

	for _, tc := range []struct {
		name string
		opts graphtest.Options
		// answer is what the person does with the code; advance moves the
		// fake's clock meanwhile.
		answer func(srv *graphtest.Server, u *graphtest.User, advance func(time.Duration), code string) error
		want   string
	}{
		{"declined", graphtest.Options{}, func(srv *graphtest.Server, _ *graphtest.User, _ func(time.Duration), code string) error {
			return srv.DeclineDevice(code)
		}, "account work: sign-in declined"},
		{"expired at the identity platform", graphtest.Options{}, func(_ *graphtest.Server, _ *graphtest.User, advance func(time.Duration), _ string) error {
			advance(16 * time.Minute)
			return nil
		}, "the code expired before sign-in completed (15 minutes): run connect again"},
		{"expired here", graphtest.Options{DeviceCodeTTL: time.Second}, func(*graphtest.Server, *graphtest.User, func(time.Duration), string) error {
			return nil // nobody signs in
		}, "the code expired before sign-in completed (1 second): run connect again"},
		{"public client flows off", graphtest.Options{PublicClientFlowsDisabled: true}, func(srv *graphtest.Server, u *graphtest.User, _ func(time.Duration), code string) error {
			return srv.ApproveDevice(code, u)
		}, `"Allow public client flows" to Yes`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var offset atomic.Int64
			start := time.Now()
			opts := tc.opts
			opts.ClientID, opts.DevicePollInterval = outlookClientID, time.Second
			opts.Clock = func() time.Time { return start.Add(time.Since(start) + time.Duration(offset.Load())) }
			srv := graphtest.New(opts)
			t.Cleanup(srv.Close)
			u := srv.AddUser(seed)
			w := newWorld(t, "files")
			addOutlook(w, srv, false)
			out, err := connectOutlook(t, w, func(code string) error {
				return tc.answer(srv, u, func(d time.Duration) { offset.Add(int64(d)) }, code)
			})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("connect: %v, want %q\n%s", err, tc.want, out)
			}
			if _, ok := w.storedGrant(); ok {
				t.Error("a failed connect stored a grant")
			}
		})
	}
}

// changeIDs opens account work as sync does and returns the ids of the
// contacts a full listing of its mailbox gives.
func changeIDs(t *testing.T, w *world) ([]string, error) {
	t.Helper()
	ctx := context.Background()
	cfg, err := loadConfig(w.cfg)
	if err != nil {
		t.Fatal(err)
	}
	s, err := openSession(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	acct, err := cfg.openAccount(ctx, cfg.Accounts[1], openEnv{engine: s.engine})
	if err != nil {
		return nil, err
	}
	var ids []string
	_, err = acct.Connector.Changes(ctx, "", func(p connectors.Page) error {
		for _, c := range p.Changes {
			ids = append(ids, c.ID)
		}
		return nil
	})
	return ids, err
}

// A refresh_token_file's token works once: its successors are kept in the
// state with the file's fingerprint, and used as long as the file holds
// the same token; a new token in the file wins.
func TestOutlookRefreshTokenFile(t *testing.T) {
	srv := graphtest.New(graphtest.Options{ClientID: outlookClientID})
	t.Cleanup(srv.Close)
	const first, second = "0.AXoA-first-file-token", "0.AXoA-second-file-token"
	ada := srv.AddUser(first)
	adaID := ada.Put(graphtest.Contact{GivenName: "Ada", DisplayName: "Ada"})
	bob := srv.AddUser(second)
	bobID := bob.Put(graphtest.Contact{GivenName: "Bob", DisplayName: "Bob"})
	w := newWorld(t, "files")
	addOutlook(w, srv, true)

	if _, err := changeIDs(t, w); err == nil || !strings.Contains(err.Error(), "refresh_token_file") {
		t.Fatalf("open without the file: %v", err)
	}
	w.writeToken(first)
	if err := os.Chmod(filepath.Join(w.dir, "work.token"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := changeIDs(t, w); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("open with a file others can read: %v", err)
	}
	if err := os.Chmod(filepath.Join(w.dir, "work.token"), 0o600); err != nil {
		t.Fatal(err)
	}

	for i := range 3 {
		// The first open spends the file's token, the next ones its
		// successors: with only the file, the second would fail.
		ids, err := changeIDs(t, w)
		if err != nil || !slices.Equal(ids, []string{adaID}) {
			t.Fatalf("open %d with the first file token: %v, %v; want Ada's mailbox", i+1, ids, err)
		}
		g, _ := w.storedGrant()
		if g.RefreshToken != ada.RefreshToken() || g.Source != tokenFingerprint(first) {
			t.Fatalf("open %d: the stored grant is not the newest token of the file's line", i+1)
		}
	}

	// The operator puts a new token (another mailbox's) in the file.
	w.writeToken(second)
	for i := range 2 {
		ids, err := changeIDs(t, w)
		if err != nil || !slices.Equal(ids, []string{bobID}) {
			t.Fatalf("open %d with the second file token: %v, %v; want Bob's mailbox", i+1, ids, err)
		}
	}
	if g, _ := w.storedGrant(); g.RefreshToken != bob.RefreshToken() || g.Source != tokenFingerprint(second) {
		t.Fatal("the stored grant does not descend from the second file token")
	}

	// Opening with nowhere to keep a rotation would spend the sign-in.
	cfg, err := loadConfig(w.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.openAccount(context.Background(), cfg.Accounts[1], openEnv{}); err == nil || !strings.Contains(err.Error(), "encrypted state") {
		t.Errorf("open without state: %v", err)
	}
}

// connect on an account with a refresh_token_file replaces the file's
// current token, until the file holds another.
func TestOutlookConnectOverRefreshTokenFile(t *testing.T) {
	srv := graphtest.New(graphtest.Options{ClientID: outlookClientID, DevicePollInterval: time.Second})
	t.Cleanup(srv.Close)
	const spent, fresh = "0.AXoA-spent-file-token", "0.AXoA-fresh-file-token"
	ada := srv.AddUser(spent)
	adaID := ada.Put(graphtest.Contact{GivenName: "Ada", DisplayName: "Ada"})
	bob := srv.AddUser(fresh)
	bobID := bob.Put(graphtest.Contact{GivenName: "Bob", DisplayName: "Bob"})
	srv.RevokeRefreshTokens(ada) // the file's token no longer works
	w := newWorld(t, "files")
	addOutlook(w, srv, true)
	w.writeToken(spent)
	if _, err := changeIDs(t, w); err == nil {
		t.Fatal("open with a revoked token worked")
	}

	if out, err := connectOutlook(t, w, func(code string) error { return srv.ApproveDevice(code, ada) }); err != nil {
		t.Fatalf("connect: %v\n%s", err, out)
	}
	if ids, err := changeIDs(t, w); err != nil || !slices.Equal(ids, []string{adaID}) {
		t.Fatalf("open after connect: %v, %v; want Ada's mailbox", ids, err)
	}
	w.writeToken(fresh)
	if ids, err := changeIDs(t, w); err != nil || !slices.Equal(ids, []string{bobID}) {
		t.Fatalf("open with a new file token: %v, %v; want Bob's mailbox", ids, err)
	}
}
