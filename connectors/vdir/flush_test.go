package vdir

import (
	"context"
	"testing"

	"github.com/contactbridge/contactbridge/mapping"
)

func TestFlushMakesPendingWritesDurable(t *testing.T) {
	c, err := New(Config{Path: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	card, err := mapping.Parse([]byte("BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Flush Test\r\nEND:VCARD\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	it, err := c.Create(context.Background(), "kXJ5pQ0vR2aS", card)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(context.Background(), it.ID, it.ETag); err != nil {
		t.Fatal(err)
	}
	if got := len(c.pending); got != 2 {
		t.Fatalf("%d pending writes, want 2", got)
	}
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(c.pending) != 0 {
		t.Error("Flush left writes pending")
	}
	if err := c.syncEach([]string{"gone.vcf", ""}); err != nil {
		t.Errorf("syncEach of a removed file: %v", err)
	}
}
