package google

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/contactbridge/contactbridge/mapping"
)

// clientKeyCategories holds, as a JSON array, the categories of a card
// that no contact group can carry: a name Google keeps for one of its
// deprecated system groups (friends, family, coworkers …) can neither be
// a new label nor take new members. Kept here they come back on reading,
// so the bridge never takes their absence for a deletion.
const clientKeyCategories = "contactbridge.categories"

// categoriesOf returns the category names of c, in order, without
// duplicates.
func categoriesOf(c *mapping.Card) []string {
	var out []string
	for _, p := range c.All("CATEGORIES") {
		for _, n := range p.List() {
			if n = strings.TrimSpace(n); n != "" && !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	return out
}

// keepUnmapped records in p the categories no contact group carries
// (what fromCard still reports missing once the groups were made),
// replacing what p held of them.
func keepUnmapped(p *Person, rest []string) {
	p.ClientData = slices.DeleteFunc(p.ClientData, func(d ClientData) bool { return d.Key == clientKeyCategories })
	if len(rest) == 0 {
		return
	}
	b, _ := json.Marshal(rest)
	p.ClientData = append(p.ClientData, ClientData{Key: clientKeyCategories, Value: string(b)})
}

// restoreUnmapped adds to c the categories keepUnmapped recorded in p.
func restoreUnmapped(c *mapping.Card, p *Person) {
	var rest []string
	for _, d := range p.ClientData {
		if d.Key == clientKeyCategories && fromContact(d.Metadata) {
			_ = json.Unmarshal([]byte(d.Value), &rest)
		}
	}
	if len(rest) == 0 {
		return
	}
	names := categoriesOf(c)
	for _, n := range rest {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	c.Remove("CATEGORIES")
	prop := mapping.Property{Name: "CATEGORIES"}
	prop.SetList(names...)
	c.Add(prop)
}
