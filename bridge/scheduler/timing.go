package scheduler

import (
	"time"

	"github.com/robfig/cron/v3"
)

// planLocked sets e's next fire to the first activation of its schedule after
// from that is not inside its backoff, delayed by a fresh jitter.
func (s *Scheduler) planLocked(e *entry, from time.Time) {
	// Cron times are wall-clock times: drop the monotonic reading a
	// SystemClock time carries through ConstantDelaySchedule.
	p := skipUntil(e.sched, next(e.sched, from), e.backoffUntil).Round(0)
	e.planned = p
	e.next = time.Time{}
	if !p.IsZero() {
		e.next = p.Add(s.jitterLocked(e.sched, p))
	}
}

// advanceLocked plans the fire after the one due at e.planned, which the loop
// handles at now. It counts from the activation, not from now, so that jitter
// does not drift an @every schedule; after a long stall (the process was
// suspended) it counts from now, so missed fires collapse into the one just
// handled instead of running in a burst.
func (s *Scheduler) advanceLocked(e *entry, now time.Time) {
	from := e.planned
	if n := next(e.sched, from); !n.After(now) {
		from = now
	}
	s.planLocked(e, from)
}

// skipUntil returns the first activation of sched at or after p that is not
// before until (p itself when until is zero or not after p), keeping the
// schedule's phase.
func skipUntil(sched cron.Schedule, p, until time.Time) time.Time {
	if p.IsZero() || !p.Before(until) {
		return p
	}
	if cd, ok := sched.(cron.ConstantDelaySchedule); ok && cd.Delay > 0 {
		n := (until.Sub(p) + cd.Delay - 1) / cd.Delay
		return p.Add(n * cd.Delay)
	}
	// A five-field spec fires at most once a minute, so even a day's backoff
	// is at most 1440 steps.
	for !p.IsZero() && p.Before(until) {
		p = next(sched, p)
	}
	return p
}

// DefaultMaxJitter caps the default jitter window; see Options.Jitter.
const DefaultMaxJitter = 30 * time.Second

// jitterLocked draws the delay of the fire planned at p. The window is
// Options.Jitter, or by default a tenth of the time to the following
// activation capped at DefaultMaxJitter; an explicit window is capped at half
// that time so a fire never slides past the next one.
func (s *Scheduler) jitterLocked(sched cron.Schedule, p time.Time) time.Duration {
	if s.opts.Jitter < 0 {
		return 0
	}
	var gap time.Duration
	if n := next(sched, p); !n.IsZero() {
		gap = n.Sub(p)
	}
	window := min(s.opts.Jitter, gap/2)
	if s.opts.Jitter == 0 {
		window = min(DefaultMaxJitter, gap/10)
	}
	if window <= 0 {
		return 0
	}
	return time.Duration(s.rand.Int64N(int64(window)))
}

// backoff is how long a job with k consecutive failures waits: base*2^(k-1),
// capped at limit.
func backoff(k int, base, limit time.Duration) time.Duration {
	d := base
	for i := 1; i < k && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}
