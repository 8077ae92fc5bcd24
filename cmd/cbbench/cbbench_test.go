package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/contactbridge/contactbridge/mapping"
)

func TestGeneratorIsDeterministic(t *testing.T) {
	g1, g2 := NewGenerator(7), NewGenerator(7)
	for i := range 20 {
		a, err := g1.Marshal(i, 0)
		if err != nil {
			t.Fatal(err)
		}
		b, err := g2.Marshal(i, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Fatalf("contact %d differs between two generators of one seed:\n%s\n%s", i, a, b)
		}
	}
	a, _ := NewGenerator(7).Marshal(0, 0)
	b, _ := NewGenerator(8).Marshal(0, 0)
	if bytes.Equal(a, b) {
		t.Error("seeds 7 and 8 generate the same contact 0")
	}
}

func TestGeneratedContacts(t *testing.T) {
	g := NewGenerator(1)
	const n = 200
	uids := map[string]bool{}
	total := 0
	for i := range n {
		data, err := g.Marshal(i, 0)
		if err != nil {
			t.Fatal(err)
		}
		total += len(data)
		c, err := mapping.Parse(data)
		if err != nil {
			t.Fatalf("contact %d does not parse: %v\n%s", i, err, data)
		}
		for _, name := range []string{"FN", "N", "ADR", "ORG", "TITLE", "BDAY", "NOTE", "CATEGORIES", "UID"} {
			if c.Get(name) == nil {
				t.Errorf("contact %d has no %s", i, name)
			}
		}
		if got := len(c.All("EMAIL")); got != 2 {
			t.Errorf("contact %d has %d EMAIL, want 2", i, got)
		}
		if got := len(c.All("TEL")); got != 2 {
			t.Errorf("contact %d has %d TEL, want 2", i, got)
		}
		uid := c.Value("UID")
		if uids[uid] || uid != g.UID(i) {
			t.Errorf("contact %d: UID %q duplicate or not g.UID(i) = %q", i, uid, g.UID(i))
		}
		uids[uid] = true

		edited, err := mapping.Parse(must(g.Marshal(i, 1)))
		if err != nil {
			t.Fatalf("edited contact %d does not parse: %v", i, err)
		}
		if d := mapping.Diff(c, edited); len(d) == 0 || c.Hash() == edited.Hash() {
			t.Errorf("edited contact %d equals the original", i)
		}
	}
	if avg := total / n; avg < 800 || avg > 1300 {
		t.Errorf("contacts average %d bytes, want about 1 KB", avg)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func TestEdited(t *testing.T) {
	for _, tc := range []struct{ n, k, want int }{{1000, 20, 20}, {10, 20, 10}, {50, 20, 20}} {
		got := Edited(tc.n, tc.k)
		seen := map[int]bool{}
		for _, i := range got {
			if i < 0 || i >= tc.n || seen[i] {
				t.Errorf("Edited(%d, %d) = %v: index %d out of range or repeated", tc.n, tc.k, got, i)
			}
			seen[i] = true
		}
		if len(got) != tc.want {
			t.Errorf("Edited(%d, %d) has %d indexes, want %d", tc.n, tc.k, len(got), tc.want)
		}
	}
}

// TestVdirBenchmark runs the whole benchmark at a small size and checks the
// harness's own findings: both syncs correct, the changes exactly written.
func TestVdirBenchmark(t *testing.T) {
	vb := &vdirBench{Sizes: []int{50, 30}, Changes: 5, Seed: 1, WorkDir: t.TempDir()}
	res, err := vb.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Runs) != 2 || res.Runs[0].N != 30 || res.Runs[1].N != 50 {
		t.Fatalf("runs %+v, want contactbridge at 30 then 50", res.Runs)
	}
	for _, r := range res.Runs {
		for _, c := range r.Checks {
			if !c.OK {
				t.Errorf("n=%d: %s: %s", r.N, c.Name, c.Detail)
			}
		}
		for _, phase := range []string{phaseInitial, phaseNoChange, phaseChanges} {
			for _, part := range []string{partA, partB, partTotal} {
				s := r.step(phase, part)
				if s == nil {
					t.Fatalf("n=%d: no step %s %s", r.N, phase, part)
				}
				if s.Wall <= 0 {
					t.Errorf("n=%d: %s %s: wall time %v", r.N, phase, part, s.Wall)
				}
			}
		}
		if s := r.step(phaseInitial, partTotal); s.FilesB.Created != r.N || s.HubWrites != r.N || s.RemoteWrites != r.N {
			t.Errorf("n=%d: initial sync wrote hub %d, remote %d, files B %s; want %d each",
				r.N, s.HubWrites, s.RemoteWrites, s.FilesB, r.N)
		}
	}
	var md bytes.Buffer
	if err := writeMarkdown(&md, res); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"### contactbridge, N = 50", "| initial | **total** |", "### Targets", "O(changes)"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("the report lacks %q:\n%s", want, md.String())
		}
	}
	left, err := filepath.Glob(filepath.Join(vb.WorkDir, "cbbench-*"))
	if err != nil || len(left) > 0 {
		t.Errorf("temporary folders left behind: %v %v", left, err)
	}
}

func TestMissingVdirsyncer(t *testing.T) {
	vb := &vdirBench{Sizes: []int{5}, Changes: 1, VdirsyncerBin: filepath.Join(t.TempDir(), "no-vdirsyncer")}
	_, err := vb.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "apt-get install vdirsyncer") {
		t.Fatalf("Run without the vdirsyncer binary: err = %v, want one that says how to install it", err)
	}
}

func TestCommandLine(t *testing.T) {
	dir := t.TempDir()
	out, js := filepath.Join(dir, "report.md"), filepath.Join(dir, "report.json")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"vdir", "-n", "20", "-scale", "0", "-changes", "3", "-q",
		"-dir", dir, "-out", out, "-json", js}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit status %d: %s", code, stderr.String())
	}
	for _, f := range []string{out, js} {
		if b, err := os.ReadFile(f); err != nil || len(b) == 0 {
			t.Errorf("%s: %v, %d bytes", f, err, len(b))
		}
	}
	var rendered bytes.Buffer
	if code := run(context.Background(), []string{"render", js}, &rendered, &stderr); code != 0 {
		t.Fatalf("render: exit status %d: %s", code, stderr.String())
	}
	if md, _ := os.ReadFile(out); !bytes.Equal(md, rendered.Bytes()) {
		t.Errorf("render of the JSON differs from the report:\n%s\n---\n%s", md, rendered.Bytes())
	}
	if code := run(context.Background(), []string{"vdir", "-n", "0"}, &stdout, &stderr); code != 2 {
		t.Errorf("-n 0: exit status %d, want 2", code)
	}
	if code := run(context.Background(), []string{"nosuch"}, &stdout, &stderr); code != 2 {
		t.Errorf("unknown benchmark: exit status %d, want 2", code)
	}
}

func TestFSFloor(t *testing.T) {
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"fsfloor", "-n", "50", "-repeat", "2", "-dir", dir}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut.String())
	}
	rows := 0
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(line, "| 1 |") || strings.HasPrefix(line, "| 2 |") {
			rows++
		}
	}
	if rows != 2 || !strings.Contains(out.String(), "50 files of 950 bytes") {
		t.Errorf("report:\n%s", out.String())
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("left %d entries behind in -dir", len(ents))
	}
	if code := run(context.Background(), []string{"fsfloor", "-n", "0"}, &out, &errOut); code != 2 {
		t.Errorf("-n 0: exit %d, want 2", code)
	}
}
