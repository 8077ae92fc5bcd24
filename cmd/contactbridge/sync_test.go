package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/contactbridge/contactbridge/bridge"
)

// syncJSON runs `sync --json` with args and decodes its report.
func (w *world) syncJSON(wantCode int, args ...string) []bridge.Report {
	w.t.Helper()
	out, errOut, code := w.cli(append([]string{"sync", "--json"}, args...)...)
	if code != wantCode {
		w.t.Fatalf("sync exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, wantCode, out, errOut)
	}
	var reps []bridge.Report
	if err := json.Unmarshal([]byte(out), &reps); err != nil {
		w.t.Fatalf("sync --json is not a []bridge.Report: %v\n%s", err, out)
	}
	return reps
}

func writes(reps []bridge.Report) int {
	n := 0
	for _, r := range reps {
		n += r.ToHub.Total() + r.ToRemote.Total()
	}
	return n
}

func TestSyncTwoFoldersBothWays(t *testing.T) {
	w := newWorld(t)
	w.write("a", "ann.vcf", vcard("Ann Archer", "TEL:+1 555 0100"))
	w.write("a", "bob.vcf", vcard("Bob Baker"))
	w.write("b", "cyril.vcf", vcard("Cy Cole"))

	out := w.mustCLI("sync")
	for _, want := range []string{"a: synced", "b: synced", "to the hub:", "to b:", "a (second pass)"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	// One command brings each folder what the other had, both ways.
	for _, acct := range []string{"a", "b"} {
		if got := len(w.cards(acct)); got != 3 {
			t.Errorf("%s holds %d contacts after the first sync, want 3", acct, got)
		}
	}

	// Edit a file in b: the next sync carries it to a.
	path := w.fileOf("b", "Ann Archer")
	w.write("b", filepath.Base(path), vcard("Ann Archer", "TEL:+1 555 0199"))
	out = w.mustCLI("sync")
	if !strings.Contains(out, "to a:") || !strings.Contains(out, "1 updated") {
		t.Errorf("second sync summary:\n%s", out)
	}
	if tel := w.cards("a")["Ann Archer"].Value("TEL"); tel != "+1 555 0199" {
		t.Errorf("a has TEL %q after the edit in b, want +1 555 0199", tel)
	}

	// Converged: the next sync writes nothing.
	if reps := w.syncJSON(exitOK); writes(reps) != 0 || len(reps) != 2 {
		t.Errorf("third sync: %d reports, %d writes; want 2 reports, 0 writes: %+v", len(reps), writes(reps), reps)
	}
	if out := w.mustCLI("sync"); strings.Count(out, "up to date") != 2 {
		t.Errorf("a converged sync should say up to date twice:\n%s", out)
	}
}

// A user's file whose name happens to decode as one of the bridge's own
// file names (lower-case base32 of a key: "me.vcf", "cy.vcf", "abcd.vcf")
// is an ordinary new contact, and its "key" — here not even a valid record
// id — must not stop the run.
func TestSyncUserFileNamedLikeAKey(t *testing.T) {
	w := newWorld(t)
	w.write("a", "ann.vcf", vcard("Ann Archer"))
	w.write("b", "cy.vcf", vcard("Cy Cole"))
	w.write("b", "me.vcf", vcard("Mo Eng"))
	w.write("b", "abcd.vcf", vcard("Abe Cd"))
	w.mustCLI("sync")
	for _, acct := range []string{"a", "b"} {
		if got := len(w.cards(acct)); got != 4 {
			t.Errorf("%s holds %d contacts, want 4", acct, got)
		}
	}
}

func TestSyncJSONReport(t *testing.T) {
	w := newWorld(t)
	w.write("a", "ann.vcf", vcard("Ann Archer"))
	reps := w.syncJSON(exitOK)
	if len(reps) != 2 || reps[0].Account != "a" || reps[1].Account != "b" {
		t.Fatalf("reports %+v, want a then b", reps)
	}
	if reps[0].ToHub.Created != 1 || reps[1].ToRemote.Created != 1 {
		t.Errorf("a→hub %+v, hub→b %+v; want one create each", reps[0].ToHub, reps[1].ToRemote)
	}
	if reps[0].Run == "" || reps[0].Duration <= 0 {
		t.Errorf("report lacks run id or duration: %+v", reps[0])
	}
}

func TestSyncSelectedAccount(t *testing.T) {
	w := newWorld(t, "a", "b", "c")
	w.write("a", "ann.vcf", vcard("Ann Archer"))
	reps := w.syncJSON(exitOK, "--account", "a", "--account", "c")
	if len(reps) != 2 || reps[0].Account != "a" || reps[1].Account != "c" {
		t.Fatalf("reports %+v, want a then c", reps)
	}
	if len(w.cards("b")) != 0 || len(w.cards("c")) != 1 {
		t.Errorf("b has %d (want 0), c has %d (want 1)", len(w.cards("b")), len(w.cards("c")))
	}

	_, errOut, code := w.cli("sync", "--account", "phone")
	if code != exitCannot || !strings.Contains(errOut, `"phone"`) {
		t.Errorf("unknown account: exit %d, want %d, naming it:\n%s", code, exitCannot, errOut)
	}
}

func TestSyncDryRunWritesNothing(t *testing.T) {
	w := newWorld(t)
	w.write("a", "ann.vcf", vcard("Ann Archer"))
	w.write("b", "bob.vcf", vcard("Bob Baker"))
	before := snapshot(t, w.dir)

	out := w.mustCLI("sync", "--dry-run")
	if !strings.Contains(out, "dry run") || !strings.Contains(out, "1 would be created") {
		t.Errorf("dry-run summary:\n%s", out)
	}
	reps := w.syncJSON(exitOK, "--dry-run")
	for _, r := range reps {
		if !r.DryRun {
			t.Errorf("report of %s not marked dry_run", r.Account)
		}
	}
	if after := snapshot(t, w.dir); after != before {
		t.Errorf("a dry run changed files:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if out := w.mustCLI("contacts", "list", "--json"); strings.TrimSpace(out) != "[]" {
		t.Errorf("hub not empty after a dry run: %s", out)
	}
	// The real sync afterwards is a first sync as usual.
	w.mustCLI("sync")
	if len(w.cards("a")) != 2 || len(w.cards("b")) != 2 {
		t.Errorf("after the real sync: a %d, b %d contacts, want 2 each", len(w.cards("a")), len(w.cards("b")))
	}
}

// snapshot lists every file under dir with its size and content hash.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fmt.Fprintf(&b, "%s %d %x\n", rel, len(data), data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestSyncMalformedFileIsReportedOthersSync(t *testing.T) {
	w := newWorld(t)
	w.write("a", "ann.vcf", vcard("Ann Archer"))
	w.write("a", "broken.vcf", "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Nobody\r\n") // no END
	w.write("a", "bob.vcf", vcard("Bob Baker"))

	out, errOut, code := w.cli("sync")
	if code != exitPartial {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitPartial, out, errOut)
	}
	if !strings.Contains(out, "failed:") || !strings.Contains(out, "broken.vcf") {
		t.Errorf("summary does not name the broken file:\n%s", out)
	}
	if strings.Contains(errOut, "Nobody") || strings.Contains(out+errOut, "Ann Archer") {
		t.Errorf("contact data in the output or the logs:\n%s\n%s", out, errOut)
	}
	if got := w.cards("b"); len(got) != 2 || got["Ann Archer"] == nil || got["Bob Baker"] == nil {
		t.Errorf("b holds %d contacts, want Ann and Bob", len(got))
	}
	if _, err := os.Stat(filepath.Join(w.folders["a"], "broken.vcf")); err != nil {
		t.Errorf("the broken file was touched: %v", err)
	}
	reps := w.syncJSON(exitPartial)
	if len(reps[0].Failed) != 1 || reps[0].Failed[0].Remote != "broken.vcf" {
		t.Errorf("JSON failures of a: %+v, want broken.vcf", reps[0].Failed)
	}
}

func TestSyncMassDeletionBrake(t *testing.T) {
	w := newWorld(t)
	for i := range 30 {
		w.write("a", fmt.Sprintf("p%02d.vcf", i), vcard(fmt.Sprintf("Person %02d", i)))
	}
	w.mustCLI("sync")
	if n := len(w.cards("b")); n != 30 {
		t.Fatalf("b holds %d after the first sync, want 30", n)
	}
	for i := range 10 {
		if err := os.Remove(filepath.Join(w.folders["a"], fmt.Sprintf("p%02d.vcf", i))); err != nil {
			t.Fatal(err)
		}
	}
	out, errOut, code := w.cli("sync")
	if code != exitCannot {
		t.Fatalf("exit %d, want %d (brake)\nstdout:\n%s\nstderr:\n%s", code, exitCannot, out, errOut)
	}
	for _, want := range []string{"mass-deletion brake", "account a", "--allow-mass-delete"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("brake message lacks %q:\n%s", want, errOut)
		}
	}
	if n := len(w.cards("b")); n != 30 {
		t.Errorf("b holds %d after the brake, want 30 (nothing deleted)", n)
	}

	reps := w.syncJSON(exitOK, "--allow-mass-delete")
	if reps[0].ToHub.Deleted != 10 {
		t.Errorf("a→hub deleted %d, want 10", reps[0].ToHub.Deleted)
	}
	if n := len(w.cards("b")); n != 20 {
		t.Errorf("b holds %d after --allow-mass-delete, want 20", n)
	}
}

func TestSyncNeedsInitOrInitFlag(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	yaml := "key_file: .state/sync.key\nstore:\n  sqlite: .state/store.db\naccounts:\n" +
		"  - {name: phone, type: vdir, path: phone, create: true}\n" +
		"  - {name: laptop, type: vdir, path: laptop, create: true}\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := runSplit(t, "sync", "--config", cfg)
	if code != exitCannot || !strings.Contains(errOut, "contactbridge init") {
		t.Fatalf("sync without a key: exit %d, want %d and a hint to init:\n%s", code, exitCannot, errOut)
	}
	out, errOut, code := runSplit(t, "sync", "--init", "--config", cfg)
	if code != exitOK {
		t.Fatalf("sync --init: exit %d\n%s\n%s", code, out, errOut)
	}
	recoveryKeyOf(t, errOut)
	for _, f := range []string{".state/sync.key", ".state/store.db", "phone", "laptop"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("sync --init did not create %s: %v", f, err)
		}
	}
	// A second --init is a no-op: the key stays.
	key, _ := os.ReadFile(filepath.Join(dir, ".state/sync.key"))
	if _, errOut, code := runSplit(t, "sync", "--init", "--config", cfg); code != exitOK || strings.Contains(errOut, "recovery key") {
		t.Errorf("second sync --init: exit %d\n%s", code, errOut)
	}
	if again, _ := os.ReadFile(filepath.Join(dir, ".state/sync.key")); string(again) != string(key) {
		t.Error("sync --init replaced an existing key")
	}
}

func TestSyncMissingFolderWithoutCreate(t *testing.T) {
	w := newWorld(t)
	if err := os.Remove(w.folders["b"]); err != nil {
		t.Fatal(err)
	}
	w.write("a", "ann.vcf", vcard("Ann Archer"))
	_, errOut, code := w.cli("sync")
	if code != exitCannot || !strings.Contains(errOut, "account b") || !strings.Contains(errOut, "create: true") {
		t.Errorf("exit %d, want %d naming account b and create: true:\n%s", code, exitCannot, errOut)
	}
	// Nothing ran: a's contact is not in the hub.
	if out := w.mustCLI("contacts", "list", "--json"); strings.TrimSpace(out) != "[]" {
		t.Errorf("an account synced although the config was broken: %s", out)
	}
}
