package mapping

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// typicalCard is a contact of about 1 KB as a phone or Nextcloud writes it.
var typicalCard = strings.Join([]string{
	"BEGIN:VCARD",
	"VERSION:3.0",
	"PRODID:-//Sabre//Sabre VObject 4.5.4//EN",
	"UID:6f1c2a4e-8d3b-4c1e-9a7f-2b5d8e0c1f3a",
	"FN:Dr. Erika Mustermann",
	"N:Mustermann;Erika;Maria;Dr.;",
	"NICKNAME:Eri",
	"ORG:Wikimedia Deutschland e.V.;Kommunikation",
	"TITLE:Redaktion & Gestaltung",
	"EMAIL;TYPE=INTERNET,WORK,pref:erika.mustermann@example.org",
	"EMAIL;TYPE=INTERNET,HOME:erika@mustermann.example",
	"TEL;TYPE=CELL:+49 151 23456789",
	"TEL;TYPE=WORK,VOICE:+49 221 9999123",
	"TEL;TYPE=HOME,VOICE:+49 221 1234567",
	"ADR;TYPE=HOME:;;Heidestraße 17;Köln;;51147;Deutschland",
	"ADR;TYPE=WORK:;;Tempelhofer Ufer 23-24;Berlin;;10963;Deutschland",
	"item1.URL:https://de.wikipedia.org/wiki/Erika_Mustermann",
	"item1.X-ABLabel:_$!<HomePage>!$_",
	"BDAY:1964-08-12",
	"CATEGORIES:Arbeit,Freunde\\, alte,Köln",
	"NOTE:Trifft man meistens dienstags im Büro\\, sonst per E-Mail.\\nBitte vor",
	"  Anrufen eine Nachricht schicken.",
	"X-SOCIALPROFILE;TYPE=twitter:https://twitter.com/example",
	"REV:2024-03-01T22:11:10Z",
	"END:VCARD",
	"",
}, "\r\n")

// BenchmarkParseCanonicalise measures what the bridge does per contact:
// parse, hash the canonical form, and write canonical 4.0.
func BenchmarkParseCanonicalise(b *testing.B) {
	b.Run("typical-1KB", func(b *testing.B) {
		data := []byte(typicalCard)
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			benchOne(b, data)
		}
	})
	b.Run("corpus-mix", func(b *testing.B) {
		files, _ := filepath.Glob(filepath.Join(corpusDir, "*.vcf"))
		var inputs [][]byte
		var size int64
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				b.Fatal(err)
			}
			inputs = append(inputs, data)
			size += int64(len(data))
		}
		b.SetBytes(size)
		b.ReportAllocs()
		contacts := 0
		for b.Loop() {
			for _, data := range inputs {
				cards, _ := ParseAll("bench.vcf", data)
				for _, c := range cards {
					c.Hash()
					if _, err := c.Marshal(Version40); err != nil {
						b.Fatal(err)
					}
				}
				contacts += len(cards)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(contacts), "ns/contact")
	})
}

func benchOne(b *testing.B, data []byte) {
	c, err := Parse(data)
	if err != nil {
		b.Fatal(err)
	}
	c.Hash()
	if _, err := c.Marshal(Version40); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkParseStages splits the per-contact cost: parsing (which yields
// the canonical form), writing canonical vCard 4.0, and encrypting the
// record, each on the typical contact.
func BenchmarkParseStages(b *testing.B) {
	data := []byte(typicalCard)
	kb, err := NewKeyBundle()
	if err != nil {
		b.Fatal(err)
	}
	b.Run("parse", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Parse(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parse+canonical-4.0", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			c, err := Parse(data)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := c.Marshal(Version40); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parse+canonical-4.0+encrypt", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			c, err := Parse(data)
			if err != nil {
				b.Fatal(err)
			}
			out, err := c.Marshal(Version40)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := SealRecord(kb, Record{ID: "kXJ5pQ0vR2aS", VCard: string(out)}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
