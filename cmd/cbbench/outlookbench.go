package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/contactbridge/contactbridge/connectors/outlook/graphtest"
	"github.com/contactbridge/contactbridge/mapping"
)

// The protocol limits the request targets of `cbbench outlook` come from
// (the Microsoft Graph reference, §3, §5, §6).
const (
	outlookDeltaPage = 200 // contacts per delta page (odata.maxpagesize is capped there)
	outlookBatch     = 20  // requests per $batch
)

// The account names of the benchmark's config, and what they sign in
// with: the fake accepts any client id, contactbridge wants a GUID.
const (
	outlookA        = "outlook-a"
	outlookB        = "outlook-b"
	outlookClientID = "cbbe0c1e-0000-4000-8000-00000000cbbe"
	outlookTenant   = "organizations"
)

// isOutlookWrite reports whether endpoint (as the fake names it) changes
// a mailbox.
func isOutlookWrite(endpoint string) bool {
	switch endpoint {
	case "contacts.create", "contacts.update", "contacts.delete", "photo.put", "photo.delete",
		"contactFolders.create", "contactFolders.update", "contactFolders.delete":
		return true
	}
	return false
}

// An outlookBench syncs two mailboxes of the Microsoft Graph fake
// (graphtest, in this process, on loopback, one server per mailbox)
// through the hub: mailbox A holds N generated contacts written straight
// into the fake, some with a photo; mailbox B starts empty. contactbridge
// runs as the `contactbridge sync` command in a child process, one run per
// phase, as `cbbench google` runs it. A counting proxy in front of each
// fake tells the HTTP requests (a $batch is one) from the requests inside
// batches, which the fake counts alike.
type outlookBench struct {
	N       int
	Changes int
	Repeat  int
	Seed    uint64
	// PhotoEvery gives one contact of A in PhotoEvery a photo (0: none),
	// picked by hashing its index (hasPhoto).
	PhotoEvery int
	// RateLimit is the fake's requests per 10 minutes per mailbox: 0 is
	// its default (Graph's 10,000), negative is none.
	RateLimit int
	WorkDir   string
	Keep      bool
	Verbose   bool // pass -v to contactbridge
	// Contactbridge is the contactbridge binary to measure; "" builds it
	// from this module.
	Contactbridge string
	// Spawner is the cbbench binary that starts each contactbridge run
	// (`cbbench spawn`, see runSpawn); "" starts it from this process.
	Spawner  string
	Progress io.Writer
}

// graphRequests are the requests one mailbox received in a phase.
type graphRequests struct {
	// HTTP counts the HTTP requests by endpoint, a $batch under the
	// endpoints of its requests ("$batch[contacts.create]").
	HTTP Requests
	// Items counts the requests inside batches by endpoint.
	Items Requests
	// Fake is the fake's own count, batches and their requests alike.
	Fake Requests
	// Refused is how many Graph requests (in batches or not) the fake
	// answered without carrying them out: throttled (429, the
	// four-concurrent-requests and rate limits) or unauthorised (401).
	Refused int
	// Skipped is how many requests in batches the fake never ran, nor
	// counted, because a request of the batch they depend on failed: it
	// answers those 424 Failed Dependency.
	Skipped int
}

// String writes the requests as the report shows them.
func (g graphRequests) String() string {
	s := "HTTP " + g.HTTP.String()
	if len(g.Items) > 0 {
		s += "; in batches " + g.Items.String()
	}
	if g.Refused > 0 {
		s += fmt.Sprintf("; **refused %d** (throttled or unauthorised)", g.Refused)
	}
	if g.Skipped > 0 {
		s += fmt.Sprintf("; **skipped %d** (424: a request they depend on failed)", g.Skipped)
	}
	return s
}

// batches is the number of $batch requests whose requests include
// endpoint ("" for every $batch).
func (g graphRequests) batches(endpoint string) int {
	n := 0
	for k, c := range g.HTTP {
		inner, ok := strings.CutPrefix(k, "$batch[")
		if ok && (endpoint == "" || slices.Contains(strings.Split(strings.TrimSuffix(inner, "]"), "+"), endpoint)) {
			n += c
		}
	}
	return n
}

// An outlookStep is one measured phase, as a googleStep: the child's cost,
// the requests of each mailbox, the CPU the fakes and proxies (this
// process) spent meanwhile, and what changed in the hub. Err is set when
// contactbridge did not finish the run cleanly (a throttled run can fail
// items): the phase is reported, and the next one runs regardless.
type outlookStep struct {
	Phase    string
	Run      int
	Cost     Cost
	Err      string
	Requests map[string]graphRequests // by account
	FakeCPU  time.Duration
	Hub      hubChange
}

// label is the step's phase as the report shows it.
func (s *outlookStep) label(changes, runs int) string {
	if runs > 1 && s.Phase == phaseNoChange {
		return fmt.Sprintf("%s (%d of %d)", s.Phase, s.Run, runs)
	}
	return phaseLabel(s.Phase, changes)
}

// An outlookResult is what one `cbbench outlook` measured.
type outlookResult struct {
	Machine   Machine
	N         int
	Changes   int
	Photos    int
	Seed      uint64
	Repeat    int
	RateLimit int
	Steps     []outlookStep
	Checks    checks
}

// steps returns the steps of phase, in the order they ran.
func (res *outlookResult) steps(phase string) []*outlookStep {
	var out []*outlookStep
	for i := range res.Steps {
		if res.Steps[i].Phase == phase {
			out = append(out, &res.Steps[i])
		}
	}
	return out
}

// limits describes the fake's throttling as the run had it.
func (res *outlookResult) limits() string {
	switch {
	case res.RateLimit < 0:
		return "4 concurrent requests per mailbox; **rate limit off** (RateLimit: -1)"
	case res.RateLimit == 0:
		return "4 concurrent requests per mailbox; 10,000 requests per 10 minutes per mailbox (the fake's defaults, Graph's limits; the windows are aligned to the clock)"
	}
	return fmt.Sprintf("4 concurrent requests per mailbox; %d requests per 10 minutes per mailbox", res.RateLimit)
}

// An outlookRig is the fakes, one per mailbox so that each one's requests
// are counted apart, their proxies, the contactbridge config and the
// hub's file.
type outlookRig struct {
	root    string
	fakes   map[string]*graphtest.Server // by account
	proxies map[string]*graphProxy
	users   map[string]*graphtest.User
	cli     *cliRig
	db      string

	mu       sync.Mutex
	admitted map[string]Requests // by account: what the fake carried out (Options.OnRequest)
}

// Close stops the proxies and fakes and removes the data unless keep.
func (r *outlookRig) Close(keep bool) {
	for _, p := range r.proxies {
		p.Close()
	}
	for _, s := range r.fakes {
		s.Close()
	}
	if !keep {
		os.RemoveAll(r.root)
	}
}

func (ob *outlookBench) progress(format string, args ...any) {
	if ob.Progress != nil {
		fmt.Fprintf(ob.Progress, format+"\n", args...)
	}
}

// newRig starts the fakes and proxies, seeds mailbox A and writes the
// config. It returns the ids of A's contacts and how many have a photo.
func (ob *outlookBench) newRig(ctx context.Context) (*outlookRig, []string, int, error) {
	root, err := os.MkdirTemp(ob.WorkDir, "cbbench-outlook-")
	if err != nil {
		return nil, nil, 0, err
	}
	r := &outlookRig{root: root, fakes: map[string]*graphtest.Server{}, proxies: map[string]*graphProxy{},
		users: map[string]*graphtest.User{}, db: filepath.Join(root, "store.db"), admitted: map[string]Requests{}}
	var accounts []cliAccount
	for _, name := range []string{outlookA, outlookB} {
		r.admitted[name] = Requests{}
		// ReplicationDelay stays 0 (a write reaches delta at once), so that
		// each phase's requests are the connector's; the concurrency limit
		// stays on.
		srv := graphtest.New(graphtest.Options{RateLimit: ob.RateLimit, OnRequest: func(endpoint string) {
			r.mu.Lock()
			r.admitted[name][endpoint]++
			r.mu.Unlock()
		}})
		r.fakes[name] = srv
		p, err := newGraphProxy(strings.TrimSuffix(srv.URL(), "/v1.0"))
		if err != nil {
			r.Close(false)
			return nil, nil, 0, err
		}
		r.proxies[name] = p
		refresh := "0.AXoA-cbbench-refresh-" + name
		r.users[name] = srv.AddUser(refresh)
		path, err := secretFile(root, name+".token", refresh)
		if err != nil {
			r.Close(false)
			return nil, nil, 0, err
		}
		accounts = append(accounts, cliAccount{"name": name, "type": "outlook", "client_id": outlookClientID,
			"tenant": outlookTenant, "refresh_token_file": path, "api_endpoint": p.URL + "/v1.0/",
			"token_url": p.URL + "/" + outlookTenant + "/oauth2/v2.0/token"})
	}
	bin := ob.Contactbridge
	if bin == "" {
		ob.progress("building contactbridge")
		if bin, err = buildContactbridge(ctx, root); err != nil {
			r.Close(false)
			return nil, nil, 0, err
		}
	}
	if r.cli, err = newCLIRig(bin, root, accounts); err != nil {
		r.Close(false)
		return nil, nil, 0, err
	}
	g := NewGenerator(ob.Seed)
	u := r.users[outlookA]
	ids := make([]string, ob.N)
	photos := 0
	for i := range ob.N {
		ids[i] = u.Put(outlookContact(i, g.Card(i, 0)))
		if ob.hasPhoto(i) {
			b, err := contactPhoto(i)
			if err != nil {
				r.Close(false)
				return nil, nil, 0, err
			}
			u.SetPhoto(ids[i], b, "image/jpeg")
			photos++
		}
	}
	return r, ids, photos, nil
}

// hasPhoto reports whether contact i has a photo: one in PhotoEvery,
// scattered, so that the contacts the change phase edits (spread evenly,
// Edited) include about as many with a photo as the whole mailbox.
func (ob *outlookBench) hasPhoto(i int) bool {
	if ob.PhotoEvery <= 0 {
		return false
	}
	// SplitMix64's finaliser.
	h := uint64(i) + 0x9e3779b97f4a7c15
	h = (h ^ h>>30) * 0xbf58476d1ce4e5b9
	h = (h ^ h>>27) * 0x94d049bb133111eb
	h ^= h >> 31
	return h%uint64(ob.PhotoEvery) == 0
}

// A graphSnapshot is the counts of every mailbox at one moment.
type graphSnapshot struct {
	fake, http, items, admitted map[string]Requests
}

func (r *outlookRig) snapshot() graphSnapshot {
	s := graphSnapshot{fake: map[string]Requests{}, http: map[string]Requests{}, items: map[string]Requests{},
		admitted: map[string]Requests{}}
	for name, srv := range r.fakes {
		srv.Quiesce()
		s.fake[name] = srv.Requests()
		s.http[name], s.items[name] = r.proxies[name].counts()
	}
	r.mu.Lock()
	for name, a := range r.admitted {
		s.admitted[name] = maps.Clone(a)
	}
	r.mu.Unlock()
	return s
}

// since is what each mailbox received after before.
func (s graphSnapshot) since(before graphSnapshot) map[string]graphRequests {
	out := map[string]graphRequests{}
	for name := range s.fake {
		g := graphRequests{HTTP: requestsSince(before.http[name], s.http[name]),
			Items: requestsSince(before.items[name], s.items[name]), Fake: requestsSince(before.fake[name], s.fake[name])}
		admitted := requestsSince(before.admitted[name], s.admitted[name])
		for ep, n := range g.Fake {
			if ep != "token" && ep != "devicecode" {
				g.Refused += max(n-admitted[ep], 0)
			}
		}
		for ep, n := range g.Items {
			if !strings.HasPrefix(ep, "other ") {
				g.Skipped += max(min(n, n+g.HTTP[ep]-g.Fake[ep]), 0)
			}
		}
		out[name] = g
	}
	return out
}

// measure runs fn as one phase and returns its step. A failed run is
// recorded in the step, not returned: the error returned is the
// benchmark's own.
func (r *outlookRig) measure(ctx context.Context, phase string, fn func() (Cost, error)) (outlookStep, error) {
	before := r.snapshot()
	hubBefore, err := hubInfo(ctx, r.db)
	if err != nil {
		return outlookStep{}, err
	}
	m := startMeter()
	c, err := fn()
	after := r.snapshot()
	fake := m.stop()
	if ctx.Err() != nil {
		return outlookStep{}, ctx.Err()
	}
	st := outlookStep{Phase: phase, Cost: c, Requests: after.since(before), FakeCPU: fake.CPU()}
	if err != nil {
		st.Err = err.Error()
		if st.Cost.Wall == 0 {
			// spawnChild reports no cost for a failed run: its wall time
			// is this process's.
			st.Cost.Wall = fake.Wall
		}
	}
	hubAfter, err := hubInfo(ctx, r.db)
	if err != nil {
		return outlookStep{}, err
	}
	st.Hub = diffHub(hubBefore, hubAfter)
	return st, nil
}

// edit changes the contacts idx on mailbox A as their owner would in
// Outlook: the contact as it is now, with the edited version's mobile
// number and notes.
func (r *outlookRig) edit(g *Generator, ids []string, idx []int) error {
	u := r.users[outlookA]
	for _, i := range idx {
		e := outlookContact(i, g.Card(i, 1))
		if !u.Edit(ids[i], func(c *graphtest.Contact) { c.MobilePhone, c.PersonalNotes = e.MobilePhone, e.PersonalNotes }) {
			return fmt.Errorf("edit contact %d: %s is gone from mailbox A", i, ids[i])
		}
	}
	return nil
}

// compare reports whether mailbox B holds exactly the contacts of mailbox
// A: by name, and by everything the benchmark wrote (names, e-mail
// addresses, phone numbers, home address, company, notes, birthday,
// photo).
func (r *outlookRig) compare(n int) (string, bool) {
	keys := func(u *graphtest.User, key func(*graphtest.User, graphtest.Contact) string) (map[string]int, int) {
		out := map[string]int{}
		cs := u.Contacts()
		for _, c := range cs {
			out[key(u, c)]++
		}
		return out, len(cs)
	}
	missing := func(want, got map[string]int) int {
		k := 0
		for key, c := range want {
			k += max(c-got[key], 0)
		}
		return k
	}
	name := func(_ *graphtest.User, c graphtest.Contact) string { return c.GivenName + " " + c.Surname }
	a, b := r.users[outlookA], r.users[outlookB]
	an, na := keys(a, name)
	bn, nb := keys(b, name)
	af, _ := keys(a, outlookKey)
	bf, _ := keys(b, outlookKey)
	mn, md := missing(an, bn), missing(af, bf)
	msg := fmt.Sprintf("A %d, B %d contacts for %d; of A's contacts %d have no namesake on B, %d no identical copy (names, e-mail, phones, address, company, notes, birthday, photo)",
		na, nb, n, mn, md)
	return msg, na == n && nb == n && mn == 0 && md == 0
}

// Run starts the rig and measures the three phases.
func (ob *outlookBench) Run(ctx context.Context) (*outlookResult, error) {
	res := &outlookResult{Machine: describeMachine(ctx, ""), N: ob.N, Changes: min(ob.Changes, ob.N), Seed: ob.Seed,
		Repeat: max(ob.Repeat, 1), RateLimit: ob.RateLimit}
	ob.progress("outlook n=%d: seeding mailbox A", ob.N)
	r, ids, photos, err := ob.newRig(ctx)
	if err != nil {
		return res, err
	}
	defer r.Close(ob.Keep)
	res.Photos = photos
	args := []string{"sync", "--init"}
	if ob.Verbose {
		args = append(args, "-v")
	}
	sync := func() (Cost, error) {
		if ob.Spawner == "" {
			return r.cli.run(ctx, args...)
		}
		return spawnChild(ctx, ob.Spawner, r.cli.bin, append([]string{"--config", r.cli.config}, args...))
	}
	ran := func(s *outlookStep) {
		res.Checks.add(fmt.Sprintf("%s runs without errors", s.label(res.Changes, res.Repeat)), s.Err == "", "%s",
			cmp.Or(lastLines(s.Err, 3), "exit status 0"))
	}

	ob.progress("outlook n=%d: initial sync", ob.N)
	s, err := r.measure(ctx, phaseInitial, sync)
	if err != nil {
		return res, err
	}
	res.Steps = append(res.Steps, s)
	ran(&s)
	msg, ok := r.compare(ob.N)
	res.Checks.add("after the initial sync, B holds A's contacts", ok, "%s", msg)
	res.Checks.add(fmt.Sprintf("the initial sync stores %d contacts in the hub", ob.N), s.Hub.records("contacts") == ob.N,
		"hub: %s", s.Hub)

	for k := range res.Repeat {
		ob.progress("outlook n=%d: no-change sync (%d of %d)", ob.N, k+1, res.Repeat)
		s, err := r.measure(ctx, phaseNoChange, sync)
		if err != nil {
			return res, err
		}
		s.Run = k + 1
		res.Steps = append(res.Steps, s)
		ran(&s)
		w := outlookWrites(s.Requests)
		label := s.label(res.Changes, res.Repeat)
		res.Checks.add(fmt.Sprintf("%s writes no contact", label), len(w) == 0 && !s.Hub.updated("contacts"),
			"writes to the mailboxes: %s; hub contacts written: %t", orNone(w), s.Hub.updated("contacts"))
		if k == 0 {
			// B lists its own creates of the import back through delta:
			// storing the token that moves past them is this run's one
			// write.
			res.Checks.add(fmt.Sprintf("target %s: writes only account state", label), s.Hub.onlyState(),
				"store collections written: %s", s.Hub)
			continue
		}
		res.Checks.add(fmt.Sprintf("target %s: writes nothing to the store", label), s.Hub.empty(),
			"store collections written: %s", s.Hub)
	}

	edited := Edited(ob.N, ob.Changes)
	if err := r.edit(NewGenerator(ob.Seed), ids, edited); err != nil {
		return res, err
	}
	ob.progress("outlook n=%d: sync after %d changes", ob.N, len(edited))
	if s, err = r.measure(ctx, phaseChanges, sync); err != nil {
		return res, err
	}
	res.Steps = append(res.Steps, s)
	ran(&s)
	msg, ok = r.compare(ob.N)
	res.Checks.add(fmt.Sprintf("after %d changes on A, B holds A's contacts", len(edited)), ok, "%s", msg)
	res.Checks.add(fmt.Sprintf("%d changes update hub records and add none", len(edited)),
		s.Hub.updated("contacts") == (len(edited) > 0) && s.Hub.records("contacts") == 0, "hub: %s", s.Hub)
	ob.agree(res)
	ob.targets(res)
	return res, nil
}

// agree checks the proxies against the fakes: every request the fake
// counted is an HTTP request or a request in a batch the proxy saw, and
// every $batch too; the fake may count fewer requests in batches, those it
// skipped (graphRequests.Skipped). A mismatch means a request bypassed the
// proxy (a link it did not rewrite) or the two name an endpoint
// differently, and the HTTP counts above are wrong.
func (ob *outlookBench) agree(res *outlookResult) {
	var bad []string
	for _, s := range res.Steps {
		for _, acct := range slices.Sorted(maps.Keys(s.Requests)) {
			g := s.Requests[acct]
			names := map[string]bool{}
			for _, m := range []Requests{g.Fake, g.HTTP, g.Items} {
				for k := range m {
					if !strings.HasPrefix(k, "$batch[") {
						names[k] = true
					}
				}
			}
			for _, ep := range slices.Sorted(maps.Keys(names)) {
				want := g.HTTP[ep] + g.Items[ep]
				skipped := 0
				switch {
				case ep == "$batch":
					want = g.batches("")
				case !strings.HasPrefix(ep, "other "):
					skipped = min(g.Items[ep], max(want-g.Fake[ep], 0))
				}
				if g.Fake[ep] != want-skipped {
					bad = append(bad, fmt.Sprintf("%s %s %s: fake %d, proxy %d", s.label(res.Changes, res.Repeat), acct, ep, g.Fake[ep], want))
				}
			}
		}
	}
	res.Checks.add("the proxies saw every request the fakes counted", len(bad) == 0, "%s", cmp.Or(strings.Join(bad, "; "), "they agree"))
}

// targets adds the request targets, the protocol minimum, to the checks:
// their names begin with "target", and a missed one is reported, not
// failed. A run that failed meets none: its few requests are no sync.
func (ob *outlookBench) targets(res *outlookResult) {
	n, k := res.N, res.Changes
	for _, s := range res.steps(phaseInitial) {
		a, b := s.Requests[outlookA], s.Requests[outlookB]
		want := ceilDiv(n, outlookDeltaPage)
		res.Checks.add(fmt.Sprintf("target initial: A is read in ceil(N/%d) = %d delta pages", outlookDeltaPage, want),
			s.Err == "" && a.HTTP["contacts.delta"] == want, "A: %s", a)
		want = ceilDiv(n, outlookBatch)
		photos := min(res.Photos, want)
		res.Checks.add(fmt.Sprintf("target initial: B gets the N contacts in ceil(N/%d) = %d $batch of creates, and its %d photos in at most %d more",
			outlookBatch, want, res.Photos, photos),
			s.Err == "" && b.batches("contacts.create") == want && b.batches("photo.put") <= photos && b.Items["photo.put"] == res.Photos,
			"B: %s", b)
	}
	for _, s := range res.steps(phaseNoChange) {
		a, b := s.Requests[outlookA], s.Requests[outlookB]
		label := s.label(k, res.Repeat)
		if s.Run == 1 {
			want := ceilDiv(n, outlookDeltaPage)
			res.Checks.add(fmt.Sprintf("target %s: one delta page on A; B lists its own %d creates back in ceil(N/%d) = %d delta pages and reads none of them",
				label, n, outlookDeltaPage, want),
				s.Err == "" && a.HTTP.Total() == 1 && a.HTTP["contacts.delta"] == 1 && b.HTTP.Total() == want && b.HTTP["contacts.delta"] == want,
				"A: %s; B: %s", a, b)
			continue
		}
		res.Checks.add(fmt.Sprintf("target %s: one request per account (a delta page; token requests count)", label),
			s.Err == "" && a.HTTP.Total() == 1 && b.HTTP.Total() == 1 && a.HTTP["contacts.delta"] == 1 && b.HTTP["contacts.delta"] == 1,
			"A: %s; B: %s", a, b)
	}
	for _, s := range res.steps(phaseChanges) {
		a, b := s.Requests[outlookA], s.Requests[outlookB]
		want := ceilDiv(k, outlookBatch)
		res.Checks.add(fmt.Sprintf("target %d changes: 1 delta page on A (reads of the changed contacts' photos shown); %d $batch of updates and its own 1 delta page on B", k, want),
			s.Err == "" && a.HTTP["contacts.delta"] == 1 && b.batches("contacts.update") == want && b.HTTP["contacts.delta"] == 1 &&
				b.HTTP.Total() == want+1,
			"A: %s; B: %s", a, b)
	}
}

// outlookWrites returns the write requests in reqs, in batches or not, as
// "account endpoint count" strings.
func outlookWrites(reqs map[string]graphRequests) []string {
	var out []string
	for _, acct := range slices.Sorted(maps.Keys(reqs)) {
		for _, ep := range slices.Sorted(maps.Keys(reqs[acct].Fake)) {
			if isOutlookWrite(ep) {
				out = append(out, fmt.Sprintf("%s %s %d", acct, ep, reqs[acct].Fake[ep]))
			}
		}
	}
	return out
}

// outlookContact is contact i as its owner would have typed it into
// Outlook: the generator's names, a mobile and a business number (a home
// one for every fourth), the home address, birthday and notes; one, two
// or three e-mail addresses; the company, department and job title for
// two contacts in three.
func outlookContact(i int, c *mapping.Card) graphtest.Contact {
	comp := func(prop *mapping.Property, k int) string {
		if cs := prop.Components(); k < len(cs) {
			return cs[k]
		}
		return ""
	}
	var ct graphtest.Contact
	if n := c.Get("N"); n != nil {
		ct.Surname, ct.GivenName = comp(n, 0), comp(n, 1)
	}
	fn := c.Value("FN")
	emails := c.All("EMAIL")
	for k, e := range emails {
		if k > i%3 {
			break
		}
		ct.EmailAddresses = append(ct.EmailAddresses, graphtest.EmailAddress{Name: fn, Address: e.Text()})
	}
	if i%3 == 2 && len(emails) > 0 {
		local, _, _ := strings.Cut(emails[0].Text(), "@")
		ct.EmailAddresses = append(ct.EmailAddresses, graphtest.EmailAddress{Name: fn, Address: local + "@outlook.example.com"})
	}
	for _, t := range c.All("TEL") {
		if slices.Contains(t.Types(), "cell") {
			ct.MobilePhone = t.Text()
		} else {
			ct.BusinessPhones = append(ct.BusinessPhones, t.Text())
		}
	}
	if i%4 == 0 {
		ct.HomePhones = []string{fmt.Sprintf("+1 555 %03d %04d", i%997, (i*7919)%10000)}
	}
	if a := c.Get("ADR"); a != nil {
		ct.HomeAddress = graphtest.PhysicalAddress{Street: comp(a, 2), City: comp(a, 3), State: comp(a, 4),
			PostalCode: comp(a, 5), CountryOrRegion: comp(a, 6)}
	}
	if o := c.Get("ORG"); o != nil && i%3 != 1 {
		ct.CompanyName, ct.Department, ct.JobTitle = comp(o, 0), comp(o, 1), c.Value("TITLE")
	}
	ct.Birthday = c.Value("BDAY")
	ct.PersonalNotes = c.Value("NOTE")
	return ct
}

// contactPhoto is the photo of contact i: a 48×48 JPEG of about 1 KB, a
// gradient of the contact's own colour.
func contactPhoto(i int) ([]byte, error) {
	img := image.NewRGBA(image.Rect(0, 0, 48, 48))
	for y := range 48 {
		for x := range 48 {
			img.Set(x, y, color.RGBA{R: uint8(i * 37), G: uint8(x * 5), B: uint8(y*5 + i), A: 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 75}); err != nil {
		return nil, fmt.Errorf("photo of contact %d: %w", i, err)
	}
	return b.Bytes(), nil
}

// outlookKey is what the comparison of two mailboxes looks at: the fields
// outlookContact writes, by value (order aside), and the photo.
func outlookKey(u *graphtest.User, c graphtest.Contact) string {
	sorted := func(vs []string) string {
		vs = slices.Clone(vs)
		slices.Sort(vs)
		return strings.Join(vs, ",")
	}
	var emails []string
	for _, e := range c.EmailAddresses {
		emails = append(emails, strings.ToLower(e.Address))
	}
	a := c.HomeAddress
	photo := ""
	if b, _, ok := u.Photo(c.ID); ok {
		photo = fmt.Sprintf("%x", sha256.Sum256(b))
	}
	return strings.Join([]string{c.GivenName + " " + c.Surname, sorted(emails), c.MobilePhone, sorted(c.BusinessPhones),
		sorted(c.HomePhones), strings.Join([]string{a.Street, a.City, a.State, a.PostalCode, a.CountryOrRegion}, ";"),
		c.CompanyName + ";" + c.Department + ";" + c.JobTitle, c.PersonalNotes, c.Birthday, photo}, "|")
}

// A graphProxy is a loopback reverse proxy in front of one Graph fake
// that counts the HTTP requests a client sends, by the fake's endpoint
// names, and the requests inside its batches. The fake's absolute links
// (@odata.nextLink, @odata.deltaLink) are rewritten to lead back through
// it.
type graphProxy struct {
	URL    string
	target string // the fake's base, "http://127.0.0.1:port"
	srv    *http.Server
	rp     *httputil.ReverseProxy

	mu    sync.Mutex
	http  Requests
	items Requests
}

// newGraphProxy starts a proxy on a free loopback port forwarding to the
// server at base.
func newGraphProxy(base string) (*graphProxy, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &graphProxy{URL: "http://" + l.Addr().String(), target: base, http: Requests{}, items: Requests{}}
	p.rp = &httputil.ReverseProxy{
		Rewrite:        func(pr *httputil.ProxyRequest) { pr.SetURL(u) },
		Transport:      &http.Transport{MaxIdleConnsPerHost: 32, DisableCompression: true},
		ModifyResponse: p.rewrite,
	}
	p.srv = &http.Server{Handler: p}
	go p.srv.Serve(l)
	return p, nil
}

// ServeHTTP counts r and forwards it.
func (p *graphProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := graphEndpoint(r.Method, r.URL)
	var items []string
	if name == "$batch" && r.Body != nil {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		var b struct {
			Requests []struct{ Method, URL string } `json:"requests"`
		}
		if json.Unmarshal(body, &b) == nil {
			for _, it := range b.Requests {
				iu, err := url.Parse(it.URL)
				if err != nil {
					iu = &url.URL{Path: it.URL}
				}
				items = append(items, graphEndpoint(strings.ToUpper(it.Method), iu))
			}
		}
		kinds := slices.Compact(slices.Sorted(slices.Values(items)))
		name = "$batch[" + strings.Join(kinds, "+") + "]"
	}
	p.mu.Lock()
	p.http[name]++
	for _, it := range items {
		p.items[it]++
	}
	p.mu.Unlock()
	p.rp.ServeHTTP(w, r)
}

// rewrite makes the fake's links in a response lead to the proxy.
func (p *graphProxy) rewrite(res *http.Response) error {
	if loc := res.Header.Get("Location"); strings.HasPrefix(loc, p.target) {
		res.Header.Set("Location", p.URL+strings.TrimPrefix(loc, p.target))
	}
	if res.Header.Get("Content-Encoding") != "" || res.Body == nil {
		return nil // left alone: its links bypass the proxy, and agree says so
	}
	b, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return err
	}
	b = bytes.ReplaceAll(b, []byte(p.target), []byte(p.URL))
	res.Body = io.NopCloser(bytes.NewReader(b))
	res.ContentLength = int64(len(b))
	res.Header.Set("Content-Length", strconv.Itoa(len(b)))
	return nil
}

// counts returns copies of the counts so far.
func (p *graphProxy) counts() (direct, items Requests) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.http), maps.Clone(p.items)
}

// Close stops the proxy.
func (p *graphProxy) Close() { p.srv.Close() }

// graphEndpoint names a request to Graph or the identity platform as the
// fake counts it ("contacts.delta", "photo.get", "$batch", "token" …),
// or "other METHOD" for a request the fake has no name for.
func graphEndpoint(method string, u *url.URL) string {
	path := u.EscapedPath()
	switch {
	case strings.HasSuffix(path, "/oauth2/v2.0/token"):
		return "token"
	case strings.HasSuffix(path, "/oauth2/v2.0/devicecode"):
		return "devicecode"
	}
	// Empty segments go, as the fake drops them.
	segs := strings.Split(strings.Trim(strings.TrimPrefix(path, "/v1.0"), "/"), "/")
	eq := strings.EqualFold
	other := "other " + method
	pick := func(ops map[string]string) string {
		if op, ok := ops[method]; ok {
			return op
		}
		return other
	}
	switch {
	case len(segs) == 1 && segs[0] == "$batch":
		return "$batch"
	case len(segs) >= 1 && eq(segs[0], "me"):
		segs = segs[1:]
	case len(segs) >= 2 && eq(segs[0], "users"):
		segs = segs[2:]
	default:
		return other
	}
	isDelta := func(s string) bool {
		return eq(strings.TrimSuffix(strings.TrimPrefix(strings.ToLower(s), "microsoft.graph."), "()"), "delta")
	}
	contacts := func(segs []string) string {
		switch {
		case len(segs) == 0:
			return pick(map[string]string{"GET": "contacts.list", "POST": "contacts.create"})
		case len(segs) == 1 && isDelta(segs[0]):
			return pick(map[string]string{"GET": "contacts.delta"})
		case len(segs) == 1:
			return pick(map[string]string{"GET": "contacts.get", "PATCH": "contacts.update", "DELETE": "contacts.delete"})
		case len(segs) == 3 && eq(segs[1], "photo") && segs[2] == "$value":
			return pick(map[string]string{"GET": "photo.get", "PUT": "photo.put", "PATCH": "photo.put", "DELETE": "photo.delete"})
		}
		return other
	}
	switch {
	case len(segs) == 0:
		return other
	case eq(segs[0], "contacts"):
		return contacts(segs[1:])
	case eq(segs[0], "outlook") && len(segs) == 2 && eq(segs[1], "masterCategories"):
		return pick(map[string]string{"GET": "masterCategories.list"})
	case !eq(segs[0], "contactFolders"):
		return other
	}
	segs = segs[1:]
	switch {
	case len(segs) == 0:
		return pick(map[string]string{"GET": "contactFolders.list", "POST": "contactFolders.create"})
	case len(segs) == 1 && isDelta(segs[0]):
		return pick(map[string]string{"GET": "contactFolders.delta"})
	}
	i := 1
	for i+1 < len(segs) && eq(segs[i], "childFolders") {
		i += 2
	}
	rest := segs[i:]
	switch {
	case len(rest) == 0:
		return pick(map[string]string{"GET": "contactFolders.get", "DELETE": "contactFolders.delete", "PATCH": "contactFolders.update"})
	case len(rest) == 1 && eq(rest[0], "childFolders"):
		return pick(map[string]string{"GET": "contactFolders.list", "POST": "contactFolders.create"})
	case eq(rest[0], "contacts"):
		return contacts(rest[1:])
	}
	return other
}

// writeOutlookMarkdown writes the results as Markdown tables, headings at
// level 3 so that they can sit under a section of docs/benchmarks.md.
func writeOutlookMarkdown(w io.Writer, res *outlookResult) error {
	var b strings.Builder
	m := res.Machine
	fmt.Fprintf(&b, "### Machine\n\n- %d CPUs (GOMAXPROCS %d), %s\n- %s, kernel %s, %s\n", m.CPUs, m.GOMAXPROCS, m.CPUModel,
		m.OS, orUnknown(m.Kernel), m.Go)
	fmt.Fprintf(&b, "- load average %s at the end\n- seed %d, N = %d (%d with a photo), %d changes\n- fake limits: %s\n\n",
		loadAverage(), res.Seed, res.N, res.Photos, res.Changes, res.limits())
	fmt.Fprintf(&b, "### Outlook A (%d contacts) → hub → Outlook B (empty), Microsoft Graph fake\n\n", res.N)
	b.WriteString("HTTP requests by endpoint (a `$batch` under the endpoints of the requests it carries), then the requests inside batches; token requests count.\n\n")
	b.WriteString("| phase | wall | client CPU (user + sys) | client peak RSS | requests to A | requests to B | hub writes (records added) | fakes' and proxies' CPU |\n")
	b.WriteString("|---|---:|---:|---:|---|---|---|---:|\n")
	for _, s := range res.Steps {
		label := s.label(res.Changes, res.Repeat)
		if s.Err != "" {
			label += " (**failed**)"
		}
		cpu := fmtCPU(s.Cost)
		if s.Err != "" && s.Cost.CPU() == 0 {
			cpu = "—" // cbbench spawn reports no cost for a failed run
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", label, fmtDur(s.Cost.Wall), cpu,
			fmtBytes(s.Cost.PeakRSS), s.Requests[outlookA], s.Requests[outlookB], s.Hub, fmtDur(s.FakeCPU))
	}
	b.WriteString("\n")
	res.Checks.markdown(&b, "Checks and targets")
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// runOutlook parses the flags of `cbbench outlook`, runs it and writes
// the results.
func runOutlook(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("cbbench outlook", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 10000, "number of contacts in mailbox A")
	changes := fs.Int("changes", 20, "number of contacts the change phase edits on A")
	repeat := fs.Int("repeat", 2, "run the no-change phase this many times (each run is reported)")
	photoEvery := fs.Int("photo-every", 20, "give one contact of A in `K` a photo (0: none)")
	rateLimit := fs.Int("rate-limit", 0, "the fake's requests per 10 minutes per mailbox (0: Graph's 10,000; -1: no limit)")
	seed := fs.Uint64("seed", 1, "seed of the generated contacts")
	contactbridge := fs.String("contactbridge-bin", "", "contactbridge binary to measure (default: build it from this module)")
	out := fs.String("out", "", "write the Markdown report to `FILE` (default: standard output)")
	dir := fs.String("dir", "", "folder for the temporary data (default: the system's)")
	keep := fs.Bool("keep", false, "keep the temporary folder")
	verbose := fs.Bool("v", false, "run contactbridge with -v")
	quiet := fs.Bool("q", false, "do not print progress to standard error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("outlook: unexpected arguments %q", fs.Args())
	}
	if *n < 1 || *changes < 0 || *photoEvery < 0 {
		return fmt.Errorf("outlook: -n %d -changes %d -photo-every %d: want at least one contact and no negative numbers", *n, *changes, *photoEvery)
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("outlook: find cbbench itself, to start contactbridge from: %w", err)
	}
	ob := &outlookBench{N: *n, Changes: *changes, Repeat: *repeat, Seed: *seed, PhotoEvery: *photoEvery, RateLimit: *rateLimit,
		WorkDir: *dir, Keep: *keep, Verbose: *verbose, Contactbridge: *contactbridge, Spawner: self}
	if !*quiet {
		ob.Progress = stderr
	}
	res, err := ob.Run(ctx)
	if err != nil {
		return err
	}
	if err := writeTo(*out, stdout, func(w io.Writer) error { return writeOutlookMarkdown(w, res) }); err != nil {
		return err
	}
	return res.Checks.err()
}
