package web

import (
	"testing"
	"time"
)

func TestRelative(t *testing.T) {
	now := fixtureNow
	for _, tc := range []struct {
		d    time.Duration // how long before now
		want string
	}{
		{0, "just now"},
		{44 * time.Second, "just now"},
		{-10 * time.Second, "in a few seconds"},
		{80 * time.Second, "1 min ago"},
		{3*time.Minute + 20*time.Second, "3 min ago"},
		{3*time.Minute + 40*time.Second, "4 min ago"},
		{-11 * time.Minute, "in 11 min"},
		{59*time.Minute + 50*time.Second, "60 min ago"},
		{time.Hour + 2*time.Minute, "1 h ago"},
		{2*time.Hour + 14*time.Minute, "2 h 14 min ago"},
		{-(5*time.Hour + 30*time.Minute), "in 5 h 30 min"},
		{13*time.Hour + 40*time.Minute, "14 h ago"},
		{26 * time.Hour, "yesterday 11:04 UTC"},
		{-30 * time.Hour, "tomorrow 19:04 UTC"},
		{3*24*time.Hour + time.Hour, "3 days ago"},
		{30 * 24 * time.Hour, "on 4 Apr 2026"},
	} {
		if got := relative(now.Add(-tc.d), now); got != tc.want {
			t.Errorf("%v before now: %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestHumanDuration(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0 s"},
		{300 * time.Microsecond, "1 ms"},
		{340 * time.Millisecond, "340 ms"},
		{4200 * time.Millisecond, "4.2 s"},
		{38 * time.Second, "38 s"},
		{3*time.Minute + 12*time.Second, "3 min 12 s"},
		{74*time.Minute + 20*time.Second, "1 h 14 min"},
	} {
		if got := humanDuration(tc.d); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestCountsText(t *testing.T) {
	for _, tc := range []struct {
		c    Counts
		want string
	}{
		{Counts{}, "no changes"},
		{Counts{Created: 1}, "1 created"},
		{Counts{Created: 2, Deleted: 5}, "2 created, 5 deleted"},
		{Counts{1, 2, 3}, "1 created, 2 updated, 3 deleted"},
	} {
		if got := countsText(tc.c); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.c, got, tc.want)
		}
	}
}

func TestState(t *testing.T) {
	for _, tc := range []struct {
		name string
		a    AccountStatus
		want string
	}{
		{"never ran", AccountStatus{}, StateNever},
		{"last run ok", AccountStatus{Last: &RunStatus{}}, StateOK},
		{"last run failed", AccountStatus{Last: &RunStatus{Err: "x"}, ConsecutiveFailures: 1}, StateFailing},
		{"failures without a run on record", AccountStatus{ConsecutiveFailures: 2}, StateFailing},
		{"running after a failure", AccountStatus{Running: true, Last: &RunStatus{Err: "x"}}, StateRunning},
		{"first run under way", AccountStatus{Running: true}, StateRunning},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.a.State(); got != tc.want {
				t.Errorf("State() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"fastmail":       "fastmail",
		"me@example.org": "me@example.org",
		"work private":   "'work private'",
		"it's":           `'it'\''s'`,
		"":               "''",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}
