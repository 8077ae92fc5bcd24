package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// serviceProc is `contactbridge run` in a child process, its JSON log
// lines read as they come.
type serviceProc struct {
	t     *testing.T
	cmd   *exec.Cmd
	lines chan map[string]any
	exit  chan error
}

// startService starts `bin run --config cfg` with JSON logs.
func startService(t *testing.T, bin, cfg string) *serviceProc {
	t.Helper()
	cmd := exec.Command(bin, "run", "--config", cfg)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serviceProc{t: t, cmd: cmd, lines: make(chan map[string]any, 1024), exit: make(chan error, 1)}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) != nil {
				m = map[string]any{"msg": "(not JSON) " + sc.Text()}
			}
			p.lines <- m
		}
		close(p.lines)
		p.exit <- cmd.Wait()
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	})
	return p
}

// waitLog waits for a log line that ok accepts, failing after a minute.
func (p *serviceProc) waitLog(what string, ok func(map[string]any) bool) map[string]any {
	p.t.Helper()
	deadline := time.After(time.Minute)
	for {
		select {
		case m, open := <-p.lines:
			if !open {
				p.t.Fatalf("the service exited while waiting for %s", what)
			}
			if lvl, _ := m["level"].(string); lvl == "ERROR" {
				p.t.Errorf("service logged an error: %v", m)
			}
			if ok(m) {
				return m
			}
		case <-deadline:
			p.t.Fatalf("no %s within a minute", what)
		}
	}
}

// runDone accepts the "run done" line of account.
func runDone(account string) func(map[string]any) bool {
	return func(m map[string]any) bool { return m["msg"] == "run done" && m["account"] == account }
}

// freeAddr returns a free loopback address.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// `run` keeps folders in sync on a schedule, reloads its config on
// SIGHUP, refuses a second instance, serves metrics Prometheus can parse,
// and exits cleanly on SIGTERM with its state committed.
func TestRunService(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	dir := t.TempDir()
	for _, d := range []string{"a", "b", "c"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	addr := freeAddr(t)
	config := func(accounts ...string) {
		t.Helper()
		var b strings.Builder
		fmt.Fprintf(&b, "key_file: sync.key\nstore:\n  sqlite: store.db\nschedule: \"@every 1s\"\nhttp:\n  listen: %s\nlog:\n  format: json\n  level: debug\naccounts:\n", addr)
		for _, a := range accounts {
			fmt.Fprintf(&b, "  - name: %s\n    type: vdir\n    path: %s\n", a, a)
		}
		if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg := filepath.Join(dir, "config.yaml")
	config("a", "b")
	if out, err := exec.Command(bin, "init", "--config", cfg).CombinedOutput(); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}

	p := startService(t, bin, cfg)
	p.waitLog("the first run of b", runDone("b"))

	// A second instance on the same store refuses to start.
	if out, err := exec.Command(bin, "run", "--config", cfg).CombinedOutput(); err == nil || !strings.Contains(string(out), "another contactbridge") {
		t.Errorf("a second run: %v\n%s", err, out)
	}

	// A contact added to a reaches b.
	card := "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Grace Hopper\r\nN:Hopper;Grace;;;\r\nEMAIL:grace@example.org\r\nEND:VCARD\r\n"
	if err := os.WriteFile(filepath.Join(dir, "a", "grace.vcf"), []byte(card), 0o600); err != nil {
		t.Fatal(err)
	}
	p.waitLog("a run of b that creates the contact", func(m map[string]any) bool {
		return runDone("b")(m) && m["to_remote"] == float64(1)
	})
	assertHolds(t, filepath.Join(dir, "b"), "Grace Hopper")

	// SIGHUP with a new account: it is synced.
	config("a", "b", "c")
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	p.waitLog("the reload", func(m map[string]any) bool { return m["msg"] == "config reloaded" })
	p.waitLog("a run of c that creates the contact", func(m map[string]any) bool {
		return runDone("c")(m) && m["to_remote"] == float64(1)
	})
	assertHolds(t, filepath.Join(dir, "c"), "Grace Hopper")

	// A broken config keeps the running one and says why.
	if err := os.WriteFile(cfg, []byte("accounts: [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	for {
		m, open := <-p.lines
		if !open {
			t.Fatal("the service exited on a broken config")
		}
		if m["msg"] == "reload failed" {
			break
		}
	}
	config("a", "b", "c")

	// /metrics parses as Prometheus text and counts the runs.
	res, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(res.Body)
	res.Body.Close()
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	if f := families["contactbridge_runs_total"]; f == nil || len(f.GetMetric()) < 3 {
		t.Errorf("contactbridge_runs_total: %v", f)
	}
	// status asks the service; sync --via-service makes it run now.
	statusOf := func() (live bool, accounts map[string]bool) {
		t.Helper()
		out, err := exec.Command(bin, "status", "--json", "--config", cfg).Output()
		if err != nil {
			t.Fatalf("status: %v\n%s", err, out)
		}
		var st struct {
			Service  bool `json:"service"`
			Accounts []struct {
				Name string          `json:"name"`
				Last json.RawMessage `json:"last"`
			} `json:"accounts"`
		}
		if err := json.Unmarshal(out, &st); err != nil {
			t.Fatalf("status --json: %v\n%s", err, out)
		}
		accounts = map[string]bool{}
		for _, a := range st.Accounts {
			accounts[a.Name] = len(a.Last) > 0 && string(a.Last) != "null"
		}
		return st.Service, accounts
	}
	if live, accts := statusOf(); !live || len(accts) != 3 || !accts["a"] || !accts["c"] {
		t.Errorf("status while running: service %v, accounts with a last run %v", live, accts)
	}
	if out, err := exec.Command(bin, "sync", "--via-service", "--account", "b", "--config", cfg).CombinedOutput(); err != nil {
		t.Fatalf("sync --via-service: %v\n%s", err, out)
	}
	p.waitLog("the manual run of b", func(m map[string]any) bool { return runDone("b")(m) && m["trigger"] == "manual" })

	// The status page answers.
	if res, err := http.Get("http://" + addr + "/"); err != nil || res.StatusCode != http.StatusOK {
		t.Errorf("status page: %v %v", res, err)
	} else {
		res.Body.Close()
	}

	// SIGTERM: a clean exit, and the state committed — a sync right after
	// has nothing to do.
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for range p.lines {
	}
	select {
	case err := <-p.exit:
		if err != nil {
			t.Fatalf("run exited with %v after SIGTERM", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("run did not exit within a minute of SIGTERM")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "sync", "--json", "--config", cfg).Output()
	if err != nil {
		t.Fatalf("sync after run: %v\n%s", err, out)
	}
	var reps []syncResult
	if err := json.Unmarshal(out, &reps); err != nil {
		t.Fatal(err)
	}
	for _, r := range reps {
		if r.ToHub.Total()+r.ToRemote.Total() != 0 || r.Error != "" {
			t.Errorf("sync after run had work left: %+v", r)
		}
	}
	// Without the service, status shows the last runs from the store.
	if live, accts := statusOf(); live || len(accts) != 3 || !accts["a"] || !accts["b"] || !accts["c"] {
		t.Errorf("status without the service: service %v, accounts with a last run %v", live, accts)
	}
}

// assertHolds checks that folder holds one .vcf naming fn.
func assertHolds(t *testing.T, folder, fn string) {
	t.Helper()
	entries, err := os.ReadDir(folder)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(folder, e.Name()))
		if err == nil && strings.Contains(string(b), "FN:"+fn) {
			return
		}
	}
	t.Errorf("%s holds no card of %s (%d files)", folder, fn, len(entries))
}
