package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/contactbridge/contactbridge/connectors"
	"github.com/contactbridge/contactbridge/connectors/carddav"
	"github.com/contactbridge/contactbridge/connectors/carddav/davtest"
	"github.com/contactbridge/contactbridge/mapping"
)

// davWorld is a config with a vdir account "files" and carddav accounts
// "radicale" and "xandikos", each an address book on a real server started
// for the test.
type davWorld struct {
	*world
	servers map[string]*davtest.Server
	books   map[string]string
}

func newDavWorld(t *testing.T) *davWorld {
	t.Helper()
	isolate(t)
	rad, xan := davtest.Radicale(t), davtest.Xandikos(t)
	w := &davWorld{
		world:   &world{t: t, dir: t.TempDir(), folders: map[string]string{}},
		servers: map[string]*davtest.Server{"radicale": rad, "xandikos": xan},
		books:   map[string]string{"radicale": rad.NewAddressBook(t), "xandikos": xan.NewAddressBook(t)},
	}
	w.cfg = filepath.Join(w.dir, "config.yaml")
	w.folders["files"] = filepath.Join(w.dir, "files")
	if err := os.Mkdir(w.folders["files"], 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(w.dir, "radicale.pass"), []byte(rad.Password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	y := fmt.Sprintf(`key_file: sync.key
store:
  sqlite: store.db
accounts:
  - {name: files, type: vdir, path: files}
  - name: radicale
    type: carddav
    url: %s
    username: %s
    password_file: radicale.pass
    addressbook: %s
  - name: xandikos
    type: carddav
    url: %s
    addressbook: %s
`, rad.URL, rad.Username, w.books["radicale"], xan.URL, w.books["xandikos"])
	if err := os.WriteFile(w.cfg, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, code := run(t, "init", "--config", w.cfg); code != exitOK {
		t.Fatalf("init exit %d:\n%s", code, out)
	}
	return w
}

// davCards reads an account's address book: canonical hash → count, and
// the href of each contact by FN.
func (w *davWorld) davCards(account string) (map[string]int, map[string]string) {
	w.t.Helper()
	ctx := context.Background()
	s := w.servers[account]
	conn, err := carddav.New(ctx, carddav.Config{URL: s.URL + strings.TrimPrefix(w.books[account], "/"), Username: s.Username, Password: s.Password})
	if err != nil {
		w.t.Fatalf("%s: %v", account, err)
	}
	hashes, hrefs := map[string]int{}, map[string]string{}
	if err := connectors.ReadAll(ctx, conn, func(it connectors.Item) error {
		if it.Err != nil {
			w.t.Errorf("%s: %s: %v", account, it.ID, it.Err)
			return nil
		}
		hashes[cardHash(it.Card)]++
		hrefs[it.Card.Value("FN")] = it.ID
		return nil
	}); err != nil {
		w.t.Fatalf("%s: read: %v", account, err)
	}
	return hashes, hrefs
}

// cardHash is the canonical hash of c without its UID: a CardDAV server
// needs one, so the connector gives a card that has none a UID of its own.
func cardHash(c *mapping.Card) string {
	c = c.Clone()
	c.Remove("UID")
	h := c.Hash()
	return base64.RawStdEncoding.EncodeToString(h[:])
}

// folderHashes reads the vdir folder of account: canonical hash → count.
func (w *davWorld) folderHashes(account string) map[string]int {
	w.t.Helper()
	out := map[string]int{}
	for _, name := range readDir(w.t, w.folders[account]) {
		if c := parseFile(w.t, filepath.Join(w.folders[account], name)); c != nil {
			out[cardHash(c)]++
		}
	}
	return out
}

// assertSame checks that every account holds as many contacts as the
// folder, but for the ones Radicale refused, and returns the folder's.
// Contents are not compared card by card: Radicale rewrites what it stores
// (see the CardDAV reference), which is why the engine compares by
// canonical hash against what each remote last returned.
func (w *davWorld) assertSame(label string, refused int) map[string]int {
	w.t.Helper()
	files := w.folderHashes("files")
	total := 0
	for _, c := range files {
		total += c
	}
	for _, acct := range []string{"radicale", "xandikos"} {
		got, _ := w.davCards(acct)
		n := 0
		for _, c := range got {
			n += c
		}
		want := total
		if acct == "radicale" {
			want -= refused
		}
		if n != want {
			w.t.Errorf("%s: %s holds %d contacts, want %d", label, acct, n, want)
		}
		if acct == "xandikos" {
			if missing, extra := hashDiff(files, got); missing > 1 || extra > 1 {
				// One corpus card has an empty FN, which Xandikos drops.
				w.t.Errorf("%s: %s differs from files: %d missing or different, %d extra", label, acct, missing, extra)
			}
		}
	}
	return files
}

func hashDiff(want, got map[string]int) (missing, extra int) {
	for h, n := range want {
		if got[h] < n {
			missing += n - got[h]
		}
	}
	for h, n := range got {
		if want[h] < n {
			extra += n - want[h]
		}
	}
	return missing, extra
}

// syncRefused runs sync and returns how many contacts Radicale refused:
// the corpus holds cards that share a UID (Radicale keeps UIDs unique in an
// address book) and a photo that is not valid base64. Any other failure,
// or one on another account, fails the test.
func (w *davWorld) syncRefused() (out string, refused int) {
	w.t.Helper()
	out, errOut, code := w.cli("sync")
	if code != exitOK && code != exitPartial {
		w.t.Fatalf("sync: exit %d\n%s\n%s", code, out, errOut)
	}
	account := ""
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, " ") {
			account, _, _ = strings.Cut(line, ":")
			account = strings.TrimSuffix(account, " (second pass)")
			continue
		}
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "record ") {
			continue
		}
		if account != "radicale" || !(strings.Contains(line, "no-uid-conflict") || strings.Contains(line, "400 Bad Request")) {
			w.t.Errorf("unexpected failure in %s: %s", account, line)
		}
		refused++
	}
	if (refused > 0) != (code == exitPartial) {
		w.t.Errorf("sync: exit %d with %d failures listed\n%s", code, refused, out)
	}
	return out, refused
}

// TestCardDAVEndToEnd syncs the whole corpus from a folder to Radicale and
// Xandikos through the hub, then edits and deletes on every side, and
// checks that all three converge with nothing lost or duplicated.
func TestCardDAVEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end against real servers: not in -short")
	}
	w := newDavWorld(t)
	n := w.writeCorpus("files")
	w.write("files", "edit-me.vcf", vcard("Edit Me", "NOTE:original"))
	w.write("files", "delete-in-radicale.vcf", vcard("Delete In Radicale"))
	w.write("files", "delete-in-files.vcf", vcard("Delete In Files"))
	w.write("files", "edit-in-xandikos.vcf", vcard("Edit In Xandikos"))
	n += 4

	out, refused := w.syncRefused()
	if !strings.Contains(out, "radicale:") || !strings.Contains(out, "xandikos:") {
		t.Fatalf("sync output:\n%s", out)
	}
	if refused > 8 {
		t.Errorf("Radicale refused %d contacts:\n%s", refused, out)
	}
	got := w.assertSame("after the first sync", refused)
	total := 0
	for _, c := range got {
		total += c
	}
	if total != n {
		t.Errorf("files holds %d contacts, want %d", total, n)
	}
	if t.Failed() {
		t.FailNow()
	}

	// A second sync finds nothing to do anywhere (but tries the refused
	// contacts again).
	out, again := w.syncRefused()
	for _, acct := range []string{"files", "xandikos"} {
		if !strings.Contains(out, acct+": up to date") {
			t.Errorf("second sync is not quiet for %s:\n%s", acct, out)
		}
	}
	if again != refused || strings.Contains(out, "updated") && !strings.Contains(out, "0 updated") {
		t.Errorf("second sync:\n%s", out)
	}

	// Edits and deletions on every side.
	ctx := context.Background()
	w.write("files", "edit-me.vcf", vcard("Edit Me", "NOTE:edited in files"))
	if err := removeFile(filepath.Join(w.folders["files"], "delete-in-files.vcf")); err != nil {
		t.Fatal(err)
	}
	_, radHrefs := w.davCards("radicale")
	if err := w.servers["radicale"].Delete(ctx, radHrefs["Delete In Radicale"]); err != nil {
		t.Fatal(err)
	}
	_, xanHrefs := w.davCards("xandikos")
	if err := w.servers["xandikos"].Edit(ctx, xanHrefs["Edit In Xandikos"], func(c *mapping.Card) {
		c.Add(mapping.Property{Name: "TITLE", Value: "Edited on Xandikos"})
	}); err != nil {
		t.Fatal(err)
	}
	w.syncRefused()
	w.assertSame("after edits and deletions on every side", refused)
	// The corpus has several cards with the same (or no) FN: look up only
	// the test's own contacts.
	cards := map[string]*mapping.Card{}
	for _, name := range readDir(t, w.folders["files"]) {
		if c := parseFile(t, filepath.Join(w.folders["files"], name)); c != nil && strings.Contains(c.Value("FN"), " In ") || c != nil && c.Value("FN") == "Edit Me" {
			cards[c.Value("FN")] = c
		}
	}
	if cards["Edit Me"] == nil || cards["Edit Me"].Value("NOTE") != "edited in files" {
		t.Errorf("the edit in files is lost: %v", cards["Edit Me"])
	}
	if cards["Edit In Xandikos"] == nil || cards["Edit In Xandikos"].Value("TITLE") != "Edited on Xandikos" {
		t.Errorf("the edit on Xandikos is lost: %v", cards["Edit In Xandikos"])
	}
	for _, gone := range []string{"Delete In Radicale", "Delete In Files"} {
		if cards[gone] != nil {
			t.Errorf("%q was deleted but is back", gone)
		}
	}
	out, _ = w.syncRefused()
	if strings.Count(out, "up to date") != 2 || strings.Contains(out, "created, 1") {
		t.Errorf("the sync after convergence is not quiet:\n%s", out)
	}
	listed := w.mustCLI("contacts", "list")
	if lines := strings.Count(strings.TrimSpace(listed), "\n"); lines < n-2 {
		t.Errorf("contacts list shows %d lines for %d contacts", lines, n-2)
	}
}

func TestCardDAVAccountChecks(t *testing.T) {
	for _, tc := range []struct {
		a    AccountConfig
		want string
	}{
		{AccountConfig{carddavSettings: carddavSettings{URL: "https://dav.example.com/", Username: "a", Password: "x"}}, "must not be written in the config"},
		{AccountConfig{}, "needs url"},
		{AccountConfig{carddavSettings: carddavSettings{URL: "ftp://dav.example.com/"}}, "http:// or https://"},
		{AccountConfig{carddavSettings: carddavSettings{URL: "https://bob:pw@dav.example.com/"}}, "must not hold a user name"},
		{AccountConfig{carddavSettings: carddavSettings{URL: "https://dav.example.com/", PasswordFile: "p"}}, "needs a username"},
		{AccountConfig{carddavSettings: carddavSettings{URL: "https://dav.example.com/", Username: "a", PasswordFile: "p", TokenFile: "t"}}, "one of password_file"},
		{AccountConfig{carddavSettings: carddavSettings{URL: "https://dav.example.com/", Timeout: "soon"}}, "timeout"},
		{AccountConfig{Path: "x", carddavSettings: carddavSettings{URL: "https://dav.example.com/"}}, "belong to type vdir"},
	} {
		err := checkCardDAV(tc.a)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err = %v, want %q", tc.a, err, tc.want)
		}
	}
	if err := checkVdir(AccountConfig{Path: "x", carddavSettings: carddavSettings{URL: "https://dav.example.com/"}}); err == nil {
		t.Error("a vdir account with url was accepted")
	}

	dir := t.TempDir()
	secret := filepath.Join(dir, "pass")
	if err := os.WriteFile(secret, []byte("s3cret\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readSecretFile(secret, "password_file"); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("a world-readable password file: err = %v", err)
	}
	if err := os.Chmod(secret, 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := readSecretFile(secret, "password_file"); err != nil || got != "s3cret" {
		t.Errorf("readSecretFile = %q, %v", got, err)
	}
}

func TestDiscoverAndExport(t *testing.T) {
	if testing.Short() {
		t.Skip("against a real server: not in -short")
	}
	w := newDavWorld(t)
	w.write("files", "ann.vcf", vcard("Ann Archer", "UID:ann-1"))
	w.write("files", "bob.vcf", vcard("Bob Baker", "UID:bob-1"))
	w.mustCLI("sync", "--account", "files")

	out := w.mustCLI("accounts", "discover", "radicale")
	if !strings.Contains(out, "* ") || !strings.Contains(out, w.books["radicale"]) {
		t.Errorf("discover does not mark the configured address book:\n%s", out)
	}
	if _, errOut, code := w.cli("accounts", "discover", "files"); code != exitCannot || !strings.Contains(errOut, "carddav accounts") {
		t.Errorf("discover on a vdir account: exit %d\n%s", code, errOut)
	}

	rad := w.servers["radicale"]
	pass := filepath.Join(w.dir, "radicale.pass")
	export := func() string {
		return w.mustCLI("export", "--to", rad.URL, "--username", rad.Username, "--password-file", pass,
			"--addressbook", "exported", "--create")
	}
	if out := export(); !strings.Contains(out, "2 created, 0 updated, 0 unchanged") {
		t.Errorf("first export:\n%s", out)
	}
	w.write("files", "ann.vcf", vcard("Ann Archer", "UID:ann-1", "TITLE:Pilot"))
	w.mustCLI("sync", "--account", "files")
	if out := export(); !strings.Contains(out, "0 created, 1 updated, 1 unchanged") {
		t.Errorf("export after an edit:\n%s", out)
	}
	w.books["exported"] = rad.Home + "exported/"
	w.servers["exported"] = rad
	got, hrefs := w.davCards("exported")
	n := 0
	for _, c := range got {
		n += c
	}
	if n != 2 || hrefs["Ann Archer"] == "" {
		t.Errorf("the exported address book holds %d contacts (%v)", n, hrefs)
	}

	if _, errOut, code := w.cli("export", "--to", rad.URL, "--username", rad.Username, "--password-file", pass,
		"--addressbook", "missing"); code != exitCannot || !strings.Contains(errOut, "missing") {
		t.Errorf("export to a missing address book without --create: exit %d\n%s", code, errOut)
	}

	// A dry run plans against a missing address book that create: true
	// would make, and makes nothing.
	cfg, err := os.ReadFile(w.cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg = []byte(strings.Replace(string(cfg), "addressbook: "+w.books["radicale"], "addressbook: planned\n    create: true", 1))
	if err := os.WriteFile(w.cfg, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	out = w.mustCLI("sync", "--account", "radicale", "--dry-run")
	if !strings.Contains(out, "2 would be created") {
		t.Errorf("dry run against a missing address book:\n%s", out)
	}
	if res, err := rad.Do(context.Background(), "PROPFIND", rad.Home+"planned/", map[string]string{"Depth": "0"}, nil); err != nil || res.Status != 404 {
		t.Errorf("the dry run made the address book: %v %v", res, err)
	}
}
