package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/contactbridge/contactbridge/connectors/google/googletest"
	"github.com/contactbridge/contactbridge/mapping"
	"github.com/contactbridge/contactbridge/store"
	"github.com/contactbridge/contactbridge/store/sqlite"
)

// The protocol limits the request targets of `cbbench google` come from
// (the People API reference, §0).
const (
	googleListPage   = 1000 // people per connections.list page
	googleBatchWrite = 200  // contacts per batchCreateContacts / batchUpdateContacts
)

// googleHubUser is the store user `contactbridge` keeps the hub under in
// its embedded store (cmd/contactbridge/store.go).
const googleHubUser = "local"

// isGoogleWrite reports whether endpoint (as the fake counts it) changes
// an account.
func isGoogleWrite(endpoint string) bool {
	switch endpoint {
	case "createContact", "updateContact", "deleteContact", "batchCreateContacts", "batchUpdateContacts",
		"batchDeleteContacts", "updateContactPhoto", "deleteContactPhoto", "contactGroups.create",
		"contactGroups.update", "contactGroups.delete", "contactGroups.members.modify":
		return true
	}
	return false
}

// A googleBench syncs two accounts of the Google People API fake
// (googletest, in this process, on loopback) through the hub: account A
// holds N generated contacts written straight into the fake, account B
// starts empty. contactbridge runs as the `contactbridge sync` command in
// a child process, one run per phase, as `cbbench carddav` runs it.
type googleBench struct {
	N       int
	Changes int
	Repeat  int
	Seed    uint64
	WorkDir string
	Keep    bool
	Verbose bool // pass -v to contactbridge (its log goes nowhere unless a run fails)
	// Contactbridge is the contactbridge binary to measure; "" builds it
	// from this module.
	Contactbridge string
	// Spawner is the cbbench binary that starts each contactbridge run
	// (`cbbench spawn`), so that its peak RSS is its own; "" starts it from
	// this process, whose RSS (the fakes' contacts) then counts in the
	// child's peak.
	Spawner  string
	Progress io.Writer
}

// The account names of the benchmark's config.
const (
	googleA = "google-a"
	googleB = "google-b"
)

// A googleStep is one measured phase: the child's cost, the requests each
// account's fake received by endpoint, the CPU the fakes (this process)
// spent meanwhile, and what changed in the hub. A repeated phase has a
// step per run, its Run counted from 1: the runs' requests can differ (the
// first no-change run after the initial sync lists what that sync wrote to
// B), so no median stands for them.
type googleStep struct {
	Phase    string
	Run      int
	Cost     Cost
	Requests map[string]Requests // by account
	FakeCPU  time.Duration
	Hub      hubChange
}

// label is the step's phase as the report shows it.
func (s *googleStep) label(changes, runs int) string {
	if runs > 1 && s.Phase == phaseNoChange {
		return fmt.Sprintf("%s (%d of %d)", s.Phase, s.Run, runs)
	}
	return phaseLabel(s.Phase, changes)
}

// A googleResult is what one `cbbench google` measured.
type googleResult struct {
	Machine Machine
	N       int
	Changes int
	Seed    uint64
	Repeat  int
	Steps   []googleStep
	Checks  checks
}

// steps returns the steps of phase, in the order they ran.
func (res *googleResult) steps(phase string) []*googleStep {
	var out []*googleStep
	for i := range res.Steps {
		if res.Steps[i].Phase == phase {
			out = append(out, &res.Steps[i])
		}
	}
	return out
}

// A googleRig is the fake, one server per account so that each account's
// requests are counted apart, the contactbridge config and the hub's file.
type googleRig struct {
	root  string
	fakes map[string]*googletest.Server // by account
	users map[string]*googletest.User
	cli   *cliRig
	db    string
}

// Close stops the fakes and removes the data unless keep.
func (r *googleRig) Close(keep bool) {
	for _, s := range r.fakes {
		s.Close()
	}
	if !keep {
		os.RemoveAll(r.root)
	}
}

func (gb *googleBench) progress(format string, args ...any) {
	if gb.Progress != nil {
		fmt.Fprintf(gb.Progress, format+"\n", args...)
	}
}

// newRig starts the fakes, seeds account A and writes the config.
func (gb *googleBench) newRig(ctx context.Context) (*googleRig, []string, error) {
	root, err := os.MkdirTemp(gb.WorkDir, "cbbench-google-")
	if err != nil {
		return nil, nil, err
	}
	r := &googleRig{root: root, fakes: map[string]*googletest.Server{}, users: map[string]*googletest.User{},
		db: filepath.Join(root, "store.db")}
	var accounts []cliAccount
	for _, name := range []string{googleA, googleB} {
		// ReadAfterWrite stays 0: a write is listed at once, so that each
		// phase's requests are the connector's, not the propagation delay's.
		srv := googletest.New(googletest.Options{})
		r.fakes[name] = srv
		refresh := "1//cbbench-refresh-" + name
		r.users[name] = srv.AddUser(refresh)
		path, err := secretFile(root, name+".token", refresh)
		if err != nil {
			r.Close(false)
			return nil, nil, err
		}
		accounts = append(accounts, cliAccount{"name": name, "type": "google", "client_id": "cbbench",
			"refresh_token_file": path, "api_endpoint": srv.URL(), "token_url": srv.TokenURL()})
	}
	bin := gb.Contactbridge
	if bin == "" {
		gb.progress("building contactbridge")
		if bin, err = buildContactbridge(ctx, root); err != nil {
			r.Close(false)
			return nil, nil, err
		}
	}
	if r.cli, err = newCLIRig(bin, root, accounts); err != nil {
		r.Close(false)
		return nil, nil, err
	}
	g := NewGenerator(gb.Seed)
	names := make([]string, gb.N)
	for i := range gb.N {
		names[i] = r.users[googleA].Put(googlePerson(g.Card(i, 0)))
	}
	return r, names, nil
}

// measure runs fn as one phase and returns its step.
func (r *googleRig) measure(ctx context.Context, phase string, fn func() (Cost, error)) (googleStep, error) {
	before := map[string]map[string]int{}
	for name, s := range r.fakes {
		s.Quiesce()
		before[name] = s.Requests()
	}
	hubBefore, err := hubInfo(ctx, r.db)
	if err != nil {
		return googleStep{}, err
	}
	m := startMeter()
	c, err := fn()
	if err != nil {
		return googleStep{}, fmt.Errorf("google %s: %w", phase, err)
	}
	for _, s := range r.fakes {
		s.Quiesce()
	}
	fake := m.stop()
	st := googleStep{Phase: phase, Cost: c, Requests: map[string]Requests{}, FakeCPU: fake.CPU()}
	for name, s := range r.fakes {
		st.Requests[name] = requestsSince(before[name], s.Requests())
	}
	hubAfter, err := hubInfo(ctx, r.db)
	if err != nil {
		return googleStep{}, err
	}
	st.Hub = diffHub(hubBefore, hubAfter)
	return st, nil
}

// requestsSince is the requests counted in after but not yet in before.
func requestsSince(before, after map[string]int) Requests {
	out := Requests{}
	for k, n := range after {
		if d := n - before[k]; d > 0 {
			out[k] = d
		}
	}
	return out
}

// edit changes the contacts idx on account A as their owner would on a
// phone: the contact as it is now (with whatever the bridge stored on it),
// with the edited version's phone numbers and note.
func (r *googleRig) edit(g *Generator, names []string, idx []int) error {
	u := r.users[googleA]
	now := map[string]googletest.Person{}
	for _, p := range u.People() {
		now[p.ResourceName] = p
	}
	for _, i := range idx {
		p, ok := now[names[i]]
		if !ok {
			return fmt.Errorf("edit contact %d: %s is gone from account A", i, names[i])
		}
		e := googlePerson(g.Card(i, 1))
		p.PhoneNumbers, p.Biographies = e.PhoneNumbers, e.Biographies
		u.Put(p)
	}
	return nil
}

// compare reports whether account B holds exactly the contacts of account
// A: by name, and by everything the generator wrote (names, e-mail
// addresses, phone numbers, address, organisation, note, birthday).
func (r *googleRig) compare(n int) (string, bool) {
	a, b := r.users[googleA].People(), r.users[googleB].People()
	names := func(ps []googletest.Person, key func(googletest.Person) string) map[string]int {
		out := map[string]int{}
		for _, p := range ps {
			out[key(p)]++
		}
		return out
	}
	missing := func(want, got map[string]int) int {
		k := 0
		for key, c := range want {
			k += max(c-got[key], 0)
		}
		return k
	}
	an, bn := names(a, personName), names(b, personName)
	af, bf := names(a, personKey), names(b, personKey)
	mn, md := missing(an, bn), missing(af, bf)
	msg := fmt.Sprintf("A %d, B %d contacts for %d; of A's contacts %d have no namesake on B, %d no identical copy (names, e-mail, phones, address, org, note, birthday)",
		len(a), len(b), n, mn, md)
	return msg, len(a) == n && len(b) == n && mn == 0 && md == 0
}

// Run starts the rig and measures the three phases.
func (gb *googleBench) Run(ctx context.Context) (*googleResult, error) {
	res := &googleResult{Machine: describeMachine(ctx, ""), N: gb.N, Changes: min(gb.Changes, gb.N), Seed: gb.Seed,
		Repeat: max(gb.Repeat, 1)}
	gb.progress("google n=%d: seeding account A", gb.N)
	r, names, err := gb.newRig(ctx)
	if err != nil {
		return res, err
	}
	defer r.Close(gb.Keep)
	args := []string{"sync", "--init"}
	if gb.Verbose {
		args = append(args, "-v")
	}
	sync := func() (Cost, error) {
		if gb.Spawner == "" {
			return r.cli.run(ctx, args...)
		}
		return spawnChild(ctx, gb.Spawner, r.cli.bin, append([]string{"--config", r.cli.config}, args...))
	}

	gb.progress("google n=%d: initial sync", gb.N)
	s, err := r.measure(ctx, phaseInitial, sync)
	if err != nil {
		return res, err
	}
	res.Steps = append(res.Steps, s)
	msg, ok := r.compare(gb.N)
	res.Checks.add("after the initial sync, B holds A's contacts", ok, "%s", msg)
	res.Checks.add(fmt.Sprintf("the initial sync stores %d contacts in the hub", gb.N), s.Hub.records("contacts") == gb.N,
		"hub: %s", s.Hub)

	for k := range res.Repeat {
		gb.progress("google n=%d: no-change sync (%d of %d)", gb.N, k+1, res.Repeat)
		s, err := r.measure(ctx, phaseNoChange, sync)
		if err != nil {
			return res, err
		}
		s.Run = k + 1
		res.Steps = append(res.Steps, s)
		w := googleWrites(s.Requests)
		// As in `cbbench vdir`: no contact written anywhere, and, apart,
		// nothing written to the store at all (links and state included).
		res.Checks.add(fmt.Sprintf("%s writes no contact", s.label(res.Changes, res.Repeat)), len(w) == 0 && !s.Hub.updated("contacts"),
			"writes to the accounts: %s; hub contacts written: %t", orNone(w), s.Hub.updated("contacts"))
		if k == 0 {
			// B lists its own creates of the import back (the People API
			// has no token "after my writes"): storing the token that
			// moves past them is this run's one write.
			res.Checks.add(fmt.Sprintf("%s writes only account state", s.label(res.Changes, res.Repeat)), s.Hub.onlyState(),
				"store collections written: %s", s.Hub)
			continue
		}
		res.Checks.add(fmt.Sprintf("%s writes nothing to the store", s.label(res.Changes, res.Repeat)), s.Hub.empty(),
			"store collections written: %s", s.Hub)
	}

	edited := Edited(gb.N, gb.Changes)
	if err := r.edit(NewGenerator(gb.Seed), names, edited); err != nil {
		return res, err
	}
	gb.progress("google n=%d: sync after %d changes", gb.N, len(edited))
	if s, err = r.measure(ctx, phaseChanges, sync); err != nil {
		return res, err
	}
	res.Steps = append(res.Steps, s)
	msg, ok = r.compare(gb.N)
	res.Checks.add(fmt.Sprintf("after %d changes on A, B holds A's contacts", len(edited)), ok, "%s", msg)
	res.Checks.add(fmt.Sprintf("%d changes update hub records and add none", len(edited)),
		s.Hub.updated("contacts") == (len(edited) > 0) && s.Hub.records("contacts") == 0, "hub: %s", s.Hub)
	gb.targets(res)
	return res, nil
}

// targets adds the request targets, the protocol minimum, to the
// checks: their names begin with "target", and a missed one is reported,
// not failed.
func (gb *googleBench) targets(res *googleResult) {
	n, k := res.N, res.Changes
	for _, s := range res.steps(phaseInitial) {
		a, b := s.Requests[googleA], s.Requests[googleB]
		want := ceilDiv(n, googleListPage)
		res.Checks.add(fmt.Sprintf("target initial: A is listed in ceil(N/%d) = %d connections.list pages", googleListPage, want),
			a["connections.list"] == want, "A: %s", a)
		want = ceilDiv(n, googleBatchWrite)
		res.Checks.add(fmt.Sprintf("target initial: B gets the N contacts in ceil(N/%d) = %d batchCreateContacts", googleBatchWrite, want),
			b["batchCreateContacts"] == want, "B: %s", b)
	}
	for _, s := range res.steps(phaseNoChange) {
		a, b := s.Requests[googleA], s.Requests[googleB]
		res.Checks.add(fmt.Sprintf("target %s: one request per account (connections.list; token requests count)", s.label(k, res.Repeat)),
			a.Total() == 1 && b.Total() == 1 && a["connections.list"] == 1 && b["connections.list"] == 1,
			"A: %s; B: %s", a, b)
	}
	for _, s := range res.steps(phaseChanges) {
		a, b := s.Requests[googleA], s.Requests[googleB]
		want := ceilDiv(k, googleBatchWrite)
		other := b.Total() - b["batchUpdateContacts"] - b["connections.list"] - b["getBatchGet"]
		res.Checks.add(fmt.Sprintf("target %d changes: 1 connections.list on A; %d batchUpdateContacts and its own 1 connections.list on B (getBatchGet shown, allowed)", k, want),
			a.Total() == 1 && a["connections.list"] == 1 && b["batchUpdateContacts"] == want && b["connections.list"] == 1 && other == 0,
			"A: %s; B: %s", a, b)
	}
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// googleWrites returns the write requests in reqs, as "account endpoint
// count" strings.
func googleWrites(reqs map[string]Requests) []string {
	var out []string
	for _, acct := range slices.Sorted(maps.Keys(reqs)) {
		for _, ep := range slices.Sorted(maps.Keys(reqs[acct])) {
			if isGoogleWrite(ep) {
				out = append(out, fmt.Sprintf("%s %s %d", acct, ep, reqs[acct][ep]))
			}
		}
	}
	return out
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// hubInfo returns the hub's collections as the embedded store has them
// (none before the first run made the file). The store is opened only
// between runs, never while contactbridge has it open.
func hubInfo(ctx context.Context, path string) (map[string]store.Usage, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return map[string]store.Usage{}, nil
	}
	st, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		return nil, fmt.Errorf("hub: %w", err)
	}
	info, err := st.Info(ctx, googleHubUser)
	if cerr := st.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("hub %s: %w", path, err)
	}
	return info, nil
}

// A hubChange says which kinds of hub collection (collectionKind) a phase
// wrote to, and by how many records each kind grew: a write the store
// saw, whatever the engine reports.
type hubChange map[string]hubKind

// hubKind is the change of one kind of collection.
type hubKind struct {
	Collections int // collections written (their timestamp moved)
	Records     int // records added (negative: removed)
}

// diffHub compares two Info snapshots.
func diffHub(before, after map[string]store.Usage) hubChange {
	out := hubChange{}
	for _, coll := range slices.Sorted(maps.Keys(after)) {
		a, b := after[coll], before[coll]
		if a.Modified == b.Modified && a.Count == b.Count {
			continue
		}
		k := out[collectionKind(coll)]
		k.Collections++
		k.Records += int(a.Count - b.Count)
		out[collectionKind(coll)] = k
	}
	for coll, b := range before {
		if _, ok := after[coll]; !ok {
			k := out[collectionKind(coll)]
			k.Collections++
			k.Records -= int(b.Count)
			out[collectionKind(coll)] = k
		}
	}
	return out
}

func (h hubChange) empty() bool { return len(h) == 0 }

// onlyState reports whether nothing but account state ("st.*") changed,
// with no record added.
func (h hubChange) onlyState() bool {
	for kind, c := range h {
		if kind != "st.*" || c.Records != 0 {
			return false
		}
	}
	return true
}
func (h hubChange) records(kind string) int  { return h[kind].Records }
func (h hubChange) updated(kind string) bool { return h[kind].Collections > 0 }

// String writes the change as "contacts +10000, bs.* (2) +10000, st.* (2)
// +0", the count in brackets when a kind has several collections, or
// "none".
func (h hubChange) String() string {
	if len(h) == 0 {
		return "none"
	}
	var parts []string
	for _, kind := range slices.Sorted(maps.Keys(h)) {
		k := h[kind]
		s := kind
		if k.Collections > 1 {
			s += " (" + strconv.Itoa(k.Collections) + ")"
		}
		parts = append(parts, fmt.Sprintf("%s %+d", s, k.Records))
	}
	return strings.Join(parts, ", ")
}

// googlePerson is contact c as its owner would have typed it into Google
// Contacts: the generator's names, e-mail addresses, phone numbers,
// address, organisation, title, birthday and note (CATEGORIES and UID,
// which Google has no plain field for, are left out).
func googlePerson(c *mapping.Card) googletest.Person {
	var p googletest.Person
	comp := func(prop *mapping.Property, i int) string {
		if cs := prop.Components(); i < len(cs) {
			return cs[i]
		}
		return ""
	}
	if n := c.Get("N"); n != nil {
		p.Names = []googletest.Name{{FamilyName: comp(n, 0), GivenName: comp(n, 1)}}
	}
	for _, e := range c.All("EMAIL") {
		p.EmailAddresses = append(p.EmailAddresses, googletest.EmailAddress{Value: e.Text(), Type: googleType(e)})
	}
	for _, t := range c.All("TEL") {
		p.PhoneNumbers = append(p.PhoneNumbers, googletest.PhoneNumber{Value: t.Text(), Type: googleType(t)})
	}
	for _, a := range c.All("ADR") {
		p.Addresses = append(p.Addresses, googletest.Address{StreetAddress: comp(a, 2), City: comp(a, 3),
			Region: comp(a, 4), PostalCode: comp(a, 5), Country: comp(a, 6), Type: googleType(a)})
	}
	if o := c.Get("ORG"); o != nil {
		p.Organizations = []googletest.Organization{{Name: comp(o, 0), Department: comp(o, 1), Title: c.Value("TITLE")}}
	}
	if b := c.Value("BDAY"); b != "" {
		var y, m, d int32
		if _, err := fmt.Sscanf(b, "%d-%d-%d", &y, &m, &d); err == nil {
			p.Birthdays = []googletest.Birthday{{Date: &googletest.Date{Year: y, Month: m, Day: d}}}
		}
	}
	if note := c.Value("NOTE"); note != "" {
		p.Biographies = []googletest.Biography{{Value: note, ContentType: "TEXT_PLAIN"}}
	}
	return p
}

// googleType is Google's type for a property's first vCard TYPE.
func googleType(p *mapping.Property) string {
	for _, t := range p.Types() {
		switch t {
		case "cell":
			return "mobile"
		case "home", "work":
			return t
		}
	}
	return "other"
}

// personName is a person's given and family name.
func personName(p googletest.Person) string {
	if len(p.Names) == 0 {
		return ""
	}
	return p.Names[0].GivenName + " " + p.Names[0].FamilyName
}

// personKey is what the comparison of two accounts looks at: the fields
// googlePerson writes, by value (types and order aside).
func personKey(p googletest.Person) string {
	var f []string
	sorted := func(vs []string) string { slices.Sort(vs); return strings.Join(vs, ",") }
	var emails, phones, addrs, orgs, bios, bdays []string
	for _, e := range p.EmailAddresses {
		emails = append(emails, strings.ToLower(e.Value))
	}
	for _, t := range p.PhoneNumbers {
		phones = append(phones, t.Value)
	}
	for _, a := range p.Addresses {
		addrs = append(addrs, strings.Join([]string{a.StreetAddress, a.City, a.Region, a.PostalCode, a.Country}, ";"))
	}
	for _, o := range p.Organizations {
		orgs = append(orgs, o.Name+";"+o.Department+";"+o.Title)
	}
	for _, b := range p.Biographies {
		bios = append(bios, b.Value)
	}
	for _, b := range p.Birthdays {
		if b.Date != nil {
			bdays = append(bdays, fmt.Sprintf("%04d-%02d-%02d", b.Date.Year, b.Date.Month, b.Date.Day))
		}
	}
	f = append(f, personName(p), sorted(emails), sorted(phones), sorted(addrs), sorted(orgs), sorted(bios), sorted(bdays))
	return strings.Join(f, "|")
}

// writeGoogleMarkdown writes the results as Markdown tables, headings at
// level 3 so that they can sit under a section of docs/benchmarks.md.
func writeGoogleMarkdown(w io.Writer, res *googleResult) error {
	var b strings.Builder
	m := res.Machine
	fmt.Fprintf(&b, "### Machine\n\n- %d CPUs (GOMAXPROCS %d), %s\n- %s, kernel %s, %s\n", m.CPUs, m.GOMAXPROCS, m.CPUModel,
		m.OS, orUnknown(m.Kernel), m.Go)
	fmt.Fprintf(&b, "- load average %s at the end\n- seed %d, N = %d, %d changes\n\n", loadAverage(), res.Seed, res.N, res.Changes)
	fmt.Fprintf(&b, "### Google A (%d contacts) → hub → Google B (empty), People API fake\n\n", res.N)
	b.WriteString("| phase | wall | client CPU (user + sys) | client peak RSS | requests to A | requests to B | hub writes (records added) | fakes' CPU |\n")
	b.WriteString("|---|---:|---:|---:|---|---|---|---:|\n")
	for _, s := range res.Steps {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", s.label(res.Changes, res.Repeat), fmtDur(s.Cost.Wall), fmtCPU(s.Cost),
			fmtBytes(s.Cost.PeakRSS), s.Requests[googleA], s.Requests[googleB], s.Hub, fmtDur(s.FakeCPU))
	}
	b.WriteString("\n")
	res.Checks.markdown(&b, "Checks and targets")
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// runGoogle parses the flags of `cbbench google`, runs it and writes the
// results.
func runGoogle(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("cbbench google", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 10000, "number of contacts in account A")
	changes := fs.Int("changes", 20, "number of contacts the change phase edits on A")
	repeat := fs.Int("repeat", 1, "run the no-change phase this many times (each run is reported)")
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
		return fmt.Errorf("google: unexpected arguments %q", fs.Args())
	}
	if *n < 1 || *changes < 0 {
		return fmt.Errorf("google: -n %d -changes %d: want at least one contact and no negative changes", *n, *changes)
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("google: find cbbench itself, to start contactbridge from: %w", err)
	}
	gb := &googleBench{N: *n, Changes: *changes, Repeat: *repeat, Seed: *seed, WorkDir: *dir, Keep: *keep,
		Verbose: *verbose, Contactbridge: *contactbridge, Spawner: self}
	if !*quiet {
		gb.Progress = stderr
	}
	res, err := gb.Run(ctx)
	if err != nil {
		return err
	}
	if err := writeTo(*out, stdout, func(w io.Writer) error { return writeGoogleMarkdown(w, res) }); err != nil {
		return err
	}
	return res.Checks.err()
}

// spawnCommand is the internal subcommand that runs one measured child.
const spawnCommand = "spawn"

// runSpawn is `cbbench spawn BIN ARGS…`, for spawnChild: it runs BIN with
// ARGS as runChild does and prints the child's Cost as JSON.
//
// It exists for the peak RSS. Linux starts a child of a Go process sharing
// the parent's memory until exec (CLONE_VM|CLONE_VFORK), and exec records
// that memory's resident set in the child's ru_maxrss: a child of cbbench
// would report at least cbbench's RSS, which holds the fakes' 10,000
// contacts. Started from this small process instead, the child's peak is
// its own (this process's few MiB aside).
func runSpawn(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) < 1 {
		return errors.New("spawn: want a binary and its arguments")
	}
	c, err := runChild(ctx, filepath.Base(args[0]), args[0], nil, args[1:])
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(c)
}

// spawnChild runs bin with args through `spawner spawn` (runSpawn) and
// returns the cost of bin's process.
func spawnChild(ctx context.Context, spawner, bin string, args []string) (Cost, error) {
	cmd := exec.CommandContext(ctx, spawner, append([]string{spawnCommand, bin}, args...)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return Cost{}, fmt.Errorf("%s: %w: %s", filepath.Base(bin), err, lastLines(errOut.String(), 12))
	}
	var c Cost
	if err := json.Unmarshal(out.Bytes(), &c); err != nil {
		return Cost{}, fmt.Errorf("%s: the cost %s reported: %w", filepath.Base(bin), spawner, err)
	}
	return c, nil
}
