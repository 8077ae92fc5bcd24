package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// errLocked means another contactbridge process holds the data lock.
var errLocked = errors.New("another contactbridge sync or run is using this store")

// dataLock is held by `run` and `sync` while they use a store, so that two
// processes never sync the same accounts at once. It is an advisory lock
// on a file beside the store, released by the kernel when the process
// ends, however it ends.
type dataLock struct {
	f *os.File
}

// lockPath is the lock file of the store cfg names.
func lockPath(cfg *Config) (string, error) {
	db, err := cfg.localPath()
	if err != nil {
		return "", err
	}
	return db + ".lock", nil
}

// acquireLock takes the data lock of cfg's store without waiting. When
// another process holds it the error wraps errLocked.
func acquireLock(cfg *Config) (*dataLock, error) {
	path, err := lockPath(cfg)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	if err := tryLock(f); err != nil {
		f.Close()
		if errors.Is(err, errLocked) {
			return nil, fmt.Errorf("%w (lock %s)", errLocked, path)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return &dataLock{f: f}, nil
}

// Release gives the lock up.
func (l *dataLock) Release() error {
	if l == nil {
		return nil
	}
	return l.f.Close()
}
