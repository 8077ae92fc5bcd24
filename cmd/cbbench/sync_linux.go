package main

import (
	"os"

	"golang.org/x/sys/unix"
)

// syncFolder makes what was written under folder durable with one
// syncfs(2), as the vdir connector does after a batch.
func syncFolder(folder string) error {
	d, err := os.Open(folder)
	if err != nil {
		return err
	}
	defer d.Close()
	return unix.Syncfs(int(d.Fd()))
}
