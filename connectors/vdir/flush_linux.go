package vdir

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// syncAll makes the folder's pending writes durable with one syncfs(2) of
// its file system, which costs about what one fsync does; where the kernel
// has no syncfs it syncs file by file.
func (c *Connector) syncAll(names []string) error {
	d, err := os.Open(c.dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := unix.Syncfs(int(d.Fd())); !errors.Is(err, unix.ENOSYS) {
		return err
	}
	return c.syncEach(names)
}
