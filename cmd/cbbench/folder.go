package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/contactbridge/contactbridge/mapping"
)

// fileState is what tells whether a file was written: a write changes the
// size, the modification time, the inode (atomic replace) or at least the
// change time, which no tool can set back.
type fileState struct {
	size         int64
	mtime, ctime time.Time
	ino          uint64
}

// A snapshot is the state of every .vcf file of a folder, by name.
type snapshot map[string]fileState

// snapshotFolder records the state of the .vcf files in dir.
func snapshotFolder(dir string) (snapshot, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", dir, err)
	}
	s := make(snapshot, len(ents))
	for _, e := range ents {
		if !isCard(e.Name()) {
			continue
		}
		fi, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("snapshot %s: %w", dir, err)
		}
		st := fileState{size: fi.Size(), mtime: fi.ModTime()}
		st.ino, st.ctime = inodeAndCtime(fi)
		s[e.Name()] = st
	}
	return s, nil
}

// isCard reports whether a folder entry is a contact file, as the vdir
// connector and vdirsyncer see it (dotfiles are temporary files).
func isCard(name string) bool {
	return !strings.HasPrefix(name, ".") && strings.EqualFold(filepath.Ext(name), ".vcf")
}

// A FileDiff counts the files a step created, modified and deleted.
type FileDiff struct {
	Created  int `json:"created"`
	Modified int `json:"modified"`
	Deleted  int `json:"deleted"`
}

// Total is the number of files written or removed.
func (d FileDiff) Total() int { return d.Created + d.Modified + d.Deleted }

func (d FileDiff) String() string { return fmt.Sprintf("%d/%d/%d", d.Created, d.Modified, d.Deleted) }

// diff compares the snapshot after a step with the one before.
func (before snapshot) diff(after snapshot) FileDiff {
	var d FileDiff
	for name, a := range after {
		b, ok := before[name]
		switch {
		case !ok:
			d.Created++
		case a != b:
			d.Modified++
		}
	}
	for name := range before {
		if _, ok := after[name]; !ok {
			d.Deleted++
		}
	}
	return d
}

// A FolderComparison says how far two folders hold the same contacts,
// matched by UID and compared by canonical hash (so a 3.0 file and its 4.0
// copy are equal).
type FolderComparison struct {
	Contacts   int `json:"contacts"`   // contacts in the first folder
	Missing    int `json:"missing"`    // in the first, not in the second
	Extra      int `json:"extra"`      // in the second, not in the first
	Different  int `json:"different"`  // in both, with different content
	Unreadable int `json:"unreadable"` // files that are not one vCard with a UID
	Duplicates int `json:"duplicates"` // UIDs held by more than one file of a folder
}

// Equal reports whether the folders hold the same contacts.
func (c FolderComparison) Equal() bool {
	return c.Missing == 0 && c.Extra == 0 && c.Different == 0 && c.Unreadable == 0 && c.Duplicates == 0
}

func (c FolderComparison) String() string {
	if c.Equal() {
		return fmt.Sprintf("equal (%d contacts)", c.Contacts)
	}
	return fmt.Sprintf("%d contacts: %d missing, %d extra, %d different, %d unreadable, %d duplicate UIDs",
		c.Contacts, c.Missing, c.Extra, c.Different, c.Unreadable, c.Duplicates)
}

// compareFolders compares the contacts of folders a and b.
func compareFolders(a, b string) (FolderComparison, error) {
	var c FolderComparison
	ha, err := hashFolder(a, &c)
	if err != nil {
		return c, err
	}
	hb, err := hashFolder(b, &c)
	if err != nil {
		return c, err
	}
	c.Contacts = len(ha)
	for uid, h := range ha {
		other, ok := hb[uid]
		switch {
		case !ok:
			c.Missing++
		case other != h:
			c.Different++
		}
	}
	for uid := range hb {
		if _, ok := ha[uid]; !ok {
			c.Extra++
		}
	}
	return c, nil
}

// hashFolder returns the canonical hash of each contact in dir by UID,
// counting unreadable files and duplicate UIDs in c.
func hashFolder(dir string, c *FolderComparison) (map[string][32]byte, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("compare %s: %w", dir, err)
	}
	out := make(map[string][32]byte, len(ents))
	for _, e := range ents {
		if !isCard(e.Name()) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("compare: %w", err)
		}
		card, err := mapping.Parse(data)
		if err != nil || card.Value("UID") == "" {
			c.Unreadable++
			continue
		}
		uid := card.Value("UID")
		if _, dup := out[uid]; dup {
			c.Duplicates++
		}
		out[uid] = card.Hash()
	}
	return out, nil
}
