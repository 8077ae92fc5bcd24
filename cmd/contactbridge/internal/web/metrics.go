package web

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the Prometheus series of the service's runs, by account. The
// service calls ObserveRun after each run, SetConflicts when the number of
// conflicts waiting changes and Forget when a reload removes an account.
//
// A nil *Metrics is valid and records nothing, so a service built without
// metrics needs no checks.
type Metrics struct {
	runs        *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	items       *prometheus.CounterVec
	itemsFailed *prometheus.CounterVec
	errors      *prometheus.CounterVec
	conflicts   *prometheus.GaugeVec
	lastSuccess *prometheus.GaugeVec
	failing     *prometheus.GaugeVec
}

// NewMetrics makes the collectors and registers them with reg; a nil reg
// registers nothing. Register the Go and process collectors on the same
// registry if you want them: this package adds only its own.
// NewMetrics panics if reg already has collectors of the same names.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	const ns = "contactbridge"
	m := &Metrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "runs_total",
			Help: "Finished runs by account and result (ok or error).",
		}, []string{"account", "result"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: ns, Name: "run_duration_seconds",
			Help: "How long each run of the account took, failed ones included.",
			// From a run that finds nothing to do (50 ms) to the first full
			// sync of a large account (30 min).
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800},
		}, []string{"account"}),
		items: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "items_total",
			Help: "Contacts written by the runs, by direction (to_hub, to_remote) and operation (create, update, delete).",
		}, []string{"account", "direction", "op"}),
		itemsFailed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "items_failed_total",
			Help: "Contacts a run could not sync (they are retried on the next run).",
		}, []string{"account"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "errors_total",
			Help: "Runs that ended in an error, by kind (remote, auth, store, brake, panic, config, item, other).",
		}, []string{"account", "kind"}),
		conflicts: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: ns, Name: "conflicts_waiting",
			Help: "Conflicts recorded for the account that nobody has reviewed yet (see `contactbridge conflicts`).",
		}, []string{"account"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: ns, Name: "last_success_timestamp_seconds",
			Help: "When the account's last successful run ended, in Unix seconds.",
		}, []string{"account"}),
		failing: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: ns, Name: "account_failing",
			Help: "1 when the account's last run ended in an error, else 0.",
		}, []string{"account"}),
	}
	if reg != nil {
		reg.MustRegister(m.runs, m.duration, m.items, m.itemsFailed, m.errors, m.conflicts, m.lastSuccess, m.failing)
	}
	return m
}

// ObserveRun records the finished run r of account.
//
// A run with Err set counts as result="error" and once in errors_total under
// its ErrKind ("other" when empty); items that failed without failing the run
// count in items_failed_total only. Every counter of the account is created
// on its first run, at zero where the run added nothing, so that rates work
// from the start.
func (m *Metrics) ObserveRun(account string, r RunStatus) {
	if m == nil {
		return
	}
	ok, failed := m.runs.WithLabelValues(account, "ok"), m.runs.WithLabelValues(account, "error")
	if r.Err == "" {
		ok.Inc()
		failed.Add(0)
		m.failing.WithLabelValues(account).Set(0)
		m.lastSuccess.WithLabelValues(account).Set(float64(r.Start.Add(r.Duration).UnixMilli()) / 1e3)
	} else {
		ok.Add(0)
		failed.Inc()
		m.failing.WithLabelValues(account).Set(1)
		kind := r.ErrKind
		if kind == "" {
			kind = "other"
		}
		m.errors.WithLabelValues(account, kind).Inc()
	}
	m.duration.WithLabelValues(account).Observe(r.Duration.Seconds())
	for _, d := range []struct {
		name string
		c    Counts
	}{{"to_hub", r.ToHub}, {"to_remote", r.ToRemote}} {
		m.items.WithLabelValues(account, d.name, "create").Add(float64(max(d.c.Created, 0)))
		m.items.WithLabelValues(account, d.name, "update").Add(float64(max(d.c.Updated, 0)))
		m.items.WithLabelValues(account, d.name, "delete").Add(float64(max(d.c.Deleted, 0)))
	}
	m.itemsFailed.WithLabelValues(account).Add(float64(max(r.Failed, 0)))
}

// SetConflicts sets the number of conflicts waiting for review for account.
func (m *Metrics) SetConflicts(account string, n int) {
	if m == nil {
		return
	}
	m.conflicts.WithLabelValues(account).Set(float64(n))
}

// Forget drops every series of account, for an account a reload removed.
func (m *Metrics) Forget(account string) {
	if m == nil {
		return
	}
	l := prometheus.Labels{"account": account}
	m.runs.DeletePartialMatch(l)
	m.duration.DeletePartialMatch(l)
	m.items.DeletePartialMatch(l)
	m.itemsFailed.DeletePartialMatch(l)
	m.errors.DeletePartialMatch(l)
	m.conflicts.DeletePartialMatch(l)
	m.lastSuccess.DeletePartialMatch(l)
	m.failing.DeletePartialMatch(l)
}
