package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// The phases of the vdir benchmark, and the setup step vdirsyncer needs.
const (
	phaseSetup    = "setup"
	phaseInitial  = "initial"
	phaseNoChange = "no-change"
	phaseChanges  = "changes"
)

// The tools the benchmark measures.
const (
	toolBridge     = "contactbridge"
	toolVdirsyncer = "vdirsyncer"
)

// The parts of a phase: the engine syncs account A (A → hub), then
// account B (hub → B); the total covers the whole `contactbridge sync`,
// opening and closing the store included.
const (
	partA     = "sync A"
	partB     = "sync B"
	partTotal = "total"
)

// vdirBench is the configuration of `cbbench vdir`: two vdir folders, A
// holding generated contacts and B empty, synced through the hub by the
// engine and, optionally, directly by vdirsyncer.
type vdirBench struct {
	// Sizes are the numbers of contacts to run the benchmark at.
	Sizes []int
	// Changes is how many contacts of A the change phase edits.
	Changes int
	// Repeat is how often the no-change phase runs; the median run is
	// reported (0 means once).
	Repeat int
	// Seed makes the generated contacts.
	Seed uint64
	// VdirsyncerBin, when set, runs vdirsyncer as the peer (a name looked
	// up in PATH, or a path).
	VdirsyncerBin string
	// WorkDir is where the temporary folders go ("" for the system's).
	WorkDir string
	// Keep keeps the temporary folders for inspection.
	Keep bool
	// CPUProfile, when set, writes a CPU profile of each engine phase to
	// this path with ".n<size>.<phase>" inserted before the extension.
	CPUProfile string
	// Log receives the engine's logs (nil discards them).
	Log *slog.Logger
	// Progress receives a line as each step starts (nil discards them).
	Progress io.Writer
}

// A Result is everything one `cbbench vdir` measured.
type Result struct {
	Machine Machine `json:"machine"`
	Seed    uint64  `json:"seed"`
	Changes int     `json:"changes"`
	Runs    []Run   `json:"runs"`
}

// A Run is one tool at one size: its steps and the checks on what it wrote.
type Run struct {
	Tool string `json:"tool"`
	N    int    `json:"n"`
	// Bytes is the size of the generated folder A.
	Bytes int64 `json:"bytes"`
	// LoadBefore and LoadAfter are the load averages (1, 5, 15 min) when
	// the run started and ended: other work on the machine skews the
	// numbers.
	LoadBefore string  `json:"load_before"`
	LoadAfter  string  `json:"load_after"`
	Steps      []Step  `json:"steps"`
	Checks     []Check `json:"checks"`
}

// A Step is one measured part of a phase. Each phase has a "total" step;
// the engine's phases also have one step per account.
type Step struct {
	Phase string `json:"phase"`
	Part  string `json:"part"`
	Cost
	// HubWrites and RemoteWrites are the engine's writes by its report
	// (-1 for vdirsyncer, which has no hub and reports no counts).
	HubWrites    int `json:"hub_writes"`
	RemoteWrites int `json:"remote_writes"`
	// FilesA and FilesB are the files the step created, modified and
	// deleted, by comparing the folders before and after (total steps only).
	FilesA *FileDiff `json:"files_a,omitempty"`
	FilesB *FileDiff `json:"files_b,omitempty"`
	// Samples are the wall times of every repetition of a repeated
	// phase (total steps only); the step is the median one.
	Samples []time.Duration `json:"samples_ns,omitempty"`
	// StoreWrites counts the engine's store write requests and records by
	// collection kind (see collectionKind); nil for vdirsyncer.
	StoreWrites map[string]StoreWrites `json:"store_writes,omitempty"`
}

// A Check is a correctness condition of a run: the benchmark measures
// nothing worth reporting if the tool did not sync.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// step returns the step of phase and part, or nil.
func (r *Run) step(phase, part string) *Step {
	for i := range r.Steps {
		if r.Steps[i].Phase == phase && r.Steps[i].Part == part {
			return &r.Steps[i]
		}
	}
	return nil
}

func (r *Run) check(name string, ok bool, format string, args ...any) {
	r.Checks = append(r.Checks, Check{Name: name, OK: ok, Detail: fmt.Sprintf(format, args...)})
}

// Failed returns the checks of every run that failed.
func (res *Result) Failed() []string {
	var out []string
	for _, r := range res.Runs {
		for _, c := range r.Checks {
			if !c.OK {
				out = append(out, fmt.Sprintf("%s n=%d: %s: %s", r.Tool, r.N, c.Name, c.Detail))
			}
		}
	}
	return out
}

// Run runs the benchmark at every size, smallest first.
func (vb *vdirBench) Run(ctx context.Context) (*Result, error) {
	if vb.Changes <= 0 {
		return nil, fmt.Errorf("-changes must be positive, not %d", vb.Changes)
	}
	sizes := slices.Clone(vb.Sizes)
	slices.Sort(sizes)
	sizes = slices.Compact(sizes)
	if len(sizes) == 0 || sizes[0] < 1 {
		return nil, fmt.Errorf("-n: need at least one contact, not %v", vb.Sizes)
	}
	bin := ""
	if vb.VdirsyncerBin != "" {
		var err error
		if bin, err = findVdirsyncer(vb.VdirsyncerBin); err != nil {
			return nil, err
		}
	}
	res := &Result{Machine: describeMachine(ctx, bin), Seed: vb.Seed, Changes: vb.Changes}
	for _, n := range sizes {
		run, err := vb.runEngine(ctx, n)
		if err != nil {
			return res, fmt.Errorf("contactbridge n=%d: %w", n, err)
		}
		res.Runs = append(res.Runs, *run)
		if bin == "" {
			continue
		}
		run, err = vb.runVdirsyncer(ctx, bin, n)
		if err != nil {
			return res, fmt.Errorf("vdirsyncer n=%d: %w", n, err)
		}
		res.Runs = append(res.Runs, *run)
	}
	return res, nil
}

func (vb *vdirBench) progress(format string, args ...any) {
	if vb.Progress != nil {
		fmt.Fprintf(vb.Progress, format+"\n", args...)
	}
}

// A workspace is the temporary folders of one run: root holds A (filled
// with the generated contacts), B (empty) and whatever the tool needs.
type workspace struct {
	root, a, b string
	// bytes is the size of the generated contacts.
	bytes int64
	keep  bool
}

// newWorkspace makes the workspace of tool at n contacts. Remove it with
// Close.
func (vb *vdirBench) newWorkspace(tool string, n int) (*workspace, error) {
	root, err := os.MkdirTemp(vb.WorkDir, fmt.Sprintf("cbbench-%s-%d-", tool, n))
	if err != nil {
		return nil, fmt.Errorf("workspace: %w", err)
	}
	w := &workspace{root: root, a: filepath.Join(root, "a"), b: filepath.Join(root, "b"), keep: vb.Keep}
	for _, d := range []string{w.a, w.b} {
		if err := os.Mkdir(d, 0o700); err != nil {
			w.Close()
			return nil, fmt.Errorf("workspace: %w", err)
		}
	}
	vb.progress("%s n=%d: generating %d contacts in %s", tool, n, n, w.a)
	if w.bytes, err = NewGenerator(vb.Seed).WriteFolder(w.a, n); err != nil {
		w.Close()
		return nil, err
	}
	return w, nil
}

// Close removes the workspace, unless it is to be kept for inspection.
func (w *workspace) Close() error {
	if w.keep {
		return nil
	}
	if err := os.RemoveAll(w.root); err != nil {
		return fmt.Errorf("workspace: %w", err)
	}
	return nil
}

// folderWatch tells which files of folders A and B a step wrote.
type folderWatch struct {
	a, b         string
	snapA, snapB snapshot
}

// watchFolders snapshots A and B before a step.
func watchFolders(a, b string) (*folderWatch, error) {
	sa, err := snapshotFolder(a)
	if err != nil {
		return nil, err
	}
	sb, err := snapshotFolder(b)
	if err != nil {
		return nil, err
	}
	return &folderWatch{a: a, b: b, snapA: sa, snapB: sb}, nil
}

// diff compares A and B with the snapshots taken before the step.
func (w *folderWatch) diff() (da, db FileDiff, err error) {
	sa, err := snapshotFolder(w.a)
	if err != nil {
		return da, db, err
	}
	sb, err := snapshotFolder(w.b)
	if err != nil {
		return da, db, err
	}
	return w.snapA.diff(sa), w.snapB.diff(sb), nil
}
