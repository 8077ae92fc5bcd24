// Package scheduler decides when each account's sync runs.
//
// A job is an account name, a cron spec and a function; the scheduler knows
// nothing of connectors, stores or HTTP. It parses specs with
// robfig/cron/v3 but drives the fires from its own loop on an injected Clock,
// so that jitter, backoff, follow-ups and coalescing are tested with a fake
// clock. Runs of one job never overlap, whatever started them.
package scheduler

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
)

// Defaults of Options.
const (
	// DefaultBackoffBase is the wait after the first failure.
	DefaultBackoffBase = time.Minute
	// DefaultBackoffMax caps the backoff.
	DefaultBackoffMax = time.Hour
	// DefaultFollowUpDelay is how long after a hub change the other accounts
	// run: long enough to collect the changes of several accounts that sync
	// at the same time into one follow-up each.
	DefaultFollowUpDelay = 30 * time.Second
)

// Errors of the Scheduler.
var (
	// ErrUnknownJob is returned by Trigger for a name not in the job set.
	ErrUnknownJob = errors.New("unknown account")
	// ErrStopped is returned by Trigger once the scheduler is stopped.
	ErrStopped = errors.New("scheduler stopped")
)

// Options configure a Scheduler. The zero value is usable.
type Options struct {
	// Clock is the time source; nil means SystemClock.
	Clock Clock
	// Logger receives one record per run and per change of the job set,
	// with the attributes "account" and "trigger"; nil discards.
	Logger *slog.Logger
	// Jitter delays each scheduled fire by a random duration in [0, Jitter),
	// so accounts with the same spec do not hit their servers in the same
	// second. Zero means a tenth of the time to the following fire, at most
	// DefaultMaxJitter (30s for anything hourly or slower, 6s for
	// @every 1m); a negative value turns jitter off. An explicit value is
	// capped at half the time to the following fire. Manual and follow-up
	// runs are not jittered.
	Jitter time.Duration
	// Rand draws the jitter; nil means a randomly seeded source. It is used
	// only under the scheduler's lock.
	Rand *rand.Rand
	// BackoffBase and BackoffMax: after k consecutive failures a job's
	// scheduled and follow-up fires are skipped until
	// min(BackoffBase*2^(k-1), BackoffMax), and at least the run's
	// RetryAfter, has passed since the failed run ended. A success resets
	// the count. Zero means DefaultBackoffBase and DefaultBackoffMax.
	// Manual runs ignore the backoff: the user asked.
	BackoffBase, BackoffMax time.Duration
	// FollowUpDelay: when a run reports HubChanged, every other job gets one
	// follow-up run this long after it. Changes while a follow-up is pending
	// add no run, and a job that starts a run for any reason before its
	// follow-up is due drops the follow-up. Zero means
	// DefaultFollowUpDelay; a negative value turns follow-ups off.
	FollowUpDelay time.Duration
	// MinInterval is the shortest accepted @every interval; zero means
	// DefaultMinInterval. See ParseOptions.
	MinInterval time.Duration
	// Location is the time zone of specs without a CRON_TZ= prefix; nil
	// means UTC.
	Location *time.Location
}

// Scheduler runs a set of jobs on their schedules. Its methods are safe for
// concurrent use.
type Scheduler struct {
	opts  Options
	clock Clock
	log   *slog.Logger

	// jobCtx is the context of every run; cancelJobs is called only when
	// Stop's context ends before the runs do.
	jobCtx     context.Context
	cancelJobs context.CancelFunc

	wake   chan struct{} // the job set or a job's state changed: re-plan
	stopCh chan struct{} // closed when stopped
	wg     sync.WaitGroup

	mu      sync.Mutex
	rand    *rand.Rand
	jobs    map[string]*entry
	retired map[string]*entry // removed by Set, still running
	started bool
	stopped bool
}

// New returns a Scheduler with no jobs; add them with Set and start it with
// Start.
func New(opts Options) *Scheduler {
	if opts.Clock == nil {
		opts.Clock = SystemClock()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Rand == nil {
		opts.Rand = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	if opts.BackoffBase <= 0 {
		opts.BackoffBase = DefaultBackoffBase
	}
	if opts.BackoffMax <= 0 {
		opts.BackoffMax = DefaultBackoffMax
	}
	opts.BackoffMax = max(opts.BackoffMax, opts.BackoffBase)
	if opts.FollowUpDelay == 0 {
		opts.FollowUpDelay = DefaultFollowUpDelay
	}
	if opts.MinInterval <= 0 {
		opts.MinInterval = DefaultMinInterval
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Scheduler{
		opts:       opts,
		clock:      opts.Clock,
		log:        opts.Logger,
		jobCtx:     ctx,
		cancelJobs: cancel,
		wake:       make(chan struct{}, 1),
		stopCh:     make(chan struct{}),
		rand:       opts.Rand,
		jobs:       map[string]*entry{},
		retired:    map[string]*entry{},
	}
}

// Set replaces the job set. It validates every job first — names unique and
// not empty, a Run function, a spec Parse accepts — and on any error returns
// them all, each naming its account, and keeps the old set unchanged.
//
// Added jobs are scheduled from now. Removed jobs are no longer scheduled; a
// running one finishes. A job whose spec changed is rescheduled from now; it
// and an unchanged job keep their state: counters, last result, backoff and
// pending runs. The new Run function is used from the next run on.
func (s *Scheduler) Set(jobs []Job) error {
	now := s.clock.Now()
	popts := ParseOptions{Location: s.opts.Location, MinInterval: s.opts.MinInterval, Now: now}
	scheds := make([]parsed, len(jobs))
	seen := make(map[string]bool, len(jobs))
	var errs []error
	for i, j := range jobs {
		switch {
		case j.Name == "":
			errs = append(errs, fmt.Errorf("job %d: empty account name", i))
			continue
		case seen[j.Name]:
			errs = append(errs, fmt.Errorf("account %q: defined more than once", j.Name))
			continue
		case j.Run == nil:
			errs = append(errs, fmt.Errorf("account %q: no run function", j.Name))
		}
		seen[j.Name] = true
		sched, err := Parse(j.Spec, popts)
		if err != nil {
			errs = append(errs, fmt.Errorf("account %q: %w", j.Name, err))
		}
		scheds[i] = parsed{j, sched}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	set := make(map[string]*entry, len(jobs))
	for _, p := range scheds {
		name := p.job.Name
		e := s.jobs[name]
		revived := false
		if e == nil {
			// A job removed while running and added back keeps its entry,
			// so its runs still cannot overlap.
			if e = s.retired[name]; e != nil {
				delete(s.retired, name)
				e.removed = false
				revived = true
			}
		}
		switch {
		case e == nil:
			e = s.newEntry(p.job, p.sched)
			s.planLocked(e, now)
			e.log.Info("job added", "spec", p.job.Spec, "next", e.next)
		case revived || e.job.Spec != p.job.Spec:
			e.job = p.job
			e.sched = p.sched
			s.planLocked(e, now)
			e.log.Info("job rescheduled", "spec", p.job.Spec, "next", e.next)
		default:
			e.job = p.job
		}
		set[name] = e
	}
	for name, e := range s.jobs {
		if set[name] != nil {
			continue
		}
		e.log.Info("job removed", "running", e.running)
		if e.running {
			e.removed = true
			e.pending = ""
			s.retired[name] = e
		}
	}
	s.jobs = set
	s.wakeLocked()
	return nil
}

type parsed struct {
	job   Job
	sched cron.Schedule
}

// Start starts the scheduling loop in its own goroutine and returns at once.
// The loop runs until Stop is called or ctx is done; ctx ending stops
// scheduling like Stop but neither waits for nor cancels running jobs (call
// Stop for that), so a signal context can be passed here and a shutdown
// deadline to Stop. A second Start, or a Start after Stop, does nothing.
func (s *Scheduler) Start(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || s.stopped {
		s.log.Warn("scheduler already started or stopped")
		return
	}
	s.started = true
	s.wg.Add(1)
	go s.loop(ctx)
}

// Stop stops scheduling — no run starts after it, pending follow-ups and
// coalesced runs are dropped — and waits for the running jobs to return.
// Their context is cancelled only when ctx ends first, so a running sync can
// finish its batch; Stop then returns at once with an error naming the jobs
// still running, which may need a moment to return.
func (s *Scheduler) Stop(ctx context.Context) error {
	s.mu.Lock()
	s.stopLocked()
	s.mu.Unlock()

	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	s.cancelJobs()
	s.mu.Lock()
	var running []string
	for _, m := range []map[string]*entry{s.jobs, s.retired} {
		for name, e := range m {
			if e.running {
				running = append(running, name)
			}
		}
	}
	s.mu.Unlock()
	slices.Sort(running)
	return fmt.Errorf("scheduler: stop: cancelled running jobs %s: %w", strings.Join(running, ", "), context.Cause(ctx))
}

func (s *Scheduler) stopLocked() {
	if !s.stopped {
		s.stopped = true
		close(s.stopCh)
		s.log.Info("scheduler stopped")
	}
}

// Trigger runs the job name now, whatever its schedule and backoff, also
// before Start. If it is running, one more run starts when the current one
// ends, however often Trigger is called meanwhile.
func (s *Scheduler) Trigger(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return fmt.Errorf("scheduler: trigger %q: %w", name, ErrStopped)
	}
	e := s.jobs[name]
	if e == nil {
		return fmt.Errorf("scheduler: trigger %q: %w", name, ErrUnknownJob)
	}
	if e.running {
		e.pending = TriggerManual
		e.log.Info("sync run queued after the current one", "trigger", string(TriggerManual))
		return nil
	}
	s.startLocked(e, TriggerManual, s.clock.Now())
	return nil
}

// wakeLocked makes the loop plan again.
func (s *Scheduler) wakeLocked() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// maxWait bounds the loop's timer: Go's timers run on the monotonic clock,
// which stands still while the machine sleeps, so a laptop waking up would
// otherwise fire late by the time it slept. Re-reading the wall clock once a
// minute costs nothing.
const maxWait = time.Minute

// loop fires what is due, then waits on one timer for the next event or a
// wake-up. Every decision reads the clock afresh, so a wake-up that comes
// after the clock moved is as good as the timer.
func (s *Scheduler) loop(ctx context.Context) {
	defer s.wg.Done()
	for {
		s.mu.Lock()
		if s.stopped {
			s.mu.Unlock()
			return
		}
		now := s.clock.Now()
		s.fireDueLocked(now)
		at, ok := s.nextEventLocked()
		s.mu.Unlock()

		var timer Timer
		var fired <-chan time.Time
		if ok {
			timer = s.clock.NewTimer(min(at.Sub(now), maxWait))
			fired = timer.C()
		}
		select {
		case <-fired:
		case <-s.wake:
		case <-s.stopCh:
		case <-ctx.Done():
			s.mu.Lock()
			s.stopLocked()
			s.mu.Unlock()
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

// fireDueLocked starts the scheduled and follow-up runs due at now, in name
// order so that jitter draws are reproducible.
func (s *Scheduler) fireDueLocked(now time.Time) {
	for _, e := range s.sortedLocked() {
		if !e.next.IsZero() && !e.next.After(now) {
			s.advanceLocked(e, now)
			t := TriggerSchedule
			if e.failures > 0 {
				t = TriggerRetry
			}
			if e.running {
				// SkipIfStillRunning: the run in progress does this fire's
				// work.
				e.skipped++
				e.log.Info("scheduled fire skipped: still running", "trigger", string(t), "next", e.next)
			} else {
				s.startLocked(e, t, now)
			}
		}
		if at := e.followUpAt(); !at.IsZero() && !at.After(now) {
			e.followUp = time.Time{}
			if e.running {
				// The run in progress may have read the hub before the
				// change: run once more after it.
				if e.pending == "" {
					e.pending = TriggerFollowUp
				}
			} else {
				s.startLocked(e, TriggerFollowUp, now)
			}
		}
	}
}

// followUpAt is when e's follow-up is due, after its backoff; zero if none.
func (e *entry) followUpAt() time.Time {
	if e.followUp.IsZero() || e.followUp.After(e.backoffUntil) {
		return e.followUp
	}
	return e.backoffUntil
}

// nextEventLocked returns the time of the earliest scheduled or follow-up fire.
func (s *Scheduler) nextEventLocked() (time.Time, bool) {
	var at time.Time
	for _, e := range s.jobs {
		for _, t := range []time.Time{e.next, e.followUpAt()} {
			if !t.IsZero() && (at.IsZero() || t.Before(at)) {
				at = t
			}
		}
	}
	return at, !at.IsZero()
}

func (s *Scheduler) sortedLocked() []*entry {
	es := make([]*entry, 0, len(s.jobs))
	for _, e := range s.jobs {
		es = append(es, e)
	}
	slices.SortFunc(es, func(a, b *entry) int { return cmp.Compare(a.job.Name, b.job.Name) })
	return es
}
