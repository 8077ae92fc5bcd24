package main

import (
	"fmt"
	"slices"
	"time"
)

// repeat is how often the no-change phase runs (at least once).
func (vb *vdirBench) repeat() int { return max(vb.Repeat, 1) }

// record runs a phase reps times (fn measures repetition rep and returns
// its steps, the total last) and adds to
// run the steps of the run with the median total wall time. The writes of
// the recorded total are summed over every repetition, so "zero writes"
// holds for all of them or for none, and its Samples list every
// repetition's wall time.
func (vb *vdirBench) record(run *Run, phase string, reps int, fn func(rep int) ([]Step, error)) error {
	var all [][]Step
	for i := range reps {
		if reps > 1 {
			vb.progress("%s n=%d: %s sync (%d of %d)", run.Tool, run.N, phase, i+1, reps)
		} else {
			vb.progress("%s n=%d: %s sync", run.Tool, run.N, phase)
		}
		steps, err := fn(i)
		if err != nil {
			return err
		}
		all = append(all, steps)
	}
	total := func(steps []Step) *Step { return &steps[len(steps)-1] }
	byWall := slices.Clone(all)
	slices.SortStableFunc(byWall, func(x, y []Step) int { return cmpDur(total(x).Wall, total(y).Wall) })
	chosen := slices.Clone(byWall[len(byWall)/2])
	t := total(chosen)
	if reps > 1 {
		var sum Step
		for _, steps := range all {
			s := total(steps)
			t.Samples = append(t.Samples, s.Wall)
			sum.HubWrites += s.HubWrites
			sum.RemoteWrites += s.RemoteWrites
			sum.FilesA = addDiff(sum.FilesA, s.FilesA)
			sum.FilesB = addDiff(sum.FilesB, s.FilesB)
			if s.StoreWrites != nil {
				sum.StoreWrites = addWrites(sum.StoreWrites, s.StoreWrites)
			}
		}
		t.HubWrites, t.RemoteWrites, t.FilesA, t.FilesB = sum.HubWrites, sum.RemoteWrites, sum.FilesA, sum.FilesB
		if t.StoreWrites != nil {
			t.StoreWrites = sum.StoreWrites
		}
	}
	run.Steps = append(run.Steps, chosen...)
	return nil
}

func cmpDur(a, b time.Duration) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// addDiff sums two file diffs (nil counts as zero).
func addDiff(a, b *FileDiff) *FileDiff {
	var out FileDiff
	for _, d := range []*FileDiff{a, b} {
		if d != nil {
			out.Created += d.Created
			out.Modified += d.Modified
			out.Deleted += d.Deleted
		}
	}
	return &out
}

// fmtSamples lists wall times, such as "(runs: 61.0 ms, 58.2 ms, 70.3 ms)".
func fmtSamples(ds []time.Duration) string {
	if len(ds) == 0 {
		return ""
	}
	s := "runs:"
	for i, d := range ds {
		if i > 0 {
			s += ","
		}
		s += " " + fmtDur(d)
	}
	return fmt.Sprintf("(%s)", s)
}
