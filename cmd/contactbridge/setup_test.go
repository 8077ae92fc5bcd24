package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/contactbridge/contactbridge/mapping"
)

// runSplit executes the CLI in-process with args and returns what it wrote
// to stdout and to stderr, and its exit code.
func runSplit(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := newRootCommand()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	if err != nil {
		errOut.WriteString("error: " + err.Error() + "\n")
	}
	var ee *exitError
	switch {
	case err == nil:
		code = exitOK
	case errors.As(err, &ee):
		code = ee.code
	default:
		code = exitCannot
	}
	return out.String(), errOut.String(), code
}

// world is a config with vdir accounts, each a folder beside it, and an
// initialised hub.
type world struct {
	t       *testing.T
	dir     string
	cfg     string
	folders map[string]string // account name → folder
}

// newWorld sets up accounts a and b (or the names given), each a vdir
// folder that exists, and runs init.
func newWorld(t *testing.T, names ...string) *world {
	t.Helper()
	return newWorldWith(t, "key_file: sync.key\nstore:\n  sqlite: store.db\n", names...)
}

// newWorldWith is newWorld with head as the config's key and store keys.
func newWorldWith(t *testing.T, head string, names ...string) *world {
	t.Helper()
	isolate(t)
	if len(names) == 0 {
		names = []string{"a", "b"}
	}
	w := &world{t: t, dir: t.TempDir(), folders: map[string]string{}}
	w.cfg = filepath.Join(w.dir, "config.yaml")
	var y strings.Builder
	y.WriteString(head + "conflict_policy: merge\naccounts:\n")
	for _, n := range names {
		fmt.Fprintf(&y, "  - {name: %s, type: vdir, path: %s}\n", n, n)
		w.folders[n] = filepath.Join(w.dir, n)
		if err := os.Mkdir(w.folders[n], 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(w.cfg, []byte(y.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, code := run(t, "init", "--config", w.cfg); code != exitOK {
		t.Fatalf("init exit %d:\n%s", code, out)
	}
	return w
}

// cli runs a command against the world's config.
func (w *world) cli(args ...string) (stdout, stderr string, code int) {
	w.t.Helper()
	return runSplit(w.t, append([]string{"--config", w.cfg}, args...)...)
}

// mustCLI runs a command that must succeed and returns its stdout.
func (w *world) mustCLI(args ...string) string {
	w.t.Helper()
	out, errOut, code := w.cli(args...)
	if code != exitOK {
		w.t.Fatalf("%s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// write puts a .vcf file into an account's folder.
func (w *world) write(account, name, card string) {
	w.t.Helper()
	if err := os.WriteFile(filepath.Join(w.folders[account], name), []byte(card), 0o600); err != nil {
		w.t.Fatal(err)
	}
}

// cards reads an account's folder, by FN; a name present twice fails the
// test.
func (w *world) cards(account string) map[string]*mapping.Card {
	w.t.Helper()
	return folderCards(w.t, w.folders[account])
}

// fileOf returns the file of account that holds the contact named fn.
func (w *world) fileOf(account, fn string) string {
	w.t.Helper()
	for _, e := range readDir(w.t, w.folders[account]) {
		c := parseFile(w.t, filepath.Join(w.folders[account], e))
		if c != nil && c.Value("FN") == fn {
			return filepath.Join(w.folders[account], e)
		}
	}
	w.t.Fatalf("no file in %s holds %q", account, fn)
	return ""
}

func readDir(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		if e.Type().IsRegular() && strings.HasSuffix(e.Name(), ".vcf") && !strings.HasPrefix(e.Name(), ".") {
			out = append(out, e.Name())
		}
	}
	return out
}

func parseFile(t *testing.T, path string) *mapping.Card {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := mapping.Parse(b)
	if err != nil {
		return nil
	}
	return c
}

func folderCards(t *testing.T, dir string) map[string]*mapping.Card {
	t.Helper()
	out := map[string]*mapping.Card{}
	for _, name := range readDir(t, dir) {
		c := parseFile(t, filepath.Join(dir, name))
		if c == nil {
			continue
		}
		fn := c.Value("FN")
		if _, dup := out[fn]; dup {
			t.Errorf("%s holds %q twice", dir, fn)
		}
		out[fn] = c
	}
	return out
}

// vcard returns a vCard 4.0 with FN fn, an e-mail made from it, and extra
// content lines.
func vcard(fn string, extra ...string) string {
	email := strings.ToLower(strings.ReplaceAll(fn, " ", ".")) + "@example.com"
	lines := []string{"BEGIN:VCARD", "VERSION:4.0", "FN:" + fn, "EMAIL:" + email}
	lines = append(lines, extra...)
	lines = append(lines, "END:VCARD", "")
	return strings.Join(lines, "\r\n")
}

// writeCorpus writes every card of the vCard corpus into account's folder,
// one file each as vCard 4.0, and returns how many it wrote. Cards that do
// not parse are left out: they are the parser's tests.
func (w *world) writeCorpus(account string) int {
	w.t.Helper()
	files, err := filepath.Glob("../../testdata/vcards/*.vcf")
	if err != nil || len(files) == 0 {
		w.t.Fatalf("no corpus: %v", err)
	}
	n := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			w.t.Fatal(err)
		}
		cards, _ := mapping.ParseAll(filepath.Base(f), data)
		for i, c := range cards {
			b, err := c.Marshal(mapping.Version40)
			if err != nil {
				w.t.Fatalf("%s card %d: %v", f, i, err)
			}
			w.write(account, fmt.Sprintf("%s-%d.vcf", strings.TrimSuffix(filepath.Base(f), ".vcf"), i), string(b))
			n++
		}
	}
	return n
}
