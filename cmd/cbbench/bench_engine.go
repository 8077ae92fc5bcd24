package main

import (
	"context"
	"fmt"
	"path/filepath"
)

// runEngine measures ContactBridge at n contacts: each phase is one
// `contactbridge sync` of account A, then account B, in this process, with
// the store opened and closed as the command does.
func (vb *vdirBench) runEngine(ctx context.Context, n int) (*Run, error) {
	ws, err := vb.newWorkspace(toolBridge, n)
	if err != nil {
		return nil, err
	}
	defer ws.Close()
	if vb.Keep {
		vb.progress("%s n=%d: keeping %s", toolBridge, n, ws.root)
	}
	a, b := ws.a, ws.b
	run := &Run{Tool: toolBridge, N: n, Bytes: ws.bytes, LoadBefore: loadAverage()}
	rig, err := newEngineRig(ctx, filepath.Join(ws.root, "data"), []account{vdirAccount("a", a), vdirAccount("b", b)}, vb.Log)
	if err != nil {
		return nil, err
	}
	prof := profiler{path: vb.CPUProfile}

	phase := func(name string, reps int) error {
		return vb.record(run, name, reps, func(rep int) ([]Step, error) {
			label := name
			if reps > 1 {
				label = fmt.Sprintf("%s-%d", name, rep+1)
			}
			return vb.enginePhase(ctx, rig, prof.named(n, label), name, a, b)
		})
	}

	// 1. Initial: A → hub, then hub → B.
	if err := phase(phaseInitial, 1); err != nil {
		return nil, err
	}
	if err := compareCheck(run, "after initial sync, B holds A's contacts", a, b, n); err != nil {
		return nil, err
	}

	// 2. No change: nothing may be written anywhere. Repeated, since one
	// short sync is at the mercy of whatever else the machine does.
	if err := phase(phaseNoChange, vb.repeat()); err != nil {
		return nil, err
	}
	if t := run.step(phaseNoChange, partTotal); t != nil {
		writes := t.HubWrites + t.RemoteWrites
		hub := t.StoreWrites["contacts"].Requests
		run.check(checkNoContactWrites, writes == 0 && hub == 0 && t.FilesA.Total() == 0 && t.FilesB.Total() == 0,
			"engine reports %d writes; hub (contacts) write requests %d; files A %s, B %s (created/modified/deleted)",
			writes, hub, t.FilesA, t.FilesB)
		run.check(checkNoStoreWrites, storeRequests(t.StoreWrites) == 0,
			"store write requests/records/bytes: %s", fmtStoreWrites(t.StoreWrites))
	}

	// 3. Edit some files of A, then sync A and B.
	edited := Edited(n, vb.Changes)
	if err := NewGenerator(vb.Seed).EditFolder(a, edited, 1); err != nil {
		return nil, err
	}
	if err := phase(phaseChanges, 1); err != nil {
		return nil, err
	}
	k := len(edited)
	sa, sb := run.step(phaseChanges, partA), run.step(phaseChanges, partB)
	if sa != nil && sb != nil {
		t := run.step(phaseChanges, partTotal)
		hub := t.StoreWrites["contacts"].Records
		run.check(changesCheck(vb.Changes, n),
			sa.HubWrites == k && sa.RemoteWrites == 0 && sb.HubWrites == 0 && sb.RemoteWrites == k &&
				hub == k && t.FilesA.Total() == 0 && t.FilesB.Modified == k && t.FilesB.Total() == k,
			"A: hub %d, remote %d; B: hub %d, remote %d; hub records stored %d; files A %s, B %s",
			sa.HubWrites, sa.RemoteWrites, sb.HubWrites, sb.RemoteWrites, hub, t.FilesA, t.FilesB)
	}
	if err := compareCheck(run, "after the changes, B holds A's contacts", a, b, n); err != nil {
		return nil, err
	}
	run.LoadAfter = loadAverage()
	return run, nil
}

// enginePhase measures one sync of both accounts and returns its steps:
// one per account, then the total. The CPU profile, if any, covers the sync
// only.
func (vb *vdirBench) enginePhase(ctx context.Context, rig *engineRig, prof profiler, phase, a, b string) ([]Step, error) {
	watch, err := watchFolders(a, b)
	if err != nil {
		return nil, err
	}
	settle()
	stopProfile, err := prof.start()
	if err != nil {
		return nil, err
	}
	m := startMeter()
	accts, err := rig.sync(ctx)
	total := m.stop()
	if perr := stopProfile(); err == nil {
		err = perr
	}
	if err != nil {
		return nil, fmt.Errorf("%s sync: %w", phase, err)
	}
	da, db, err := watch.diff()
	if err != nil {
		return nil, err
	}
	tot := Step{Phase: phase, Part: partTotal, Cost: total, FilesA: &da, FilesB: &db, StoreWrites: map[string]StoreWrites{}}
	parts := map[string]string{"a": partA, "b": partB}
	var steps []Step
	for _, ar := range accts {
		s := Step{Phase: phase, Part: parts[ar.Account], Cost: ar.Cost,
			HubWrites: ar.Report.ToHub.Total(), RemoteWrites: ar.Report.ToRemote.Total(), StoreWrites: ar.Store}
		tot.HubWrites += s.HubWrites
		tot.RemoteWrites += s.RemoteWrites
		tot.StoreWrites = addWrites(tot.StoreWrites, s.StoreWrites)
		steps = append(steps, s)
	}
	return append(steps, tot), nil
}

// The names of the checks on a no-change sync: the first is about contacts
// (hub and folders), the second about every write to the store, the
// engine's own state included ("after convergence a run makes zero writes
// anywhere", issue 3).
const (
	checkNoContactWrites = "no-change sync writes no contact"
	checkNoStoreWrites   = "no-change sync writes nothing to the store"
)

// compareCheck records whether folders a and b hold the same n contacts.
func compareCheck(run *Run, name, a, b string, n int) error {
	c, err := compareFolders(a, b)
	if err != nil {
		return err
	}
	run.check(name, c.Equal() && c.Contacts == n, "%s", c)
	return nil
}
