package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/contactbridge/contactbridge/bridge"
	"github.com/contactbridge/contactbridge/bridge/scheduler"
	"github.com/contactbridge/contactbridge/cmd/contactbridge/internal/web"
)

// A service is `contactbridge run`: the accounts of a config synced on
// their schedules through one engine, with what the status page and the
// metrics show. Syncs run one at a time (they share the hub and its
// conditional writes); the scheduler keeps each account's runs from
// overlapping and orders them.
type service struct {
	log     *slog.Logger
	sess    *session
	sched   *scheduler.Scheduler
	metrics *web.Metrics
	reg     *prometheus.Registry
	started time.Time
	version string

	syncMu sync.Mutex // one engine run at a time

	mu        sync.Mutex // guards the fields below
	runs      *runLog
	cfg       *Config
	configErr string
	last      map[string]*web.RunStatus
	success   map[string]time.Time
	conflicts map[string]int
}

// newService opens the store of cfg and schedules its accounts; Start
// begins the schedule.
func newService(ctx context.Context, cfg *Config, log *slog.Logger, opts scheduler.Options) (*service, error) {
	sess, err := openSession(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	runs, err := newRunLog(cfg)
	if err != nil {
		sess.Close()
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s := &service{
		log: log, sess: sess, reg: reg, metrics: web.NewMetrics(reg),
		started: time.Now(), version: versionString(),
		runs: runs, cfg: cfg, last: map[string]*web.RunStatus{}, success: map[string]time.Time{}, conflicts: map[string]int{},
	}
	if opts.Logger == nil {
		// The service logs each run with its id; the scheduler's own lines
		// are for what goes wrong.
		opts.Logger = slog.New(levelHandler{min: slog.LevelWarn, Handler: log.Handler()})
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	opts.MinInterval = scheduleOptions().MinInterval
	s.sched = scheduler.New(opts)
	if err := s.sched.Set(s.jobs(cfg)); err != nil {
		sess.Close()
		return nil, err
	}
	if prev, err := runs.read(); err == nil {
		for name, e := range prev {
			s.last[name], s.success[name] = e.Last, e.LastSuccess
		}
	}
	s.warnSchedules(cfg)
	s.countConflicts(ctx)
	return s, nil
}

// jobs are the scheduler's jobs for cfg's accounts.
func (s *service) jobs(cfg *Config) []scheduler.Job {
	out := make([]scheduler.Job, 0, len(cfg.Accounts))
	for _, a := range cfg.Accounts {
		name := a.Name
		out = append(out, scheduler.Job{Name: name, Spec: cfg.schedule(a), Run: func(ctx context.Context, t scheduler.Trigger) scheduler.Result {
			return s.runAccount(ctx, name, t)
		}})
	}
	return out
}

// warnSchedules logs what the user may not expect of cfg's schedules.
func (s *service) warnSchedules(cfg *Config) {
	for _, a := range cfg.Accounts {
		spec := cfg.schedule(a)
		if w := scheduler.DSTWarning(spec, time.UTC); w != "" {
			s.log.Warn("schedule", "account", a.Name, "warning", w)
		}
		if d, ok := strings.CutPrefix(spec, "@every "); ok {
			if iv, err := time.ParseDuration(d); err == nil && iv < time.Minute {
				s.log.Warn("schedule polls the account more than once a minute", "account", a.Name, "schedule", spec)
			}
		}
	}
}

// Start begins the schedule; every account also runs once at start.
func (s *service) Start(ctx context.Context) {
	s.sched.Start(ctx)
	for _, a := range s.config().Accounts {
		_ = s.sched.Trigger(a.Name)
	}
}

// Stop stops scheduling and waits for the running syncs until ctx ends,
// then cancels them; it closes the store.
func (s *service) Stop(ctx context.Context) error {
	err := s.sched.Stop(ctx)
	s.syncMu.Lock() // a cancelled run has returned and committed
	defer s.syncMu.Unlock()
	return errors.Join(err, s.sess.Close())
}

func (s *service) config() *Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg
}

// Reload replaces the config with the one at path: accounts added,
// removed and changed, schedules changed. A config that does not load, or
// changes what needs a restart (the key, the store, the listen address),
// leaves the running one in place; the error says why and the status page
// shows it.
func (s *service) Reload(path string) error {
	err := s.reload(path)
	s.mu.Lock()
	s.configErr = ""
	if err != nil {
		s.configErr = err.Error()
	}
	s.mu.Unlock()
	return err
}

func (s *service) reload(path string) error {
	cfg, err := loadConfig(path)
	if err != nil {
		return err
	}
	old := s.config()
	for _, c := range []struct{ key, a, b string }{
		{"key_file", old.KeyFile, cfg.KeyFile},
		{"store", fmt.Sprintf("%+v %+v", old.Store, old.Store.Remote), fmt.Sprintf("%+v %+v", cfg.Store, cfg.Store.Remote)},
		{"http.listen", old.listen(), cfg.listen()},
	} {
		if c.a != c.b {
			return fmt.Errorf("config: %s changed: restart contactbridge run for that; keeping the running config", c.key)
		}
	}
	if err := s.sched.Set(s.jobs(cfg)); err != nil {
		return fmt.Errorf("config: %w; keeping the running config", err)
	}
	s.mu.Lock()
	s.cfg = cfg
	for name := range s.last {
		if !slices.ContainsFunc(cfg.Accounts, func(a AccountConfig) bool { return a.Name == name }) {
			delete(s.last, name)
			delete(s.success, name)
			delete(s.conflicts, name)
			s.metrics.Forget(name)
		}
	}
	s.mu.Unlock()
	s.warnSchedules(cfg)
	for _, a := range cfg.Accounts {
		if !slices.ContainsFunc(old.Accounts, func(o AccountConfig) bool { return o.Name == a.Name }) {
			_ = s.sched.Trigger(a.Name) // a new account syncs at once
		}
	}
	return nil
}

// runAccount is one scheduled, manual or follow-up run of an account.
func (s *service) runAccount(ctx context.Context, name string, t scheduler.Trigger) scheduler.Result {
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	cfg := s.config()
	i := slices.IndexFunc(cfg.Accounts, func(a AccountConfig) bool { return a.Name == name })
	if i < 0 {
		return scheduler.Result{} // removed by a reload meanwhile
	}
	runID := bridge.NewRunID()
	log := s.log.With("account", name, "run", runID)
	log.Debug("run starting", "trigger", string(t))
	start := time.Now()
	var rep *bridge.Report
	acct, err := cfg.openAccount(ctx, cfg.Accounts[i], openEnv{log: log, engine: s.sess.engine})
	if err == nil {
		rep, err = s.sess.engine.Sync(ctx, acct, bridge.Options{Policy: cfg.policy(), RunID: runID})
	}
	st := runStatusOf(rep, string(t), start, time.Since(start), err)
	rs := &st
	rs.ID = runID
	if err != nil && rep == nil {
		rs.ErrKind = "config"
	}
	if err != nil {
		log.Warn("run failed", "trigger", string(t), "kind", rs.ErrKind, "err", err, "duration", rs.Duration)
	} else {
		level := slog.LevelDebug // a quiet run every few minutes is not news
		if rep != nil && (rep.ToHub.Total()+rep.ToRemote.Total()+rep.Conflicts+len(rep.Failed) > 0) {
			level = slog.LevelInfo
		}
		log.Log(ctx, level, "run done", "trigger", string(t), "to_hub", rs.ToHub.Total(), "to_remote", rs.ToRemote.Total(),
			"conflicts", rs.Conflicts, "failed", rs.Failed, "duration", rs.Duration)
	}
	if err := s.runs.record(name, *rs); err != nil {
		log.Warn("record the run for `contactbridge status`", "err", err)
	}
	s.metrics.ObserveRun(name, *rs)
	s.mu.Lock()
	s.last[name] = rs
	if err == nil {
		s.success[name] = start.Add(rs.Duration)
	}
	s.mu.Unlock()
	if rs.Conflicts > 0 {
		s.countConflicts(ctx)
	}
	return scheduler.Result{HubChanged: rep != nil && rep.ToHub.Total() > 0, Err: err}
}

// errKind sorts a run's error for the metrics and the status page.
func errKind(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, bridge.ErrMassDelete):
		return "brake"
	case strings.Contains(err.Error(), "store:") || strings.Contains(err.Error(), "state:"):
		return "store"
	case errors.Is(err, scheduler.ErrPanicked):
		return "panic"
	case strings.Contains(err.Error(), "authentication failed"):
		return "auth"
	}
	return "remote"
}

// countConflicts refreshes the conflicts waiting per account.
func (s *service) countConflicts(ctx context.Context) {
	n, err := conflictsByAccount(ctx, s.sess.engine)
	if err != nil {
		s.log.Warn("read the conflict log", "err", err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.conflicts = n
	for _, a := range s.cfg.Accounts {
		s.metrics.SetConflicts(a.Name, n[a.Name])
	}
}

// Snapshot implements web.Service.
func (s *service) Snapshot(context.Context) web.Snapshot {
	jobs := map[string]scheduler.JobStatus{}
	for _, j := range s.sched.Status() {
		jobs[j.Name] = j
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := web.Snapshot{Version: s.version, Started: s.started, Now: time.Now(), Ready: true, ConfigError: s.configErr}
	for _, a := range s.cfg.Accounts {
		j := jobs[a.Name]
		as := web.AccountStatus{
			Name: a.Name, Type: a.Type, Schedule: s.cfg.schedule(a),
			Next: j.Next, Running: j.Running, LastSuccess: s.success[a.Name],
			ConsecutiveFailures: j.ConsecutiveFailures, BackoffUntil: j.BackoffUntil,
			ConflictsWaiting: s.conflicts[a.Name],
		}
		if r := s.last[a.Name]; r != nil {
			c := *r
			as.Last = &c
		}
		snap.Accounts = append(snap.Accounts, as)
	}
	slices.SortFunc(snap.Accounts, func(a, b web.AccountStatus) int { return strings.Compare(a.Name, b.Name) })
	return snap
}

// Trigger implements web.Service: the account runs now.
func (s *service) Trigger(_ context.Context, account string) error {
	err := s.sched.Trigger(account)
	if errors.Is(err, scheduler.ErrUnknownJob) {
		return fmt.Errorf("%w: %q", web.ErrUnknownAccount, account)
	}
	return err
}

// levelHandler passes on the records of at least min.
type levelHandler struct {
	slog.Handler
	min slog.Level
}

// Enabled implements slog.Handler.
func (h levelHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

// WithAttrs implements slog.Handler.
func (h levelHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return levelHandler{Handler: h.Handler.WithAttrs(as), min: h.min}
}

// WithGroup implements slog.Handler.
func (h levelHandler) WithGroup(name string) slog.Handler {
	return levelHandler{Handler: h.Handler.WithGroup(name), min: h.min}
}

// conflictsByAccount counts the entries of the conflict log per account.
func conflictsByAccount(ctx context.Context, e *bridge.Engine) (map[string]int, error) {
	cs, err := e.Conflicts(ctx)
	if err != nil {
		return nil, err
	}
	n := map[string]int{}
	for _, c := range cs {
		n[c.Account]++
	}
	return n, nil
}
