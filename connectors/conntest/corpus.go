package conntest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/contactbridge/contactbridge/mapping"
)

// corpusDir returns the folder of the corpus: Harness.Corpus, or
// testdata/vcards of the module holding the working directory.
func (s *suite) corpusDir(t *testing.T) string {
	if s.h.Corpus != "" {
		return s.h.Corpus
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "testdata", "vcards")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory; set Harness.Corpus")
		}
		dir = parent
	}
}

// corpus: every card of the corpus that mapping reads survives Create and
// Fetch, equal by canonical hash to what the remote can store of it.
func (s *suite) corpus(t *testing.T) {
	dir := s.corpusDir(t)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("corpus: %v", err)
	}
	c := s.instance(t).Connector
	tested := 0
	for _, e := range entries {
		if e.IsDir() || !strings.EqualFold(filepath.Ext(e.Name()), ".vcf") {
			continue
		}
		t.Run(e.Name(), func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			cards, errs := mapping.ParseAll(e.Name(), data)
			if len(cards) == 0 {
				t.Skipf("mapping reads no card of it: %v", errors.Join(errs...))
			}
			for i, card := range cards {
				what := fmt.Sprintf("card %d", i+1)
				created := create(t, c, key(fmt.Sprintf("corpus/%s/%d", e.Name(), i)), card)
				if created.Card != nil {
					s.checkContent(t, c, what+": Create result", card, created.Card)
				}
				got := fetchOne(t, c, created.ID)
				s.checkContent(t, c, what+": Fetch", card, got.Card)
				tested++
			}
		})
	}
	if tested == 0 && !t.Failed() {
		t.Errorf("corpus %s: no card tested", dir)
	}
}

// largePhoto: a contact with a 1 MB photo goes through, in both directions.
func (s *suite) largePhoto(t *testing.T) {
	c := s.instance(t).Connector
	card := withPhoto(person(60), 1<<20, 1)
	created := create(t, c, key("photo"), card)
	got := fetchOne(t, c, created.ID)
	s.checkContent(t, c, "Fetch of a 1 MB photo", card, got.Card)

	// Replace it with another photo of the same size.
	card2 := withPhoto(person(60), 1<<20, 2)
	updated, err := c.Update(t.Context(), created.ID, got.ETag, card2)
	if err != nil {
		t.Fatalf("Update with a 1 MB photo: %v", err)
	}
	got2 := fetchOne(t, c, updated.ID)
	s.checkContent(t, c, "Fetch after Update with a 1 MB photo", card2, got2.Card)
	if l := s.list(t, c, ""); len(l.items) != 1 {
		t.Errorf("listing holds %d items, want 1", len(l.items))
	}
}
