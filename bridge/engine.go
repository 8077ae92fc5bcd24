package bridge

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/contactbridge/contactbridge/connectors"
	"github.com/contactbridge/contactbridge/mapping"
)

// Policy says how a true conflict — both sides changed the same contact — is
// resolved.
type Policy string

// The conflict policies.
const (
	// PolicyMerge merges property by property; where both changed the same
	// single value differently, the hub's value stays and the conflict log
	// keeps the other.
	PolicyMerge Policy = "merge"
	// PolicyHubWins keeps the hub's version of a contact both sides changed.
	PolicyHubWins Policy = "hub-wins"
	// PolicyRemoteWins takes the account's version of a contact both sides
	// changed.
	PolicyRemoteWins Policy = "remote-wins"
)

// ParsePolicy checks a policy name from the config ("" is PolicyMerge).
func ParsePolicy(s string) (Policy, error) {
	switch p := Policy(s); p {
	case "":
		return PolicyMerge, nil
	case PolicyMerge, PolicyHubWins, PolicyRemoteWins:
		return p, nil
	}
	return "", fmt.Errorf("conflict_policy %q: want merge, hub-wins or remote-wins", s)
}

// Options tune one run.
type Options struct {
	Policy Policy
	// DryRun plans the run and reports it without writing anything.
	DryRun bool
	// AllowMassDelete lets a run delete more than the brake allows.
	AllowMassDelete bool
	// BrakeShare and BrakeMin: a run that would delete more than BrakeShare
	// of an endpoint holding more than BrakeMin contacts stops. Zero values
	// mean 0.3 and 20.
	BrakeShare float64
	BrakeMin   int
	// Retention is how long a deleted contact can be restored (default 30
	// days).
	Retention time.Duration
	// Progress, when set, is told how far a run is: phase, done, total.
	Progress func(phase string, done, total int)
	// RunID names the run in its report and on every log line ("run");
	// empty means a fresh random one. The service passes its own, so its
	// lines about the run carry the same id.
	RunID string
}

func (o Options) brake() (float64, int) {
	share, min := o.BrakeShare, o.BrakeMin
	if share <= 0 {
		share = 0.3
	}
	if min <= 0 {
		min = 20
	}
	return share, min
}

// ErrMassDelete means a run stopped before writing anything because it would
// delete more contacts than the brake allows.
var ErrMassDelete = errors.New("mass-deletion brake")

// An Account is one remote endpoint, by the name the config gives it.
type Account struct {
	Name      string
	Connector connectors.Connector
	// Owner names the bridge that syncs this account (a setup's own random
	// id), for hubs several bridges share: the account's state records it,
	// and a sync by another owner fails with ErrOtherOwner instead of
	// taking the other bridge's links for its own — which would read every
	// contact of the other bridge's remote as deleted. "" skips the check.
	Owner string
}

// ErrOtherOwner means another bridge sharing the hub syncs an account of
// the same name.
var ErrOtherOwner = errors.New("another bridge sharing this hub syncs an account of this name; give one of them another name")

// Engine reconciles accounts with the hub. One Engine may sync several
// accounts; it must not sync the same account twice at once.
type Engine struct {
	hub     *Hub
	stateKB mapping.KeyBundle
	log     *slog.Logger
	now     func() time.Time
}

// NewEngine returns an engine over hub; syncKey derives the key that
// encrypts the bridge's own state.
func NewEngine(hub *Hub, syncKey []byte, log *slog.Logger) (*Engine, error) {
	kb, err := stateKeys(syncKey)
	if err != nil {
		return nil, fmt.Errorf("bridge: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Engine{hub: hub, stateKB: kb, log: log, now: time.Now}, nil
}

// Counts are the writes of one direction.
type Counts struct {
	Created int `json:"created"`
	Updated int `json:"updated"`
	Deleted int `json:"deleted"`
}

// Total is the number of writes.
func (c Counts) Total() int { return c.Created + c.Updated + c.Deleted }

// A Failure is an item a run could not sync, named by ids only.
type Failure struct {
	Record string `json:"record,omitempty"`
	Remote string `json:"remote,omitempty"`
	Reason string `json:"reason"`
	// Transient failures are retried by the next run.
	Transient bool `json:"transient"`
}

// Report says what one run of one account did (or, in a dry run, would do).
type Report struct {
	Account   string    `json:"account"`
	Run       string    `json:"run"`
	DryRun    bool      `json:"dry_run,omitempty"`
	ToRemote  Counts    `json:"to_remote"`
	ToHub     Counts    `json:"to_hub"`
	Conflicts int       `json:"conflicts"`
	Failed    []Failure `json:"failed,omitempty"`
	// Waiting counts the contacts not created on the account yet because
	// an interrupted run may have created them and the account may not
	// list them yet (connectors.Capabilities.ListingDelay); a later run
	// creates or links them.
	Waiting  int           `json:"waiting,omitempty"`
	Duration time.Duration `json:"duration_ns"`
	// FullListing is true when the remote was listed in full (first run,
	// or an expired token).
	FullListing bool `json:"full_listing,omitempty"`
}

// NewRunID returns a fresh random run id (12 hex digits).
func NewRunID() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Sync runs one reconciliation of acct with the hub. It returns an error when
// the run could not run or stopped early (ErrMassDelete, a store or remote
// failure); failures of single items are in the report and do not stop it.
func (e *Engine) Sync(ctx context.Context, acct Account, opts Options) (*Report, error) {
	start := e.now()
	if opts.Policy == "" {
		opts.Policy = PolicyMerge
	}
	if opts.RunID == "" {
		opts.RunID = NewRunID()
	}
	rep := &Report{Account: acct.Name, Run: opts.RunID, DryRun: opts.DryRun}
	log := e.log.With("account", acct.Name, "run", rep.Run)
	s, err := loadState(ctx, e.hub.st, e.hub.user, e.stateKB, acct.Name)
	if err != nil {
		return rep, err
	}
	if acct.Owner != "" && s.meta.Owner != "" && s.meta.Owner != acct.Owner {
		return rep, fmt.Errorf("account %s: %w", acct.Name, ErrOtherOwner)
	}
	if res, ok := acct.Connector.(connectors.Resumer); ok {
		if err := res.Resume(ctx, s.meta.Session); err != nil {
			rep.Duration = e.now().Sub(start)
			return rep, fmt.Errorf("account %s: %w", acct.Name, err)
		}
	}
	r := &run{e: e, acct: acct, opts: opts, rep: rep, log: log, s: s, caps: acct.Connector.Capabilities()}
	err = r.sync(ctx)
	rep.Duration = e.now().Sub(start)
	if err != nil {
		log.Warn("sync stopped", "err", err, "duration", rep.Duration)
		return rep, fmt.Errorf("account %s: %w", acct.Name, err)
	}
	log.Info("sync done", "to_remote", rep.ToRemote.Total(), "to_hub", rep.ToHub.Total(),
		"conflicts", rep.Conflicts, "failed", len(rep.Failed), "duration", rep.Duration)
	return rep, nil
}
