package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// writeMarkdown writes res as Markdown, headings at level 3 and below so
// that it can sit under a section of docs/benchmarks.md.
func writeMarkdown(w io.Writer, res *Result) error {
	var b strings.Builder
	m := res.Machine
	fmt.Fprintf(&b, "### Machine\n\n")
	fmt.Fprintf(&b, "- %d CPUs (GOMAXPROCS %d), %s\n", m.CPUs, m.GOMAXPROCS, m.CPUModel)
	fmt.Fprintf(&b, "- %s, kernel %s, %s\n", m.OS, orUnknown(m.Kernel), m.Go)
	if m.Vdirsyncer != "" {
		fmt.Fprintf(&b, "- %s\n", m.Vdirsyncer)
	}
	fmt.Fprintf(&b, "- seed %d, %d changes\n\n", res.Seed, res.Changes)

	for _, r := range res.Runs {
		writeRun(&b, &r)
	}
	writeSideBySide(&b, res)
	writeScaling(&b, res)

	fmt.Fprintf(&b, "### Targets\n\n| target | measured | met |\n|---|---|---|\n")
	for _, t := range evaluate(res) {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", t.Name, t.Measured, yesNo(t.Met))
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// writeRun writes the steps and checks of one run.
func writeRun(b *strings.Builder, r *Run) {
	fmt.Fprintf(b, "### %s, N = %d\n\n", r.Tool, r.N)
	fmt.Fprintf(b, "Folder A: %d files, %s. Load average %s at the start, %s at the end.\n\n",
		r.N, fmtBytes(r.Bytes), r.LoadBefore, r.LoadAfter)
	engine := r.Tool == toolBridge
	if engine {
		b.WriteString("| phase | step | wall | CPU (user + sys) | peak RSS | hub writes | remote writes | files A c/m/d | files B c/m/d | store writes (requests/records/bytes) |\n")
		b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---:|---|\n")
	} else {
		b.WriteString("| phase | step | wall | CPU (user + sys) | peak RSS | files A c/m/d | files B c/m/d |\n")
		b.WriteString("|---|---|---:|---:|---:|---:|---:|\n")
	}
	for _, s := range r.Steps {
		part := s.Part
		if s.Part == partTotal {
			part = "**total**"
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s |", s.Phase, part, fmtDur(s.Wall), fmtCPU(s.Cost), fmtBytes(s.PeakRSS))
		if engine {
			fmt.Fprintf(b, " %d | %d |", s.HubWrites, s.RemoteWrites)
		}
		fmt.Fprintf(b, " %s | %s |", fmtDiff(s.FilesA), fmtDiff(s.FilesB))
		if engine {
			fmt.Fprintf(b, " %s |", fmtStoreWrites(s.StoreWrites))
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
	for _, s := range r.Steps {
		if len(s.Samples) > 0 {
			fmt.Fprintf(b, "- %s ran %d times; the row is the median run, its writes are summed over all %s\n",
				s.Phase, len(s.Samples), fmtSamples(s.Samples))
		}
	}
	for _, c := range r.Checks {
		mark := "ok"
		if !c.OK {
			mark = "**FAILED**"
		}
		fmt.Fprintf(b, "- %s — %s: %s\n", mark, c.Name, c.Detail)
	}
	b.WriteString("\n")
}

// writeSideBySide compares the phase totals of both tools at each size.
func writeSideBySide(b *strings.Builder, res *Result) {
	var rows []string
	for _, r := range res.Runs {
		peer := res.run(toolVdirsyncer, r.N)
		if r.Tool != toolBridge || peer == nil {
			continue
		}
		for _, phase := range []string{phaseInitial, phaseNoChange, phaseChanges} {
			cb, vs := r.step(phase, partTotal), peer.step(phase, partTotal)
			if cb == nil || vs == nil {
				continue
			}
			rows = append(rows, fmt.Sprintf("| %d | %s | %s | %s | %s | %s | %s | %s |", r.N, phaseLabel(phase, res.Changes),
				fmtDur(cb.Wall), fmtDur(cb.CPU()), fmtDur(vs.Wall), fmtDur(vs.CPU()),
				fmtTimes(float64(vs.Wall)/float64(cb.Wall)), fmtTimes(float64(vs.CPU())/float64(max(cb.CPU(), 1)))))
		}
		if d := peer.step(phaseSetup, "discover"); d != nil {
			rows = append(rows, fmt.Sprintf("| %d | vdirsyncer discover (once, not counted above) | — | — | %s | %s | — | — |",
				r.N, fmtDur(d.Wall), fmtDur(d.CPU())))
		}
	}
	if len(rows) == 0 {
		return
	}
	b.WriteString("### Side by side (phase totals)\n\n")
	b.WriteString("| N | phase | contactbridge wall | contactbridge CPU | vdirsyncer wall | vdirsyncer CPU | vdirsyncer ÷ contactbridge (wall) | (CPU) |\n")
	b.WriteString("|---:|---|---:|---:|---:|---:|---:|---:|\n")
	b.WriteString(strings.Join(rows, "\n") + "\n\n")
}

// writeScaling shows how the change phase grows with the folder.
func writeScaling(b *strings.Builder, res *Result) {
	var rows []string
	for _, r := range res.Runs {
		nc, ch := r.step(phaseNoChange, partTotal), r.step(phaseChanges, partTotal)
		if nc == nil || ch == nil {
			continue
		}
		writes := fmt.Sprintf("files B %s", fmtDiff(ch.FilesB))
		if r.Tool == toolBridge {
			writes = fmt.Sprintf("hub %d, remote %d, %s", ch.HubWrites, ch.RemoteWrites, writes)
		}
		rows = append(rows, fmt.Sprintf("| %s | %d | %s | %s | %s | %s | %s |", r.Tool, r.N,
			fmtDur(nc.Wall), fmtDur(ch.Wall), fmtDur(ch.Wall-nc.Wall), fmtDur(ch.CPU()-nc.CPU()), writes))
	}
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(b, "### %d changes against the folder size\n\n", res.Changes)
	b.WriteString("The extra cost is the change phase less the no-change phase: what the changes themselves cost ")
	b.WriteString("on top of looking at an unchanged folder.\n\n")
	fmt.Fprintf(b, "| tool | N | no-change wall | %d changes wall | extra wall | extra CPU | writes (changes phase) |\n", res.Changes)
	b.WriteString("|---|---:|---:|---:|---:|---:|---|\n")
	b.WriteString(strings.Join(rows, "\n") + "\n\n")
}

// writeJSON writes res, with the evaluated targets, as indented JSON.
func writeJSON(w io.Writer, res *Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		*Result
		Targets []Target `json:"targets"`
	}{res, evaluate(res)})
}

func phaseLabel(phase string, changes int) string {
	if phase == phaseChanges {
		return fmt.Sprintf("%d changes", changes)
	}
	return phase
}

// fmtDur writes durations below a second in milliseconds, others in
// seconds.
func fmtDur(d time.Duration) string {
	if d < time.Second && d > -time.Second {
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

func fmtCPU(c Cost) string {
	return fmt.Sprintf("%s (%s + %s)", fmtDur(c.CPU()), fmtDur(c.User), fmtDur(c.Sys))
}

func fmtBytes(n int64) string {
	switch {
	case n <= 0:
		return "—"
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

func fmtDiff(d *FileDiff) string {
	if d == nil {
		return ""
	}
	return d.String()
}

// fmtTimes writes a ratio such as 23.4×.
func fmtTimes(r float64) string { return fmt.Sprintf("%.1f×", r) }

// fmtRatio writes a fraction below one as 1/x.
func fmtRatio(r float64) string {
	if r <= 0 {
		return "—"
	}
	if r < 1 {
		return fmt.Sprintf("1/%.1f", 1/r)
	}
	return fmtTimes(r)
}

func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
