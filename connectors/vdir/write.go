package vdir

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/contactbridge/contactbridge/connectors"
	"github.com/contactbridge/contactbridge/mapping"
)

// Create implements connectors.Connector. The file is named FileName(key);
// when it exists already (a create retried after a crash) Create returns it
// as it is. The file gets the Connector's vCard version.
func (c *Connector) Create(ctx context.Context, key string, card *mapping.Card) (connectors.Item, error) {
	name := FileName(key)
	if err := ctx.Err(); err != nil {
		return connectors.Item{}, fmt.Errorf("vdir: create %s: %w", name, err)
	}
	if card == nil {
		return connectors.Item{}, fmt.Errorf("vdir: create %s: no card", name)
	}
	path := filepath.Join(c.dir, name)
	if _, err := os.Lstat(path); err == nil {
		return c.existing(name)
	}
	data, written, err := encode(card, c.version)
	if err != nil {
		return connectors.Item{}, fmt.Errorf("vdir: create %s: %w", name, err)
	}
	tmp, err := c.writeTemp(name, data)
	if err != nil {
		return connectors.Item{}, fmt.Errorf("vdir: create %s: %w", name, err)
	}
	defer os.Remove(tmp)
	// A hard link creates the name only if it is free, atomically; where
	// the file system has no hard links, a rename after a check is the
	// best a folder offers.
	err = os.Link(tmp, path)
	if errors.Is(err, fs.ErrExist) {
		return c.existing(name)
	}
	if err != nil {
		if _, serr := os.Lstat(path); serr == nil {
			return c.existing(name)
		}
		err = os.Rename(tmp, path)
	}
	if err != nil {
		return connectors.Item{}, fmt.Errorf("vdir: create %s: %w", name, err)
	}
	// Drop the temporary name before the stat: unlinking changes the
	// inode's change time, which is part of the etag.
	os.Remove(tmp)
	return c.finish("create", name, written)
}

// existing returns the file name that a create found in its place.
func (c *Connector) existing(name string) (connectors.Item, error) {
	it := c.read(name)
	if it.Err != nil {
		return connectors.Item{}, fmt.Errorf("vdir: create %s: file exists: %w", name, it.Err)
	}
	return it, nil
}

// Update implements connectors.Connector. The file keeps its vCard version
// (a 2.1 file becomes 3.0, the oldest version written).
func (c *Connector) Update(ctx context.Context, id, etag string, card *mapping.Card) (connectors.Item, error) {
	if err := checkID("update", id); err != nil {
		return connectors.Item{}, err
	}
	if err := ctx.Err(); err != nil {
		return connectors.Item{}, fmt.Errorf("vdir: update %s: %w", id, err)
	}
	if card == nil {
		return connectors.Item{}, fmt.Errorf("vdir: update %s: no card", id)
	}
	path := filepath.Join(c.dir, id)
	if err := c.checkETag(path, etag); err != nil {
		return connectors.Item{}, fmt.Errorf("vdir: update %s: %w", id, err)
	}
	data, written, err := encode(card, c.fileVersion(path))
	if err != nil {
		return connectors.Item{}, fmt.Errorf("vdir: update %s: %w", id, err)
	}
	tmp, err := c.writeTemp(id, data)
	if err != nil {
		return connectors.Item{}, fmt.Errorf("vdir: update %s: %w", id, err)
	}
	defer os.Remove(tmp)
	// Check again just before the rename, to make the window in which
	// another program's edit could be overwritten as short as a folder
	// allows.
	if err := c.checkETag(path, etag); err != nil {
		return connectors.Item{}, fmt.Errorf("vdir: update %s: %w", id, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return connectors.Item{}, fmt.Errorf("vdir: update %s: %w", id, err)
	}
	return c.finish("update", id, written)
}

// Delete implements connectors.Connector.
func (c *Connector) Delete(ctx context.Context, id, etag string) error {
	if err := checkID("delete", id); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("vdir: delete %s: %w", id, err)
	}
	path := filepath.Join(c.dir, id)
	if err := c.checkETag(path, etag); err != nil {
		return fmt.Errorf("vdir: delete %s: %w", id, err)
	}
	if err := os.Remove(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			err = connectors.ErrNotFound
		}
		return fmt.Errorf("vdir: delete %s: %w", id, err)
	}
	c.written("")
	return nil
}

// written notes a file (or, for "", only the folder) that the next Flush
// must make durable.
func (c *Connector) written(name string) {
	c.mu.Lock()
	c.pending = append(c.pending, name)
	c.mu.Unlock()
}

// Flush implements connectors.Flusher: it makes every write since the last
// Flush durable — on Linux with one syncfs for the folder's file system
// instead of two fsyncs per file, elsewhere by syncing each file and the
// folder.
func (c *Connector) Flush(ctx context.Context) error {
	c.mu.Lock()
	pending := c.pending
	c.pending = nil
	c.mu.Unlock()
	if len(pending) == 0 {
		return nil
	}
	if err := c.syncAll(pending); err != nil {
		return fmt.Errorf("vdir: flush %d writes: %w", len(pending), err)
	}
	return nil
}

// syncEach syncs the files named and then the folder.
func (c *Connector) syncEach(names []string) error {
	for _, name := range names {
		if name == "" {
			continue
		}
		f, err := os.Open(filepath.Join(c.dir, name))
		if errors.Is(err, fs.ErrNotExist) {
			continue // replaced or removed since; its successor is listed too
		}
		if err != nil {
			return err
		}
		err = f.Sync()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return c.syncDir()
}

// checkETag returns connectors.ErrNotFound if path is gone and
// connectors.ErrPreconditionFailed if its etag is not etag.
func (c *Connector) checkETag(path, etag string) error {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return connectors.ErrNotFound
	case err != nil:
		return err
	case !fi.Mode().IsRegular():
		return fmt.Errorf("not a regular file: %w", connectors.ErrNotFound)
	case etagOf(fi) != etag:
		return connectors.ErrPreconditionFailed
	}
	return nil
}

// finish returns the item as written; the write becomes durable at the
// next Flush.
func (c *Connector) finish(op, name string, card *mapping.Card) (connectors.Item, error) {
	c.written(name)
	fi, err := os.Lstat(filepath.Join(c.dir, name))
	if err != nil {
		return connectors.Item{}, fmt.Errorf("vdir: %s %s: %w", op, name, err)
	}
	return connectors.Item{ID: name, ETag: etagOf(fi), Key: keyOf(name), Card: card}, nil
}

// encode writes card as version v and returns the bytes together with the
// card they read back as, which is what the file holds from now on.
func encode(card *mapping.Card, v mapping.Version) ([]byte, *mapping.Card, error) {
	data, err := card.Marshal(v)
	if err != nil {
		return nil, nil, err
	}
	if len(data) > mapping.MaxCardSize {
		return nil, nil, fmt.Errorf("%d bytes, more than %d: %w", len(data), mapping.MaxCardSize, mapping.ErrCardTooLarge)
	}
	written, err := mapping.Parse(data)
	if err != nil {
		return nil, nil, fmt.Errorf("reading back the card written: %w", err)
	}
	return data, written, nil
}

// writeTemp writes data to a new temporary file beside name, mode 0600,
// and returns its path (Flush makes it durable). Its name starts with a dot, so a
// listing never takes it for a contact.
func (c *Connector) writeTemp(name string, data []byte) (string, error) {
	f, err := os.CreateTemp(c.dir, "."+name+".*"+tempSuffix)
	if err != nil {
		return "", err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = backdate(f)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return "", err
	}
	return tmp, nil
}

// backdate sets the modification time of the file just written one
// nanosecond before the time the write gave it. File systems stamp writes
// with a coarse clock (milliseconds, or seconds), so another program's edit
// right after ours could keep size and mtime and so the etag; with ours
// backdated, any later write gets a later mtime, and the etag changes.
func backdate(f *os.File) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	mtime := fi.ModTime().Add(-time.Nanosecond)
	return os.Chtimes(f.Name(), time.Time{}, mtime)
}

// syncDir flushes the folder itself, so that a rename or removal survives a
// crash. Windows cannot flush a folder (and journals renames itself).
func (c *Connector) syncDir() error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(c.dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// fileVersion returns the vCard version to write over the file path: its
// own when it names one that can be written, else the Connector's.
func (c *Connector) fileVersion(path string) mapping.Version {
	data, err := os.ReadFile(path)
	if err != nil || len(data) > mapping.MaxCardSize {
		return c.version
	}
	for line := range bytes.Lines(data) {
		line = bytes.TrimRight(line, "\r\n")
		if len(line) < len("VERSION:") || !bytes.EqualFold(line[:len("VERSION:")], []byte("VERSION:")) {
			continue
		}
		switch v := string(bytes.TrimSpace(line[len("VERSION:"):])); v {
		case "4.0", "4":
			return mapping.Version40
		case "3.0", "2.1":
			return mapping.Version30
		}
		break
	}
	return c.version
}
