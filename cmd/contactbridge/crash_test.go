package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/contactbridge/contactbridge/bridge"
)

// crashContacts is how many contacts the SIGKILL test syncs.
const crashContacts = 2000

// TestSyncKilledAndRestartedConverges is the real-process crash test: the
// built binary syncs 2,000 contacts from one folder to an empty one through
// the hub and is killed with SIGKILL at random moments, several times; then
// a run to completion must leave both folders with exactly the 2,000
// contacts, no duplicate, the hub with 2,000 live records, and a further
// run must write nothing.
//
// The kill moments come from a seeded generator (CB_CRASH_SEED overrides
// the seed) as fractions of the measured duration of an uninterrupted run
// of the same work, so they fall inside the run on any machine.
func TestSyncKilledAndRestartedConverges(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and syncs 2,000 contacts in a subprocess; skipped with -short")
	}
	seed := uint64(20260601)
	if s := os.Getenv("CB_CRASH_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("CB_CRASH_SEED: %v", err)
		}
		seed = v
	}
	t.Logf("seed %d (set CB_CRASH_SEED to replay)", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	bin := buildBinary(t)

	// Measure an uninterrupted run of the same work on a copy.
	m := newCrashWorld(t, bin)
	start := time.Now()
	m.sync(exitOK)
	full := time.Since(start)
	t.Logf("an uninterrupted sync of %d contacts takes %s", crashContacts, full.Round(time.Millisecond))

	w := newCrashWorld(t, bin)
	killed := 0
	for i := range 6 {
		// Early in the run most of the time (where the first writes are),
		// anywhere in it sometimes.
		frac := 0.05 + 0.35*rng.Float64()
		if i%3 == 2 {
			frac = 0.05 + 0.9*rng.Float64()
		}
		delay := time.Duration(frac * float64(full))
		cmd := exec.Command(bin, "sync", "--json", "--config", w.cfg)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		timer := time.AfterFunc(delay, func() { cmd.Process.Signal(syscall.SIGKILL) })
		err := cmd.Wait()
		timer.Stop()
		var ee *exec.ExitError
		switch {
		case err == nil:
			t.Logf("run %d: finished before the kill at %s", i, delay.Round(time.Millisecond))
		case errors.As(err, &ee) && !ee.Exited():
			killed++
			t.Logf("run %d: killed after %s", i, delay.Round(time.Millisecond))
		default:
			t.Fatalf("run %d: %v\n%s", i, err, out.String())
		}
	}
	if killed < 2 {
		t.Errorf("only %d of the runs were killed mid-way; the test did not test much", killed)
	}

	w.sync(exitOK)
	for _, dir := range []string{w.a, w.b} {
		checkCrashFolder(t, dir)
	}
	var rows []contactRow
	if err := json.Unmarshal(w.run(exitOK, "contacts", "list", "--json"), &rows); err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, r := range rows {
		if names[r.Name] {
			t.Errorf("hub holds %q twice", r.Name)
		}
		names[r.Name] = true
	}
	if len(rows) != crashContacts {
		t.Errorf("hub holds %d live records, want %d", len(rows), crashContacts)
	}
	reps := w.sync(exitOK)
	if n := writes(reps); n != 0 {
		t.Errorf("a sync after convergence wrote %d times: %+v", n, reps)
	}
}

// buildBinary builds contactbridge into a temp folder, once per test.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "contactbridge")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// crashWorld is a config with account a, a folder of crashContacts
// generated contacts, and account b, an empty folder.
type crashWorld struct {
	t         *testing.T
	bin       string
	cfg, a, b string
}

func newCrashWorld(t *testing.T, bin string) *crashWorld {
	t.Helper()
	dir := t.TempDir()
	w := &crashWorld{t: t, bin: bin, cfg: filepath.Join(dir, "config.yaml"), a: filepath.Join(dir, "a"), b: filepath.Join(dir, "b")}
	yaml := "key_file: sync.key\nstore:\n  sqlite: store.db\naccounts:\n" +
		"  - {name: a, type: vdir, path: a}\n  - {name: b, type: vdir, path: b}\n"
	if err := os.WriteFile(w.cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{w.a, w.b} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for i := range crashContacts {
		card := fmt.Sprintf("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:crash-%04d@example.com\r\nFN:Person %04d\r\nN:%04d;Person;;;\r\n"+
			"EMAIL:person%04d@example.com\r\nTEL;TYPE=CELL:+1 555 %04d\r\nEND:VCARD\r\n", i, i, i, i, i)
		if err := os.WriteFile(filepath.Join(w.a, fmt.Sprintf("person-%04d.vcf", i)), []byte(card), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	w.run(exitOK, "init")
	return w
}

// run runs the binary with args and the world's config, and checks its
// exit code.
func (w *crashWorld) run(want int, args ...string) []byte {
	w.t.Helper()
	cmd := exec.Command(w.bin, append(args, "--config", w.cfg)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	code := 0
	if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		w.t.Fatal(err)
	}
	if code != want {
		w.t.Fatalf("%v: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", args, code, want, out, stderr.String())
	}
	return out
}

func (w *crashWorld) sync(want int) []bridge.Report {
	w.t.Helper()
	var reps []bridge.Report
	if err := json.Unmarshal(w.run(want, "sync", "--json"), &reps); err != nil {
		w.t.Fatal(err)
	}
	return reps
}

// checkCrashFolder checks that dir holds each generated contact exactly
// once, by UID and by FN.
func checkCrashFolder(t *testing.T, dir string) {
	t.Helper()
	files := readDir(t, dir)
	uids, fns := map[string]int{}, map[string]int{}
	for _, f := range files {
		c := parseFile(t, filepath.Join(dir, f))
		if c == nil {
			t.Errorf("%s/%s does not parse", filepath.Base(dir), f)
			continue
		}
		uids[c.Value("UID")]++
		fns[c.Value("FN")]++
	}
	if len(files) != crashContacts {
		t.Errorf("%s holds %d files, want %d", filepath.Base(dir), len(files), crashContacts)
	}
	for i := range crashContacts {
		uid, fn := fmt.Sprintf("crash-%04d@example.com", i), fmt.Sprintf("Person %04d", i)
		if uids[uid] != 1 || fns[fn] != 1 {
			t.Errorf("%s holds %s %d times by UID, %d times by FN; want once", filepath.Base(dir), fn, uids[uid], fns[fn])
		}
	}
}
