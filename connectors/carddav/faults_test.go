package carddav_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/contactbridge/contactbridge/connectors"
	"github.com/contactbridge/contactbridge/connectors/carddav"
	"github.com/contactbridge/contactbridge/connectors/carddav/davtest"
	"github.com/contactbridge/contactbridge/mapping"
)

// fastRetry retries often and quickly, so that tests through a faulty
// proxy end soon.
var fastRetry = connectors.RetryPolicy{Attempts: 10, BaseDelay: time.Millisecond, MaxDelay: 20 * time.Millisecond}

// faultyNetwork is what every request of TestThroughFaults may meet: over
// a quarter of them fail, in each way a network and a server fail. With
// some 200 requests each kind is drawn about 8 times.
var faultyNetwork = davtest.Faults{
	Drop: 0.04, DropAfter: 0.04, Error500: 0.04, Error503: 0.04, Error502After: 0.04,
	TooMany: 0.04, RetryAfter: "0", Truncate: 0.04,
}

// TestThroughFaults runs what a sync does (create many, list, fetch,
// update, delete, list again, create again after a "crash") through a
// proxy that drops connections, answers 5xx and 429, and cuts answers
// short, some after the server acted. The address book must end exactly as
// asked: nothing lost, nothing made twice, no write refused.
func TestThroughFaults(t *testing.T) {
	t.Parallel()
	servers := []struct {
		name    string
		start   func(testing.TB) *davtest.Server
		faults  davtest.Faults
		timeout time.Duration
	}{
		{"radicale", davtest.Radicale, faultyNetwork, 5 * time.Second},
		{"go-webdav", davtest.GoWebDAV, func() davtest.Faults {
			// The in-process server is quick enough to add slow answers
			// that hit the request timeout.
			f := faultyNetwork
			f.Slow, f.Delay = 0.04, time.Second
			return f
		}(), 300 * time.Millisecond},
	}
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			srv := s.start(t)
			book := srv.NewAddressBook(t)
			seed := uint64(1)
			if v, err := strconv.ParseUint(os.Getenv("CARDDAV_FAULT_SEED"), 10, 64); err == nil {
				seed = v // to repeat a failure seen with another seed
			}
			proxy := davtest.NewProxy(t, srv.URL, s.faults, seed)
			c, err := carddav.New(context.Background(), carddav.Config{
				URL: proxy.URL, Username: srv.Username, Password: srv.Password, AddressBook: book,
				Retry: fastRetry, Timeout: s.timeout,
			})
			if err != nil {
				t.Fatalf("New through the proxy: %v", err)
			}
			syncThroughFaults(t, c, connect(t, srv, book))
			faulted := proxy.Faulted()
			t.Logf("requests %v; faults %v; connector %+v", proxy.Counts(), faulted, c.Stats())
			kinds := []string{"drop", "drop-after", "500", "503", "502-after", "429", "truncate"}
			if s.faults.Slow > 0 {
				kinds = append(kinds, "slow")
			}
			for _, kind := range kinds {
				if faulted[kind] == 0 {
					t.Errorf("no %s fault was injected: the test proves less than it claims", kind)
				}
			}
			if c.Stats().Retries == 0 {
				t.Error("Stats reports no retries")
			}
		})
	}
}

// syncThroughFaults drives c (behind the faults) and checks the result with
// direct, which talks to the server without them.
func syncThroughFaults(t *testing.T, c, direct *carddav.Connector) {
	ctx := context.Background()
	const n = 80
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("fault%07d", i) // 12 characters, like record ids
	}
	card := func(i int, note string) *mapping.Card {
		cd := &mapping.Card{}
		cd.Add(mapping.Property{Name: "FN", Value: fmt.Sprintf("Fault Test %d", i)})
		cd.Add(mapping.Property{Name: "EMAIL", Value: fmt.Sprintf("fault%d@example.org", i)})
		cd.Add(mapping.Property{Name: "UID", Value: fmt.Sprintf("urn:uuid:00000000-0000-4000-8000-%012d", i)})
		if note != "" {
			cd.Add(mapping.Property{Name: "NOTE", Value: mapping.EscapeText(note)})
		}
		return cd
	}

	// Create, concurrently as the bridge does.
	created := make([]connectors.Item, n)
	parallel(t, n, c.Capabilities().Concurrency, func(i int) error {
		it, err := c.Create(ctx, keys[i], card(i, ""))
		created[i] = it
		if err == nil && it.Key != keys[i] {
			err = fmt.Errorf("Create returned key %q", it.Key)
		}
		return err
	})

	// List and fetch everything.
	listed, token := changes(t, c, "")
	if len(listed)-1 != n {
		t.Fatalf("listing after %d creates holds %d items", n, len(listed)-1)
	}
	items := fetchAll(t, c, created)
	for i, it := range created {
		got := items[it.ID]
		if got.Card == nil || !mapping.Equal(got.Card, card(i, "")) {
			t.Fatalf("card %s read back differs (err %v)", it.ID, got.Err)
		}
	}

	// Update the first half, delete a quarter.
	parallel(t, n/2, c.Capabilities().Concurrency, func(i int) error {
		it := items[created[i].ID]
		_, err := c.Update(ctx, it.ID, it.ETag, card(i, "updated through faults"))
		return err
	})
	parallel(t, n/4, c.Capabilities().Concurrency, func(j int) error {
		it := items[created[n/2+j].ID]
		return c.Delete(ctx, it.ID, it.ETag)
	})

	// The changes since the first listing are exactly those (or, from a
	// server without a change log, a listing without the deleted).
	changed, _ := changes(t, c, token)
	for i := range n {
		id := created[i].ID
		ch, ok := changed[id]
		switch {
		case changed == nil: // the token was refused and a full listing made
		case listedInFull(changed) && i >= n/2 && i < n/2+n/4 && ok:
			t.Errorf("full listing after deletes lists %s", id)
		case listedInFull(changed) && (i < n/2 || i >= n/2+n/4) && !ok:
			t.Errorf("full listing misses %s", id)
		case !listedInFull(changed) && i < n/2+n/4 && (!ok || ch.Deleted != (i >= n/2)):
			t.Errorf("changes since the listing: %s reported %v (deleted %v)", id, ok, ch.Deleted)
		case !listedInFull(changed) && i >= n/2+n/4 && ok:
			t.Errorf("changes since the listing report %s, untouched", id)
		}
	}

	// A create retried after a "crash" finds the first item.
	again, err := c.Create(ctx, keys[0], card(0, "retried"))
	if err != nil || again.ID != created[0].ID {
		t.Errorf("Create retried: %v, id %q, want %q", err, again.ID, created[0].ID)
	}

	// The server holds exactly what was asked, read without faults.
	final, _ := changes(t, direct, "")
	if want := n - n/4; len(final)-1 != want {
		t.Errorf("the address book holds %d cards, want %d", len(final)-1, want)
	}
	got := fetchAll(t, direct, created)
	for i, it := range created {
		g := got[it.ID]
		switch {
		case i >= n/2 && i < n/2+n/4:
			if !errors.Is(g.Err, connectors.ErrNotFound) {
				t.Errorf("%s was deleted but reads %v", it.ID, g.Err)
			}
		case i < n/2:
			if g.Card == nil || !mapping.Equal(g.Card, card(i, "updated through faults")) {
				t.Errorf("%s does not hold its update (err %v)", it.ID, g.Err)
			}
		default:
			if g.Card == nil || !mapping.Equal(g.Card, card(i, "")) {
				t.Errorf("%s changed though untouched (err %v)", it.ID, g.Err)
			}
		}
	}
}

// parallel runs do(0..n-1) with at most conc at once and fails t on any
// error.
func parallel(t *testing.T, n, conc int, do func(i int) error) {
	t.Helper()
	errs := make([]error, n)
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = do(i)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
}

// fullMark is the id under which changes records that a listing was full.
const fullMark = "(full)"

// listedInFull reports whether changes came from a full listing.
func listedInFull(changes map[string]connectors.Change) bool {
	_, ok := changes[fullMark]
	return ok
}

// changes lists c since token as the bridge does (a full listing when the
// token is refused), returning id → item, or nil for the changes when a
// token was given and refused, and the next token. A full listing is
// marked by the key fullMark, which len counts.
func changes(t *testing.T, c *carddav.Connector, token string) (map[string]connectors.Change, string) {
	t.Helper()
	out := map[string]connectors.Change{}
	collect := func(p connectors.Page) error {
		if p.Full {
			out[fullMark] = connectors.Change{}
		}
		for _, ch := range p.Changes {
			out[ch.ID] = ch
		}
		return nil
	}
	next, err := c.Changes(context.Background(), token, collect)
	if errors.Is(err, connectors.ErrTokenExpired) && token != "" {
		t.Logf("token refused: %v", err)
		if _, err := c.Changes(context.Background(), "", func(connectors.Page) error { return nil }); err != nil {
			t.Fatalf("full listing after a refused token: %v", err)
		}
		return nil, ""
	}
	if err != nil {
		t.Fatalf("Changes(%q): %v", token, err)
	}
	return out, next
}

// fetchAll reads the items of its.
func fetchAll(t *testing.T, c *carddav.Connector, its []connectors.Item) map[string]connectors.Item {
	t.Helper()
	ids := make([]string, len(its))
	for i, it := range its {
		ids[i] = it.ID
	}
	out := map[string]connectors.Item{}
	if err := c.Fetch(context.Background(), ids, func(it connectors.Item) error {
		out[it.ID] = it
		return nil
	}); err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	return out
}
