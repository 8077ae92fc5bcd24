package mapping

import (
	"os"
	"path/filepath"
	"testing"
)

// addCorpusSeeds seeds f with every corpus file.
func addCorpusSeeds(f *testing.F) {
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.vcf"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no corpus files: %v", err)
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

// FuzzParse checks the parser's invariants on any input: no panic; every
// card it returns serialises to 4.0 and 3.0 text that parses back to one
// card with the same hash; and the 4.0 text is a fixed point.
func FuzzParse(f *testing.F) {
	addCorpusSeeds(f)
	f.Add([]byte("BEGIN:VCARD\r\nVERSION:4.0\r\nN:O\\;Brien;Pat;;;\r\nEND:VCARD\r\n"))
	f.Add([]byte("BEGIN:VCARD\nVERSION:2.1\nN;ENCODING=QUOTED-PRINTABLE:a=\n=3D;b\nEND:VCARD\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cards, errs := ParseAll("fuzz.vcf", data)
		for _, err := range errs {
			if _, ok := err.(*ParseError); !ok {
				t.Fatalf("error of type %T", err)
			}
		}
		for _, c := range cards {
			h := c.Hash()
			out4, err := c.Marshal(Version40)
			if err != nil {
				t.Fatalf("marshal 4.0: %v", err)
			}
			back, err := Parse(out4)
			if err != nil {
				t.Fatalf("reparse 4.0: %v\n%q", err, out4)
			}
			if back.Hash() != h {
				t.Fatalf("4.0 round trip changed the hash\n%q", out4)
			}
			again, err := back.Marshal(Version40)
			if err != nil || string(again) != string(out4) {
				t.Fatalf("4.0 output is not a fixed point\n%q\n%q", out4, again)
			}
			out3, err := c.Marshal(Version30)
			if err != nil {
				t.Fatalf("marshal 3.0: %v", err)
			}
			back3, err := Parse(out3)
			if err != nil {
				t.Fatalf("reparse 3.0: %v\n%q", err, out3)
			}
			if back3.Hash() != h {
				t.Fatalf("3.0 round trip changed the hash\n%q\n%q", out4, out3)
			}
		}
	})
}

// FuzzCanonicalValue checks that canonical escaping is idempotent for every
// kind, and that EscapeText and UnescapeText are inverses.
func FuzzCanonicalValue(f *testing.F) {
	for _, s := range []string{`a\,b;c`, `\\;\n\N\:\x`, "a\r\nb", `trailing\`, "ü,;"} {
		for k := range 6 {
			f.Add(s, uint8(k))
		}
	}
	f.Fuzz(func(t *testing.T, s string, k uint8) {
		kind := valueKind(k % 6)
		once := canonicalValue(s, kind)
		if twice := canonicalValue(once, kind); twice != once {
			t.Fatalf("kind %d: not idempotent: %q → %q → %q", kind, s, once, twice)
		}
		if got := UnescapeText(EscapeText(s)); got != normalizeNewlines(s) {
			t.Fatalf("UnescapeText(EscapeText(%q)) = %q", s, got)
		}
	})
}

// normalizeNewlines maps CRLF and CR to LF, as escaping does.
func normalizeNewlines(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '\r' {
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
			out = append(out, '\n')
			continue
		}
		out = append(out, s[i])
	}
	return string(out)
}
