package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// vdirsyncerInstall tells the user how to get the peer this benchmark
// compares against. The harness never installs anything itself.
const vdirsyncerInstall = "install it with `apt-get install vdirsyncer` (Debian, Ubuntu) or `pipx install vdirsyncer`, or name the binary with -vdirsyncer-bin"

// findVdirsyncer resolves the vdirsyncer binary, with a message that says
// how to install it when it is missing.
func findVdirsyncer(bin string) (string, error) {
	if bin == "" {
		bin = "vdirsyncer"
	}
	path, err := exec.LookPath(bin)
	if err != nil {
		return "", fmt.Errorf("-vdirsyncer: %s not found: %s (%w)", bin, vdirsyncerInstall, err)
	}
	return path, nil
}

// vdirsyncerVersion returns what `vdirsyncer --version` prints, such as
// "vdirsyncer, version 0.19.0".
func vdirsyncerVersion(ctx context.Context, bin string) (string, error) {
	out, err := exec.CommandContext(ctx, bin, "--version").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s --version: %w: %s", bin, err, bytes.TrimSpace(out))
	}
	return strings.TrimSpace(string(out)), nil
}

// A vdirsyncerRig is vdirsyncer configured to sync folder a with folder b:
// one pair of filesystem storages (file extension .vcf), the folders
// themselves being the collection, conflicts resolved "a wins".
type vdirsyncerRig struct {
	bin    string
	config string
}

// newVdirsyncerRig writes the config into dir (which also holds the status
// database) for the folders a and b.
func newVdirsyncerRig(bin, dir, a, b string) (*vdirsyncerRig, error) {
	folder := func(path string) string {
		// The config format is INI with JSON values; strconv.Quote gives a
		// JSON string for any path without control characters.
		return fmt.Sprintf("type = \"filesystem\"\npath = %s\nfileext = \".vcf\"\n", strconv.Quote(path))
	}
	return newVdirsyncerPair(bin, dir, folder(a), folder(b))
}

// vdirsyncerCardDAV is the storage section of a CardDAV address book.
func vdirsyncerCardDAV(s *davServer, base string) string {
	return fmt.Sprintf("type = \"carddav\"\nurl = %s\nusername = %s\npassword = %s\n",
		strconv.Quote(base+s.Book), strconv.Quote(s.Username), strconv.Quote(s.Password))
}

// newVdirsyncerPair writes the config into dir (which also holds the status
// database) for a pair of the storages a and b (the bodies of their
// sections).
func newVdirsyncerPair(bin, dir, a, b string) (*vdirsyncerRig, error) {
	status := filepath.Join(dir, "status") + string(filepath.Separator)
	config := fmt.Sprintf(`[general]
status_path = %s

[pair bench]
a = "bench_a"
b = "bench_b"
collections = null
conflict_resolution = "a wins"

[storage bench_a]
%s
[storage bench_b]
%s`, strconv.Quote(status), a, b)
	path := filepath.Join(dir, "config")
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		return nil, fmt.Errorf("vdirsyncer config: %w", err)
	}
	return &vdirsyncerRig{bin: bin, config: path}, nil
}

// run runs `vdirsyncer -c config args…` and returns the cost of the child
// process. Only warnings and errors are logged, so that printing one line
// per item does not count against vdirsyncer.
func (v *vdirsyncerRig) run(ctx context.Context, args ...string) (Cost, error) {
	return runChild(ctx, "vdirsyncer", v.bin, []string{"-c", v.config, "-v", "WARNING"}, args)
}

// runChild runs bin with the arguments fixed and then args, its input
// empty (a tool must never wait for an answer), and returns the cost of
// the child process. A failure is named by name and args and carries the
// last lines the child printed.
func runChild(ctx context.Context, name, bin string, fixed, args []string) (Cost, error) {
	cmd := exec.CommandContext(ctx, bin, append(slices.Clone(fixed), args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	what := strings.TrimSpace(name + " " + strings.Join(args, " "))
	if cmd.ProcessState == nil {
		return Cost{}, fmt.Errorf("%s: %w", what, err)
	}
	c := childCost(cmd.ProcessState, wall)
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return c, fmt.Errorf("%s: %w: %s", what, err, lastLines(out.String(), 10))
	case err != nil:
		return c, fmt.Errorf("%s: %w", what, err)
	}
	return c, nil
}

// lastLines returns the last n lines of s, for error messages.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
