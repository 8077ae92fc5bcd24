package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/contactbridge/contactbridge/bridge"
)

func TestConflictsAfterConflictingEdit(t *testing.T) {
	w := newWorld(t)
	w.write("a", "ann.vcf", vcard("Ann Archer", "NOTE:first"))
	w.mustCLI("sync")
	if out := w.mustCLI("conflicts"); !strings.Contains(out, "No conflicts") {
		t.Errorf("conflicts before any:\n%s", out)
	}

	// Both folders change the same single value differently before a sync.
	w.write("a", "ann.vcf", vcard("Ann Archer", "NOTE:from a"))
	bFile := w.fileOf("b", "Ann Archer")
	if err := removeFile(bFile); err != nil {
		t.Fatal(err)
	}
	w.write("b", bFile[len(w.folders["b"])+1:], vcard("Ann Archer", "NOTE:from b"))
	reps := w.syncJSON(exitOK)
	total := 0
	for _, r := range reps {
		total += r.Conflicts
	}
	if total != 1 {
		t.Errorf("%d conflicts in the reports, want 1: %+v", total, reps)
	}

	var log []bridge.ConflictEntry
	if err := json.Unmarshal([]byte(w.mustCLI("conflicts", "--json")), &log); err != nil {
		t.Fatal(err)
	}
	if len(log) != 1 {
		t.Fatalf("conflict log %+v, want one entry", log)
	}
	c := log[0]
	if c.Account != "b" || c.Property != "NOTE" || c.Kept != "hub" ||
		!strings.Contains(strings.Join(c.Hub, ""), "from a") || !strings.Contains(strings.Join(c.Remote, ""), "from b") {
		t.Errorf("entry %+v: want account b, NOTE, hub \"from a\" kept over \"from b\"", c)
	}
	out := w.mustCLI("conflicts")
	for _, want := range []string{c.ID, "account b", "record " + c.Record, "NOTE", "kept hub", "NOTE:from a", "NOTE:from b"} {
		if !strings.Contains(out, want) {
			t.Errorf("conflicts output lacks %q:\n%s", want, out)
		}
	}
	// The merge policy kept the hub's value everywhere.
	for _, acct := range []string{"a", "b"} {
		if v := w.cards(acct)["Ann Archer"].Value("NOTE"); v != "from a" {
			t.Errorf("%s has NOTE %q, want the kept value \"from a\"", acct, v)
		}
	}

	if out := w.mustCLI("conflicts", "dismiss", c.ID); !strings.Contains(out, "Dismissed") {
		t.Errorf("dismiss:\n%s", out)
	}
	if out := w.mustCLI("conflicts"); !strings.Contains(out, "No conflicts") {
		t.Errorf("after dismiss:\n%s", out)
	}
	if _, errOut, code := w.cli("conflicts", "dismiss", c.ID); code != exitPartial || !strings.Contains(errOut, c.ID) {
		t.Errorf("dismissing twice: exit %d\n%s", code, errOut)
	}
}
