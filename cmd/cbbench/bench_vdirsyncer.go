package main

import (
	"context"
	"fmt"
)

// runVdirsyncer measures vdirsyncer at n contacts on the same generated
// folders: `discover` once, then one `sync` of the pair per phase.
func (vb *vdirBench) runVdirsyncer(ctx context.Context, bin string, n int) (*Run, error) {
	ws, err := vb.newWorkspace(toolVdirsyncer, n)
	if err != nil {
		return nil, err
	}
	defer ws.Close()
	if vb.Keep {
		vb.progress("%s n=%d: keeping %s", toolVdirsyncer, n, ws.root)
	}
	a, b := ws.a, ws.b
	run := &Run{Tool: toolVdirsyncer, N: n, Bytes: ws.bytes, LoadBefore: loadAverage()}
	rig, err := newVdirsyncerRig(bin, ws.root, a, b)
	if err != nil {
		return nil, err
	}
	vb.progress("%s n=%d: discover", run.Tool, n)
	c, err := rig.run(ctx, "discover")
	if err != nil {
		return nil, err
	}
	run.Steps = append(run.Steps, Step{Phase: phaseSetup, Part: "discover", Cost: c, HubWrites: -1, RemoteWrites: -1})

	phase := func(name string, reps int) error {
		return vb.record(run, name, reps, func(int) ([]Step, error) { return vb.vdirsyncerPhase(ctx, rig, name, a, b) })
	}
	if err := phase(phaseInitial, 1); err != nil {
		return nil, err
	}
	if err := compareCheck(run, "after initial sync, B holds A's contacts", a, b, n); err != nil {
		return nil, err
	}
	if err := phase(phaseNoChange, vb.repeat()); err != nil {
		return nil, err
	}
	if t := run.step(phaseNoChange, partTotal); t != nil {
		run.check("no-change sync writes no file", t.FilesA.Total() == 0 && t.FilesB.Total() == 0,
			"files A %s, B %s (created/modified/deleted)", t.FilesA, t.FilesB)
	}
	edited := Edited(n, vb.Changes)
	if err := NewGenerator(vb.Seed).EditFolder(a, edited, 1); err != nil {
		return nil, err
	}
	if err := phase(phaseChanges, 1); err != nil {
		return nil, err
	}
	if t := run.step(phaseChanges, partTotal); t != nil {
		k := len(edited)
		run.check(fmt.Sprintf("%d changes write %d files", k, k), t.FilesA.Total() == 0 && t.FilesB.Total() == k,
			"files A %s, B %s", t.FilesA, t.FilesB)
	}
	if err := compareCheck(run, "after the changes, B holds A's contacts", a, b, n); err != nil {
		return nil, err
	}
	run.LoadAfter = loadAverage()
	return run, nil
}

// vdirsyncerPhase measures one `vdirsyncer sync` and returns it as the
// phase's total step.
func (vb *vdirBench) vdirsyncerPhase(ctx context.Context, rig *vdirsyncerRig, phase, a, b string) ([]Step, error) {
	watch, err := watchFolders(a, b)
	if err != nil {
		return nil, err
	}
	c, err := rig.run(ctx, "sync")
	if err != nil {
		return nil, fmt.Errorf("%s sync: %w", phase, err)
	}
	da, db, err := watch.diff()
	if err != nil {
		return nil, err
	}
	return []Step{{Phase: phase, Part: partTotal, Cost: c, HubWrites: -1, RemoteWrites: -1, FilesA: &da, FilesB: &db}}, nil
}
