// Package vdir connects a folder of vCard files, one contact per file, as
// vdirsyncer's filesystem storage and khard use it (a "vdir").
//
// Conventions:
//
//   - Every regular file whose name ends in ".vcf" (any case) is one contact;
//     its id is the file name. Other files, sub-folders, symbolic links and
//     names starting with "." (editor backups, our own temporary files) are
//     ignored.
//   - An item's etag is derived from what stat reports (size, modification
//     time in nanoseconds, and on Linux the inode and change time), so a
//     listing reads no file. The bridge fetches only the files whose etag it
//     does not know and compares their content by canonical hash, so a file
//     touched without change costs one read and causes no write.
//   - A folder keeps no change log: Changes answers every call, with or
//     without a token, with a full listing (pages marked Full). The token it
//     returns only records that a listing happened.
//   - A file that is not exactly one readable vCard (several cards,
//     malformed, larger than mapping.MaxCardSize) is reported by Fetch with
//     Item.Err naming the file; it is never merged, split or dropped.
//   - Writes are atomic: a temporary dotfile in the same folder, fsync, then
//     rename (or link, for a create that must not replace), then fsync of the
//     folder. Files are written with CRLF line ends and mode 0600.
//   - New files are named from the create key (see FileName): deterministic,
//     so a create retried after a crash finds the first file, and safe on
//     case-insensitive file systems.
package vdir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/contactbridge/contactbridge/connectors"
	"github.com/contactbridge/contactbridge/mapping"
)

// DefaultPageSize is the number of items in one page of a listing when
// Config.PageSize is 0.
const DefaultPageSize = 500

// Config says which folder to use and how.
type Config struct {
	// Path is the folder holding the .vcf files.
	Path string
	// Create makes New create Path (mode 0700, with its parents) when it
	// does not exist. Without it a missing folder is an error, so that a
	// mistyped or unmounted path is not taken for an empty address book.
	Create bool
	// Version is the vCard version of new files: mapping.Version40 (the
	// default) or mapping.Version30. A file that exists keeps its version.
	Version mapping.Version
	// PageSize is the most items in one page of a listing (default
	// DefaultPageSize).
	PageSize int
}

// Connector is a connectors.Connector for one vdir folder. Create it with
// New. It is safe for concurrent use; a file changed by another program
// between the etag check and the write of an Update is overwritten, since a
// vdir has no locking.
type Connector struct {
	dir      string
	version  mapping.Version
	pageSize int

	// mu guards pending: the files written or removed since the last
	// Flush, which are not durable yet.
	mu      sync.Mutex
	pending []string
}

var (
	_ connectors.Connector = (*Connector)(nil)
	_ connectors.Flusher   = (*Connector)(nil)
)

// New returns a Connector for cfg.Path, which must be a folder (see
// Config.Create).
func New(cfg Config) (*Connector, error) {
	if cfg.Path == "" {
		return nil, errors.New("vdir: no path configured")
	}
	dir, err := filepath.Abs(cfg.Path)
	if err != nil {
		return nil, fmt.Errorf("vdir: %w", err)
	}
	switch cfg.Version {
	case "":
		cfg.Version = mapping.Version40
	case mapping.Version30, mapping.Version40:
	default:
		return nil, fmt.Errorf("vdir: vCard version %q: %w", cfg.Version, mapping.ErrUnsupportedVersion)
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = DefaultPageSize
	}
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) && cfg.Create {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("vdir: create folder: %w", err)
		}
		fi, err = os.Stat(dir)
	}
	if err != nil {
		return nil, fmt.Errorf("vdir: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("vdir: %s is not a folder", dir)
	}
	return &Connector{dir: dir, version: cfg.Version, pageSize: cfg.PageSize}, nil
}

// Path returns the absolute path of the folder.
func (c *Connector) Path() string { return c.dir }

// Capabilities implements connectors.Connector: a file stores any vCard.
func (c *Connector) Capabilities() connectors.Capabilities {
	return connectors.Capabilities{
		Version:     c.version,
		BatchSize:   100,
		Concurrency: 4,
	}
}
