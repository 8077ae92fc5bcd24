package bridge

import (
	"context"
	"errors"
	"testing"

	"github.com/contactbridge/contactbridge/connectors"
	"github.com/contactbridge/contactbridge/connectors/memory"
	"github.com/contactbridge/contactbridge/mapping"
)

func TestExport(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	src := memory.New(memory.Config{})
	for _, n := range []string{"Ann Lee", "Bob Ray", "Cat Poe"} {
		src.Put("", person(t, n, "EMAIL:"+n[:3]+"@example.org"))
	}
	w.sync("src", src, Options{})

	dst := memory.New(memory.Config{Stubs: true})
	dst.Put("", person(t, "Dan Other")) // made elsewhere: never touched
	rep, err := Export(ctx, w.hub, dst, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Created != 3 || rep.Updated != 0 || rep.Unchanged != 0 || len(rep.Failed) != 0 {
		t.Fatalf("first export: %+v", rep)
	}
	if got := names(remoteCards(t, dst)); len(got) != 4 {
		t.Fatalf("remote after the first export: %v", got)
	}

	// Again: nothing to write, nothing duplicated.
	before := dst.Counts()
	rep, err = Export(ctx, w.hub, dst, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Created != 0 || rep.Updated != 0 || rep.Unchanged != 3 {
		t.Errorf("second export: %+v", rep)
	}
	if after := dst.Counts(); after.Creates != before.Creates || after.Updates != before.Updates {
		t.Errorf("second export wrote: %+v → %+v", before, after)
	}

	// An edit in the hub is updated in place; a contact deleted from the hub
	// stays on the remote and is counted; the other tool's contact is left.
	if _, err := src.Edit(idOf(t, src, "Ann Lee"), func(c *mapping.Card) { c.Add(mapping.Property{Name: "TITLE", Value: "Pilot"}) }); err != nil {
		t.Fatal(err)
	}
	if err := src.Remove(idOf(t, src, "Bob Ray")); err != nil {
		t.Fatal(err)
	}
	w.sync("src", src, Options{AllowMassDelete: true})
	rep, err = Export(ctx, w.hub, dst, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Created != 0 || rep.Updated != 1 || rep.Unchanged != 1 || rep.NotInHub != 1 {
		t.Errorf("export after an edit and a deletion: %+v", rep)
	}
	cards := remoteCards(t, dst)
	if cards["Ann Lee"].Value("TITLE") != "Pilot" || cards["Bob Ray"] == nil || cards["Dan Other"] == nil || len(cards) != 4 {
		t.Errorf("remote after the third export: %v, Ann's title %q", names(cards), cards["Ann Lee"].Value("TITLE"))
	}

	// A contact removed from the remote is made again.
	if err := dst.Remove(idOf(t, dst, "Cat Poe")); err != nil {
		t.Fatal(err)
	}
	rep, err = Export(ctx, w.hub, dst, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Created != 1 || rep.Unchanged != 1 {
		t.Errorf("export after a remote deletion: %+v", rep)
	}

	// A write that fails is reported by record id; the others go on and the
	// next export finishes the job.
	fresh := memory.New(memory.Config{})
	fresh.FailNth(1, connectors.Transient(errors.New("503 from the server")), false)
	rep, err = Export(ctx, w.hub, fresh, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Created != 1 || len(rep.Failed) != 1 || !rep.Failed[0].Transient || rep.Failed[0].Record == "" {
		t.Errorf("export with one failing write: %+v", rep)
	}
	rep, err = Export(ctx, w.hub, fresh, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Created != 1 || rep.Unchanged != 1 || len(rep.Failed) != 0 || fresh.Len() != 2 {
		t.Errorf("export after the failure: %+v, %d items", rep, fresh.Len())
	}
}
