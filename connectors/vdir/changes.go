package vdir

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/contactbridge/contactbridge/connectors"
)

// Token is the token Changes returns. A folder has no change log, so it
// carries no position: every call lists the folder in full.
const Token = "vdir-full"

// tempSuffix ends the names of the temporary files writes use; with their
// leading dot, listings ignore them.
const tempSuffix = ".cbtmp"

// staleTemp is the age after which a temporary file is taken for the
// leftover of a crashed write and removed by the next listing.
const staleTemp = time.Hour

// listAttempts bounds how often Changes reads the folder's names again
// because files were added or removed while it read them.
const listAttempts = 3

// Changes implements connectors.Connector with a full listing whatever the
// token: the folder keeps no change log (see the package doc). The pages
// hold ids and etags only (Card nil), in file name order, and there is
// always at least one, empty for an empty folder. Listing reads the folder
// and stats each file; it reads no file. It holds the folder's file names
// in memory (a few MB for 100,000 files), never more than a page of items.
func (c *Connector) Changes(ctx context.Context, _ string, fn func(connectors.Page) error) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("vdir: list: %w", err)
	}
	names, temps, err := c.names()
	if err != nil {
		return "", err
	}
	c.removeStale(temps)
	page := connectors.Page{Full: true, Changes: make([]connectors.Change, 0, min(len(names), c.pageSize))}
	sent := false
	flush := func() error {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("vdir: list: %w", err)
		}
		sent = true
		if err := fn(page); err != nil {
			return err
		}
		page.Changes = make([]connectors.Change, 0, min(len(names), c.pageSize))
		return nil
	}
	st, err := openStatter(c.dir)
	if err != nil {
		return "", fmt.Errorf("vdir: list: %w", err)
	}
	defer st.Close()
	workers := min(statWorkers, runtime.GOMAXPROCS(0))
	stats := make([]entryStat, c.pageSize)
	for start := 0; start < len(names); start += c.pageSize {
		chunk := names[start:min(start+c.pageSize, len(names))]
		stats := stats[:len(chunk)]
		statAll(st, chunk, stats, workers)
		for i, s := range stats {
			switch {
			case errors.Is(s.err, fs.ErrNotExist):
				continue // deleted since the folder was read
			case s.err != nil:
				return "", fmt.Errorf("vdir: list: %w", s.err)
			case !s.regular:
				continue
			}
			page.Changes = append(page.Changes, connectors.Change{Item: connectors.Item{ID: chunk[i], ETag: s.etag, Key: keyOf(chunk[i])}})
		}
		if len(page.Changes) > 0 && start+c.pageSize < len(names) {
			if err := flush(); err != nil {
				return "", err
			}
		}
	}
	if len(page.Changes) > 0 || !sent {
		if err := flush(); err != nil {
			return "", err
		}
	}
	return Token, nil
}

// statWorkers bounds the goroutines that stat the files of a page at once:
// a listing is one stat system call per file, and little else.
const statWorkers = 4

// entryStat is what a listing needs of one folder entry.
type entryStat struct {
	etag    string
	regular bool
	err     error
}

// statAll stats names into out (same length), with up to workers
// goroutines.
func statAll(st *dirStatter, names []string, out []entryStat, workers int) {
	if workers <= 1 || len(names) < 64 {
		for i, n := range names {
			out[i].etag, out[i].regular, out[i].err = st.stat(n)
		}
		return
	}
	var wg sync.WaitGroup
	per := (len(names) + workers - 1) / workers
	for lo := 0; lo < len(names); lo += per {
		hi := min(lo+per, len(names))
		wg.Go(func() {
			for i := lo; i < hi; i++ {
				out[i].etag, out[i].regular, out[i].err = st.stat(names[i])
			}
		})
	}
	wg.Wait()
}

// names returns the sorted names of the folder's contact files. A file
// renamed into the folder while it is read may be missed by one read of a
// directory (POSIX leaves it unspecified), and a full listing that misses a
// file says the contact was deleted; so when the folder changed during the
// read, it reads again.
//
// It also returns the names of temporary files, for removeStale.
func (c *Connector) names() (names, temps []string, err error) {
	for range listAttempts {
		before, err := os.Stat(c.dir)
		if err != nil {
			return nil, nil, fmt.Errorf("vdir: list: %w", err)
		}
		names, temps, err = readNames(c.dir)
		if err != nil {
			return nil, nil, err
		}
		after, err := os.Stat(c.dir)
		if err != nil {
			return nil, nil, fmt.Errorf("vdir: list: %w", err)
		}
		if etagOf(before) == etagOf(after) {
			break
		}
	}
	slices.Sort(names)
	return names, temps, nil
}

// readNames returns the names in dir that can be contact files, and those
// of temporary files.
func readNames(dir string) (names, temps []string, err error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("vdir: list: %w", err)
	}
	defer f.Close()
	all, err := f.Readdirnames(-1)
	if err != nil {
		return nil, nil, fmt.Errorf("vdir: list: %w", err)
	}
	names = all[:0]
	for _, n := range all {
		switch {
		case isItemName(n):
			names = append(names, n)
		case n[0] == '.' && strings.HasSuffix(n, tempSuffix):
			temps = append(temps, n)
		}
	}
	return names, temps, nil
}

// removeStale removes the temporary files older than staleTemp, left by
// writes that crashed. A failure only leaves a hidden file behind.
func (c *Connector) removeStale(temps []string) {
	for _, n := range temps {
		path := filepath.Join(c.dir, n)
		if fi, err := os.Lstat(path); err == nil && fi.Mode().IsRegular() && time.Since(fi.ModTime()) > staleTemp {
			os.Remove(path)
		}
	}
}
