package bridge

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/contactbridge/contactbridge/connectors"
	"github.com/contactbridge/contactbridge/connectors/google"
	"github.com/contactbridge/contactbridge/connectors/google/googletest"
	"github.com/contactbridge/contactbridge/connectors/memory"
	"github.com/contactbridge/contactbridge/store/sqlite"
)

// testClock is a settable clock shared by the engine and a fake.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// A run is killed while Google handles its second batch create: the first
// batch is made but unrecorded, the second too unless the kill came first,
// and Google lists writes only minutes later.
// The next run, within that delay, does not send those creates again
// (Google does not list them yet, so nothing would tell it they exist);
// once the delay has passed, a run finds them by their record key and
// links them. Google ends with each contact once.
func TestInterruptedCreatesWaitForTheListingDelay(t *testing.T) {
	const contacts, delay = 450, 5 * time.Minute
	clock := &testClock{now: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
	w := newWorld(t)
	w.e.now = clock.Now
	src := memory.New(memory.Config{})
	for i := range contacts {
		src.Put("", person(t, fmt.Sprintf("Delayed %03d", i), fmt.Sprintf("EMAIL:d%03d@example.org", i)))
	}
	w.sync("src", src, Options{})

	ctx, kill := context.WithCancel(context.Background())
	var mu sync.Mutex
	creates := 0
	srv := googletest.New(googletest.Options{Clock: clock.Now, ReadAfterWrite: delay, OnRequest: func(endpoint string) {
		mu.Lock()
		defer mu.Unlock()
		if endpoint == "batchCreateContacts" {
			if creates++; creates == 2 {
				kill()
			}
		}
	}})
	t.Cleanup(srv.Close)
	user := srv.AddUser("refresh")
	connect := func() *google.Connector {
		c, err := google.New(context.Background(), google.Config{ClientID: "client", RefreshToken: "refresh",
			Endpoint: srv.URL(), TokenURL: srv.TokenURL(), HTTPClient: srv.Client(), ListingDelay: delay,
			Retry: connectors.RetryPolicy{Attempts: 1}})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if _, err := w.e.Sync(ctx, Account{Name: "gmail", Connector: connect()}, Options{}); err == nil {
		t.Fatal("the killed run finished")
	}
	srv.Quiesce()
	// The first batch is made (its links not committed); the second is
	// made too unless the kill stopped its request before Google read it.
	made := len(user.People())
	if made < 200 || made >= contacts {
		t.Fatalf("the killed run left %d contacts on Google; the test wants some of the %d made and unrecorded", made, contacts)
	}

	// Within the delay: nothing the killed run meant to create is sent
	// again — neither the batches it sent (their links were not
	// committed) nor the one it did not reach, which it cannot tell apart.
	clock.Advance(time.Minute)
	rep := w.sync("gmail", connect(), Options{})
	if got := len(user.People()); got != made {
		t.Errorf("within the delay Google holds %d contacts, want the %d made", got, made)
	}
	if rep.Waiting != contacts || rep.ToRemote.Created != 0 {
		t.Errorf("within the delay: %d waiting, %d created; want all %d waiting", rep.Waiting, rep.ToRemote.Created, contacts)
	}

	// After it: those Google made are listed and linked, the others made.
	clock.Advance(delay)
	rep = w.sync("gmail", connect(), Options{})
	if rep.Waiting != 0 || rep.ToRemote.Created != contacts-made || rep.ToHub.Total() != 0 {
		t.Errorf("after the delay: %+v to Google, %+v to the hub, %d waiting; want %d created, the rest linked",
			rep.ToRemote, rep.ToHub, rep.Waiting, contacts-made)
	}
	seen := map[string]int{}
	for _, p := range user.People() {
		seen[p.Names[0].GivenName+p.Names[0].UnstructuredName+p.Names[0].FamilyName]++
	}
	for n, k := range seen {
		if k > 1 {
			t.Errorf("%s is on Google %d times", n, k)
		}
	}
	if len(user.People()) != contacts || len(w.hubCards()) != contacts {
		t.Errorf("Google holds %d, the hub %d; want %d", len(user.People()), len(w.hubCards()), contacts)
	}
	clock.Advance(delay)
	rep = w.sync("gmail", connect(), Options{})
	if rep.ToRemote.Total()+rep.ToHub.Total() != 0 || rep.Waiting != 0 {
		t.Errorf("settled run: %+v %+v %d waiting", rep.ToRemote, rep.ToHub, rep.Waiting)
	}
}

// A create that an interrupted run sent but the remote never received is
// sent again once the listing delay has passed, and not before.
func TestLostCreateIsSentAfterTheListingDelay(t *testing.T) {
	const delay = 10 * time.Minute
	clock := &testClock{now: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
	w := newWorld(t)
	w.e.now = clock.Now
	src := memory.New(memory.Config{})
	src.Put("", person(t, "Lost Create"))
	w.sync("src", src, Options{})

	dst := memory.New(memory.Config{Capabilities: connectors.Capabilities{ListingDelay: delay}})
	ctx, kill := context.WithCancel(context.Background())
	dst.SetFault(func(memory.Write) *memory.Fault {
		kill() // the process dies before the request leaves
		return &memory.Fault{Err: context.Canceled}
	})
	if _, err := w.e.Sync(ctx, Account{Name: "dst", Connector: dst}, Options{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("killed run: %v", err)
	}
	dst.SetFault(nil)
	clock.Advance(delay - time.Second)
	if rep := w.sync("dst", dst, Options{}); rep.Waiting != 1 || dst.Len() != 0 {
		t.Errorf("within the delay: %d waiting, %d on the remote; want 1 and 0", rep.Waiting, dst.Len())
	}
	clock.Advance(time.Second)
	if rep := w.sync("dst", dst, Options{}); rep.Waiting != 0 || rep.ToRemote.Created != 1 || dst.Len() != 1 {
		t.Errorf("after the delay: %d waiting, %+v, %d on the remote; want it created", rep.Waiting, rep.ToRemote, dst.Len())
	}
	assertQuiet(t, w, "dst", dst)
}

// freshTokens hands out a new change token on every listing, as Google
// does, for the same changes.
type freshTokens struct {
	*memory.Connector
	n int
}

func (f *freshTokens) Changes(ctx context.Context, token string, fn func(connectors.Page) error) (string, error) {
	inner, _, _ := strings.Cut(token, "#")
	next, err := f.Connector.Changes(ctx, inner, fn)
	f.n++
	return fmt.Sprintf("%s#%d", next, f.n), err
}

// A run that lists nothing keeps the stored token when the remote hands
// out a new one for the same changes, so that it writes nothing; a day
// later it stores the new one, so the token never nears its expiry. A run
// that lists changes — even only its own writes coming back — stores it at
// once, or every later run would list them again.
func TestQuietRunKeepsAFreshToken(t *testing.T) {
	ctx := context.Background()
	clock := &testClock{now: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
	cs := &countingStore{Store: openStore(t, sqlite.Options{})}
	h, _, err := InitHub(ctx, cs, testUser, syncKey(1))
	if err != nil {
		t.Fatal(err)
	}
	e, _ := NewEngine(h, syncKey(1), nil)
	e.now = clock.Now
	a := memory.New(memory.Config{})
	for i := range 5 {
		a.Put("", person(t, fmt.Sprintf("T %d", i)))
	}
	b := &freshTokens{Connector: memory.New(memory.Config{})}
	syncB := func() *Report {
		t.Helper()
		rep, err := e.Sync(ctx, Account{Name: "b", Connector: b}, Options{})
		if err != nil || len(rep.Failed) > 0 {
			t.Fatalf("sync b: %v %+v", err, rep.Failed)
		}
		return rep
	}
	if _, err := e.Sync(ctx, Account{Name: "a", Connector: a}, Options{}); err != nil {
		t.Fatal(err)
	}
	syncB() // creates the 5 on b
	syncB() // lists them back: the token moves past them
	before := cs.writes
	syncB()
	if cs.writes != before {
		t.Errorf("a run that listed nothing made %d store writes", cs.writes-before)
	}
	clock.Advance(25 * time.Hour)
	syncB()
	if cs.writes != before+1 {
		t.Errorf("a day later a quiet run made %d store writes, want 1 (the new token)", cs.writes-before)
	}
	s, err := loadState(ctx, cs, testUser, e.stateKB, "b")
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("#%d", b.n); !strings.HasSuffix(s.meta.Token, want) {
		t.Errorf("stored token %q, want the last one (%s)", s.meta.Token, want)
	}
}
