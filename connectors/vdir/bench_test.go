package vdir_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/contactbridge/contactbridge/connectors"
	"github.com/contactbridge/contactbridge/connectors/vdir"
)

// folder returns a folder of n contact files of about 300 bytes each,
// written directly, as another program would have.
func folder(b *testing.B, n int) string {
	b.Helper()
	dir := b.TempDir()
	for i := range n {
		card := fmt.Sprintf("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Test%d Bench\r\nN:Bench;Test%d;;;\r\n"+
			"EMAIL;TYPE=work:test%d@example.org\r\nTEL;TYPE=cell:+1-555-%07d\r\n"+
			"ADR;TYPE=home:;;%d Example Street;Springfield;;12345;USA\r\nUID:bench-%d\r\nEND:VCARD\r\n",
			i, i, i, i, i, i)
		name := filepath.Join(dir, vdir.FileName(fmt.Sprintf("bench%07d", i)))
		if err := os.WriteFile(name, []byte(card), 0o600); err != nil {
			b.Fatal(err)
		}
	}
	return dir
}

// BenchmarkChanges10000 is the listing a sync of an unchanged folder of
// 10,000 contacts costs: read the folder, stat every file, read none.
func BenchmarkChanges10000(b *testing.B) {
	c, err := vdir.New(vdir.Config{Path: folder(b, 10000)})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for b.Loop() {
		n := 0
		if _, err := c.Changes(ctx, "", func(p connectors.Page) error {
			n += len(p.Changes)
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		if n != 10000 {
			b.Fatalf("listed %d items, want 10000", n)
		}
	}
}

// BenchmarkFetch10000 is the read of a whole folder of 10,000 contacts, as
// the first sync of an account does.
func BenchmarkFetch10000(b *testing.B) {
	c, err := vdir.New(vdir.Config{Path: folder(b, 10000)})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var ids []string
	if _, err := c.Changes(ctx, "", func(p connectors.Page) error {
		for _, ch := range p.Changes {
			ids = append(ids, ch.ID)
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		n := 0
		if err := c.Fetch(ctx, ids, func(it connectors.Item) error {
			if it.Err != nil {
				return it.Err
			}
			n++
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		if n != len(ids) {
			b.Fatalf("fetched %d items, want %d", n, len(ids))
		}
	}
}
