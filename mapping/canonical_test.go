package mapping

import (
	"encoding/hex"
	"testing"
)

// TestHashIgnoresCosmetics lists pairs of inputs that must hash alike.
func TestHashIgnoresCosmetics(t *testing.T) {
	base := vcf("4.0", "FN:Pat O'Brien", `N:O'Brien;Pat;;;`, "EMAIL;TYPE=work:pat@example.com", "TEL;TYPE=cell:+1 555 0100")
	tests := []struct {
		name string
		a, b string
	}{
		{"REV and PRODID", base, vcf("4.0", "REV:20240101T000000Z", "PRODID:-//X//Y", "FN:Pat O'Brien", `N:O'Brien;Pat;;;`, "EMAIL;TYPE=work:pat@example.com", "TEL;TYPE=cell:+1 555 0100")},
		{"property order", base, vcf("4.0", "TEL;TYPE=cell:+1 555 0100", "EMAIL;TYPE=work:pat@example.com", `N:O'Brien;Pat;;;`, "FN:Pat O'Brien")},
		{"parameter order and case", vcf("4.0", "TEL;TYPE=cell,voice;PREF=1:1"), vcf("4.0", "tel;pref=1;type=VOICE;Type=Cell:1")},
		{"LF and folding", base, "BEGIN:VCARD\nVERSION:4.0\nFN:Pat O'\n Brien\nN:O'Brien;Pat;;;\nEMAIL;TYPE=work:pat@exa\n mple.com\nTEL;TYPE=cell:+1 555 0100\nEND:VCARD\n"},
		{"version 3.0 vs 4.0", base, vcf("3.0", "FN:Pat O'Brien", `N:O'Brien;Pat;;;`, "EMAIL;TYPE=INTERNET,WORK:pat@example.com", "TEL;TYPE=CELL:+1 555 0100")},
		{"version 2.1 vs 4.0", base, vcf("2.1", "FN:Pat O'Brien", `N:O'Brien;Pat`, "EMAIL;INTERNET;WORK:pat@example.com", "TEL;CELL:+1 555 0100")},
		{"2.1 quoted-printable", vcf("4.0", "NOTE:Grüße\\nzurück"), vcf("2.1", "NOTE;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Gr=C3=BC=C3=9Fe=0D=0Azur=", "=C3=BCck")},
		{"pref spelling", vcf("4.0", "EMAIL;PREF=1:a@b"), vcf("3.0", "EMAIL;TYPE=pref:a@b")},
		{"photo 3.0 vs data uri", vcf("4.0", "PHOTO:data:image/jpeg;base64,/9j/AA=="), vcf("3.0", "PHOTO;ENCODING=b;TYPE=JPEG:/9j/", " AA==")},
		{"needless escapes", vcf("4.0", "FN:a:b;c", "URL:http://x/a,b"), vcf("3.0", `FN:a\:b\;c`, `URL:http\://x/a\,b`)},
		{"categories order", vcf("4.0", "CATEGORIES:b,a"), vcf("4.0", "CATEGORIES:a,b")},
		{"group labels renumbered", vcf("3.0", "item1.EMAIL:a@b", "item1.X-ABLabel:home", "item2.EMAIL:c@d", "item2.X-ABLabel:work"),
			vcf("3.0", "item7.EMAIL:c@d", "ITEM7.X-ABLabel:work", "item2.EMAIL:a@b", "item2.X-ABLabel:home")},
		{"quoted vs unquoted param", vcf("4.0", `X-A;X-P="v":1`), vcf("4.0", `X-A;X-P=v:1`)},
		{"VALUE default", vcf("3.0", "BDAY;VALUE=date:2000-01-01"), vcf("4.0", "BDAY:2000-01-01")},
		{"geo spelling", vcf("3.0", "GEO:1.5;2.5"), vcf("4.0", "GEO:geo:1.5,2.5")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := mustParse(t, tt.a), mustParse(t, tt.b)
			if a.Hash() != b.Hash() {
				t.Errorf("hashes differ\n%s\n---\n%s", body(t, a), body(t, b))
			}
			if d := Diff(a, b); len(d) != 0 {
				t.Errorf("Diff reports %d changes for equal cards: %+v", len(d), d)
			}
		})
	}
}

// TestHashSeesContent lists pairs that differ in content and must not hash
// alike.
func TestHashSeesContent(t *testing.T) {
	base := vcf("4.0", "FN:Pat", "EMAIL;TYPE=work:pat@example.com", "item1.TEL:1", "item1.X-ABLABEL:mobile", "item2.TEL:2")
	tests := []struct {
		name string
		b    string
	}{
		{"value changed", vcf("4.0", "FN:Pat B", "EMAIL;TYPE=work:pat@example.com", "item1.TEL:1", "item1.X-ABLABEL:mobile", "item2.TEL:2")},
		{"value case changed", vcf("4.0", "FN:pat", "EMAIL;TYPE=work:pat@example.com", "item1.TEL:1", "item1.X-ABLABEL:mobile", "item2.TEL:2")},
		{"type changed", vcf("4.0", "FN:Pat", "EMAIL;TYPE=home:pat@example.com", "item1.TEL:1", "item1.X-ABLABEL:mobile", "item2.TEL:2")},
		{"property added", vcf("4.0", "FN:Pat", "EMAIL;TYPE=work:pat@example.com", "EMAIL:x@y", "item1.TEL:1", "item1.X-ABLABEL:mobile", "item2.TEL:2")},
		{"property removed", vcf("4.0", "FN:Pat", "item1.TEL:1", "item1.X-ABLABEL:mobile", "item2.TEL:2")},
		{"label moved to other group", vcf("4.0", "FN:Pat", "EMAIL;TYPE=work:pat@example.com", "item1.TEL:1", "item2.X-ABLABEL:mobile", "item2.TEL:2")},
		{"group dissolved", vcf("4.0", "FN:Pat", "EMAIL;TYPE=work:pat@example.com", "TEL:1", "X-ABLABEL:mobile", "item2.TEL:2")},
		{"parameter added", vcf("4.0", "FN;LANGUAGE=en:Pat", "EMAIL;TYPE=work:pat@example.com", "item1.TEL:1", "item1.X-ABLABEL:mobile", "item2.TEL:2")},
		{"duplicate added", vcf("4.0", "FN:Pat", "EMAIL;TYPE=work:pat@example.com", "EMAIL;TYPE=work:pat@example.com", "item1.TEL:1", "item1.X-ABLABEL:mobile", "item2.TEL:2")},
		{"escaped vs separator", vcf("4.0", "FN:Pat", "EMAIL;TYPE=work:pat@example.com", "item1.TEL:1", "item1.X-ABLABEL:mobile", "item2.TEL:2", `CATEGORIES:a\,b`)},
	}
	a := mustParse(t, base)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := mustParse(t, tt.b)
			if a.Hash() == b.Hash() {
				t.Error("hashes equal for different content")
			}
			if len(Diff(a, b)) == 0 {
				t.Error("Diff reports no change")
			}
		})
	}
	t.Run("categories escaped comma vs two items", func(t *testing.T) {
		one, two := mustParse(t, vcf("4.0", `CATEGORIES:a\,b`)), mustParse(t, vcf("4.0", `CATEGORIES:a,b`))
		if one.Hash() == two.Hash() {
			t.Error(`"a\,b" and "a,b" hash alike`)
		}
	})
}

// TestHashStable pins the hash of a small card, so that a change of the
// canonical form (which would make every stored hash stale) is deliberate.
func TestHashStable(t *testing.T) {
	c := mustParse(t, vcf("3.0", "FN:Pat", "EMAIL;TYPE=INTERNET,WORK:pat@example.com", "item1.TEL:1", "item1.X-ABLabel:mobile"))
	const want = "e68aa8eeaee41aef"
	got := c.Hash()
	if s := hex.EncodeToString(got[:8]); s != want {
		t.Errorf("hash prefix %s, want %s (if the canonical form changed on purpose, update this and bump hashDomain)", s, want)
	}
}
