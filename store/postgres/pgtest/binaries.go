package pgtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
)

// binaries are the programs a server needs, from one installation.
type binaries struct{ initdb, postgres string }

// debianBins is where Debian's packages put each major version's programs,
// none of which is on PATH.
const debianBins = "/usr/lib/postgresql/*/bin"

// findBinaries looks for initdb and postgres on PATH, then in the newest
// version under debianBins.
func findBinaries() (binaries, error) {
	if p, err := exec.LookPath("postgres"); err == nil {
		// initdb of the same installation: a PATH entry may be a link
		// into one of several versions.
		if real, err := filepath.EvalSymlinks(p); err == nil {
			if b, ok := pair(filepath.Dir(real)); ok {
				return b, nil
			}
		}
		if i, err := exec.LookPath("initdb"); err == nil {
			return binaries{initdb: i, postgres: p}, nil
		}
	}
	dirs, _ := filepath.Glob(debianBins) // the pattern is valid
	slices.SortFunc(dirs, func(a, b string) int { return majorVersion(b) - majorVersion(a) })
	for _, d := range dirs {
		if b, ok := pair(d); ok {
			return b, nil
		}
	}
	return binaries{}, fmt.Errorf("pgtest: no initdb and postgres on PATH or in %s: %w", debianBins, ErrNotInstalled)
}

// pair returns initdb and postgres of dir, if it has both.
func pair(dir string) (binaries, bool) {
	b := binaries{initdb: filepath.Join(dir, "initdb"), postgres: filepath.Join(dir, "postgres")}
	for _, p := range []string{b.initdb, b.postgres} {
		if fi, err := os.Stat(p); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return binaries{}, false
		}
	}
	return b, true
}

// majorVersion reads the version out of a debianBins directory (0 if none).
func majorVersion(dir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return v
}
