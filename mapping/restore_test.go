package mapping

import (
	"strings"
	"testing"
)

func card(t *testing.T, lines ...string) *Card {
	t.Helper()
	c, err := Parse([]byte("BEGIN:VCARD\r\nVERSION:4.0\r\n" + strings.Join(lines, "\r\n") + "\r\nEND:VCARD\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRestore(t *testing.T) {
	orig := []string{"FN:Ann", "TEL;TYPE=voice,cell;PREF=1:+1 555 0100", "TEL;TYPE=home:+1 555 0101",
		"item1.ADR;PREF=1;TYPE=work:;;1 Main St;Town;;1;US", "PHOTO:https://example.org/ann.gif", "NOTE:old"}
	// What the remote keeps of orig: no PREF, no voice, no group, no photo URL.
	norm := []string{"FN:Ann", "TEL;TYPE=cell:+1 555 0100", "TEL;TYPE=home:+1 555 0101",
		"ADR;TYPE=work:;;1 Main St;Town;;1;US", "NOTE:old"}
	for _, tc := range []struct {
		name         string
		theirs, want []string
	}{
		{"nothing changed there", norm, orig},
		{"the note edited there",
			[]string{"FN:Ann", "TEL;TYPE=cell:+1 555 0100", "TEL;TYPE=home:+1 555 0101", "ADR;TYPE=work:;;1 Main St;Town;;1;US", "NOTE:new"},
			[]string{"FN:Ann", "TEL;TYPE=voice,cell;PREF=1:+1 555 0100", "TEL;TYPE=home:+1 555 0101",
				"item1.ADR;PREF=1;TYPE=work:;;1 Main St;Town;;1;US", "PHOTO:https://example.org/ann.gif", "NOTE:new"}},
		{"a number changed there: the new one as the remote has it, no trace of the old",
			[]string{"FN:Ann", "TEL;TYPE=cell:+1 555 0199", "TEL;TYPE=home:+1 555 0101", "ADR;TYPE=work:;;1 Main St;Town;;1;US", "NOTE:old"},
			[]string{"FN:Ann", "TEL;TYPE=cell:+1 555 0199", "TEL;TYPE=home:+1 555 0101",
				"item1.ADR;PREF=1;TYPE=work:;;1 Main St;Town;;1;US", "PHOTO:https://example.org/ann.gif", "NOTE:old"}},
		{"a number deleted there: the count differs, the remote's numbers stand",
			[]string{"FN:Ann", "TEL;TYPE=home:+1 555 0101", "ADR;TYPE=work:;;1 Main St;Town;;1;US", "NOTE:old"},
			[]string{"FN:Ann", "TEL;TYPE=home:+1 555 0101",
				"item1.ADR;PREF=1;TYPE=work:;;1 Main St;Town;;1;US", "PHOTO:https://example.org/ann.gif", "NOTE:old"}},
		{"a photo set there replaces the one it could not keep",
			append(append([]string{}, norm...), "PHOTO:data:image/png;base64,iVBORw0KGgo="),
			[]string{"FN:Ann", "TEL;TYPE=voice,cell;PREF=1:+1 555 0100", "TEL;TYPE=home:+1 555 0101",
				"item1.ADR;PREF=1;TYPE=work:;;1 Main St;Town;;1;US", "NOTE:old", "PHOTO:data:image/png;base64,iVBORw0KGgo="}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			theirs := card(t, tc.theirs...)
			got := Restore(theirs, card(t, norm...), card(t, orig...))
			if want := card(t, tc.want...); got.Hash() != want.Hash() {
				g, _ := got.Marshal(Version40)
				w, _ := want.Marshal(Version40)
				t.Errorf("got\n%s\nwant\n%s", g, w)
			}
			if theirs.Hash() != card(t, tc.theirs...).Hash() {
				t.Error("Restore modified theirs")
			}
		})
	}
}

// One number on a card several times with different types, which a remote
// sorts into its slots in another order, dropping the fax: each copy it
// kept is paired with the identical one of orig, not with the first of the
// same value (which would bring the fax back in place of the mobile).
func TestRestoreOneValueSeveralTypes(t *testing.T) {
	orig := card(t, "FN:Ann", "TEL;TYPE=voice,work:+1 555 0100", "TEL;TYPE=fax,work:+1 555 0100",
		"TEL;TYPE=home:+1 555 0100", "TEL;TYPE=cell:+1 555 0100")
	norm := card(t, "FN:Ann", "TEL;TYPE=cell:+1 555 0100", "TEL;TYPE=work:+1 555 0100", "TEL;TYPE=home:+1 555 0100")
	theirs := card(t, "FN:Ann", "TEL;TYPE=cell:+1 555 0100", "TEL;TYPE=work:+1 555 0100", "TEL;TYPE=home:+1 555 0100", "NOTE:new")
	got := Restore(theirs, norm, orig)
	want := card(t, "FN:Ann", "TEL;TYPE=voice,work:+1 555 0100", "TEL;TYPE=home:+1 555 0100", "TEL;TYPE=cell:+1 555 0100", "NOTE:new")
	if got.Hash() != want.Hash() {
		g, _ := got.Marshal(Version40)
		w, _ := want.Marshal(Version40)
		t.Errorf("got\n%s\nwant\n%s", g, w)
	}
}
