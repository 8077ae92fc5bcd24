package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
)

// A profiler writes CPU profiles of the engine's phases when path is set:
// one file per phase (see named).
type profiler struct {
	path string
}

// named returns the profiler of one phase at size n: path with
// ".n<size>.<label>" inserted before its extension (".pprof" if none).
func (p profiler) named(n int, label string) profiler {
	if p.path == "" {
		return p
	}
	ext := filepath.Ext(p.path)
	if ext == "" {
		ext = ".pprof"
	}
	return profiler{path: fmt.Sprintf("%s.n%d.%s%s", strings.TrimSuffix(p.path, filepath.Ext(p.path)), n, label, ext)}
}

// start begins profiling into path; the returned function stops and
// writes the profile. Without a path both do nothing.
func (p profiler) start() (stop func() error, err error) {
	if p.path == "" {
		return func() error { return nil }, nil
	}
	name := p.path
	f, err := os.Create(name)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile %s: %w", name, err)
	}
	return func() error {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			return fmt.Errorf("cpu profile %s: %w", name, err)
		}
		return nil
	}, nil
}
