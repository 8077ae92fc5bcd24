package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape GETs /metrics from srv and parses it as the Prometheus text format.
func scrape(t *testing.T, srv *httptest.Server) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET /metrics = %d %s", resp.StatusCode, b)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parsing /metrics: %v", err)
	}
	return families
}

// series lists the series of families as "name{k=v,...} value", sorted, for
// the family names that start with prefix; a histogram shows its count and
// sum.
func series(families map[string]*dto.MetricFamily, prefix string) []string {
	var out []string
	for name, f := range families {
		if !strings.HasPrefix(name, prefix) {
			continue
		}
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			id := name + "{" + strings.Join(labels, ",") + "}"
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				out = append(out, id+" "+model.SampleValue(m.GetCounter().GetValue()).String())
			case dto.MetricType_GAUGE:
				out = append(out, id+" "+model.SampleValue(m.GetGauge().GetValue()).String())
			case dto.MetricType_HISTOGRAM:
				h := m.GetHistogram()
				out = append(out, id+" count="+model.SampleValue(h.GetSampleCount()).String()+
					" sum="+model.SampleValue(h.GetSampleSum()).String())
			default:
				out = append(out, id+" "+f.GetType().String())
			}
		}
	}
	sort.Strings(out)
	return out
}

func metricsServer(t *testing.T) (*Metrics, *httptest.Server) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	srv := httptest.NewServer(Handler(newFakeService(fixture()), reg, slog.New(slog.NewTextHandler(io.Discard, nil))))
	t.Cleanup(srv.Close)
	return m, srv
}

func TestMetrics(t *testing.T) {
	m, srv := metricsServer(t)
	start := time.Date(2026, 5, 4, 13, 0, 0, 0, time.UTC)
	m.ObserveRun("fastmail", RunStatus{
		Trigger: "schedule", Start: start, Duration: 1500 * time.Millisecond,
		ToHub: Counts{Created: 2, Updated: 1}, ToRemote: Counts{Deleted: 3}, Failed: 1,
	})
	m.ObserveRun("fastmail", RunStatus{
		Trigger: "schedule", Start: start.Add(15 * time.Minute), Duration: 500 * time.Millisecond,
		ToHub: Counts{Created: 1},
	})
	m.ObserveRun("google", RunStatus{
		Trigger: "retry", Start: start, Duration: 20 * time.Second,
		Err: "google: 401", ErrKind: ErrKindAuth,
	})
	m.ObserveRun("google", RunStatus{Trigger: "retry", Start: start, Duration: time.Second, Err: "boom"})
	m.SetConflicts("fastmail", 4)

	got := series(scrape(t, srv), "contactbridge_")
	want := []string{
		"contactbridge_account_failing{account=fastmail} 0",
		"contactbridge_account_failing{account=google} 1",
		"contactbridge_conflicts_waiting{account=fastmail} 4",
		"contactbridge_errors_total{account=google,kind=auth} 1",
		"contactbridge_errors_total{account=google,kind=other} 1",
		"contactbridge_items_failed_total{account=fastmail} 1",
		"contactbridge_items_failed_total{account=google} 0",
		"contactbridge_items_total{account=fastmail,direction=to_hub,op=create} 3",
		"contactbridge_items_total{account=fastmail,direction=to_hub,op=delete} 0",
		"contactbridge_items_total{account=fastmail,direction=to_hub,op=update} 1",
		"contactbridge_items_total{account=fastmail,direction=to_remote,op=create} 0",
		"contactbridge_items_total{account=fastmail,direction=to_remote,op=delete} 3",
		"contactbridge_items_total{account=fastmail,direction=to_remote,op=update} 0",
		"contactbridge_items_total{account=google,direction=to_hub,op=create} 0",
		"contactbridge_items_total{account=google,direction=to_hub,op=delete} 0",
		"contactbridge_items_total{account=google,direction=to_hub,op=update} 0",
		"contactbridge_items_total{account=google,direction=to_remote,op=create} 0",
		"contactbridge_items_total{account=google,direction=to_remote,op=delete} 0",
		"contactbridge_items_total{account=google,direction=to_remote,op=update} 0",
		// the end of the second run: 13:15:00.5
		"contactbridge_last_success_timestamp_seconds{account=fastmail} 1777900500.5",
		"contactbridge_run_duration_seconds{account=fastmail} count=2 sum=2",
		"contactbridge_run_duration_seconds{account=google} count=2 sum=21",
		"contactbridge_runs_total{account=fastmail,result=error} 0",
		"contactbridge_runs_total{account=fastmail,result=ok} 2",
		"contactbridge_runs_total{account=google,result=error} 2",
		"contactbridge_runs_total{account=google,result=ok} 0",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("series:\n%s\n\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	t.Run("histogram buckets", func(t *testing.T) {
		f := scrape(t, srv)["contactbridge_run_duration_seconds"]
		var bounds []float64
		for _, b := range f.GetMetric()[0].GetHistogram().GetBucket() {
			bounds = append(bounds, b.GetUpperBound())
		}
		// The text format adds the +Inf bucket.
		if len(bounds) < 2 || bounds[0] != 0.05 || bounds[len(bounds)-2] != 1800 {
			t.Errorf("buckets %v, want 0.05 s … 1800 s", bounds)
		}
	})

	t.Run("Forget", func(t *testing.T) {
		m.Forget("fastmail")
		for _, s := range series(scrape(t, srv), "contactbridge_") {
			if strings.Contains(s, "account=fastmail") {
				t.Errorf("after Forget: %s", s)
			}
		}
		if got := series(scrape(t, srv), "contactbridge_runs_total"); len(got) != 2 {
			t.Errorf("Forget of one account dropped the other's series: %q", got)
		}
	})
}

func TestMetricsNil(t *testing.T) {
	var m *Metrics // a service built without metrics
	m.ObserveRun("a", RunStatus{Err: "x"})
	m.SetConflicts("a", 1)
	m.Forget("a")
}

func TestMetricsTwoRegistries(t *testing.T) {
	// No package state: two services in one process (tests, or a future
	// multi-tenant server) each get their own series.
	a, b := prometheus.NewRegistry(), prometheus.NewRegistry()
	NewMetrics(a).ObserveRun("x", RunStatus{})
	NewMetrics(b)
	fa, _ := a.Gather()
	fb, _ := b.Gather()
	count := func(fs []*dto.MetricFamily) (n int) {
		for _, f := range fs {
			n += len(f.GetMetric())
		}
		return n
	}
	if count(fa) == 0 || count(fb) != 0 {
		t.Errorf("series: %d in the registry with a run, %d in the one without; want some and none", count(fa), count(fb))
	}
}
