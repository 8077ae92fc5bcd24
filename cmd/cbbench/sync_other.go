//go:build !linux

package main

import (
	"os"
	"path/filepath"
)

// syncFolder makes what was written under folder durable, file by file and
// then the folder, where there is no syncfs(2).
func syncFolder(folder string) error {
	ents, err := os.ReadDir(folder)
	if err != nil {
		return err
	}
	for _, e := range ents {
		f, err := os.Open(filepath.Join(folder, e.Name()))
		if err != nil {
			return err
		}
		err = f.Sync()
		f.Close()
		if err != nil {
			return err
		}
	}
	d, err := os.Open(folder)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
