package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/robfig/cron/v3"
)

func TestFiresAtScheduledTimes(t *testing.T) {
	bubble(t, func(t *testing.T) {
		h := newHarness(t, Options{Jitter: -1})
		h.set(
			h.job("hourly", "0 * * * *", nil),
			h.job("every20m", "@every 20m", nil),
			h.job("daily", "30 2 * * *", nil),
		)
		if got := h.status("hourly").Next; !got.Equal(at(time.Hour)) {
			t.Fatalf("hourly: Next = %v before any run, want %v", got, at(time.Hour))
		}

		h.stepTo(3*time.Hour, 5*time.Minute)

		want := map[string][]time.Duration{
			"hourly":   minutes(60, 120, 180),
			"every20m": minutes(20, 40, 60, 80, 100, 120, 140, 160, 180),
			"daily":    minutes(150),
		}
		for job, w := range want {
			if got := h.times(job); !slices.Equal(got, w) {
				t.Errorf("%s ran at %v, want %v", job, got, w)
			}
			for _, tr := range h.triggers(job) {
				if tr != TriggerSchedule {
					t.Errorf("%s ran with trigger %q, want %q", job, tr, TriggerSchedule)
				}
			}
		}
		nexts := map[string]time.Duration{"hourly": 4 * time.Hour, "every20m": 200 * time.Minute, "daily": 26*time.Hour + 30*time.Minute}
		for job, w := range nexts {
			if got := h.status(job).Next; !got.Equal(at(w)) {
				t.Errorf("%s: Next = %v, want %v", job, got, at(w))
			}
		}
		if n := h.clk.Waiting(); n != 1 {
			t.Errorf("the loop waits on %d timers, want 1", n)
		}
	})
}

func TestMissedFiresCollapseIntoOne(t *testing.T) {
	bubble(t, func(t *testing.T) {
		h := newHarness(t, Options{Jitter: -1})
		h.set(h.job("hourly", "@hourly", nil), h.job("every10m", "@every 10m", nil))

		// One jump over three hours, as after a suspended laptop.
		h.advance(3*time.Hour + 5*time.Minute)

		for job, next := range map[string]time.Duration{"hourly": 4 * time.Hour, "every10m": 3*time.Hour + 15*time.Minute} {
			if got := h.times(job); !slices.Equal(got, durations(3*time.Hour+5*time.Minute)) {
				t.Errorf("%s ran at %v, want once at 3h5m", job, got)
			}
			if got := h.status(job).Next; !got.Equal(at(next)) {
				t.Errorf("%s: Next = %v, want %v", job, got, at(next))
			}
		}
	})
}

func TestJitter(t *testing.T) {
	tests := []struct {
		name     string
		jitter   time.Duration
		spec     string
		first    time.Duration // unjittered first fire
		window   time.Duration // fires are in [first, first+window)
		interval time.Duration
	}{
		{"default for hourly is 30s", 0, "@hourly", time.Hour, 30 * time.Second, time.Hour},
		{"default for every 1m is a tenth", 0, "@every 1m", time.Minute, 6 * time.Second, time.Minute},
		{"explicit window", 10 * time.Second, "@hourly", time.Hour, 10 * time.Second, time.Hour},
		{"explicit window capped at half the interval", time.Hour, "@every 10m", 10 * time.Minute, 5 * time.Minute, 10 * time.Minute},
		{"off", -1, "@hourly", time.Hour, 0, time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bubble(t, func(t *testing.T) {
				h := newHarness(t, Options{Jitter: tt.jitter})
				var jobs []Job
				for i := range 8 {
					jobs = append(jobs, h.job(fmt.Sprintf("acct%d", i), tt.spec, nil))
				}
				h.set(jobs...)

				first := map[string]time.Time{}
				distinct := map[time.Time]bool{}
				for _, st := range h.s.Status() {
					checkWithin(t, st.Name+": first Next", st.Next, at(tt.first), tt.window)
					first[st.Name] = st.Next
					distinct[st.Next] = true
				}
				if tt.window > 0 && len(distinct) != len(jobs) {
					t.Errorf("%d jobs with the same spec got %d distinct fire times, want all different", len(jobs), len(distinct))
				}

				// Step a second at a time through the window: each job
				// fires in the step that reaches its jittered time.
				h.stepTo(tt.first+tt.window, time.Second)
				for name, next := range first {
					got := h.times(name)
					if len(got) != 1 {
						t.Fatalf("%s ran at %v, want once", name, got)
					}
					checkWithin(t, name+": fired", at(got[0]), next, time.Second)
				}
				// The next fire counts from the schedule, not from the
				// jittered time: no drift.
				for _, st := range h.s.Status() {
					checkWithin(t, st.Name+": second Next", st.Next, at(tt.first+tt.interval), tt.window)
				}
			})
		})
	}
}

// checkWithin checks that got is in [from, from+window), or equals from when
// window is zero.
func checkWithin(t *testing.T, what string, got, from time.Time, window time.Duration) {
	t.Helper()
	if window == 0 {
		if !got.Equal(from) {
			t.Errorf("%s = %v, want exactly %v", what, got, from)
		}
		return
	}
	if got.Before(from) || !got.Before(from.Add(window)) {
		t.Errorf("%s = %v, want in [%v, %v)", what, got, from, from.Add(window))
	}
}

func TestRunsNeverOverlap(t *testing.T) {
	bubble(t, func(t *testing.T) {
		h := newHarness(t, Options{Jitter: -1, FollowUpDelay: 30 * time.Second})
		g := newGate()
		var active, maxActive atomic.Int32
		h.set(
			h.job("a", "@hourly", func(ctx context.Context, n int) Result {
				cur := active.Add(1)
				defer active.Add(-1)
				for m := maxActive.Load(); cur > m && !maxActive.CompareAndSwap(m, cur); m = maxActive.Load() {
				}
				return g.run(ctx, n)
			}),
			h.job("b", "@daily", func(context.Context, int) Result { return Result{HubChanged: true} }),
		)

		h.trigger("a") // run 1, held by the gate
		h.trigger("a") // coalesced …
		h.trigger("a") // … into one more run
		if st := h.status("a"); !st.Running || st.Runs != 1 || st.Pending != TriggerManual {
			t.Fatalf("after three triggers: Running=%v Runs=%d Pending=%q, want true, 1, manual", st.Running, st.Runs, st.Pending)
		}

		h.advance(time.Hour) // the scheduled fire finds a running
		if st := h.status("a"); st.Runs != 1 || st.Skipped != 1 || !st.Next.Equal(at(2*time.Hour)) {
			t.Fatalf("after the scheduled fire: Runs=%d Skipped=%d Next=%v, want 1, 1, %v", st.Runs, st.Skipped, st.Next, at(2*time.Hour))
		}

		h.trigger("b")              // changes the hub: a gets a follow-up …
		h.advance(30 * time.Second) // … due while a is still running
		if st := h.status("a"); st.Runs != 1 || st.Pending != TriggerManual || !st.FollowUp.IsZero() {
			t.Fatalf("after the follow-up: Runs=%d Pending=%q FollowUp=%v, want 1, manual, none", st.Runs, st.Pending, st.FollowUp)
		}

		g.open() // run 1 ends, the coalesced run starts
		if st := h.status("a"); !st.Running || st.Runs != 2 || st.Pending != "" {
			t.Fatalf("after run 1: Running=%v Runs=%d Pending=%q, want true, 2, none", st.Running, st.Runs, st.Pending)
		}
		g.open()
		if st := h.status("a"); st.Running || st.Runs != 2 {
			t.Fatalf("after run 2: Running=%v Runs=%d, want false, 2", st.Running, st.Runs)
		}

		h.stepTo(2*time.Hour, time.Minute) // the schedule goes on
		g.open()

		if got, want := h.triggers("a"), []Trigger{TriggerManual, TriggerManual, TriggerSchedule}; !slices.Equal(got, want) {
			t.Errorf("a ran with triggers %v, want %v", got, want)
		}
		if m := maxActive.Load(); m != 1 {
			t.Errorf("up to %d runs of a at once, want 1", m)
		}
	})
}

func TestPanicIsAFailedRunAndTheJobKeepsItsSchedule(t *testing.T) {
	bubble(t, func(t *testing.T) {
		h := newHarness(t, Options{Jitter: -1})
		h.set(h.job("a", "@hourly", func(_ context.Context, n int) Result { panic(fmt.Sprintf("boom %d", n)) }))

		h.advance(time.Hour)
		st := h.status("a")
		if st.Running || st.Runs != 1 || st.ConsecutiveFailures != 1 || st.LastResult.Err != "job panicked: boom 1" {
			t.Fatalf("after the panic: Running=%v Runs=%d ConsecutiveFailures=%d Err=%q, want false, 1, 1, %q",
				st.Running, st.Runs, st.ConsecutiveFailures, st.LastResult.Err, "job panicked: boom 1")
		}
		if !st.BackoffUntil.Equal(at(time.Hour+DefaultBackoffBase)) || !st.Next.Equal(at(2*time.Hour)) {
			t.Fatalf("after the panic: BackoffUntil=%v Next=%v, want %v, %v", st.BackoffUntil, st.Next, at(time.Hour+DefaultBackoffBase), at(2*time.Hour))
		}

		h.advance(time.Hour) // not skipped forever (scheduling.md pitfall 3)
		h.trigger("a")       // nor is a manual run
		h.advance(time.Hour)

		if got, want := h.times("a"), minutes(60, 120, 120, 180); !slices.Equal(got, want) {
			t.Errorf("a ran at %v, want %v", got, want)
		}
		if got, want := h.triggers("a"), []Trigger{TriggerSchedule, TriggerRetry, TriggerManual, TriggerRetry}; !slices.Equal(got, want) {
			t.Errorf("a ran with triggers %v, want %v", got, want)
		}
		if st := h.status("a"); st.ConsecutiveFailures != 4 || st.LastResult.Err != "job panicked: boom 4" {
			t.Errorf("ConsecutiveFailures=%d Err=%q, want 4, %q", st.ConsecutiveFailures, st.LastResult.Err, "job panicked: boom 4")
		}
	})
}

// The chain order is what keeps a panicking job from being skipped forever
// with robfig/cron v3.0.1, even if a panic ever got past our own recover.
func TestJobChainRecoversInsideSkip(t *testing.T) {
	n := 0
	j := jobChain(cronLogger{slog.New(slog.DiscardHandler)}).Then(cron.FuncJob(func() {
		n++
		panic("boom")
	}))
	for range 3 {
		j.Run()
	}
	if n != 3 {
		t.Fatalf("a panicking job ran %d times out of 3 through the chain, want 3", n)
	}
}

func TestBackoff(t *testing.T) {
	bubble(t, func(t *testing.T) {
		h := newHarness(t, Options{Jitter: -1, BackoffBase: 2 * time.Minute, BackoffMax: 8 * time.Minute})
		fail := Result{Err: errors.New("remote unavailable")}
		script := map[int]Result{
			1: fail, 2: fail, 3: fail, 4: fail, 5: fail, // 2m, 4m, 8m, 8m (capped), 8m
			6: {},                                                              // success resets
			7: {Err: errors.New("rate limited"), RetryAfter: 10 * time.Minute}, // RetryAfter beats 2m
			8: {},
			9: {RetryAfter: 5 * time.Minute}, // honoured after a success too
		}
		h.set(h.job("a", "@every 1m", func(_ context.Context, n int) Result { return script[n] }))

		h.stepTo(15*time.Minute, time.Minute)
		if st := h.status("a"); st.ConsecutiveFailures != 4 || !st.BackoffUntil.Equal(at(23*time.Minute)) || !st.Next.Equal(at(23*time.Minute)) {
			t.Fatalf("after 4 failures: ConsecutiveFailures=%d BackoffUntil=%v Next=%v, want 4, %v, %v",
				st.ConsecutiveFailures, st.BackoffUntil, st.Next, at(23*time.Minute), at(23*time.Minute))
		}
		h.stepTo(50*time.Minute, time.Minute)

		if got, want := h.times("a"), minutes(1, 3, 7, 15, 23, 31, 32, 42, 43, 48, 49, 50); !slices.Equal(got, want) {
			t.Errorf("a ran at %v, want %v", got, want)
		}
		s, r := TriggerSchedule, TriggerRetry
		if got, want := h.triggers("a"), []Trigger{s, r, r, r, r, r, s, r, s, s, s, s}; !slices.Equal(got, want) {
			t.Errorf("a ran with triggers %v, want %v", got, want)
		}
		if st := h.status("a"); st.ConsecutiveFailures != 0 || !st.BackoffUntil.IsZero() {
			t.Errorf("after successes: ConsecutiveFailures=%d BackoffUntil=%v, want 0, none", st.ConsecutiveFailures, st.BackoffUntil)
		}
	})
}

func TestBackoffDuration(t *testing.T) {
	tests := []struct {
		k           int
		base, limit time.Duration
		want        time.Duration
	}{
		{1, 2 * time.Minute, 8 * time.Minute, 2 * time.Minute},
		{2, 2 * time.Minute, 8 * time.Minute, 4 * time.Minute},
		{3, 2 * time.Minute, 8 * time.Minute, 8 * time.Minute},
		{4, 2 * time.Minute, 8 * time.Minute, 8 * time.Minute},
		{1000, 2 * time.Minute, 8 * time.Minute, 8 * time.Minute}, // no overflow
		{3, 3 * time.Minute, 10 * time.Minute, 10 * time.Minute},  // 12m capped
		{1, time.Minute, time.Minute, time.Minute},
	}
	for _, tt := range tests {
		if got := backoff(tt.k, tt.base, tt.limit); got != tt.want {
			t.Errorf("backoff(%d, %v, %v) = %v, want %v", tt.k, tt.base, tt.limit, got, tt.want)
		}
	}
}

func TestManualTriggerIgnoresBackoff(t *testing.T) {
	bubble(t, func(t *testing.T) {
		h := newHarness(t, Options{Jitter: -1})
		h.set(h.job("a", "@hourly", func(context.Context, int) Result {
			return Result{Err: errors.New("quota exceeded"), RetryAfter: 3 * time.Hour}
		}))
		h.advance(time.Hour)
		if st := h.status("a"); !st.BackoffUntil.Equal(at(4*time.Hour)) || !st.Next.Equal(at(4*time.Hour)) {
			t.Fatalf("BackoffUntil=%v Next=%v, want %v for both", st.BackoffUntil, st.Next, at(4*time.Hour))
		}
		h.advance(time.Minute)
		h.trigger("a")
		if got, want := h.times("a"), durations(time.Hour, time.Hour+time.Minute); !slices.Equal(got, want) {
			t.Errorf("a ran at %v, want %v", got, want)
		}
	})
}

func TestFollowUp(t *testing.T) {
	changed := func(context.Context, int) Result { return Result{HubChanged: true} }
	newFollowUpHarness := func(t *testing.T, b func(context.Context, int) Result) *harness {
		h := newHarness(t, Options{Jitter: -1, FollowUpDelay: 30 * time.Second})
		h.set(h.job("a", "@daily", changed), h.job("b", "@daily", b), h.job("c", "@daily", nil))
		return h
	}

	t.Run("the other jobs run once after the delay", func(t *testing.T) {
		bubble(t, func(t *testing.T) {
			h := newFollowUpHarness(t, nil)
			h.trigger("a")
			for _, job := range []string{"b", "c"} {
				if got := h.status(job).FollowUp; !got.Equal(at(30 * time.Second)) {
					t.Errorf("%s: FollowUp = %v, want %v", job, got, at(30*time.Second))
				}
			}
			if got := h.status("a").FollowUp; !got.IsZero() {
				t.Errorf("a: FollowUp = %v, want none for the job that changed the hub", got)
			}

			h.advance(29 * time.Second)
			if n := len(h.callsOf("b")) + len(h.callsOf("c")); n != 0 {
				t.Fatalf("%d follow-up runs before the delay, want 0", n)
			}
			h.advance(time.Second)
			h.stepTo(time.Hour, time.Minute)

			for _, job := range []string{"b", "c"} {
				if got, want := h.callsOf(job), []call{{job, TriggerFollowUp, 30 * time.Second}}; !slices.Equal(got, want) {
					t.Errorf("%s ran %v, want %v", job, got, want)
				}
			}
			if got := h.times("a"); len(got) != 1 {
				t.Errorf("a ran at %v, want only its manual run", got)
			}
		})
	})

	t.Run("changes within the window add no runs", func(t *testing.T) {
		bubble(t, func(t *testing.T) {
			h := newFollowUpHarness(t, nil)
			h.trigger("a")
			h.advance(10 * time.Second)
			h.trigger("a")
			if got := h.status("b").FollowUp; !got.Equal(at(30 * time.Second)) {
				t.Errorf("b: FollowUp = %v after a second change, want still %v", got, at(30*time.Second))
			}
			h.stepTo(time.Hour, 5*time.Second)

			// A change after the window asks for another follow-up.
			h.trigger("a")
			h.stepTo(2*time.Hour, 5*time.Second)

			for _, job := range []string{"b", "c"} {
				if got, want := h.times(job), durations(30*time.Second, time.Hour+30*time.Second); !slices.Equal(got, want) {
					t.Errorf("%s ran at %v, want %v", job, got, want)
				}
			}
		})
	})

	t.Run("a run in between drops the follow-up", func(t *testing.T) {
		bubble(t, func(t *testing.T) {
			h := newFollowUpHarness(t, nil)
			h.trigger("a")
			h.advance(10 * time.Second)
			h.trigger("c")
			h.stepTo(time.Hour, 5*time.Second)
			if got, want := h.triggers("c"), []Trigger{TriggerManual}; !slices.Equal(got, want) {
				t.Errorf("c ran with triggers %v, want %v", got, want)
			}
			if got, want := h.triggers("b"), []Trigger{TriggerFollowUp}; !slices.Equal(got, want) {
				t.Errorf("b ran with triggers %v, want %v", got, want)
			}
		})
	})

	t.Run("a failed run that changed the hub still asks for follow-ups", func(t *testing.T) {
		bubble(t, func(t *testing.T) {
			h := newHarness(t, Options{Jitter: -1, FollowUpDelay: 30 * time.Second})
			h.set(
				h.job("a", "@daily", func(context.Context, int) Result {
					return Result{HubChanged: true, Err: errors.New("batch 2 failed")}
				}),
				h.job("b", "@daily", nil),
			)
			h.trigger("a")
			h.stepTo(time.Minute, 5*time.Second)
			if got, want := h.triggers("b"), []Trigger{TriggerFollowUp}; !slices.Equal(got, want) {
				t.Errorf("b ran with triggers %v, want %v", got, want)
			}
		})
	})

	t.Run("a follow-up waits out the backoff", func(t *testing.T) {
		bubble(t, func(t *testing.T) {
			h := newFollowUpHarness(t, func(_ context.Context, n int) Result {
				if n == 1 {
					return Result{Err: errors.New("429"), RetryAfter: 5 * time.Minute}
				}
				return Result{}
			})
			h.trigger("b")
			h.trigger("a")
			if got := h.status("b").FollowUp; !got.Equal(at(5 * time.Minute)) {
				t.Errorf("b: FollowUp = %v, want the end of its backoff %v", got, at(5*time.Minute))
			}
			h.stepTo(10*time.Minute, 30*time.Second)
			if got, want := h.times("b"), durations(0, 5*time.Minute); !slices.Equal(got, want) {
				t.Errorf("b ran at %v, want %v", got, want)
			}
			if got, want := h.times("c"), durations(30*time.Second); !slices.Equal(got, want) {
				t.Errorf("c ran at %v, want %v", got, want)
			}
		})
	})

	t.Run("a follow-up due while running runs after the run", func(t *testing.T) {
		bubble(t, func(t *testing.T) {
			g := newGate()
			h := newFollowUpHarness(t, g.run)
			h.trigger("b")
			h.trigger("a")
			h.advance(30 * time.Second)
			if st := h.status("b"); st.Pending != TriggerFollowUp || st.Runs != 1 {
				t.Fatalf("b: Pending=%q Runs=%d, want follow-up, 1", st.Pending, st.Runs)
			}
			g.open()
			g.open()
			if got, want := h.callsOf("b"), []call{{"b", TriggerManual, 0}, {"b", TriggerFollowUp, 30 * time.Second}}; !slices.Equal(got, want) {
				t.Errorf("b ran %v, want %v", got, want)
			}
		})
	})

	t.Run("a follow-up queued behind a run that fails waits out the backoff", func(t *testing.T) {
		bubble(t, func(t *testing.T) {
			release := make(chan struct{})
			h := newFollowUpHarness(t, func(_ context.Context, n int) Result {
				if n == 1 {
					<-release
					return Result{Err: errors.New("429"), RetryAfter: 5 * time.Minute}
				}
				return Result{}
			})
			h.trigger("b")
			h.trigger("a")
			h.advance(30 * time.Second)
			release <- struct{}{}
			synctest.Wait()
			if st := h.status("b"); st.Pending != "" || !st.FollowUp.Equal(at(5*time.Minute+30*time.Second)) {
				t.Fatalf("b: Pending=%q FollowUp=%v, want none, %v", st.Pending, st.FollowUp, at(5*time.Minute+30*time.Second))
			}
			h.stepTo(10*time.Minute, 30*time.Second)
			if got, want := h.callsOf("b"), []call{{"b", TriggerManual, 0}, {"b", TriggerFollowUp, 5*time.Minute + 30*time.Second}}; !slices.Equal(got, want) {
				t.Errorf("b ran %v, want %v", got, want)
			}
		})
	})

	t.Run("follow-ups can be turned off", func(t *testing.T) {
		bubble(t, func(t *testing.T) {
			h := newHarness(t, Options{Jitter: -1, FollowUpDelay: -1})
			h.set(h.job("a", "@daily", changed), h.job("b", "@daily", nil))
			h.trigger("a")
			h.stepTo(time.Hour, time.Minute)
			if got := h.times("b"); len(got) != 0 {
				t.Errorf("b ran at %v, want never", got)
			}
		})
	})
}

func TestSet(t *testing.T) {
	t.Run("a bad spec keeps the old set", func(t *testing.T) {
		bubble(t, func(t *testing.T) {
			h := newHarness(t, Options{Jitter: -1})
			h.set(h.job("a", "@hourly", nil), h.job("b", "@every 30m", nil))
			before := h.s.Status()

			err := h.s.Set([]Job{
				h.job("a", "@hourly", nil),
				h.job("b", "0 0 30 2 *", nil),
				h.job("c", "TZ=UTC", nil),
				h.job("d", "@every 5m", nil),
			})
			if err == nil {
				t.Fatal("Set with bad specs succeeded")
			}
			for _, want := range []string{
				`account "b": schedule "0 0 30 2 *" never fires`,
				`account "c": schedule "TZ=UTC": time zone prefix must be followed by a space`,
			} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Set error %q does not contain %q", err, want)
				}
			}
			if after := h.s.Status(); !reflect.DeepEqual(after, before) {
				t.Errorf("Status after a failed Set = %+v, want unchanged %+v", after, before)
			}

			h.stepTo(time.Hour, 10*time.Minute)
			if got, want := h.times("b"), minutes(30, 60); !slices.Equal(got, want) {
				t.Errorf("b ran at %v, want its old schedule %v", got, want)
			}
			if n := len(h.callsOf("c")) + len(h.callsOf("d")); n != 0 {
				t.Errorf("jobs of the rejected set ran %d times", n)
			}
		})
	})

	t.Run("add, remove and change", func(t *testing.T) {
		bubble(t, func(t *testing.T) {
			h := newHarness(t, Options{Jitter: -1})
			failFirst := func(_ context.Context, n int) Result {
				if n == 1 {
					return Result{Err: errors.New("unreachable")}
				}
				return Result{}
			}
			h.set(h.job("a", "@hourly", failFirst), h.job("b", "@hourly", nil), h.job("c", "@hourly", nil), h.job("e", "@every 25m", nil))
			h.stepTo(time.Hour, 5*time.Minute)
			aBefore, eBefore := h.status("a"), h.status("e")
			h.advance(10 * time.Minute)

			h.set(
				h.job("a", "@hourly", failFirst), // unchanged: keeps its state
				h.job("b", "*/20 * * * *", nil),  // changed: rescheduled from now
				h.job("d", "@every 30m", nil),    // added; c removed
				h.job("e", "@every 25m", nil),    // unchanged: keeps its phase
			)
			var names []string
			for _, st := range h.s.Status() {
				names = append(names, st.Name)
			}
			if want := []string{"a", "b", "d", "e"}; !slices.Equal(names, want) {
				t.Fatalf("jobs after Set = %v, want %v", names, want)
			}
			for _, before := range []JobStatus{aBefore, eBefore} {
				if got := h.status(before.Name); !reflect.DeepEqual(got, before) {
					t.Errorf("unchanged %s: Status = %+v, want kept %+v", before.Name, got, before)
				}
			}
			if st := h.status("b"); !st.Next.Equal(at(80*time.Minute)) || st.Runs != 1 {
				t.Errorf("changed b: Next=%v Runs=%d, want %v, 1", st.Next, st.Runs, at(80*time.Minute))
			}
			if got := h.status("d").Next; !got.Equal(at(100 * time.Minute)) {
				t.Errorf("added d: Next = %v, want %v", got, at(100*time.Minute))
			}

			h.stepTo(3*time.Hour, 5*time.Minute)
			want := map[string][]time.Duration{
				"a": minutes(60, 120, 180),
				"b": minutes(60, 80, 100, 120, 140, 160, 180),
				"c": minutes(60),
				"d": minutes(100, 130, 160),
				"e": minutes(25, 50, 75, 100, 125, 150, 175),
			}
			for job, w := range want {
				if got := h.times(job); !slices.Equal(got, w) {
					t.Errorf("%s ran at %v, want %v", job, got, w)
				}
			}
		})
	})

	t.Run("a job removed while running finishes and never runs again", func(t *testing.T) {
		bubble(t, func(t *testing.T) {
			h := newHarness(t, Options{Jitter: -1})
			g := newGate()
			h.set(h.job("a", "@hourly", g.run))
			h.trigger("a")
			h.trigger("a") // pending, dropped with the job
			h.set()
			if st := h.s.Status(); len(st) != 0 {
				t.Fatalf("Status after removing every job = %+v", st)
			}
			if err := h.s.Trigger("a"); !errors.Is(err, ErrUnknownJob) {
				t.Errorf("Trigger of a removed job = %v, want ErrUnknownJob", err)
			}
			g.open()
			h.stepTo(3*time.Hour, 30*time.Minute)
			if got := h.times("a"); len(got) != 1 {
				t.Errorf("a ran at %v, want only the run in progress when it was removed", got)
			}
		})
	})

	t.Run("a job added back while its old run goes on does not overlap", func(t *testing.T) {
		bubble(t, func(t *testing.T) {
			h := newHarness(t, Options{Jitter: -1})
			g := newGate()
			h.set(h.job("a", "@hourly", g.run))
			h.trigger("a")
			h.set()
			h.set(h.job("a", "@hourly", g.run))
			if !h.status("a").Running {
				t.Fatal("a added back: Running = false while its old run goes on")
			}
			h.trigger("a")
			if got := len(h.callsOf("a")); got != 1 {
				t.Fatalf("a started %d runs, want 1 until the old one ends", got)
			}
			g.open()
			if got := len(h.callsOf("a")); got != 2 {
				t.Fatalf("a started %d runs, want the coalesced second run", got)
			}
			g.open()
		})
	})

	t.Run("names are set, unique and have a run function", func(t *testing.T) {
		s := New(Options{})
		err := s.Set([]Job{
			{Name: "", Spec: "@hourly", Run: func(context.Context, Trigger) Result { return Result{} }},
			{Name: "a", Spec: "@hourly", Run: func(context.Context, Trigger) Result { return Result{} }},
			{Name: "a", Spec: "@daily", Run: func(context.Context, Trigger) Result { return Result{} }},
			{Name: "b", Spec: "@hourly"},
		})
		for _, want := range []string{`job 0: empty account name`, `account "a": defined more than once`, `account "b": no run function`} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("Set error %v does not contain %q", err, want)
			}
		}
		if st := s.Status(); len(st) != 0 {
			t.Errorf("Status after a failed first Set = %+v, want empty", st)
		}
	})
}

func TestStatusIsSortedByName(t *testing.T) {
	bubble(t, func(t *testing.T) {
		h := newHarness(t, Options{})
		h.set(h.job("nextcloud", "@hourly", nil), h.job("google", "@hourly", nil), h.job("icloud", "@hourly", nil))
		var names []string
		for _, st := range h.s.Status() {
			names = append(names, st.Name)
		}
		if want := []string{"google", "icloud", "nextcloud"}; !slices.Equal(names, want) {
			t.Errorf("Status names = %v, want %v", names, want)
		}
	})
}

func TestTriggerUnknownAccount(t *testing.T) {
	s := New(Options{})
	if err := s.Trigger("nextcloud"); !errors.Is(err, ErrUnknownJob) || !strings.Contains(err.Error(), `"nextcloud"`) {
		t.Errorf("Trigger of an unknown account = %v, want ErrUnknownJob naming it", err)
	}
}

func TestStop(t *testing.T) {
	t.Run("waits for a running job without cancelling it", func(t *testing.T) {
		bubble(t, func(t *testing.T) {
			h := newHarness(t, Options{Jitter: -1})
			g := newGate()
			h.set(h.job("a", "@hourly", g.run))
			h.trigger("a")
			h.trigger("a") // pending: dropped by Stop

			stopped := make(chan error, 1)
			go func() { stopped <- h.s.Stop(context.Background()) }()
			synctest.Wait()
			select {
			case err := <-stopped:
				t.Fatalf("Stop returned %v while a job was running", err)
			default:
			}
			if err := h.s.Trigger("a"); !errors.Is(err, ErrStopped) {
				t.Errorf("Trigger after Stop = %v, want ErrStopped", err)
			}

			g.open()
			select {
			case err := <-stopped:
				if err != nil {
					t.Errorf("Stop = %v, want nil", err)
				}
			default:
				t.Fatal("Stop did not return when the job ended")
			}
			if err := <-g.ctxErr; err != nil {
				t.Errorf("the run's context was cancelled (%v) though it ended before Stop's deadline", err)
			}
			if got := h.times("a"); len(got) != 1 {
				t.Errorf("a ran at %v, want once: the coalesced run must not start after Stop", got)
			}
		})
	})

	t.Run("cancels a running job only when its context ends", func(t *testing.T) {
		bubble(t, func(t *testing.T) {
			h := newHarness(t, Options{Jitter: -1})
			held := make(chan time.Duration, 1)
			h.set(h.job("a", "@hourly", func(ctx context.Context, _ int) Result {
				start := time.Now() // the bubble's clock, which Stop's deadline uses
				<-ctx.Done()
				held <- time.Since(start)
				return Result{Err: ctx.Err()}
			}))
			h.trigger("a")

			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := h.s.Stop(ctx)
			if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "running jobs a:") {
				t.Errorf("Stop = %v, want context.DeadlineExceeded naming a", err)
			}
			if d := <-held; d != 10*time.Second {
				t.Errorf("the run's context was cancelled after %v, want at Stop's deadline, 10s", d)
			}
		})
	})

	t.Run("nothing is scheduled after Stop", func(t *testing.T) {
		bubble(t, func(t *testing.T) {
			h := newHarness(t, Options{Jitter: -1})
			h.set(h.job("a", "@hourly", nil))
			if err := h.s.Stop(context.Background()); err != nil {
				t.Fatal(err)
			}
			h.advance(3 * time.Hour)
			if got := h.times("a"); len(got) != 0 {
				t.Errorf("a ran at %v after Stop", got)
			}
		})
	})

	t.Run("the end of Start's context ends scheduling", func(t *testing.T) {
		bubble(t, func(t *testing.T) {
			h := newHarness(t, Options{Jitter: -1})
			h.set(h.job("a", "@hourly", nil))
			h.start()
			h.advance(3 * time.Hour)
			if got := h.times("a"); len(got) != 0 {
				t.Errorf("a ran at %v after Start's context ended", got)
			}
			if err := h.s.Trigger("a"); !errors.Is(err, ErrStopped) {
				t.Errorf("Trigger = %v, want ErrStopped", err)
			}
		})
	})
}
