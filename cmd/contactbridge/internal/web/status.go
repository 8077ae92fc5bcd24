// Package web is the HTTP endpoint of `contactbridge run`: the status page a
// person leaves open, the JSON status the CLI's `contactbridge status` reads,
// the Prometheus metrics, the health and readiness probes, and the endpoint
// that starts a sync of one account now.
//
// The package sees the service only through [Service] and the [Snapshot] it
// returns. A snapshot holds account names, schedules, counts and error
// messages, never contact data, and nothing here logs a request body.
package web

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Counts are the contacts that one direction of a run created, updated and
// deleted.
type Counts struct {
	Created int `json:"created"`
	Updated int `json:"updated"`
	Deleted int `json:"deleted"`
}

// Total is the number of contacts the direction changed.
func (c Counts) Total() int { return c.Created + c.Updated + c.Deleted }

// RunStatus is one finished run of one account.
//
// In JSON, Duration is the integer field duration_ms (milliseconds, rounded
// to the nearest); every other field keeps its Go type's encoding, times in
// RFC 3339.
type RunStatus struct {
	ID string `json:"id"`
	// Trigger is what started the run: "schedule", "manual", "follow-up",
	// "retry" or "startup".
	Trigger  string        `json:"trigger"`
	Start    time.Time     `json:"start"`
	Duration time.Duration `json:"-"`
	// ToHub are the changes the run wrote to the hub, ToRemote those it wrote
	// to the account.
	ToHub    Counts `json:"to_hub"`
	ToRemote Counts `json:"to_remote"`
	// Conflicts is the number of conflicts the run recorded, Failed the
	// number of items it could not sync.
	Conflicts int `json:"conflicts"`
	Failed    int `json:"failed"`
	// Waiting is the number of contacts whose creation on the account
	// waits until it could list what an interrupted run may have made.
	Waiting int `json:"waiting"`
	// Err is the run's error, "" on success. It never holds contact data.
	Err string `json:"error"`
	// ErrKind is "" or one of the ErrKind constants.
	ErrKind string `json:"error_kind"`
}

// The kinds of a run's error (RunStatus.ErrKind).
const (
	ErrKindRemote = "remote" // the account's server failed or was unreachable
	ErrKindAuth   = "auth"   // the account's credentials were refused
	ErrKindStore  = "store"  // the hub store failed
	ErrKindBrake  = "brake"  // a safety brake stopped the run
	ErrKindPanic  = "panic"  // a bug: the run panicked
	ErrKindConfig = "config" // the account's configuration is wrong
	ErrKindItem   = "item"   // some items failed, the run went on
)

// runStatusJSON is RunStatus as it travels: the duration in milliseconds.
type runStatusJSON struct {
	runStatusFields
	DurationMS int64 `json:"duration_ms"`
}

// runStatusFields has RunStatus's fields without its methods, so that
// encoding it does not recurse into MarshalJSON.
type runStatusFields RunStatus

// MarshalJSON encodes r with its duration as duration_ms.
func (r RunStatus) MarshalJSON() ([]byte, error) {
	return json.Marshal(runStatusJSON{runStatusFields(r), r.Duration.Round(time.Millisecond).Milliseconds()})
}

// UnmarshalJSON decodes what MarshalJSON encodes.
func (r *RunStatus) UnmarshalJSON(b []byte) error {
	var v runStatusJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*r = RunStatus(v.runStatusFields)
	r.Duration = time.Duration(v.DurationMS) * time.Millisecond
	return nil
}

// AccountStatus is the state of one configured account.
//
// In JSON, a zero time (Next, LastSuccess, BackoffUntil) is left out, and the
// encoding adds the field "state", [AccountStatus.State], for readers that
// are not this package.
type AccountStatus struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Schedule string `json:"schedule"`
	// Next is when the next scheduled run starts; zero when none is.
	Next    time.Time `json:"next,omitzero"`
	Running bool      `json:"running"`
	// Last is the last finished run; nil when the account has not run since
	// the service started and no run is on disk.
	Last                *RunStatus `json:"last"`
	LastSuccess         time.Time  `json:"last_success,omitzero"`
	ConsecutiveFailures int        `json:"consecutive_failures"`
	// BackoffUntil is when the retries of a failing account resume.
	BackoffUntil     time.Time `json:"backoff_until,omitzero"`
	ConflictsWaiting int       `json:"conflicts_waiting"`
}

// The states of an account, as [AccountStatus.State] reports them.
const (
	StateRunning = "running" // a run is under way
	StateOK      = "ok"      // the last run succeeded
	StateFailing = "failing" // the last run failed
	StateNever   = "never"   // no run yet
)

// State sums a up in one word: StateRunning while a run is under way, else
// StateFailing when the last run failed, StateNever when there is no last
// run, and StateOK otherwise.
func (a AccountStatus) State() string {
	switch {
	case a.Running:
		return StateRunning
	case a.Last != nil && a.Last.Err != "", a.ConsecutiveFailures > 0:
		return StateFailing
	case a.Last == nil:
		return StateNever
	}
	return StateOK
}

// accountStatusFields has AccountStatus's fields without its methods.
type accountStatusFields AccountStatus

// MarshalJSON encodes a with its State as the field "state".
func (a AccountStatus) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		accountStatusFields
		State string `json:"state"`
	}{accountStatusFields(a), a.State()})
}

// UnmarshalJSON decodes what MarshalJSON encodes; the state is derived, so
// it is not read.
func (a *AccountStatus) UnmarshalJSON(b []byte) error {
	return json.Unmarshal(b, (*accountStatusFields)(a))
}

// Snapshot is the state of the service at one moment, as the status page and
// GET /api/status show it.
type Snapshot struct {
	Version string    `json:"version"`
	Started time.Time `json:"started"`
	Now     time.Time `json:"now"`
	// Ready reports that the first config load and store open succeeded.
	Ready bool `json:"ready"`
	// ConfigError is the last reload's error when the running config is an
	// older one.
	ConfigError string `json:"config_error"`
	// Accounts are sorted by name. In JSON an empty list is [], never null.
	Accounts []AccountStatus `json:"accounts"`
}

// Service is what the endpoint needs from the running service.
type Service interface {
	// Snapshot returns the current state. It must be cheap: every page view,
	// status request and readiness probe calls it.
	Snapshot(ctx context.Context) Snapshot

	// Trigger asks for a run of account as soon as possible and returns
	// without waiting for it. For a name not configured it returns an error
	// that wraps ErrUnknownAccount.
	Trigger(ctx context.Context, account string) error
}

// ErrUnknownAccount is the error Service.Trigger wraps for an account name
// that is not configured.
var ErrUnknownAccount = errors.New("unknown account")
