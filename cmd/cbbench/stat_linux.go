package main

import (
	"io/fs"
	"syscall"
	"time"
)

// inodeAndCtime returns a file's inode number and change time.
func inodeAndCtime(fi fs.FileInfo) (uint64, time.Time) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, time.Time{}
	}
	return st.Ino, time.Unix(st.Ctim.Sec, st.Ctim.Nsec)
}
