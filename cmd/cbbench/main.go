// Command cbbench is ContactBridge's benchmark harness. It measures the
// engine as `contactbridge sync` runs it, in this process, and compares it
// with other tools run on the same data.
//
// Usage:
//
//	cbbench vdir [-n 10000] [-scale 1000] [-changes 20] [-repeat 3] [-vdirsyncer] [-out FILE] [-json FILE] [-cpuprofile FILE]
//	cbbench render FILE.json
//	cbbench fsfloor [-n 10000] [-size 950] [-repeat 3]
//	cbbench carddav [-n 1000] [-changes 20] [-repeat 3] [-vdirsyncer] [-out FILE] [-cpuprofile FILE]
//	cbbench httpfloor [-n 1000] [-concurrency 4]
//	cbbench google [-n 10000] [-changes 20] [-repeat 1] [-out FILE] [-contactbridge-bin PATH]
//	cbbench storage [-backends sqlite,postgres] [-users 100] [-records 1000] [-concurrency 1,8] [-postgres DSN] [-out FILE]
//
// The vdir benchmark syncs two vdir folders through the hub: folder A holds
// N generated contacts of about 1 KB each, folder B starts empty, the hub is
// an embedded SQLite store under a fresh Sync Key. It measures three phases
// (initial sync, a sync that finds no change, a sync after editing some
// files of A) for wall time, CPU time, peak RSS and writes, checks that B
// ends up holding A's contacts and that the no-change sync writes nothing,
// and prints Markdown tables. With -vdirsyncer it runs vdirsyncer on fresh
// copies of the same folders as the peer. Without Go tooling installed
// elsewhere:
//
//	go run ./cmd/cbbench vdir -n 10000 -vdirsyncer
//
// render writes the Markdown of results saved with -json again. fsfloor
// measures what the file system alone costs to create N small files
// crash-safely in one folder and read them back: the floor under any vdir
// sync on that disk. carddav syncs a Radicale address book of N generated
// contacts with an empty Xandikos one, both servers started by the
// harness on loopback, and counts each server's requests and CPU;
// contactbridge runs as the `contactbridge` command in a child process, as
// vdirsyncer does. httpfloor measures the client CPU of only sending N
// ready-made cards to an empty Xandikos: the floor under an initial
// CardDAV sync's client CPU. google syncs an account of the People API
// fake (connectors/google/googletest, run in cbbench on loopback) holding
// N generated contacts with an empty one, through `contactbridge sync` in
// a child process, and counts each account's requests by endpoint against
// the protocol minimum (ceil(N/1000) list pages, ceil(N/200) batch
// writes, one request for a sync that finds no change).
//
// storage measures `contactbridge storage serve`, the store served as a
// Sync Storage 1.5 server, on loopback, for each backend (a SQLite file;
// PostgreSQL, a throwaway server started by the harness unless -postgres
// names a database): the users u000… are added with `contactbridge
// storage user add`, the server runs in a child process, and clients in
// cbbench, with HTTP Basic auth on keep-alive connections, make each
// user's first request (the password check), POST each user's records
// in batches of 100 and GET them back in pages of 1,000 (full=1,
// newer=0, following X-Weave-Next-Offset), with each number of
// concurrent clients of -concurrency. It reports requests and records
// per second, p50 and p99 latency, the server's and the clients' CPU and
// the server's VmRSS and VmHWM after each phase, and checks that every
// POST stored all its records and that each user reads back exactly the
// records it wrote.
//
// vdirsyncer is not installed by the harness: on Debian, `apt-get install
// vdirsyncer`. Exit status: 0 when every run synced correctly (targets met
// or not, see the Targets table), 1 when a correctness check failed, 2 when
// the benchmark could not run.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// errChecksFailed means the benchmark ran but a tool did not sync right.
var errChecksFailed = errors.New("correctness checks failed")

// run is the command line: it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	usage := func() {
		fmt.Fprintln(stderr, "usage: cbbench vdir [flags]   (cbbench vdir -h for the flags)")
		fmt.Fprintln(stderr, "       cbbench render FILE.json")
		fmt.Fprintln(stderr, "       cbbench fsfloor [-n 10000] [-size 950] [-repeat 3]")
		fmt.Fprintln(stderr, "       cbbench carddav [-n 1000] [-vdirsyncer]   (cbbench carddav -h for the flags)")
		fmt.Fprintln(stderr, "       cbbench httpfloor [-n 1000] [-concurrency 4]")
		fmt.Fprintln(stderr, "       cbbench google [-n 10000] [-changes 20]   (cbbench google -h for the flags)")
		fmt.Fprintln(stderr, "       cbbench storage [-backends sqlite,postgres] [-users 100] [-records 1000]   (cbbench storage -h for the flags)")
	}
	if len(args) == 0 {
		usage()
		return 2
	}
	var err error
	switch args[0] {
	case "vdir":
		err = runVdir(ctx, args[1:], stdout, stderr)
	case "render":
		err = render(args[1:], stdout)
	case "fsfloor":
		err = runFSFloor(ctx, args[1:], stdout, stderr)
	case "carddav":
		err = runCardDAV(ctx, args[1:], stdout, stderr)
	case "httpfloor":
		err = runHTTPFloor(ctx, args[1:], stdout, stderr)
	case "google":
		err = runGoogle(ctx, args[1:], stdout, stderr)
	case "outlook":
		err = runOutlook(ctx, args[1:], stdout, stderr)
	case "storage":
		err = runStorage(ctx, args[1:], stdout, stderr)
	case spawnCommand: // internal: one measured child of `cbbench google`
		err = runSpawn(ctx, args[1:], stdout)
	case "-h", "-help", "--help", "help":
		usage()
		return 0
	default:
		fmt.Fprintf(stderr, "cbbench: unknown benchmark %q\n", args[0])
		usage()
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errChecksFailed):
		fmt.Fprintf(stderr, "cbbench: %v\n", err)
		return 1
	}
	fmt.Fprintf(stderr, "cbbench: %v\n", err)
	return 2
}

// runVdir parses the flags of `cbbench vdir`, runs it and writes the
// results.
func runVdir(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("cbbench vdir", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sizes := fs.String("n", "10000", "number of contacts (a comma-separated list runs each size)")
	scale := fs.Int("scale", 1000, "also run at this size, to show how the change phase grows with the folder (0: don't)")
	changes := fs.Int("changes", 20, "number of contacts the change phase edits")
	repeat := fs.Int("repeat", 3, "run the no-change phase this many times and report the median")
	seed := fs.Uint64("seed", 1, "seed of the generated contacts")
	vdirsyncer := fs.Bool("vdirsyncer", false, "also run vdirsyncer on the same folders as the peer (must be installed: apt-get install vdirsyncer)")
	vdirsyncerBin := fs.String("vdirsyncer-bin", "vdirsyncer", "vdirsyncer binary, by name in PATH or by path")
	out := fs.String("out", "", "write the Markdown report to `FILE` (default: standard output)")
	jsonOut := fs.String("json", "", "also write the results as JSON to `FILE`")
	dir := fs.String("dir", "", "folder for the temporary data (default: the system's)")
	keep := fs.Bool("keep", false, "keep the temporary folders")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of each engine phase to `FILE`, with .n<size>.<phase> inserted before the extension")
	verbose := fs.Bool("v", false, "log the engine's runs to standard error")
	quiet := fs.Bool("q", false, "do not print progress to standard error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("vdir: unexpected arguments %q", fs.Args())
	}
	vb := &vdirBench{Changes: *changes, Repeat: *repeat, Seed: *seed, WorkDir: *dir, Keep: *keep, CPUProfile: *cpuProfile}
	var err error
	if vb.Sizes, err = parseSizes(*sizes); err != nil {
		return err
	}
	if *scale > 0 {
		vb.Sizes = append(vb.Sizes, *scale)
	}
	if *vdirsyncer {
		vb.VdirsyncerBin = *vdirsyncerBin
	}
	if *verbose {
		vb.Log = slog.New(slog.NewTextHandler(stderr, nil))
	}
	if !*quiet {
		vb.Progress = stderr
	}
	res, err := vb.Run(ctx)
	if err != nil {
		return err
	}
	if err := writeTo(*out, stdout, func(w io.Writer) error { return writeMarkdown(w, res) }); err != nil {
		return err
	}
	if *jsonOut != "" {
		if err := writeTo(*jsonOut, stdout, func(w io.Writer) error { return writeJSON(w, res) }); err != nil {
			return err
		}
	}
	if failed := res.Failed(); len(failed) > 0 {
		return fmt.Errorf("%w:\n  %s", errChecksFailed, strings.Join(failed, "\n  "))
	}
	return nil
}

// render reads results saved with -json and writes their Markdown.
func render(args []string, stdout io.Writer) error {
	if len(args) != 1 {
		return errors.New("render: want one JSON file, written by cbbench vdir -json")
	}
	b, err := os.ReadFile(args[0])
	if err != nil {
		return fmt.Errorf("render: %w", err)
	}
	var res Result
	if err := json.Unmarshal(b, &res); err != nil {
		return fmt.Errorf("render %s: %w", args[0], err)
	}
	return writeMarkdown(stdout, &res)
}

// parseSizes reads -n: one size or a comma-separated list.
func parseSizes(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-n %q: want positive numbers of contacts, separated by commas", s)
		}
		out = append(out, n)
	}
	return out, nil
}

// writeTo writes with fn to the file path, or to def when path is empty.
func writeTo(path string, def io.Writer, fn func(io.Writer) error) error {
	if path == "" {
		return fn(def)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("output: %w", err)
	}
	if err := fn(f); err != nil {
		f.Close()
		return fmt.Errorf("output %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("output %s: %w", path, err)
	}
	return nil
}
