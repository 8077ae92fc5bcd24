package scheduler

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// DefaultMinInterval is the shortest @every interval Parse accepts when
// ParseOptions.MinInterval is not set: more often than once a minute would
// only hammer the remote servers.
const DefaultMinInterval = time.Minute

// ParseOptions says how Parse reads and checks a spec.
type ParseOptions struct {
	// Location is the time zone of a spec without a CRON_TZ= or TZ= prefix.
	// Nil means UTC (never the machine's local zone, unless given here).
	Location *time.Location
	// MinInterval is the shortest accepted @every interval; zero or less
	// means DefaultMinInterval. It does not apply to five-field specs, which
	// cannot fire more than once a minute anyway.
	MinInterval time.Duration
	// Now is the time from which Parse checks that the spec fires at all;
	// zero means time.Now().
	Now time.Time
}

// parser reads the standard five-field, minute-first syntax and the
// descriptors (@hourly, @daily, @every 10m, …). A value, not shared state.
func parser() cron.Parser {
	return cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
}

// Parse validates one user-supplied spec and returns its schedule.
//
// It accepts the five-field cron syntax, descriptors (@hourly, @daily,
// @every 10m, …) and an optional CRON_TZ=Zone (or TZ=Zone) prefix followed
// by a space. A spec without a prefix is evaluated in opts.Location (UTC by
// default). Parse turns what robfig/cron v3.0.1 would panic on or silently
// accept into errors that say what is wrong with the spec: a zone prefix not
// followed by a schedule, a spec that never fires (30 February), an @every
// interval that is not a positive whole number of seconds or is shorter than
// opts.MinInterval.
func Parse(spec string, opts ParseOptions) (sched cron.Schedule, err error) {
	orig := spec
	defer func() {
		// The checks below keep v3.0.1 from panicking on the inputs known
		// to crash it; this is the net for the ones nobody has found yet.
		if r := recover(); r != nil {
			sched, err = nil, fmt.Errorf("schedule %q is invalid: %v", orig, r)
		}
	}()

	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, fmt.Errorf("schedule %q is empty", orig)
	}
	loc := opts.Location
	if loc == nil {
		loc = time.UTC
	}
	// The zone prefix is handled here rather than by robfig, whose v3.0.1
	// parser panics on "CRON_TZ=" or "TZ=UTC" without a following space.
	if strings.HasPrefix(spec, "CRON_TZ=") || strings.HasPrefix(spec, "TZ=") {
		prefix, rest, ok := strings.Cut(spec, " ")
		rest = strings.TrimSpace(rest)
		if !ok || rest == "" {
			return nil, fmt.Errorf("schedule %q: time zone prefix must be followed by a space and a schedule, e.g. \"CRON_TZ=UTC 0 3 * * *\"", orig)
		}
		_, zone, _ := strings.Cut(prefix, "=")
		if zone == "" {
			return nil, fmt.Errorf("schedule %q: empty time zone in %q", orig, prefix)
		}
		if loc, err = time.LoadLocation(zone); err != nil {
			return nil, fmt.Errorf("schedule %q: unknown time zone %q: %w", orig, zone, err)
		}
		spec = rest
	}

	sched, err = parser().Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("schedule %q: %w", orig, err)
	}
	switch s := sched.(type) {
	case *cron.SpecSchedule:
		// robfig puts time.Local on every spec without a prefix.
		s.Location = loc
	case cron.ConstantDelaySchedule:
		if err := checkEvery(spec, s, opts.MinInterval); err != nil {
			return nil, fmt.Errorf("schedule %q: %w", orig, err)
		}
	}

	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	if next(sched, now).IsZero() {
		return nil, fmt.Errorf("schedule %q never fires", orig)
	}
	return sched, nil
}

// checkEvery rejects the @every intervals robfig would silently change: zero
// or negative ones (it makes them 1s) and fractions of a second (it truncates
// them), and those below the minimum.
func checkEvery(spec string, s cron.ConstantDelaySchedule, minInterval time.Duration) error {
	if minInterval <= 0 {
		minInterval = DefaultMinInterval
	}
	d, err := time.ParseDuration(strings.TrimSpace(strings.TrimPrefix(spec, "@every")))
	if err != nil {
		// robfig parsed it, so this cannot happen; keep its view.
		d = s.Delay
	}
	switch {
	case d <= 0:
		return errors.New("@every interval must be positive")
	case d != s.Delay:
		return fmt.Errorf("@every interval %v is not a whole number of seconds", d)
	case d < minInterval:
		return fmt.Errorf("@every interval %v is shorter than the minimum %v", d, minInterval)
	}
	return nil
}

// next returns the first activation of sched after t, zero if none.
func next(sched cron.Schedule, t time.Time) time.Time {
	// A SpecSchedule in time.Local is evaluated in t's zone (robfig's rule),
	// so a time from a UTC clock would be read as local wall time.
	if s, ok := sched.(*cron.SpecSchedule); ok && s.Location == time.Local {
		t = t.In(time.Local)
	}
	return sched.Next(t)
}
