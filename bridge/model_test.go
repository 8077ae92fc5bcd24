package bridge

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/contactbridge/contactbridge/connectors"
	"github.com/contactbridge/contactbridge/connectors/memory"
	"github.com/contactbridge/contactbridge/mapping"
	"github.com/contactbridge/contactbridge/store"
	"github.com/contactbridge/contactbridge/store/sqlite"
)

// The model-based test plays random histories against three endpoints and
// the hub: creates, edits of the same or different properties on several
// endpoints, deletions, edit-versus-delete, lost responses, and crashes of
// the store between two writes; syncs run in random order. Then it lets
// every endpoint sync until a whole round writes nothing and checks that
//
//   - every endpoint holds what the hub holds (modulo projection),
//   - nobody is duplicated,
//   - no edit that nothing else touched was lost, no contact that nobody
//     deleted is gone, and no contact that was deleted and never edited
//     came back,
//   - one more round writes nothing at all.
//
// -model.seeds sets how many histories run (a long mode for more).
var modelSeeds = flag.Int("model.seeds", 0, "histories for TestModel (0: 200, or 30 with -short)")

// crashStore fails the store write after a countdown, as a process killed
// between two writes would leave it.
type crashStore struct {
	store.Store
	countdown int // writes until the crash; 0: never
}

var errCrash = errors.New("injected crash")

func (c *crashStore) tick() error {
	if c.countdown == 0 {
		return nil
	}
	c.countdown--
	if c.countdown == 0 {
		return errCrash
	}
	return nil
}

func (c *crashStore) Post(ctx context.Context, user, coll string, ws []store.Write, pre store.Precondition) (store.WriteResult, error) {
	if err := c.tick(); err != nil {
		return store.WriteResult{}, err
	}
	return c.Store.Post(ctx, user, coll, ws, pre)
}

func (c *crashStore) Put(ctx context.Context, user, coll string, w store.Write, pre store.Precondition) (store.Timestamp, error) {
	if err := c.tick(); err != nil {
		return 0, err
	}
	return c.Store.Put(ctx, user, coll, w, pre)
}

// tlog writes log lines to the test log.
type tlog struct{ t *testing.T }

func (w tlog) Write(b []byte) (int, error) { w.t.Log(strings.TrimSpace(string(b))); return len(b), nil }

// oracle remembers what a history did, to judge the end state.
type oracle struct {
	created  map[string]bool            // FN → created
	deleted  map[string]bool            // FN → deleted somewhere
	edited   map[string]int             // FN → number of edits anywhere
	notes    map[string][]string        // FN → NOTE values written, in order
	emails   map[string]map[string]bool // FN → e-mail added → still wanted
	removedE map[string]bool            // e-mail addresses removed somewhere
	// ambiguous marks contacts deleted on an endpoint whose last sync was
	// killed or lost the answer to a write: a create whose outcome the
	// bridge never learnt, deleted before the bridge saw it, cannot be told
	// from a create that never happened, and the bridge keeps the contact
	// rather than risk deleting one.
	ambiguous map[string]bool
}

type endpoint struct {
	name string
	c    *memory.Connector
	caps connectors.Capabilities
}

func TestModel(t *testing.T) {
	seeds := *modelSeeds
	if seeds == 0 {
		seeds = 200
		if testing.Short() {
			seeds = 30
		}
	}
	st := openStore(t, sqlite.Options{})
	for seed := range seeds {
		if !t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) { runModel(t, st, uint64(seed)) }) {
			break // one failing history is enough to read
		}
	}
}

func runModel(t *testing.T, base store.Store, seed uint64) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	user := fmt.Sprintf("model%d", seed)
	cs := &crashStore{Store: base}
	key := syncKey(byte(seed%250 + 1))
	h, _, err := InitHub(ctx, cs, user, key)
	if err != nil {
		t.Fatal(err)
	}
	var logger *slog.Logger
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(tlog{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	eng, err := NewEngine(h, key, logger)
	if err != nil {
		t.Fatal(err)
	}
	narrow := connectors.Capabilities{Properties: map[string]int{"FN": 1, "UID": 1, "EMAIL": 0, "NOTE": 1, "TITLE": 1}}
	eps := []*endpoint{
		{name: "full", c: memory.New(memory.Config{PageSize: 3})},
		{name: "stubs", c: memory.New(memory.Config{Stubs: true, PageSize: 7})},
		{name: "narrow", c: memory.New(memory.Config{Capabilities: narrow}), caps: narrow},
	}
	or := &oracle{created: map[string]bool{}, deleted: map[string]bool{}, edited: map[string]int{},
		notes: map[string][]string{}, emails: map[string]map[string]bool{}, removedE: map[string]bool{}, ambiguous: map[string]bool{}}
	crashed := map[string]bool{} // endpoint → its last sync was killed
	var history []string
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("seed %d: "+format+"\nhistory:\n  %s", append(append([]any{seed}, args...), strings.Join(history, "\n  "))...)
	}
	sync := func(ep *endpoint, opts Options) (*Report, error) {
		opts.AllowMassDelete = true // random histories delete a lot of very little
		return eng.Sync(ctx, Account{Name: ep.name, Connector: ep.c}, opts)
	}
	people := 0
	steps := 20 + rng.IntN(30)
	for step := range steps {
		ep := eps[rng.IntN(len(eps))]
		items := ep.c.Items()
		switch op := rng.IntN(10); {
		case op < 2 || len(items) == 0: // create
			people++
			fn := fmt.Sprintf("Person %d-%d", seed, people)
			email := fmt.Sprintf("p%d@%s.example", people, ep.name)
			ep.c.Put("", mustCard(t, "FN:"+fn, "UID:"+strings.ReplaceAll(fn, " ", "_"), "EMAIL:"+email))
			or.created[fn] = true
			or.emails[fn] = map[string]bool{email: true}
			history = append(history, fmt.Sprintf("%d %s: create %s", step, ep.name, fn))
		case op < 4: // edit NOTE (a single value; concurrent edits conflict)
			it := items[rng.IntN(len(items))]
			fn := it.Card.Value("FN")
			note := fmt.Sprintf("note %d by %s", step, ep.name)
			ep.c.Edit(it.ID, func(c *mapping.Card) {
				c.Remove("NOTE")
				c.Add(mapping.Property{Name: "NOTE", Value: note})
			})
			or.edited[fn]++
			or.notes[fn] = append(or.notes[fn], note)
			history = append(history, fmt.Sprintf("%d %s: note %s = %q", step, ep.name, fn, note))
		case op < 5: // add an e-mail address (sets merge)
			it := items[rng.IntN(len(items))]
			fn := it.Card.Value("FN")
			email := fmt.Sprintf("s%d@%s.example", step, ep.name)
			ep.c.Edit(it.ID, func(c *mapping.Card) { c.Add(mapping.Property{Name: "EMAIL", Value: email}) })
			or.edited[fn]++
			if or.emails[fn] == nil {
				or.emails[fn] = map[string]bool{}
			}
			or.emails[fn][email] = true
			history = append(history, fmt.Sprintf("%d %s: add email %s to %s", step, ep.name, email, fn))
		case op < 6: // remove an e-mail address
			it := items[rng.IntN(len(items))]
			fn := it.Card.Value("FN")
			es := it.Card.All("EMAIL")
			if len(es) < 2 {
				continue
			}
			gone := es[rng.IntN(len(es))].Text()
			ep.c.Edit(it.ID, func(c *mapping.Card) {
				kept := c.Props[:0]
				for _, p := range c.Props {
					if !(p.Name == "EMAIL" && p.Text() == gone) {
						kept = append(kept, p)
					}
				}
				c.Props = kept
			})
			or.edited[fn]++
			or.removedE[gone] = true
			history = append(history, fmt.Sprintf("%d %s: remove email %s from %s", step, ep.name, gone, fn))
		case op < 7: // delete
			it := items[rng.IntN(len(items))]
			fn := it.Card.Value("FN")
			ep.c.Remove(it.ID)
			or.deleted[fn] = true
			if crashed[ep.name] {
				or.ambiguous[fn] = true
			}
			history = append(history, fmt.Sprintf("%d %s: delete %s", step, ep.name, fn))
		default: // sync, sometimes with a fault
			opts := Options{}
			lostAnswer := false
			switch f := rng.IntN(8); f {
			case 0:
				lostAnswer = true
				ep.c.FailNth(1+rng.IntN(3), connectors.Transient(errors.New("injected 503")), rng.IntN(2) == 0)
				history = append(history, fmt.Sprintf("%d %s: sync with a failing remote write", step, ep.name))
			case 1:
				cs.countdown = 1 + rng.IntN(6)
				history = append(history, fmt.Sprintf("%d %s: sync, store crash after %d writes", step, ep.name, cs.countdown))
			default:
				history = append(history, fmt.Sprintf("%d %s: sync", step, ep.name))
			}
			rep, err := sync(ep, opts)
			if testing.Verbose() {
				t.Logf("step %d %s: %+v %+v failed=%v err=%v", step, ep.name, rep.ToHub, rep.ToRemote, rep.Failed, err)
			}
			ep.c.SetFault(nil)
			killed := cs.countdown == 0 && errors.Is(err, errCrash)
			crashed[ep.name] = killed || lostAnswer
			cs.countdown = 0
			if err != nil && !killed {
				fail("sync %s: %v", ep.name, err)
			}
		}
	}

	// Quiesce: rounds of syncs until one writes nothing.
	quiet := false
	for round := 0; round < 8 && !quiet; round++ {
		quiet = true
		for _, ep := range eps {
			rep, err := sync(ep, Options{})
			if err != nil {
				fail("quiesce %s: %v", ep.name, err)
			}
			if testing.Verbose() {
				t.Logf("quiesce %s: %+v %+v", ep.name, rep.ToHub, rep.ToRemote)
			}
			if len(rep.Failed) > 0 {
				fail("quiesce %s: failures %+v", ep.name, rep.Failed)
			}
			if rep.ToHub.Total()+rep.ToRemote.Total() > 0 {
				quiet = false
			}
		}
	}
	if !quiet {
		fail("no quiescence after 8 rounds")
	}

	hub, dups := hubByFN(t, h)
	if len(dups) > 0 {
		fail("hub has %s", strings.Join(dups, ", "))
	}
	for _, ep := range eps {
		got := map[string]bool{}
		for _, it := range ep.c.Items() {
			fn := it.Card.Value("FN")
			if got[fn] {
				fail("%s has %s twice", ep.name, fn)
			}
			got[fn] = true
			hc := hub[fn]
			if hc == nil {
				fail("%s has %s, the hub does not", ep.name, fn)
			}
			if hashString(ep.caps.Project(hc)) != hashString(ep.caps.Project(it.Card)) {
				fail("%s's %s differs from the hub:\n%s\nhub:\n%s", ep.name, fn, mustMarshal(t, it.Card), mustMarshal(t, hc))
			}
		}
		for fn := range hub {
			if !got[fn] {
				fail("%s lacks %s", ep.name, fn)
			}
		}
	}
	for fn := range or.created {
		c := hub[fn]
		switch {
		case !or.deleted[fn] && c == nil:
			fail("%s was never deleted but is gone", fn)
		case or.deleted[fn] && or.edited[fn] == 0 && !or.ambiguous[fn] && c != nil:
			fail("%s was deleted and never edited but came back", fn)
		case c == nil:
			continue
		}
		if notes := or.notes[fn]; c.Value("NOTE") != "" && !slices.Contains(notes, c.Value("NOTE")) {
			fail("%s NOTE = %q, which nobody wrote (wrote %q)", fn, c.Value("NOTE"), notes)
		}
		if or.deleted[fn] {
			// An edit made where the contact was then deleted goes with the
			// deletion; another side's edit brought it back without it.
			continue
		}
		if len(or.notes[fn]) == 1 && c.Value("NOTE") != or.notes[fn][0] {
			fail("%s lost its only NOTE edit %q", fn, or.notes[fn][0])
		}
		have := map[string]bool{}
		for _, p := range c.All("EMAIL") {
			have[p.Text()] = true
		}
		for e := range or.emails[fn] {
			if !or.removedE[e] && !have[e] {
				fail("%s lost e-mail %s that nobody removed:\n%s", fn, e, mustMarshal(t, c))
			}
		}
	}
	// One more round writes nothing anywhere.
	for _, ep := range eps {
		before := ep.c.Counts().Writes()
		rep, err := sync(ep, Options{})
		if err != nil || rep.ToHub.Total()+rep.ToRemote.Total() > 0 || ep.c.Counts().Writes() != before {
			fail("converged sync of %s wrote: %+v %+v %v", ep.name, rep.ToHub, rep.ToRemote, err)
		}
	}
}
