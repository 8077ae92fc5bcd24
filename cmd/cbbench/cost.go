package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"time"
)

// A Cost is what one measured step used: wall time, CPU time split into
// user and system, and the peak resident set size.
type Cost struct {
	Wall time.Duration `json:"wall_ns"`
	User time.Duration `json:"user_ns"`
	Sys  time.Duration `json:"sys_ns"`
	// PeakRSS is the largest resident set in bytes while the step ran, 0
	// when the platform does not tell. For steps in this process it is the
	// peak since the phase began (see resetPeak).
	PeakRSS int64 `json:"peak_rss_bytes"`
}

// CPU is the user plus system time.
func (c Cost) CPU() time.Duration { return c.User + c.Sys }

// A meter measures a step of this process: start it, run the step, stop
// it. Steps may nest (a phase and the accounts synced in it).
type meter struct {
	start     time.Time
	user, sys time.Duration
}

// startMeter begins measuring.
func startMeter() meter {
	u, s := selfTimes()
	return meter{start: time.Now(), user: u, sys: s}
}

// stop returns the cost since startMeter. CPU time is the whole process's,
// garbage collection included: the benchmark runs nothing else meanwhile.
func (m meter) stop() Cost {
	wall := time.Since(m.start)
	u, s := selfTimes()
	return Cost{Wall: wall, User: u - m.user, Sys: s - m.sys, PeakRSS: peakRSS()}
}

// settle prepares this process for a phase: it collects garbage, returns
// freed memory to the OS and resets the peak RSS, so that a phase is not
// charged with the memory of the one before it.
func settle() {
	runtime.GC()
	debug.FreeOSMemory()
	resetPeak()
}

// childCost is the cost of a finished child process that ran for wall.
func childCost(ps *os.ProcessState, wall time.Duration) Cost {
	c := Cost{Wall: wall, User: ps.UserTime(), Sys: ps.SystemTime()}
	c.PeakRSS = childPeakRSS(ps)
	return c
}
