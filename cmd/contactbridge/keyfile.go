package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/contactbridge/contactbridge/mapping"
)

// readKeyFile reads the Sync Key from path. It refuses a file that others
// can read: a key that has been exposed must be replaced, not used.
func readKeyFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("key file %s does not exist: run `contactbridge init`, or `contactbridge init --recovery-key KEY` on a new machine", path)
		}
		return nil, fmt.Errorf("key file: %w", err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("key file %s is readable by others (mode %#o): run `chmod 600 %s`", path, perm, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	key, err := base64.RawURLEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != mapping.SyncKeySize {
		return nil, fmt.Errorf("key file %s does not hold a %d-byte Sync Key", path, mapping.SyncKeySize)
	}
	return key, nil
}

// writeKeyFile stores key at path with mode 0600, atomically: a crash leaves
// the old key or the new one, never half of one.
func writeKeyFile(path string, key []byte) error {
	if err := writeFileAtomic(path, []byte(base64.RawURLEncoding.EncodeToString(key)+"\n")); err != nil {
		return fmt.Errorf("key file: %w", err)
	}
	return nil
}

// writeFileAtomic replaces the file at path with data, mode 0600, making
// its folder (0700) when missing: a crash leaves the old file or the new
// one, never half of one.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
