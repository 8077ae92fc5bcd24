package scheduler

import "time"

// Clock is the scheduler's only source of time, so that tests can drive it
// with a fake clock and advance it step by step.
//
// The scheduler reads Now, computes when its next event is due and waits on
// one Timer for it. A fake clock fires a Timer when it is advanced to or past
// the timer's deadline (the time of NewTimer plus d), which makes every fire
// deterministic.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// NewTimer returns a Timer that delivers the time on its channel once d
	// has passed; d <= 0 fires at once.
	NewTimer(d time.Duration) Timer
}

// Timer is a one-shot timer created by a Clock, like time.Timer.
type Timer interface {
	// C returns the channel on which the timer delivers the time once.
	C() <-chan time.Time
	// Stop prevents the timer from firing. It reports whether it stopped the
	// timer, false when the timer had already fired or been stopped.
	Stop() bool
}

// SystemClock returns the Clock of the time package.
func SystemClock() Clock { return systemClock{} }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) NewTimer(d time.Duration) Timer { return systemTimer{time.NewTimer(d)} }

type systemTimer struct{ t *time.Timer }

func (t systemTimer) C() <-chan time.Time { return t.t.C }

func (t systemTimer) Stop() bool { return t.t.Stop() }
