package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/contactbridge/contactbridge/connectors"
	"github.com/contactbridge/contactbridge/connectors/carddav"
)

// A davBench syncs a Radicale address book holding N generated contacts
// with an empty Xandikos one: through the hub (contactbridge), and directly
// (vdirsyncer, as the peer). Each tool gets fresh servers. Loading the N
// contacts into Radicale writes its storage folder before it starts, so
// the load costs no server time and is not measured.
type davBench struct {
	Sizes       []int
	Changes     int
	Repeat      int
	Seed        uint64
	Radicale    string // binaries
	Xandikos    string
	Vdirsyncer  string // "" to leave vdirsyncer out
	WorkDir     string
	Keep        bool
	Log         *slog.Logger
	Progress    io.Writer
	Concurrency int
	// Contactbridge is the contactbridge binary to measure; "" builds it
	// from this module.
	Contactbridge string
	// CPUProfile, when set, makes each contactbridge run write a CPU
	// profile there, with .n<size>.<run> inserted before the extension
	// (runs counted from 1: initial, no-change…, changes).
	CPUProfile string
}

// A davStep is one measured phase of one tool: the client's cost, and per
// server the requests it received and the CPU it spent.
type davStep struct {
	Tool      string
	N         int
	Phase     string
	Cost      Cost
	Requests  map[string]Requests // by server name
	ServerCPU map[string]time.Duration
	Samples   []time.Duration // wall times of repeated runs
}

// A davRig is the pair of servers of one tool's run, each behind a
// counting proxy.
type davRig struct {
	root      string
	rad, xan  *davServer
	prad, pxa *countingProxy
}

func (db *davBench) progress(format string, args ...any) {
	if db.Progress != nil {
		fmt.Fprintf(db.Progress, format+"\n", args...)
	}
}

// newRig starts fresh servers for one tool, Radicale loaded with n
// contacts.
func (db *davBench) newRig(ctx context.Context, tool string, n int) (*davRig, error) {
	root, err := os.MkdirTemp(db.WorkDir, "cbbench-dav-"+tool+"-")
	if err != nil {
		return nil, err
	}
	r := &davRig{root: root}
	g := NewGenerator(db.Seed)
	for _, d := range []string{"radicale", "xandikos", "tool"} {
		if err := os.Mkdir(filepath.Join(root, d), 0o700); err != nil {
			r.Close(false)
			return nil, err
		}
	}
	if r.rad, err = startRadicale(ctx, db.Radicale, filepath.Join(root, "radicale"), func(book string) error {
		_, err := g.WriteFolder(book, n)
		return err
	}); err != nil {
		r.Close(false)
		return nil, err
	}
	if r.xan, err = startXandikos(ctx, db.Xandikos, filepath.Join(root, "xandikos")); err != nil {
		r.Close(false)
		return nil, err
	}
	if r.prad, err = newCountingProxy(r.rad.URL); err != nil {
		r.Close(false)
		return nil, err
	}
	if r.pxa, err = newCountingProxy(r.xan.URL); err != nil {
		r.Close(false)
		return nil, err
	}
	return r, nil
}

// Close stops the servers and removes the data unless keep.
func (r *davRig) Close(keep bool) {
	for _, p := range []*countingProxy{r.prad, r.pxa} {
		if p != nil {
			p.Close()
		}
	}
	for _, s := range []*davServer{r.rad, r.xan} {
		if s != nil {
			s.Close()
		}
	}
	if !keep {
		os.RemoveAll(r.root)
	}
}

// measure runs fn as one phase and returns its step.
func (r *davRig) measure(tool string, n int, phase string, fn func() (Cost, error)) (davStep, error) {
	r.prad.Take()
	r.pxa.Take()
	rc, xc := r.rad.CPU(), r.xan.CPU()
	c, err := fn()
	if err != nil {
		return davStep{}, fmt.Errorf("%s n=%d %s: %w", tool, n, phase, err)
	}
	return davStep{Tool: tool, N: n, Phase: phase, Cost: c,
		Requests:  map[string]Requests{"radicale": r.prad.Take(), "xandikos": r.pxa.Take()},
		ServerCPU: map[string]time.Duration{"radicale": r.rad.CPU() - rc, "xandikos": r.xan.CPU() - xc}}, nil
}

// edit rewrites the contacts idx on Radicale behind both tools' backs, as
// another client would (directly, not through the counting proxy).
func (r *davRig) edit(ctx context.Context, g *Generator, idx []int) error {
	client := &http.Client{Timeout: time.Minute}
	for _, i := range idx {
		body, err := g.Marshal(i, 1)
		if err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, r.rad.URL+r.rad.Book+g.FileName(i), bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.SetBasicAuth(r.rad.Username, r.rad.Password)
		req.Header.Set("Content-Type", "text/vcard; charset=utf-8")
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("edit contact %d on radicale: %w", i, err)
		}
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			return fmt.Errorf("edit contact %d on radicale: %s", i, resp.Status)
		}
	}
	return nil
}

// check reads Xandikos' address book and reports whether it holds exactly
// the n contacts (the edited ones in their edited version), compared by
// canonical hash.
func (db *davBench) check(ctx context.Context, r *davRig, n int, edited []int) (string, bool) {
	conn, err := carddav.New(ctx, carddav.Config{URL: r.xan.URL + r.xan.Book, Username: r.xan.Username, Password: r.xan.Password})
	if err != nil {
		return err.Error(), false
	}
	got := map[string]int{}
	bad, items := 0, 0
	if err := connectors.ReadAll(ctx, conn, func(it connectors.Item) error {
		items++
		if it.Err != nil || it.Card == nil {
			bad++
			return nil
		}
		h := it.Card.Hash()
		got[string(h[:])]++
		return nil
	}); err != nil {
		return err.Error(), false
	}
	g := NewGenerator(db.Seed)
	missing := 0
	for i := range n {
		edit := 0
		if slices.Contains(edited, i) {
			edit = 1
		}
		h := g.Card(i, edit).Hash()
		if got[string(h[:])] == 0 {
			missing++
			continue
		}
		got[string(h[:])]--
	}
	extra := 0
	for _, c := range got {
		extra += c
	}
	msg := fmt.Sprintf("%d items on xandikos for %d contacts: %d missing or different, %d extra, %d unreadable", items, n, missing, extra, bad)
	return msg, missing == 0 && extra == 0 && bad == 0 && items == n
}

// A davResult is what one `cbbench carddav` measured.
type davResult struct {
	Machine Machine
	Steps   []davStep
	Checks  checks
}

// davCheck is one correctness check or target.
type davCheck struct {
	Name   string
	OK     bool
	Detail string
}

// checks are the correctness checks and targets of one benchmark run.
type checks []davCheck

// add records a check.
func (cs *checks) add(name string, ok bool, format string, args ...any) {
	*cs = append(*cs, davCheck{Name: name, OK: ok, Detail: fmt.Sprintf(format, args...)})
}

// err is errChecksFailed listing the failed checks, or nil; a missed
// target (names beginning "target") is reported, not failed.
func (cs checks) err() error {
	var failed []string
	for _, c := range cs {
		if !c.OK && !strings.HasPrefix(c.Name, "target") {
			failed = append(failed, c.Name+": "+c.Detail)
		}
	}
	if len(failed) == 0 {
		return nil
	}
	return fmt.Errorf("%w:\n  %s", errChecksFailed, strings.Join(failed, "\n  "))
}

// markdown writes the checks as a table under a level-3 heading.
func (cs checks) markdown(b *strings.Builder, heading string) {
	fmt.Fprintf(b, "### %s\n\n| check | result | detail |\n|---|---|---|\n", heading)
	for _, c := range cs {
		fmt.Fprintf(b, "| %s | %s | %s |\n", c.Name, yesNo(c.OK), strings.ReplaceAll(strings.ReplaceAll(c.Detail, "|", "\\|"), "\n", " "))
	}
}

// Run measures every size for each tool.
func (db *davBench) Run(ctx context.Context) (*davResult, error) {
	res := &davResult{Machine: describeMachine(ctx, db.Vdirsyncer)}
	for _, n := range db.Sizes {
		if err := db.runBridge(ctx, res, n); err != nil {
			return res, err
		}
		if db.Vdirsyncer != "" {
			if err := db.runVdirsyncer(ctx, res, n); err != nil {
				return res, err
			}
		}
	}
	return res, nil
}

// phases runs the three phases (initial, no-change repeated, changes) of
// one tool with sync as its sync.
func (db *davBench) phases(ctx context.Context, res *davResult, r *davRig, tool string, n int, sync func() (Cost, error)) error {
	edited := Edited(n, db.Changes)
	db.progress("%s n=%d: initial sync", tool, n)
	s, err := r.measure(tool, n, phaseInitial, sync)
	if err != nil {
		return err
	}
	res.Steps = append(res.Steps, s)
	msg, ok := db.check(ctx, r, n, nil)
	res.Checks.add(fmt.Sprintf("%s n=%d: after the initial sync, Xandikos holds Radicale's contacts", tool, n), ok, "%s", msg)

	var runs []davStep
	for k := range max(db.Repeat, 1) {
		db.progress("%s n=%d: no-change sync (%d of %d)", tool, n, k+1, max(db.Repeat, 1))
		s, err := r.measure(tool, n, phaseNoChange, sync)
		if err != nil {
			return err
		}
		runs = append(runs, s)
	}
	slices.SortFunc(runs, func(a, b davStep) int { return cmpDur(a.Cost.Wall, b.Cost.Wall) })
	med := runs[len(runs)/2]
	for _, s := range runs {
		med.Samples = append(med.Samples, s.Cost.Wall)
	}
	res.Steps = append(res.Steps, med)

	if err := r.edit(ctx, NewGenerator(db.Seed), edited); err != nil {
		return err
	}
	db.progress("%s n=%d: sync after %d changes", tool, n, len(edited))
	s, err = r.measure(tool, n, phaseChanges, sync)
	if err != nil {
		return err
	}
	res.Steps = append(res.Steps, s)
	msg, ok = db.check(ctx, r, n, edited)
	res.Checks.add(fmt.Sprintf("%s n=%d: after the changes, Xandikos holds Radicale's contacts", tool, n), ok, "%s", msg)
	return nil
}

// runBridge measures contactbridge: the contactbridge command, built from
// this module, in a child process, one `contactbridge sync` per phase with
// the accounts radicale and xandikos (carddav), as vdirsyncer is measured.
func (db *davBench) runBridge(ctx context.Context, res *davResult, n int) error {
	r, err := db.newRig(ctx, toolBridge, n)
	if err != nil {
		return err
	}
	defer r.Close(db.Keep)
	bin := db.Contactbridge
	if bin == "" {
		db.progress("building contactbridge")
		if bin, err = buildContactbridge(ctx, r.root); err != nil {
			return err
		}
	}
	dir := filepath.Join(r.root, "tool")
	var accounts []cliAccount
	for _, a := range []struct {
		s *davServer
		p *countingProxy
	}{{r.rad, r.prad}, {r.xan, r.pxa}} {
		pass, err := secretFile(dir, a.s.Name+".pass", a.s.Password)
		if err != nil {
			return err
		}
		acct := cliAccount{"name": a.s.Name, "type": "carddav", "url": a.p.URL + a.s.Book,
			"username": a.s.Username, "password_file": pass}
		if db.Concurrency > 0 {
			acct["concurrency"] = db.Concurrency
		}
		accounts = append(accounts, acct)
	}
	rig, err := newCLIRig(bin, dir, accounts)
	if err != nil {
		return err
	}
	args := []string{"sync", "--init"}
	if db.Log != nil {
		args = append(args, "-v")
	}
	runs := 0
	return db.phases(ctx, res, r, toolBridge, n, func() (Cost, error) {
		runs++
		if db.CPUProfile == "" {
			return rig.run(ctx, args...)
		}
		return rig.run(ctx, append(args, "--cpu-profile", profiler{path: db.CPUProfile}.named(n, fmt.Sprint(runs)).path)...)
	})
}

// runVdirsyncer measures vdirsyncer on one pair of CardDAV storages.
func (db *davBench) runVdirsyncer(ctx context.Context, res *davResult, n int) error {
	r, err := db.newRig(ctx, toolVdirsyncer, n)
	if err != nil {
		return err
	}
	defer r.Close(db.Keep)
	rig, err := newVdirsyncerPair(db.Vdirsyncer, filepath.Join(r.root, "tool"),
		vdirsyncerCardDAV(r.rad, r.prad.URL), vdirsyncerCardDAV(r.xan, r.pxa.URL))
	if err != nil {
		return err
	}
	if _, err := rig.run(ctx, "discover"); err != nil {
		return err
	}
	return db.phases(ctx, res, r, toolVdirsyncer, n, func() (Cost, error) { return rig.run(ctx, "sync") })
}

// runCardDAV parses the flags of `cbbench carddav`, runs it and writes the
// results.
func runCardDAV(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("cbbench carddav", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sizes := fs.String("n", "1000", "number of contacts (a comma-separated list runs each size)")
	changes := fs.Int("changes", 20, "number of contacts the change phase edits")
	repeat := fs.Int("repeat", 3, "run the no-change phase this many times and report the median")
	seed := fs.Uint64("seed", 1, "seed of the generated contacts")
	radicale := fs.String("radicale-bin", "radicale", "Radicale binary")
	xandikos := fs.String("xandikos-bin", "xandikos", "Xandikos binary")
	vdirsyncer := fs.Bool("vdirsyncer", false, "also run vdirsyncer on the same pair as the peer")
	vdirsyncerBin := fs.String("vdirsyncer-bin", "vdirsyncer", "vdirsyncer binary")
	contactbridge := fs.String("contactbridge-bin", "", "contactbridge binary to measure (default: build it from this module)")
	cpuProfile := fs.String("cpuprofile", "", "make each contactbridge run write a CPU profile to `FILE`, with .n<size>.<run> inserted before the extension")
	concurrency := fs.Int("concurrency", 0, "contactbridge's parallel writes per server (0: the connector's default)")
	out := fs.String("out", "", "write the Markdown report to `FILE` (default: standard output)")
	dir := fs.String("dir", "", "folder for the temporary data (default: the system's)")
	keep := fs.Bool("keep", false, "keep the temporary folders")
	verbose := fs.Bool("v", false, "log the engine's runs to standard error")
	quiet := fs.Bool("q", false, "do not print progress to standard error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("carddav: unexpected arguments %q", fs.Args())
	}
	db := &davBench{Changes: *changes, Repeat: *repeat, Seed: *seed, WorkDir: *dir, Keep: *keep, Concurrency: *concurrency, Contactbridge: *contactbridge, CPUProfile: *cpuProfile}
	var err error
	if db.Sizes, err = parseSizes(*sizes); err != nil {
		return err
	}
	for _, b := range []struct {
		flag string
		bin  *string
		pkg  string
	}{{"-radicale-bin", radicale, "radicale"}, {"-xandikos-bin", xandikos, "xandikos"}} {
		path, err := exec.LookPath(*b.bin)
		if err != nil {
			return fmt.Errorf("%s: %s not found: install it with `apt-get install %s`", b.flag, *b.bin, b.pkg)
		}
		*b.bin = path
	}
	db.Radicale, db.Xandikos = *radicale, *xandikos
	if *vdirsyncer {
		if db.Vdirsyncer, err = findVdirsyncer(*vdirsyncerBin); err != nil {
			return err
		}
	}
	if *verbose {
		db.Log = slog.New(slog.NewTextHandler(stderr, nil))
	}
	if !*quiet {
		db.Progress = stderr
	}
	res, err := db.Run(ctx)
	if err != nil {
		return err
	}
	db.targets(res)
	if err := writeTo(*out, stdout, func(w io.Writer) error { return writeDavMarkdown(w, res) }); err != nil {
		return err
	}
	return res.Checks.err()
}
