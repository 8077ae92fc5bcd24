package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/robfig/cron/v3"
)

// Trigger says why a run started.
type Trigger string

// The triggers.
const (
	// TriggerSchedule is a fire of the job's own schedule.
	TriggerSchedule Trigger = "schedule"
	// TriggerManual is a run asked for with Scheduler.Trigger.
	TriggerManual Trigger = "manual"
	// TriggerFollowUp is a run that brings another account's change to this
	// one, FollowUpDelay after a run reported HubChanged.
	TriggerFollowUp Trigger = "follow-up"
	// TriggerRetry is a fire of the job's own schedule while its last run
	// failed: the first scheduled run after the backoff.
	TriggerRetry Trigger = "retry"
)

// ErrPanicked marks the error of a run whose function panicked.
var ErrPanicked = errors.New("job panicked")

// Result is what a run reports back to the scheduler.
type Result struct {
	// HubChanged says the run wrote to the hub, so every other job gets a
	// follow-up run. It counts even when Err is set (a run can commit some
	// batches before it fails).
	HubChanged bool
	// Err is the run's failure; consecutive failures back the job off.
	Err error
	// RetryAfter, when positive, is the least time the remote asked to be
	// left alone (Retry-After, a quota hint): no scheduled or follow-up run
	// starts before it has passed, whether or not the run failed.
	RetryAfter time.Duration
}

// Job is one account's sync as the scheduler sees it.
type Job struct {
	// Name is the account name, unique among the jobs of a Scheduler.
	Name string
	// Spec is the cron spec, already defaulted by the caller from the
	// top-level schedule; see Parse.
	Spec string
	// Run performs one sync. ctx is cancelled only when Stop gives up
	// waiting, so a run can finish its batch on shutdown.
	Run func(ctx context.Context, trigger Trigger) Result
}

// entry is the scheduler's state for one job. All fields are guarded by
// Scheduler.mu, except that cur is handed to the run's goroutine.
type entry struct {
	job   Job
	sched cron.Schedule
	log   *slog.Logger
	// wrapped runs cur through the chain Skip(Recover(run)), built once per
	// entry because SkipIfStillRunning keeps its token per wrapped job.
	wrapped cron.Job
	cur     *run

	planned  time.Time // next activation of sched, before jitter
	next     time.Time // when that activation fires: planned plus jitter; zero if never
	followUp time.Time // requested follow-up run, zero if none
	pending  Trigger   // one run to start when the current one ends
	running  bool
	removed  bool // dropped by Set while running: finishes, never runs again

	runs, skipped, failures int
	lastStart               time.Time
	lastDuration            time.Duration
	lastResult              ResultStatus
	backoffUntil            time.Time
}

// run is one execution of a job.
type run struct {
	ctx     context.Context
	fn      func(context.Context, Trigger) Result
	trigger Trigger
	started bool
	res     Result
	dur     time.Duration
}

func (s *Scheduler) newEntry(j Job, sched cron.Schedule) *entry {
	e := &entry{job: j, sched: sched, log: s.log.With("account", j.Name)}
	l := cronLogger{e.log}
	// Skip outermost, Recover innermost (scheduling.md §2.1): with v3.0.1 a
	// panic unwinding through SkipIfStillRunning would keep its token and
	// skip the job forever. Our own recover in execute turns a panic into
	// the run's error before either wrapper sees it; these wrappers are the
	// second line, and the running flag the first, against overlap.
	e.wrapped = jobChain(l).Then(cron.FuncJob(func() { s.execute(e) }))
	return e
}

// jobChain is the wrapper chain every job runs through.
func jobChain(l cron.Logger) cron.Chain {
	return cron.NewChain(cron.SkipIfStillRunning(l), cron.Recover(l))
}

// startLocked starts a run of e with trigger t in its own goroutine. The
// caller holds s.mu and has checked that e is not running.
func (s *Scheduler) startLocked(e *entry, t Trigger, now time.Time) {
	if s.stopped {
		return
	}
	e.running = true
	e.runs++
	e.lastStart = now
	// This run starts after every change that asked for a follow-up so far,
	// so it brings those changes over itself.
	e.followUp = time.Time{}
	e.cur = &run{ctx: s.jobCtx, fn: e.job.Run, trigger: t}
	e.log.Debug("sync run starting", "trigger", string(t))
	s.wg.Add(1)
	go func(r *run) {
		defer s.wg.Done()
		e.wrapped.Run()
		s.finish(e, r)
	}(e.cur)
}

// execute is the innermost job of the chain: it runs the job's function and
// turns a panic into the run's error.
func (s *Scheduler) execute(e *entry) {
	r := e.cur
	r.started = true
	start := s.clock.Now()
	defer func() {
		r.dur = s.clock.Now().Sub(start)
		if p := recover(); p != nil {
			err, ok := p.(error)
			if !ok {
				err = fmt.Errorf("%v", p)
			}
			r.res = Result{Err: fmt.Errorf("%w: %w", ErrPanicked, err)}
			e.log.Error("sync run panicked", "trigger", string(r.trigger), "panic", err.Error(), "stack", string(debug.Stack()))
		}
	}()
	r.res = r.fn(r.ctx, r.trigger)
}

// finish records the end of run r of e and starts what it leads to: follow-ups
// for the other jobs, the coalesced run of e.
func (s *Scheduler) finish(e *entry, r *run) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e.running = false
	e.cur = nil
	trig := string(r.trigger)
	if !r.started {
		// Only SkipIfStillRunning can get here, and the running flag keeps
		// it from ever skipping; say so loudly if it does.
		e.log.Error("sync run skipped by the job chain", "trigger", trig)
		s.wakeLocked()
		return
	}
	now := s.clock.Now()
	res := r.res
	e.lastDuration = r.dur
	e.lastResult = ResultStatus{Trigger: r.trigger, HubChanged: res.HubChanged}
	var wait time.Duration
	if res.Err != nil {
		e.failures++
		e.lastResult.Err = res.Err.Error()
		wait = backoff(e.failures, s.opts.BackoffBase, s.opts.BackoffMax)
	} else {
		e.failures = 0
	}
	wait = max(wait, res.RetryAfter)
	e.backoffUntil = time.Time{}
	if wait > 0 {
		e.backoffUntil = now.Add(wait)
		if !e.planned.IsZero() && e.planned.Before(e.backoffUntil) {
			s.planLocked(e, e.planned)
		}
	}

	attrs := []any{"trigger", trig, "duration", r.dur, "hub_changed", res.HubChanged}
	if res.Err != nil {
		e.log.Warn("sync run failed", append(attrs, "err", res.Err, "consecutive_failures", e.failures, "backoff_until", e.backoffUntil)...)
	} else {
		e.log.Info("sync run finished", attrs...)
	}

	if res.HubChanged && s.opts.FollowUpDelay > 0 {
		at := now.Add(s.opts.FollowUpDelay)
		for _, o := range s.jobs {
			// One follow-up per window: a pending one already comes after
			// this change.
			if o != e && o.followUp.IsZero() {
				o.followUp = at
			}
		}
	}

	if e.removed {
		delete(s.retired, e.job.Name)
	} else if p := e.pending; p != "" {
		e.pending = ""
		if p == TriggerManual {
			s.startLocked(e, p, now)
		} else {
			// A follow-up still respects the backoff; the loop starts it.
			e.followUp = now
		}
	}
	s.wakeLocked()
}

// cronLogger lets robfig's wrappers log through slog.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Info("cron: "+msg, kv...) }

func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append([]any{"err", err}, kv...)...)
}
