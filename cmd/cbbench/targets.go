package main

import (
	"fmt"
	"time"
)

// The targets of issue 3.
const (
	// initialRatio: the initial sync takes at most 1/initialRatio of
	// vdirsyncer's wall time.
	initialRatio = 10
	// noChangeLimit bounds the wall time of a sync that finds no change.
	noChangeLimit = 300 * time.Millisecond
	// changeGrowth bounds how much the cost of the changes themselves (the
	// change phase less a no-change sync) may grow from the smallest to the
	// largest folder: a cost proportional to the folder would grow as the
	// folder does (10× from 1,000 to 10,000 contacts).
	changeGrowth = 2
	// changeNoise is the timer and scheduling noise forgiven in that
	// comparison.
	changeNoise = 10 * time.Millisecond
)

// A Target is one goal of the issue, as measured.
type Target struct {
	Name     string `json:"name"`
	Measured string `json:"measured"`
	Met      bool   `json:"met"`
}

// evaluate checks the targets against res.
func evaluate(res *Result) []Target {
	var out []Target
	for _, r := range res.Runs {
		if r.Tool != toolBridge {
			continue
		}
		cb := r.step(phaseInitial, partTotal)
		if peer := res.run(toolVdirsyncer, r.N); peer != nil && cb != nil {
			vs := peer.step(phaseInitial, partTotal)
			out = append(out, Target{
				Name: fmt.Sprintf("N=%d: initial sync ≤ 1/%d of vdirsyncer's wall time", r.N, initialRatio),
				Measured: fmt.Sprintf("contactbridge %s, vdirsyncer %s: ratio %s", fmtDur(cb.Wall), fmtDur(vs.Wall),
					fmtRatio(float64(cb.Wall)/float64(vs.Wall))),
				Met: cb.Wall*initialRatio <= vs.Wall,
			})
		}
		if nc := r.step(phaseNoChange, partTotal); nc != nil {
			zero := r.checkOK(checkNoContactWrites) && r.checkOK(checkNoStoreWrites)
			writes := "zero writes"
			if !zero {
				writes = "store writes: " + fmtStoreWrites(nc.StoreWrites) + ", engine reports " +
					fmt.Sprint(nc.HubWrites+nc.RemoteWrites) + ", files " + nc.FilesA.String() + " and " + nc.FilesB.String()
			}
			out = append(out, Target{
				Name:     fmt.Sprintf("N=%d: no-change sync ≤ %s with zero writes", r.N, fmtDur(noChangeLimit)),
				Measured: fmt.Sprintf("%s, %s", fmtDur(nc.Wall), writes),
				Met:      nc.Wall <= noChangeLimit && zero,
			})
		}
	}
	if t, ok := changeTarget(res); ok {
		out = append(out, t)
	}
	return out
}

// changeTarget compares the cost of the changes at the smallest and the
// largest size the engine ran at; it needs two sizes.
func changeTarget(res *Result) (Target, bool) {
	var small, large *Run
	for i := range res.Runs {
		r := &res.Runs[i]
		if r.Tool != toolBridge || r.step(phaseChanges, partTotal) == nil || r.step(phaseNoChange, partTotal) == nil {
			continue
		}
		if small == nil || r.N < small.N {
			small = r
		}
		if large == nil || r.N > large.N {
			large = r
		}
	}
	if small == nil || small == large {
		return Target{}, false
	}
	ms, ml := small.changeCost(), large.changeCost()
	exact := small.checkOK(changesCheck(res.Changes, small.N)) && large.checkOK(changesCheck(res.Changes, large.N))
	return Target{
		Name: fmt.Sprintf("%d changes cost O(changes): exact writes, and their extra cost grows < %d× from N=%d to N=%d",
			res.Changes, changeGrowth, small.N, large.N),
		Measured: fmt.Sprintf("extra %s at N=%d, %s at N=%d (%s); writes exact: %t",
			fmtDur(ms), small.N, fmtDur(ml), large.N, fmtTimes(float64(ml)/float64(max(ms, 1))), exact),
		Met: exact && ml <= changeGrowth*ms+changeNoise,
	}, true
}

// changesCheck is the name of the check on the writes of the change phase.
func changesCheck(changes, n int) string {
	k := min(changes, n)
	return fmt.Sprintf("%d changes write %d hub records and %d files", k, k, k)
}

// changeCost is the wall time of the change phase less that of the
// no-change phase: what the changes themselves cost.
func (r *Run) changeCost() time.Duration {
	return r.step(phaseChanges, partTotal).Wall - r.step(phaseNoChange, partTotal).Wall
}

// checkOK reports whether the check called name passed.
func (r *Run) checkOK(name string) bool {
	for _, c := range r.Checks {
		if c.Name == name {
			return c.OK
		}
	}
	return false
}

// run returns the run of tool at size n, or nil.
func (res *Result) run(tool string, n int) *Run {
	for i := range res.Runs {
		if res.Runs[i].Tool == tool && res.Runs[i].N == n {
			return &res.Runs[i]
		}
	}
	return nil
}
