package scheduler

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// The tests run inside a synctest bubble and drive the scheduler with
// fakeClock: a test advances the fake clock, which fires the timers that are
// due, and synctest.Wait returns once every goroutine of the bubble — the
// scheduler's loop, the runs, the test's own helpers — is blocked again, that
// is once the scheduler has done everything the new time asks for. No test
// sleeps or polls.

// epoch is the fake clock's start: a Monday, midnight UTC.
func epoch() time.Time { return time.Date(2026, time.January, 5, 0, 0, 0, 0, time.UTC) }

// fakeClock is a Clock whose time moves only by Advance.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

func newFakeClock(now time.Time) *fakeClock { return &fakeClock{now: now} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTimer(d time.Duration) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{clk: c, at: c.now.Add(d), c: make(chan time.Time, 1)}
	if d <= 0 {
		t.c <- c.now
		return t
	}
	c.timers = append(c.timers, t)
	return t
}

// Advance moves the clock forward by d and fires every timer due by then.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.timers = slices.DeleteFunc(c.timers, func(t *fakeTimer) bool {
		if t.at.After(c.now) {
			return false
		}
		t.c <- c.now
		return true
	})
}

// Waiting returns the number of timers not yet fired or stopped.
func (c *fakeClock) Waiting() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

type fakeTimer struct {
	clk *fakeClock
	at  time.Time
	c   chan time.Time
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) Stop() bool {
	t.clk.mu.Lock()
	defer t.clk.mu.Unlock()
	n := len(t.clk.timers)
	t.clk.timers = slices.DeleteFunc(t.clk.timers, func(x *fakeTimer) bool { return x == t })
	return len(t.clk.timers) < n
}

// harness is a started Scheduler on a fake clock that records every run.
type harness struct {
	t     *testing.T
	clk   *fakeClock
	s     *Scheduler
	start context.CancelFunc

	mu    sync.Mutex
	calls []call
	n     map[string]int
}

// call is one run as the job saw it.
type call struct {
	Job     string
	Trigger Trigger
	At      time.Duration // since epoch
}

// newHarness starts a Scheduler with opts, a fake clock at epoch, a seeded
// Rand unless opts has one, and a logger writing to the test's output. It
// must be called inside a bubble; the scheduler is stopped at the end of the
// test.
func newHarness(t *testing.T, opts Options) *harness {
	t.Helper()
	clk := newFakeClock(epoch())
	opts.Clock = clk
	opts.Logger = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	if opts.Rand == nil {
		opts.Rand = rand.New(rand.NewPCG(1, 2))
	}
	h := &harness{t: t, clk: clk, s: New(opts), n: map[string]int{}}
	ctx, cancel := context.WithCancel(t.Context())
	h.start = cancel
	h.s.Start(ctx)
	t.Cleanup(func() {
		cancel()
		ctx, stop := context.WithTimeout(context.Background(), time.Hour)
		defer stop()
		if err := h.s.Stop(ctx); err != nil {
			t.Errorf("Stop at the end of the test: %v", err)
		}
	})
	return h
}

// job returns a Job that records each run, then returns fn's result for its
// nth run (1-based); nil fn succeeds.
func (h *harness) job(name, spec string, fn func(ctx context.Context, n int) Result) Job {
	return Job{Name: name, Spec: spec, Run: func(ctx context.Context, trig Trigger) Result {
		h.mu.Lock()
		h.n[name]++
		n := h.n[name]
		h.calls = append(h.calls, call{name, trig, h.clk.Now().Sub(epoch())})
		h.mu.Unlock()
		if fn == nil {
			return Result{}
		}
		return fn(ctx, n)
	}}
}

// set installs jobs or fails the test.
func (h *harness) set(jobs ...Job) {
	h.t.Helper()
	if err := h.s.Set(jobs); err != nil {
		h.t.Fatalf("Set: %v", err)
	}
	synctest.Wait()
}

// trigger runs name manually and waits until the scheduler has acted on it.
func (h *harness) trigger(name string) {
	h.t.Helper()
	if err := h.s.Trigger(name); err != nil {
		h.t.Fatalf("Trigger(%q): %v", name, err)
	}
	synctest.Wait()
}

// advance waits for the scheduler to settle, moves the clock by d and waits
// until the scheduler has done everything the new time asks for.
func (h *harness) advance(d time.Duration) {
	synctest.Wait()
	h.clk.Advance(d)
	synctest.Wait()
}

// stepTo advances in steps of step until the clock is at epoch+at.
func (h *harness) stepTo(at, step time.Duration) {
	for h.since() < at {
		h.advance(min(step, at-h.since()))
	}
}

// since is the fake time elapsed since epoch.
func (h *harness) since() time.Duration { return h.clk.Now().Sub(epoch()) }

// callsOf returns the runs of job so far.
func (h *harness) callsOf(job string) []call {
	h.mu.Lock()
	defer h.mu.Unlock()
	var cs []call
	for _, c := range h.calls {
		if c.Job == job {
			cs = append(cs, c)
		}
	}
	return cs
}

// times returns when job ran, as offsets from epoch.
func (h *harness) times(job string) []time.Duration {
	var ts []time.Duration
	for _, c := range h.callsOf(job) {
		ts = append(ts, c.At)
	}
	return ts
}

// triggers returns why job ran, run by run.
func (h *harness) triggers(job string) []Trigger {
	var ts []Trigger
	for _, c := range h.callsOf(job) {
		ts = append(ts, c.Trigger)
	}
	return ts
}

// status returns the status of job, failing the test if it is not in the set.
func (h *harness) status(job string) JobStatus {
	h.t.Helper()
	for _, st := range h.s.Status() {
		if st.Name == job {
			return st
		}
	}
	h.t.Fatalf("no job %q in Status", job)
	return JobStatus{}
}

// at is epoch+d, for comparing with Status times.
func at(d time.Duration) time.Time { return epoch().Add(d) }

// gate lets a test hold a run until it releases it.
type gate struct {
	release chan struct{}
	ctxErr  chan error // the run's ctx.Err() when it was released
}

func newGate() *gate { return &gate{release: make(chan struct{}), ctxErr: make(chan error, 16)} }

// run blocks until released or until ctx is done.
func (g *gate) run(ctx context.Context, _ int) Result {
	select {
	case <-g.release:
		g.ctxErr <- ctx.Err()
		return Result{}
	case <-ctx.Done():
		g.ctxErr <- ctx.Err()
		return Result{Err: ctx.Err()}
	}
}

// open releases one run and waits until the scheduler has acted on its end.
func (g *gate) open() {
	g.release <- struct{}{}
	synctest.Wait()
}

// bubble runs f in a synctest bubble.
func bubble(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	synctest.Test(t, f)
}

func durations(ds ...time.Duration) []time.Duration { return ds }

func minutes(ms ...int) []time.Duration {
	ds := make([]time.Duration, len(ms))
	for i, m := range ms {
		ds[i] = time.Duration(m) * time.Minute
	}
	return ds
}
