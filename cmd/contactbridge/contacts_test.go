package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestContactsListAndShow(t *testing.T) {
	w := newWorld(t)
	w.write("a", "ann.vcf", vcard("Ann Archer", "TEL:+1 555 0100"))
	w.write("a", "bob.vcf", vcard("Bob Baker"))
	w.mustCLI("sync")

	var rows []contactRow
	if err := json.Unmarshal([]byte(w.mustCLI("contacts", "list", "--json")), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Name != "Ann Archer" || rows[1].Name != "Bob Baker" {
		t.Fatalf("rows %+v, want Ann then Bob", rows)
	}
	if rows[0].Email != "ann.archer@example.com" || rows[0].Tel != "+1 555 0100" || len(rows[0].ID) != 12 {
		t.Errorf("Ann's row %+v", rows[0])
	}

	table := w.mustCLI("contacts", "list")
	for _, want := range []string{"ID", "NAME", rows[0].ID, "Ann Archer", "+1 555 0100", "2 contacts"} {
		if !strings.Contains(table, want) {
			t.Errorf("list lacks %q:\n%s", want, table)
		}
	}

	card := w.mustCLI("contacts", "show", rows[1].ID)
	if !strings.HasPrefix(card, "BEGIN:VCARD\r\n") || !strings.Contains(card, "FN:Bob Baker\r\n") {
		t.Errorf("show printed:\n%s", card)
	}
	if _, errOut, code := w.cli("contacts", "show", "nosuchrecord"); code != exitCannot || !strings.Contains(errOut, "nosuchrecord") {
		t.Errorf("show of an unknown id: exit %d\n%s", code, errOut)
	}

	t.Run("tombstones only with --all", func(t *testing.T) {
		if err := removeFile(w.fileOf("a", "Bob Baker")); err != nil {
			t.Fatal(err)
		}
		w.mustCLI("sync")
		if out := w.mustCLI("contacts", "list"); strings.Contains(out, rows[1].ID) || !strings.Contains(out, "1 contact\n") {
			t.Errorf("list shows a deleted contact:\n%s", out)
		}
		out := w.mustCLI("contacts", "list", "--all")
		if !strings.Contains(out, rows[1].ID) || !strings.Contains(out, "(deleted)") {
			t.Errorf("list --all does not show the tombstone:\n%s", out)
		}
		if _, errOut, code := w.cli("contacts", "show", rows[1].ID); code != exitCannot || !strings.Contains(errOut, "restore") {
			t.Errorf("show of a deleted contact: exit %d\n%s", code, errOut)
		}
	})
}
