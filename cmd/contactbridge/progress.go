package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// minBarItems is the size below which a phase draws no bar: short runs
// finish before a bar would be readable, and stay quiet.
const minBarItems = 200

// progress draws a bar on a terminal for each phase of one account's run
// (list, fetch, write) once the phase is large enough to be worth it, and
// clears it when the run ends so the summary stays clean.
type progress struct {
	w       io.Writer
	account string

	mu    sync.Mutex
	phase string
	bar   *progressbar.ProgressBar
}

func newProgress(w io.Writer, account string) *progress {
	return &progress{w: w, account: account}
}

// update is a bridge.Options.Progress: the run is done of total in phase
// (total 0: not known yet).
func (p *progress) update(phase string, done, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if phase != p.phase {
		p.clear()
		p.phase = phase
	}
	if p.bar == nil {
		if max(done, total) < minBarItems {
			return
		}
		size := total
		if size == 0 {
			size = -1 // a spinner with a count
		}
		p.bar = progressbar.NewOptions(size,
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription(fmt.Sprintf("%s: %s", p.account, phase)),
			progressbar.OptionShowCount(),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	}
	p.bar.Set(done)
}

// clear removes the current bar, if any.
func (p *progress) clear() {
	if p.bar != nil {
		p.bar.Finish()
		p.bar.Clear()
		p.bar = nil
	}
}

// finish removes the bar at the end of a run. A nil progress does nothing.
func (p *progress) finish() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
}

// isTerminal reports whether w is a terminal, where bars are welcome.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
