package scheduler

import "time"

// JobStatus is a snapshot of one job, for the status page and the CLI.
type JobStatus struct {
	// Name is the account name.
	Name string
	// Spec is the job's cron spec.
	Spec string
	// Next is the planned scheduled fire, jitter and backoff included; zero
	// if the schedule never fires again.
	Next time.Time
	// FollowUp is when a pending follow-up run is due (after any backoff);
	// zero if none.
	FollowUp time.Time
	// Pending is the trigger of the run coalesced to start after the
	// current one, "" if none.
	Pending Trigger
	// Running says a run is in progress.
	Running bool
	// LastStart is when the latest run started.
	LastStart time.Time
	// LastDuration is how long the latest finished run took.
	LastDuration time.Duration
	// LastResult is the outcome of the latest finished run.
	LastResult ResultStatus
	// ConsecutiveFailures counts the failed runs since the last success.
	ConsecutiveFailures int
	// BackoffUntil is the time before which no scheduled or follow-up run
	// starts; zero if none.
	BackoffUntil time.Time
	// Runs counts the runs started, the current one included.
	Runs int
	// Skipped counts the scheduled fires skipped because a run was still in
	// progress.
	Skipped int
}

// ResultStatus is the printable outcome of a finished run.
type ResultStatus struct {
	// Trigger is why the run started.
	Trigger Trigger
	// Err is the run's error message, "" on success.
	Err string
	// HubChanged says the run wrote to the hub.
	HubChanged bool
}

// Status returns a snapshot of every job, sorted by name.
func (s *Scheduler) Status() []JobStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	es := s.sortedLocked()
	st := make([]JobStatus, len(es))
	for i, e := range es {
		st[i] = JobStatus{
			Name:                e.job.Name,
			Spec:                e.job.Spec,
			Next:                e.next,
			FollowUp:            e.followUpAt().Round(0),
			Pending:             e.pending,
			Running:             e.running,
			LastStart:           e.lastStart.Round(0),
			LastDuration:        e.lastDuration,
			LastResult:          e.lastResult,
			ConsecutiveFailures: e.failures,
			BackoffUntil:        e.backoffUntil.Round(0),
			Runs:                e.runs,
			Skipped:             e.skipped,
		}
	}
	return st
}
