package vdir

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/contactbridge/contactbridge/connectors"
	"github.com/contactbridge/contactbridge/mapping"
)

// ErrSeveralCards marks a file that holds more than one vCard. The bridge
// reports it and leaves the file alone: merging the cards or picking one
// would lose a contact; the user splits the file.
var ErrSeveralCards = errors.New("several vCards in one file")

// fetchWorkers bounds how many files Fetch reads and parses at once.
const fetchWorkers = 4

// Fetch implements connectors.Connector. Files are read and parsed by a few
// goroutines at once; fn is called from the calling goroutine only, one item
// at a time, in any order.
func (c *Connector) Fetch(ctx context.Context, ids []string, fn func(connectors.Item) error) error {
	workers := min(fetchWorkers, runtime.GOMAXPROCS(0), len(ids))
	if workers <= 1 {
		for _, id := range ids {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("vdir: fetch: %w", err)
			}
			if err := fn(c.read(id)); err != nil {
				return err
			}
		}
		return nil
	}

	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan string)
	results := make(chan connectors.Item, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for id := range jobs {
				select {
				case results <- c.read(id):
				case <-wctx.Done():
					return
				}
			}
		})
	}
	go func() {
		defer close(jobs)
		for _, id := range ids {
			select {
			case jobs <- id:
			case <-wctx.Done():
				return
			}
		}
	}()
	go func() {
		wg.Wait()
		close(results)
	}()
	for it := range results {
		if err := fn(it); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("vdir: fetch: %w", err)
	}
	return nil
}

// read reads the item id. Every failure is reported in Item.Err.
func (c *Connector) read(id string) connectors.Item {
	it := connectors.Item{ID: id, Key: keyOf(id)}
	if err := checkID("fetch", id); err != nil {
		it.Err = err
		return it
	}
	data, fi, err := c.readFile(id)
	if fi != nil {
		// An unreadable file has an etag too, so the bridge knows when
		// the user has repaired it.
		it.ETag = etagOf(fi)
	}
	if err != nil {
		it.Err = err
		return it
	}
	it.Card, it.Err = parseFile(id, data)
	return it
}

// readFile reads the file name, refusing anything but a regular file of at
// most mapping.MaxCardSize bytes. The FileInfo is the one of the open file,
// so the etag matches the content read even if the file is replaced
// meanwhile.
func (c *Connector) readFile(name string) ([]byte, fs.FileInfo, error) {
	path := filepath.Join(c.dir, name)
	lfi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("vdir: read %s: %w", name, connectors.ErrNotFound)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("vdir: read %s: %w", name, err)
	}
	if !lfi.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("vdir: read %s: not a regular file: %w", name, connectors.ErrNotFound)
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("vdir: read %s: %w", name, connectors.ErrNotFound)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("vdir: read %s: %w", name, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("vdir: read %s: %w", name, err)
	}
	if fi.Size() > mapping.MaxCardSize {
		return nil, fi, fmt.Errorf("vdir: read %s: %d bytes, more than %d: %w", name, fi.Size(), mapping.MaxCardSize, mapping.ErrCardTooLarge)
	}
	data := make([]byte, 0, fi.Size()+1)
	data, err = readAllLimited(f, data, mapping.MaxCardSize)
	if err != nil {
		return nil, fi, fmt.Errorf("vdir: read %s: %w", name, err)
	}
	return data, fi, nil
}

// readAllLimited reads r to its end into buf, failing once more than limit
// bytes came (a file that grew after its stat).
func readAllLimited(r io.Reader, buf []byte, limit int64) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return nil, fmt.Errorf("more than %d bytes: %w", limit, mapping.ErrCardTooLarge)
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// parseFile reads data as exactly one card.
func parseFile(name string, data []byte) (*mapping.Card, error) {
	cards, errs := mapping.ParseAll(name, data)
	switch {
	case len(errs) == 1:
		return nil, fmt.Errorf("vdir: read: %w", errs[0])
	case len(errs) > 1:
		return nil, fmt.Errorf("vdir: read: %w (and %d more errors)", errs[0], len(errs)-1)
	case len(cards) > 1:
		return nil, fmt.Errorf("vdir: read %s: %d cards: %w", name, len(cards), ErrSeveralCards)
	case len(cards) == 0:
		return nil, fmt.Errorf("vdir: read %s: %w", name, mapping.ErrNoCard)
	}
	return cards[0], nil
}
