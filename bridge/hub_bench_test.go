package bridge

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/contactbridge/contactbridge/mapping"
	"github.com/contactbridge/contactbridge/store"
	"github.com/contactbridge/contactbridge/store/sqlite"
)

// benchContacts is the size of the hub benchmarks: the target is
// 100,000 contacts encrypted and stored in ≤ 3 s, read and decrypted in ≤ 2 s.
const benchContacts = 100_000

// benchCard is a typical contact of about 1 KB.
func benchCard(i int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:urn:uuid:6f1c2a4e-0000-4000-8000-%012d\r\n", i)
	fmt.Fprintf(&b, "FN:Person Number %d\r\nN:Number;Person;%d;;\r\n", i, i)
	fmt.Fprintf(&b, "EMAIL;TYPE=work:person.%d@example.com\r\nEMAIL;TYPE=home:p%d@example.org\r\n", i, i)
	fmt.Fprintf(&b, "TEL;TYPE=cell;VALUE=uri:tel:+1-555-%07d\r\nTEL;TYPE=work;VALUE=uri:tel:+1-555-%07d\r\n", i, i+1)
	b.WriteString("ADR;TYPE=home:;;123 Main Street;Springfield;IL;62701;USA\r\n")
	b.WriteString("ORG:Example Corporation;Research and Development\r\nTITLE:Senior Engineer\r\n")
	b.WriteString("BDAY:19800101\r\nURL:https://example.com/people/person\r\nCATEGORIES:friends,work\r\n")
	b.WriteString("NOTE:" + strings.Repeat("A note long enough to make the card about one kilobyte. ", 8) + "\r\n")
	b.WriteString("END:VCARD\r\n")
	return b.String()
}

func benchRecords() []mapping.Record {
	rs := make([]mapping.Record, benchContacts)
	for i := range rs {
		rs[i] = mapping.Record{ID: fmt.Sprintf("c%011d", i), VCard: benchCard(i)}
	}
	return rs
}

// BenchmarkHubWrite100k encrypts 100,000 contacts and stores them in the
// embedded store, configured as contactbridge configures it: one op is the
// whole 100,000.
func BenchmarkHubWrite100k(b *testing.B) {
	ctx := context.Background()
	recs := benchRecords()
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		st := openStore(b, sqlite.Options{Limits: sqlite.LocalLimits()})
		h, _, err := InitHub(ctx, st, testUser, syncKey(1))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := h.Write(ctx, recs, store.Precondition{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchContacts, "ns/contact")
}

// BenchmarkHubRead100k reads and decrypts 100,000 contacts with newer=0: one
// op is the whole 100,000.
func BenchmarkHubRead100k(b *testing.B) {
	ctx := context.Background()
	st := openStore(b, sqlite.Options{Limits: sqlite.LocalLimits()})
	h, _, err := InitHub(ctx, st, testUser, syncKey(1))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := h.Write(ctx, benchRecords(), store.Precondition{}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		n := 0
		if _, err := h.Read(ctx, 0, func(r HubRecord, err error) error {
			if err != nil {
				return err
			}
			n++
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		if n != benchContacts {
			b.Fatalf("read %d contacts", n)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchContacts, "ns/contact")
}
