package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// runFSFloor measures what the file system alone costs for the work an
// initial vdir sync cannot avoid: creating N small files atomically in one
// folder (a new temporary file, its bytes, a rename onto the final name,
// one file-system sync at the end: the least a crash-safe writer does) and
// reading them back. No contact is parsed, encrypted or stored. A sync
// through the hub can never be faster than this floor on the same disk.
func runFSFloor(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("cbbench fsfloor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 10000, "number of files")
	size := fs.Int("size", 950, "bytes per file (a generated contact is about 950)")
	repeat := fs.Int("repeat", 3, "runs; each is reported")
	dir := fs.String("dir", "", "folder for the temporary data (default: the system's)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n <= 0 || *size <= 0 || *repeat <= 0 {
		return fmt.Errorf("-n, -size and -repeat must be positive")
	}
	m := describeMachine(ctx, "")
	fmt.Fprintf(stdout, "### File-system floor: %d files of %d bytes in one folder\n\n", *n, *size)
	fmt.Fprintf(stdout, "- %d CPUs (GOMAXPROCS %d), %s; %s, kernel %s, %s\n", m.CPUs, m.GOMAXPROCS, m.CPUModel, m.OS, m.Kernel, m.Go)
	fmt.Fprintf(stdout, "- load average %s at the start\n\n", loadAverage())
	fmt.Fprintln(stdout, "| run | create atomically + one sync: wall (CPU) | per file | read back: wall (CPU) |")
	fmt.Fprintln(stdout, "|---:|---:|---:|---:|")
	data := []byte(strings.Repeat("x", *size))
	for r := 1; r <= *repeat; r++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		folder, err := os.MkdirTemp(*dir, "cbbench-fsfloor-")
		if err != nil {
			return err
		}
		settle()
		mt := startMeter()
		err = createFiles(folder, *n, data)
		create := mt.stop()
		var read Cost
		if err == nil {
			settle()
			mt = startMeter()
			err = readFiles(folder)
			read = mt.stop()
		}
		os.RemoveAll(folder)
		if err != nil {
			return fmt.Errorf("fsfloor: %w", err)
		}
		fmt.Fprintf(stdout, "| %d | %s (%s) | %.0f µs | %s (%s) |\n", r, fmtDur(create.Wall), fmtDur(create.CPU()),
			float64(create.Wall.Microseconds())/float64(*n), fmtDur(read.Wall), fmtDur(read.CPU()))
	}
	fmt.Fprintf(stdout, "\nLoad average %s at the end.\n", loadAverage())
	return nil
}

// createFiles writes n files into folder the way a crash-safe writer must:
// temporary file, data, close, rename; then one sync of the file system.
func createFiles(folder string, n int, data []byte) error {
	for i := range n {
		tmp := filepath.Join(folder, fmt.Sprintf(".c%06d.tmp", i))
		f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		_, err = f.Write(data)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		if err := os.Rename(tmp, filepath.Join(folder, fmt.Sprintf("c%06d.vcf", i))); err != nil {
			return err
		}
	}
	return syncFolder(folder)
}

// readFiles lists folder and reads every file in it.
func readFiles(folder string) error {
	ents, err := os.ReadDir(folder)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if _, err := os.ReadFile(filepath.Join(folder, e.Name())); err != nil {
			return err
		}
	}
	return nil
}
