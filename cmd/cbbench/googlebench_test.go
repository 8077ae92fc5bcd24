package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/contactbridge/contactbridge/connectors/google/googletest"
	"github.com/contactbridge/contactbridge/store"
)

func TestGooglePerson(t *testing.T) {
	g := NewGenerator(1)
	for i := range 20 {
		p := googlePerson(g.Card(i, 0))
		if len(p.Names) != 1 || len(p.EmailAddresses) != 2 || len(p.PhoneNumbers) != 2 || len(p.Addresses) != 1 ||
			len(p.Organizations) != 1 || len(p.Biographies) != 1 || len(p.Birthdays) != 1 {
			t.Fatalf("contact %d lacks a field: %+v", i, p)
		}
		if p.PhoneNumbers[0].Type != "mobile" || p.Organizations[0].Title == "" || p.Addresses[0].City == "" {
			t.Errorf("contact %d: mobile type %q, title %q, city %q", i, p.PhoneNumbers[0].Type, p.Organizations[0].Title, p.Addresses[0].City)
		}
		// The key ignores order: the same person with its lists reversed
		// compares equal; the edited version does not.
		b, _ := json.Marshal(p)
		var q googletest.Person
		if err := json.Unmarshal(b, &q); err != nil {
			t.Fatal(err)
		}
		q.EmailAddresses[0], q.EmailAddresses[1] = q.EmailAddresses[1], q.EmailAddresses[0]
		if personKey(p) != personKey(q) {
			t.Errorf("contact %d: key changes with the order of the e-mail addresses", i)
		}
		if personKey(p) == personKey(googlePerson(g.Card(i, 1))) {
			t.Errorf("contact %d: the edited version has the same key", i)
		}
	}
}

func TestDiffHub(t *testing.T) {
	before := map[string]store.Usage{"contacts": {Modified: 100, Count: 5}, "st.aa": {Modified: 100, Count: 2},
		"st.bb": {Modified: 100, Count: 2}, "bs.aa": {Modified: 90, Count: 3}}
	for _, tc := range []struct {
		name  string
		after map[string]store.Usage
		want  string
	}{
		{"nothing written", before, "none"},
		{"one state record rewritten", map[string]store.Usage{"contacts": {Modified: 100, Count: 5},
			"st.aa": {Modified: 120, Count: 2}, "st.bb": {Modified: 100, Count: 2}, "bs.aa": {Modified: 90, Count: 3}}, "st.* +0"},
		{"contacts added, a collection dropped", map[string]store.Usage{"contacts": {Modified: 130, Count: 9},
			"st.aa": {Modified: 130, Count: 3}, "st.bb": {Modified: 130, Count: 3}}, "bs.* -3, contacts +4, st.* (2) +2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := diffHub(before, tc.after).String(); got != tc.want {
				t.Errorf("diffHub = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestGoogleBenchmark runs the whole benchmark at a small size against a
// contactbridge built from this module: both accounts end up with the same
// contacts, no contact is written when nothing changed, and the second
// no-change run costs one request per account.
func TestGoogleBenchmark(t *testing.T) {
	if testing.Short() {
		t.Skip("builds contactbridge: not in -short")
	}
	dir := t.TempDir()
	bin, err := buildContactbridge(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	gb := &googleBench{N: 30, Changes: 3, Repeat: 2, Seed: 1, WorkDir: dir, Contactbridge: bin}
	res, err := gb.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Checks {
		// Whether a no-change run writes the store is what the benchmark
		// reports, not what this test asserts.
		if !c.OK && (strings.Contains(c.Name, "B holds A's contacts") || strings.HasSuffix(c.Name, "writes no contact")) {
			t.Errorf("%s: %s", c.Name, c.Detail)
		}
	}
	nc := res.steps(phaseNoChange)
	if len(nc) != 2 || len(res.steps(phaseInitial)) != 1 || len(res.steps(phaseChanges)) != 1 {
		t.Fatalf("steps %+v, want initial, two no-change, changes", res.Steps)
	}
	for _, acct := range []string{googleA, googleB} {
		if got := nc[1].Requests[acct]; got.Total() != 1 || got["connections.list"] != 1 {
			t.Errorf("second no-change run: %s got %s, want one connections.list", acct, got)
		}
	}
	if got := res.steps(phaseInitial)[0].Requests[googleB]["batchCreateContacts"]; got != 1 {
		t.Errorf("initial: %d batchCreateContacts on B for 30 contacts, want 1", got)
	}
	var md bytes.Buffer
	if err := writeGoogleMarkdown(&md, res); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| no-change (2 of 2) |", "| 3 changes |", "### Checks and targets", "connections.list"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("the report lacks %q:\n%s", want, md.String())
		}
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "cbbench-google-*")); len(left) > 0 {
		t.Errorf("temporary folders left behind: %v", left)
	}
}
