package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// step returns the step of tool at n in phase, or nil.
func (res *davResult) step(tool string, n int, phase string) *davStep {
	for i := range res.Steps {
		s := &res.Steps[i]
		if s.Tool == tool && s.N == n && s.Phase == phase {
			return s
		}
	}
	return nil
}

// targets adds the targets to the checks; their names begin with
// "target", and a missed one is reported, not failed.
func (db *davBench) targets(res *davResult) {
	for _, n := range db.Sizes {
		if s := res.step(toolBridge, n, phaseNoChange); s != nil {
			r, x := s.Requests["radicale"].Total(), s.Requests["xandikos"].Total()
			res.Checks.add(fmt.Sprintf("target n=%d: a no-change sync is one request per account", n), r == 1 && x == 1,
				"radicale %s, xandikos %s", s.Requests["radicale"], s.Requests["xandikos"])
		}
		if s := res.step(toolBridge, n, phaseChanges); s != nil {
			k := len(Edited(n, db.Changes))
			w := s.Requests["radicale"].Writes() + s.Requests["xandikos"].Writes()
			other := s.Requests["radicale"].Total() + s.Requests["xandikos"].Total() - w
			res.Checks.add(fmt.Sprintf("target n=%d: %d changes cost at most %d writes plus 2 requests per account", n, k, k),
				w <= k && other <= 4, "%d writes, %d other requests (radicale %s, xandikos %s)", w, other,
				s.Requests["radicale"], s.Requests["xandikos"])
		}
		for _, phase := range []string{phaseInitial, phaseNoChange, phaseChanges} {
			cb, vs := res.step(toolBridge, n, phase), res.step(toolVdirsyncer, n, phase)
			if cb == nil || vs == nil {
				continue
			}
			res.Checks.add(fmt.Sprintf("target n=%d %s: client CPU at most 1/10 of vdirsyncer's", n, phase),
				cb.Cost.CPU()*10 <= vs.Cost.CPU(), "%s vs %s (1/%.1f)", fmtDur(cb.Cost.CPU()), fmtDur(vs.Cost.CPU()),
				float64(vs.Cost.CPU())/float64(max(cb.Cost.CPU(), 1)))
			if phase == phaseInitial {
				res.Checks.add(fmt.Sprintf("target n=%d initial: wall time no worse than vdirsyncer's", n),
					cb.Cost.Wall <= vs.Cost.Wall, "%s vs %s", fmtDur(cb.Cost.Wall), fmtDur(vs.Cost.Wall))
			}
		}
	}
}

// writeDavMarkdown writes the results as Markdown tables.
func writeDavMarkdown(w io.Writer, res *davResult) error {
	var b strings.Builder
	m := res.Machine
	fmt.Fprintf(&b, "### Machine\n\n- %d CPUs (GOMAXPROCS %d), %s\n- %s, kernel %s, %s\n", m.CPUs, m.GOMAXPROCS, m.CPUModel, m.OS, m.Kernel, m.Go)
	if m.Vdirsyncer != "" {
		fmt.Fprintf(&b, "- %s\n", m.Vdirsyncer)
	}
	fmt.Fprintf(&b, "- load average %s at the end\n\n", loadAverage())
	b.WriteString("### Radicale (N contacts) → Xandikos (empty)\n\n")
	b.WriteString("| N | phase | tool | wall | client CPU | client peak RSS | requests to Radicale | requests to Xandikos | Radicale CPU | Xandikos CPU |\n")
	b.WriteString("|---:|---|---|---:|---:|---:|---|---|---:|---:|\n")
	for _, s := range res.Steps {
		wall := fmtDur(s.Cost.Wall)
		if len(s.Samples) > 1 {
			parts := make([]string, len(s.Samples))
			for i, d := range s.Samples {
				parts[i] = fmtDur(d)
			}
			wall += " (median of " + strings.Join(parts, ", ") + ")"
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", s.N, s.Phase, s.Tool, wall,
			fmtDur(s.Cost.CPU()), fmtBytes(s.Cost.PeakRSS), s.Requests["radicale"], s.Requests["xandikos"],
			fmtDur(s.ServerCPU["radicale"].Round(10*time.Millisecond)), fmtDur(s.ServerCPU["xandikos"].Round(10*time.Millisecond)))
	}
	b.WriteString("\n")
	res.Checks.markdown(&b, "Checks and targets")
	_, err := io.WriteString(w, b.String())
	return err
}
