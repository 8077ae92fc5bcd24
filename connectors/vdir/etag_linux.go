package vdir

import (
	"errors"
	"io/fs"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// etagOf derives an item's etag from what stat reports. Besides size and
// modification time it takes the inode, which an atomic replace changes,
// and the change time, which every write updates and no tool can set back:
// an edit that keeps size and mtime (cp -p, rsync -t, a coarse clock) still
// changes the etag.
func etagOf(fi fs.FileInfo) string {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return etagOfStat(int64(st.Size), int64(st.Mtim.Sec), int64(st.Mtim.Nsec), uint64(st.Ino), int64(st.Ctim.Sec), int64(st.Ctim.Nsec))
	}
	return etagOfInfo(fi)
}

// etagOfStat formats the fields etagOf uses.
func etagOfStat(size, msec, mnsec int64, ino uint64, csec, cnsec int64) string {
	var buf [64]byte
	b := strconv.AppendInt(buf[:0], size, 36)
	b = append(b, '-')
	b = strconv.AppendInt(b, msec*1e9+mnsec, 36)
	b = append(b, '-')
	b = strconv.AppendUint(b, ino, 36)
	b = append(b, '-')
	b = strconv.AppendInt(b, csec*1e9+cnsec, 36)
	return string(b)
}

// A dirStatter stats the entries of one folder by name, relative to an
// open descriptor of the folder: one path component to resolve per file
// instead of the whole path, which halves the cost of a listing.
type dirStatter struct {
	f  *os.File
	fd int
}

// openStatter prepares to stat the entries of dir.
func openStatter(dir string) (*dirStatter, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	return &dirStatter{f: f, fd: int(f.Fd())}, nil
}

// Close releases the folder.
func (d *dirStatter) Close() error { return d.f.Close() }

// stat returns the etag of the entry name and whether it is a regular file;
// an entry that is gone gives an error wrapping fs.ErrNotExist. It is safe
// for concurrent use.
func (d *dirStatter) stat(name string) (etag string, regular bool, err error) {
	var st unix.Stat_t
	for {
		err = unix.Fstatat(d.fd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		return "", false, &fs.PathError{Op: "lstat", Path: name, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return "", false, nil
	}
	return etagOfStat(int64(st.Size), int64(st.Mtim.Sec), int64(st.Mtim.Nsec), uint64(st.Ino), int64(st.Ctim.Sec), int64(st.Ctim.Nsec)), true, nil
}
