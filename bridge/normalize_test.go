package bridge

import (
	"context"
	"slices"
	"testing"

	"github.com/contactbridge/contactbridge/connectors"
	"github.com/contactbridge/contactbridge/connectors/memory"
	"github.com/contactbridge/contactbridge/mapping"
)

// slotted is a remote in Outlook's manner: one ORG, phone numbers sorted
// into slots by type (mobile first, then work, then home), fax numbers and
// the voice type dropped. It keeps what Normalize makes of a card.
type slotted struct{ *memory.Connector }

func (s slotted) Normalize(card *mapping.Card) *mapping.Card {
	out := card.Clone()
	out.Props = out.Props[:0]
	var tels []mapping.Property
	for _, p := range card.Props {
		if p.Name != "TEL" {
			out.Props = append(out.Props, p)
			continue
		}
		slot := "work"
		switch {
		case p.HasType("fax"):
			continue
		case p.HasType("cell"):
			slot = "cell"
		case p.HasType("home"):
			slot = "home"
		}
		tel := mapping.Property{Name: "TEL", Value: p.Value}
		tel.SetParam("TYPE", slot)
		tels = append(tels, tel)
	}
	rank := map[string]int{"cell": 0, "work": 1, "home": 2}
	slices.SortStableFunc(tels, func(a, b mapping.Property) int { return rank[a.Types()[0]] - rank[b.Types()[0]] })
	out.Props = append(out.Props, tels...)
	return out
}

func (s slotted) Create(ctx context.Context, key string, card *mapping.Card) (connectors.Item, error) {
	return s.Connector.Create(ctx, key, s.Normalize(card))
}

func (s slotted) Update(ctx context.Context, id, etag string, card *mapping.Card) (connectors.Item, error) {
	return s.Connector.Update(ctx, id, etag, s.Normalize(card))
}

// An edit on a remote that sorts and drops values keeps every value of the
// hub's card, also when one value is there twice: two equal ORGs of which
// the remote keeps one, one number as fax and as voice (the fax dropped),
// one number as work, home and mobile.
func TestNormalizingRemoteKeepsRepeatedValues(t *testing.T) {
	w := newWorld(t)
	full := memory.New(memory.Config{})
	remote := slotted{memory.New(memory.Config{Capabilities: connectors.Capabilities{
		Properties: map[string]int{"FN": 1, "UID": 1, "ORG": 1, "TEL": 5, "NOTE": 1}}})}
	lines := []string{"ORG:Acme", "ORG:Acme", "TEL;TYPE=fax:+49 30 1", "TEL;TYPE=voice:+49 30 1",
		"TEL;TYPE=voice,work:+1 555 0100", "TEL;TYPE=fax,work:+1 555 0100", "TEL;TYPE=home:+1 555 0100", "TEL;TYPE=cell:+1 555 0100"}
	full.Put("", person(t, "Ida Ito", lines...))
	w.sync("full", full, Options{})
	w.sync("slotted", remote, Options{})
	if _, err := remote.Edit(idOf(t, remote.Connector, "Ida Ito"), func(c *mapping.Card) { c.Add(mapping.Property{Name: "NOTE", Value: "met in Berlin"}) }); err != nil {
		t.Fatal(err)
	}
	w.sync("slotted", remote, Options{})
	w.sync("full", full, Options{})
	got := w.hubCards()["Ida Ito"]
	want := person(t, "Ida Ito", append(lines, "NOTE:met in Berlin")...)
	got.Remove("REV")
	if got.Hash() != want.Hash() {
		t.Errorf("hub card after an edit on the normalizing remote:\n%s\nwant:\n%s", mustMarshal(t, got), mustMarshal(t, want))
	}
	assertQuiet(t, w, "slotted", remote.Connector)
	assertQuiet(t, w, "full", full)
}
