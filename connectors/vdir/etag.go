package vdir

import (
	"io/fs"
	"strconv"
)

// etagOfInfo derives an etag from size and modification time only, where
// the platform's stat says no more.
func etagOfInfo(fi fs.FileInfo) string {
	var buf [32]byte
	b := strconv.AppendInt(buf[:0], fi.Size(), 36)
	b = append(b, '-')
	b = strconv.AppendInt(b, fi.ModTime().UnixNano(), 36)
	return string(b)
}
