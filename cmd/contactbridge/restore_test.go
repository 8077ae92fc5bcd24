package main

import (
	"os"
	"strings"
	"testing"
)

func removeFile(p string) error { return os.Remove(p) }

func TestRestoreDeletedContact(t *testing.T) {
	w := newWorld(t)
	w.write("a", "ann.vcf", vcard("Ann Archer", "NOTE:keep me"))
	w.write("a", "bob.vcf", vcard("Bob Baker"))
	w.mustCLI("sync")
	if out := w.mustCLI("restore"); !strings.Contains(out, "No deleted contacts") {
		t.Errorf("empty trash:\n%s", out)
	}

	if err := removeFile(w.fileOf("b", "Ann Archer")); err != nil {
		t.Fatal(err)
	}
	w.mustCLI("sync")
	if _, ok := w.cards("a")["Ann Archer"]; ok {
		t.Fatal("the deletion in b did not reach a")
	}

	out := w.mustCLI("restore")
	if !strings.Contains(out, "Ann Archer") || !strings.Contains(out, "1 deleted contact") {
		t.Fatalf("trash listing:\n%s", out)
	}
	id := strings.Fields(strings.Split(out, "\n")[1])[0]

	out = w.mustCLI("restore", id)
	if !strings.Contains(out, "Restored "+id) || !strings.Contains(out, "contactbridge sync") {
		t.Errorf("restore output:\n%s", out)
	}
	w.mustCLI("sync")
	for _, acct := range []string{"a", "b"} {
		c := w.cards(acct)["Ann Archer"]
		if c == nil || c.Value("NOTE") != "keep me" {
			t.Errorf("%s: Ann not back with her content after restore and sync: %v", acct, c)
		}
	}

	_, errOut, code := w.cli("restore", "-Zc9kIP6YE3Y")
	if code == 0 || !strings.Contains(errOut, "contactbridge restore -- ID") {
		t.Errorf("an id that looks like a flag: exit %d, want a hint about --\n%s", code, errOut)
	}
	_, errOut, code = w.cli("restore", "--", id)
	if code != exitPartial || !strings.Contains(errOut, "not in the trash") {
		t.Errorf("restoring after --: exit %d, want %d\n%s", code, exitPartial, errOut)
	}
	_, errOut, code = w.cli("restore", id)
	if code != exitPartial || !strings.Contains(errOut, "not in the trash") {
		t.Errorf("restoring twice: exit %d, want %d\n%s", code, exitPartial, errOut)
	}
}
