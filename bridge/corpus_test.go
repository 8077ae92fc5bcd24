package bridge

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/contactbridge/contactbridge/connectors"
	"github.com/contactbridge/contactbridge/connectors/vdir"
	"github.com/contactbridge/contactbridge/mapping"
)

// TestCorpusThroughHub sends every card of the corpus from one vCard folder
// through the hub to another and checks each arrives equal by canonical
// hash, in both the 4.0 and the 3.0 folder.
func TestCorpusThroughHub(t *testing.T) {
	files, err := filepath.Glob("../testdata/vcards/*.vcf")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	src := t.TempDir()
	var want []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		cards, _ := mapping.ParseAll(filepath.Base(f), data) // malformed cards are the parser's tests
		for i, c := range cards {
			// One card per file, as a vdir holds them, written as the
			// application wrote it would be: through our own encoder.
			b, err := c.Marshal(mapping.Version40)
			if err != nil {
				t.Fatalf("%s card %d: %v", f, i, err)
			}
			name := fmt.Sprintf("%s-%d.vcf", strings.TrimSuffix(filepath.Base(f), ".vcf"), i)
			if err := os.WriteFile(filepath.Join(src, name), b, 0o600); err != nil {
				t.Fatal(err)
			}
			want = append(want, hashString(c))
		}
	}
	slices.Sort(want)
	if len(want) < 150 {
		t.Fatalf("only %d corpus cards parsed", len(want))
	}
	w := newWorld(t)
	a, err := vdir.New(vdir.Config{Path: src})
	if err != nil {
		t.Fatal(err)
	}
	rep := w.sync("source", a, Options{})
	if rep.ToHub.Created == 0 {
		t.Fatalf("nothing reached the hub: %+v", rep)
	}
	for _, version := range []mapping.Version{mapping.Version40, mapping.Version30} {
		t.Run(string(version), func(t *testing.T) {
			dst := t.TempDir()
			b, err := vdir.New(vdir.Config{Path: dst, Version: version})
			if err != nil {
				t.Fatal(err)
			}
			w.sync("dest"+string(version), b, Options{})
			got := folderHashes(t, b)
			if !slices.Equal(got, want) {
				t.Errorf("%d cards arrived, %d sent; %d differ by hash", len(got), len(want), diffCount(got, want))
			}
			// And nothing moves on the next pass in either direction.
			for _, acct := range []Account{{Name: "source", Connector: a}, {Name: "dest" + string(version), Connector: b}} {
				rep, err := w.e.Sync(context.Background(), acct, Options{})
				if err != nil || rep.ToHub.Total()+rep.ToRemote.Total() > 0 {
					t.Errorf("second pass of %s wrote %+v %+v (%v)", acct.Name, rep.ToHub, rep.ToRemote, err)
				}
			}
		})
	}
}

func folderHashes(t *testing.T, c connectors.Connector) []string {
	t.Helper()
	var ids []string
	if _, err := c.Changes(context.Background(), "", func(p connectors.Page) error {
		for _, ch := range p.Changes {
			ids = append(ids, ch.ID)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var out []string
	if err := c.Fetch(context.Background(), ids, func(it connectors.Item) error {
		if it.Err != nil {
			return it.Err
		}
		out = append(out, hashString(it.Card))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

func diffCount(a, b []string) int {
	n := 0
	for _, x := range a {
		if _, found := slices.BinarySearch(b, x); !found {
			n++
		}
	}
	return n
}
