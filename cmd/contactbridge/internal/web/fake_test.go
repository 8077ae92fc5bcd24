package web

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// fakeService is a Service whose snapshot a test sets, and that records the
// accounts it was asked to sync.
type fakeService struct {
	mu        sync.Mutex
	snap      Snapshot
	triggered []string
	err       error // returned by Trigger for a known account
}

func newFakeService(s Snapshot) *fakeService { return &fakeService{snap: s} }

func (f *fakeService) Snapshot(context.Context) Snapshot {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.snap
	s.Accounts = slices.Clone(s.Accounts)
	return s
}

func (f *fakeService) Trigger(_ context.Context, account string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !slices.ContainsFunc(f.snap.Accounts, func(a AccountStatus) bool { return a.Name == account }) {
		return fmt.Errorf("trigger %q: %w", account, ErrUnknownAccount)
	}
	if f.err != nil {
		return f.err
	}
	f.triggered = append(f.triggered, account)
	return nil
}

func (f *fakeService) Triggered() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.triggered)
}

// fixtureNow is the Now of every fixture snapshot, so the page's relative
// times are the same in every run.
var fixtureNow = time.Date(2026, 5, 4, 13, 4, 5, 0, time.UTC)

// scriptError is the last error of the failing fixture account: markup that
// must come out escaped.
const scriptError = `google: list contacts: 401 Unauthorized: <script>alert("x")</script>`

// fixture is a service with one account in each state: ok, failing with an
// error, running, and never run.
func fixture() Snapshot {
	now := fixtureNow
	return Snapshot{
		Version: "v1.4.0 (3f2a9c1)",
		Started: now.Add(-26*time.Hour - 12*time.Minute),
		Now:     now,
		Ready:   true,
		Accounts: []AccountStatus{
			{
				Name: "fastmail", Type: "carddav", Schedule: "*/15 * * * *",
				Next: now.Add(11 * time.Minute),
				Last: &RunStatus{
					ID: "r-81", Trigger: "schedule", Start: now.Add(-4 * time.Minute), Duration: 4200 * time.Millisecond,
					ToHub: Counts{Created: 2, Updated: 1}, ToRemote: Counts{Updated: 3, Deleted: 1},
					Conflicts: 1, Waiting: 3,
				},
				LastSuccess:      now.Add(-4*time.Minute + 4200*time.Millisecond),
				ConflictsWaiting: 2,
			},
			{
				Name: "google-work", Type: "google", Schedule: "@every 30m",
				Next: now.Add(23 * time.Minute),
				Last: &RunStatus{
					ID: "r-80", Trigger: "retry", Start: now.Add(-7 * time.Minute), Duration: 1300 * time.Millisecond,
					Err: scriptError, ErrKind: ErrKindAuth,
				},
				LastSuccess:         now.Add(-2*time.Hour - 14*time.Minute),
				ConsecutiveFailures: 3,
				BackoffUntil:        now.Add(8 * time.Minute),
			},
			{
				Name: "nextcloud", Type: "carddav", Schedule: "@hourly",
				Running: true,
				Last: &RunStatus{
					ID: "r-77", Trigger: "startup", Start: now.Add(-58 * time.Minute), Duration: 38 * time.Second,
					ToHub: Counts{Created: 412}, Failed: 2,
				},
				LastSuccess: now.Add(-57 * time.Minute),
			},
			{
				Name: "phone-folder", Type: "vdir", Schedule: "@every 1h",
				Next: now.Add(41 * time.Minute),
			},
		},
	}
}
