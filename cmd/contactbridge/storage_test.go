package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/contactbridge/contactbridge/mapping"
	"github.com/contactbridge/contactbridge/store/httpapi"
	"github.com/contactbridge/contactbridge/store/postgres/pgtest"
)

// storageServer is a `storage serve` running in-process on a loopback
// port, with user alice.
type storageServer struct {
	dir, cfg string
	url      string // http://127.0.0.1:PORT/1.5/
	pwFile   string
}

func startStorage(t *testing.T) *storageServer {
	t.Helper()
	isolate(t)
	s := &storageServer{dir: t.TempDir()}
	s.cfg = filepath.Join(s.dir, "config.yaml")
	if err := os.WriteFile(s.cfg, []byte("key_file: sync.key\nstore:\n  sqlite: served.db\nstorage:\n  quota_bytes: 100000000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s.pwFile = filepath.Join(s.dir, "alice.pass")
	if err := os.WriteFile(s.pwFile, []byte("correct horse battery\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, errOut, code := runSplit(t, "--config", s.cfg, "storage", "user", "add", "alice", "--password-file", s.pwFile); code != exitOK {
		t.Fatalf("storage user add: exit %d\n%s%s", code, out, errOut)
	}
	cfg, err := loadConfig(s.cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.url = "http://" + ln.Addr().String() + "/1.5/"
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serveStorage(ctx, cfg, ln, slog.New(slog.DiscardHandler)) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("storage serve: %v", err)
		}
	})
	return s
}

// bridgeOn writes the config of a bridge whose hub is alice's storage on
// srv, syncing one vdir folder as account name, in a new directory, and
// returns its world (the folder is w.folders["cards"]).
func bridgeOn(t *testing.T, srv *storageServer, name string) *world {
	t.Helper()
	w := &world{t: t, dir: t.TempDir(), folders: map[string]string{}}
	w.cfg = filepath.Join(w.dir, "config.yaml")
	w.folders["cards"] = filepath.Join(w.dir, "cards")
	if err := os.Mkdir(w.folders["cards"], 0o700); err != nil {
		t.Fatal(err)
	}
	y := fmt.Sprintf("key_file: sync.key\nstore:\n  remote:\n    url: %salice/\n    username: alice\n    password_file: %s\naccounts:\n  - {name: %s, type: vdir, path: cards}\n",
		srv.url, srv.pwFile, name)
	if err := os.WriteFile(w.cfg, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	return w
}

// Two bridges with the same Sync Key on different data directories share
// one storage server, each syncing its own folder: both folders converge,
// edits and deletions included.
func TestTwoBridgesShareARemoteStore(t *testing.T) {
	srv := startStorage(t)
	a, b := bridgeOn(t, srv, "laptop"), bridgeOn(t, srv, "server")
	a.mustCLI("init")
	key, err := os.ReadFile(filepath.Join(a.dir, "sync.key"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b.dir, "sync.key"), key, 0o600); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		a.write("cards", fmt.Sprintf("a%d.vcf", i), vcard(fmt.Sprintf("Ann %d", i)))
	}
	for i := range 2 {
		b.write("cards", fmt.Sprintf("b%d.vcf", i), vcard(fmt.Sprintf("Bo %d", i)))
	}
	round := func() {
		t.Helper()
		a.mustCLI("sync")
		b.mustCLI("sync")
		a.mustCLI("sync")
	}
	round()
	want := []string{"Ann 0", "Ann 1", "Ann 2", "Bo 0", "Bo 1"}
	for name, w := range map[string]*world{"a": a, "b": b} {
		if got := names(w.cards("cards")); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("folder of bridge %s holds %v, want %v", name, got, want)
		}
	}

	// An edit on b and a deletion on a reach the other side.
	b.write("cards", filepath.Base(b.fileOf("cards", "Ann 1")), vcard("Ann 1", "NOTE:met in Oslo"))
	if err := os.Remove(a.fileOf("cards", "Bo 0")); err != nil {
		t.Fatal(err)
	}
	round()
	b.mustCLI("sync")
	for name, w := range map[string]*world{"a": a, "b": b} {
		cards := w.cards("cards")
		if _, ok := cards["Bo 0"]; ok {
			t.Errorf("bridge %s still has the contact deleted on a", name)
		}
		if c := cards["Ann 1"]; c == nil || c.Value("NOTE") != "met in Oslo" {
			t.Errorf("bridge %s lacks the edit made on b", name)
		}
		if len(cards) != 4 {
			t.Errorf("bridge %s holds %d contacts, want 4", name, len(cards))
		}
	}
	// Converged: a further sync writes nothing on either side.
	for name, w := range map[string]*world{"a": a, "b": b} {
		if reps := w.syncJSON(exitOK); writes(reps) != 0 {
			t.Errorf("bridge %s: a converged sync wrote %d times: %+v", name, writes(reps), reps)
		}
	}
}

// names returns the keys of m, sorted.
func names(m map[string]*mapping.Card) []string {
	return slices.Sorted(maps.Keys(m))
}

// The server refuses a wrong password and another user's path, and its
// users file is private.
func TestStorageServerAuth(t *testing.T) {
	srv := startStorage(t)
	get := func(path, user, pw string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.url+path, nil)
		req.SetBasicAuth(user, pw)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if c := get("alice/info/collections", "alice", "correct horse battery"); c != http.StatusOK {
		t.Errorf("alice with her password: HTTP %d", c)
	}
	if c := get("alice/info/collections", "alice", "wrong"); c != http.StatusUnauthorized {
		t.Errorf("a wrong password: HTTP %d, want 401", c)
	}
	if c := get("bob/info/collections", "alice", "correct horse battery"); c != http.StatusUnauthorized && c != http.StatusForbidden {
		t.Errorf("another user's path: HTTP %d, want 401 or 403", c)
	}
	fi, err := os.Stat(filepath.Join(srv.dir, "storage-users.yaml"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("users file: %v, mode %v; want 0600", err, fi.Mode().Perm())
	}
	b, _ := os.ReadFile(filepath.Join(srv.dir, "storage-users.yaml"))
	if strings.Contains(string(b), "correct horse") || !strings.Contains(string(b), "$argon2id$") {
		t.Errorf("users file does not hold an argon2id hash only:\n%s", b)
	}
}

func TestStorageUserCommands(t *testing.T) {
	srv := startStorage(t)
	cli := func(stdin string, args ...string) (string, int) {
		t.Helper()
		cmd := newRootCommand()
		var out strings.Builder
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		cmd.SetIn(strings.NewReader(stdin))
		cmd.SetArgs(append([]string{"--config", srv.cfg, "storage", "user"}, args...))
		err := cmd.ExecuteContext(context.Background())
		if err != nil {
			out.WriteString("error: " + err.Error())
		}
		return out.String(), exitCode(err)
	}
	if out, code := cli("a long enough password\n", "add", "bob"); code != exitOK {
		t.Fatalf("add bob: %d %s", code, out)
	}
	if out, code := cli("short\n", "add", "carol"); code == exitOK || !strings.Contains(out, "shorter than") {
		t.Errorf("a short password was accepted: %s", out)
	}
	if out, code := cli("another long password\n", "add", "bob"); code == exitOK || !strings.Contains(out, "exists already") {
		t.Errorf("add of an existing user: %s", out)
	}
	if out, code := cli("", "add", "../x"); code == exitOK {
		t.Errorf("a user name with a slash was accepted: %s", out)
	}
	if out, code := cli("", "list"); code != exitOK || out != "alice\nbob\n" {
		t.Errorf("list = %q", out)
	}
	users, err := openStorageUsers(filepath.Join(srv.dir, "storage-users.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := users.Authenticate(context.Background(), "bob", "a long enough password"); err != nil {
		t.Errorf("bob's password: %v", err)
	}
	if out, code := cli("a brand new password\n", "passwd", "bob"); code != exitOK {
		t.Fatalf("passwd: %s", out)
	}
	if err := users.Authenticate(context.Background(), "bob", "a long enough password"); !errors.Is(err, httpapi.ErrBadCredentials) {
		t.Errorf("the old password still works after passwd: %v", err)
	}
	if err := users.Authenticate(context.Background(), "bob", "a brand new password"); err != nil {
		t.Errorf("the new password: %v", err)
	}
	if out, code := cli("", "remove", "bob"); code != exitOK {
		t.Fatalf("remove: %s", out)
	}
	if err := users.Authenticate(context.Background(), "bob", "a brand new password"); !errors.Is(err, httpapi.ErrBadCredentials) {
		t.Errorf("a removed user still logs in: %v", err)
	}
}

func TestStorageServeNeedsTLSBeyondLoopback(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgPath, []byte("key_file: k\nstore:\n  sqlite: s.db\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	ln := fakeListener{addr: &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 8738}}
	err = serveStorage(context.Background(), cfg, ln, slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "needs TLS") {
		t.Errorf("serve on a public address without TLS: %v", err)
	}
}

// fakeListener is a listener that only has an address.
type fakeListener struct{ addr net.Addr }

func (l fakeListener) Accept() (net.Conn, error) { return nil, errors.New("fake") }
func (l fakeListener) Close() error              { return nil }
func (l fakeListener) Addr() net.Addr            { return l.addr }

// Two bridges sharing a hub with an account of the same name: the second
// is refused instead of reading the first one's contacts as deleted.
func TestBridgesSharingAHubKeepAccountNamesApart(t *testing.T) {
	srv := startStorage(t)
	a, b := bridgeOn(t, srv, "phone"), bridgeOn(t, srv, "phone")
	a.mustCLI("init")
	key, err := os.ReadFile(filepath.Join(a.dir, "sync.key"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b.dir, "sync.key"), key, 0o600); err != nil {
		t.Fatal(err)
	}
	a.write("cards", "ann.vcf", vcard("Ann Archer"))
	a.mustCLI("sync")
	out, errOut, code := b.cli("sync")
	if code == exitOK || !strings.Contains(out+errOut, "another bridge sharing this hub") {
		t.Fatalf("b's sync of a second account named phone: exit %d\n%s%s", code, out, errOut)
	}
	a.mustCLI("sync")
	if _, ok := a.cards("cards")["Ann Archer"]; !ok {
		t.Error("a lost its contact after b's refused sync")
	}
}

// A bridge whose hub lives in PostgreSQL syncs two folders as the
// embedded store does; its lock and run log live beside the config.
func TestPostgresStore(t *testing.T) {
	dsn := pgtest.Start(t)
	w := newWorldWith(t, "key_file: sync.key\nstore:\n  postgres: "+dsn+"\n", "a", "b")
	w.write("a", "ann.vcf", vcard("Ann Archer"))
	w.write("b", "bo.vcf", vcard("Bo Brink"))
	w.mustCLI("sync")
	for _, acct := range []string{"a", "b"} {
		if got := names(w.cards(acct)); strings.Join(got, ",") != "Ann Archer,Bo Brink" {
			t.Errorf("%s holds %v", acct, got)
		}
	}
	if reps := w.syncJSON(exitOK); writes(reps) != 0 {
		t.Errorf("converged sync wrote %d times", writes(reps))
	}
	w.mustCLI("status")
	if _, err := os.Stat(filepath.Join(w.dir, "config.hub.runs.json")); err != nil {
		t.Errorf("run log beside the config: %v", err)
	}
}

// Messages name a store without the password of its connection string.
func TestStoreDescriptionHidesPasswords(t *testing.T) {
	for _, dsn := range []string{"postgres://cb:s3cret@db.example/cb", "host=db user=cb password=s3cret dbname=cb"} {
		if d := (StoreConfig{Postgres: dsn}).describe(); strings.Contains(d, "s3cret") {
			t.Errorf("describe(%q) = %q", dsn, d)
		}
	}
}

func TestRemoteStoreURL(t *testing.T) {
	for _, tc := range []struct{ url, base, user string }{
		{"https://sync.example.com/1.5/alice/", "https://sync.example.com/1.5/", "alice"},
		{"https://sync.example.com/sync/1.5/42", "https://sync.example.com/sync/1.5/", "42"},
		{"http://127.0.0.1:8738/1.5/bob/", "http://127.0.0.1:8738/1.5/", "bob"},
		{"https://h/alice/", "", ""},
		{"https://h/1.5/alice/storage/", "", ""},
		{"https://h/1.5/../", "", ""},
		{"https://h/1.5/al%2Fice/", "", ""},
		{"https://alice:hunter2@h/1.5/alice/", "", ""},
		{"ftp://h/1.5/alice/", "", ""},
	} {
		base, user, err := (&RemoteStoreConfig{URL: tc.url}).split()
		switch {
		case tc.user == "" && err == nil:
			t.Errorf("%s: accepted as %s + %s", tc.url, base, user)
		case tc.user == "" && strings.Contains(err.Error(), "hunter2"):
			t.Errorf("%s: the error shows the password: %v", tc.url, err)
		case tc.user != "" && (err != nil || base != tc.base || user != tc.user):
			t.Errorf("%s: %q %q %v; want %q %q", tc.url, base, user, err, tc.base, tc.user)
		}
	}
}

// The storage commands need no key_file; store.user puts the hub under
// another store user.
func TestStorageConfig(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "server.yaml")
	if err := os.WriteFile(cfg, []byte("store:\n  sqlite: s.db\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, errOut, code := runSplit(t, "--config", cfg, "storage", "user", "list"); code != exitOK {
		t.Errorf("storage user list without key_file: exit %d %s%s", code, out, errOut)
	}
	if _, errOut, code := runSplit(t, "--config", cfg, "sync"); code == exitOK || !strings.Contains(errOut, "key_file") {
		t.Errorf("sync without key_file: exit %d %s", code, errOut)
	}
	for y, ok := range map[string]bool{
		"key_file: k\nstore:\n  sqlite: s.db\n  user: carol\n":                           true,
		"key_file: k\nstore:\n  sqlite: s.db\n  user: ../x\n":                            false,
		"key_file: k\nstore:\n  remote: {url: https://h/1.5/a/}\n  user: carol\n":        false,
		"key_file: k\nstore:\n  sqlite: s.db\n  postgres: postgres://h/db\n":             false,
		"key_file: k\nstore:\n  remote: {url: https://h/1.5/a/, username: a}\n":          false,
		"key_file: k\nstore:\n  remote: {url: https://h/1.5/a/, token_file: t}\n":        true,
		"key_file: k\nstore:\n  remote: {url: 'https://a:pw@h/1.5/a/', token_file: t}\n": false,
	} {
		if err := os.WriteFile(cfg, []byte(y), 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := loadConfig(cfg)
		if (err == nil) != ok {
			t.Errorf("%q: loadConfig = %v, want ok %v", y, err, ok)
		}
		if err != nil && strings.Contains(err.Error(), ":pw@") {
			t.Errorf("%q: the error shows the password: %v", y, err)
		}
		if ok && c.Store.SQLite != "" && c.Store.user() != "carol" {
			t.Errorf("store user %q", c.Store.user())
		}
	}
}
