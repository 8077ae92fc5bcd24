//go:build !linux

package vdir

import (
	"io/fs"
	"os"
	"path/filepath"
)

// etagOf derives an item's etag from the file's size and modification time
// in nanoseconds.
func etagOf(fi fs.FileInfo) string { return etagOfInfo(fi) }

// A dirStatter stats the entries of one folder by name.
type dirStatter struct {
	dir string
}

// openStatter prepares to stat the entries of dir.
func openStatter(dir string) (*dirStatter, error) { return &dirStatter{dir: dir}, nil }

// Close releases the folder.
func (d *dirStatter) Close() error { return nil }

// stat returns the etag of the entry name and whether it is a regular file;
// an entry that is gone gives an error wrapping fs.ErrNotExist.
func (d *dirStatter) stat(name string) (etag string, regular bool, err error) {
	fi, err := os.Lstat(filepath.Join(d.dir, name))
	if err != nil {
		return "", false, err
	}
	if !fi.Mode().IsRegular() {
		return "", false, nil
	}
	return etagOf(fi), true, nil
}
