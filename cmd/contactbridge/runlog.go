package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"time"

	"github.com/contactbridge/contactbridge/bridge"
	"github.com/contactbridge/contactbridge/cmd/contactbridge/internal/web"
)

// A runLog is the last run of each account, kept beside the store (mode
// 0600) by `run` and `sync` so that `status` can show it when no service
// is running. It holds times, counts and error messages: never contact
// data, which no report or error carries.
type runLog struct {
	path string
	mu   sync.Mutex
}

// runLogEntry is one account's entry.
type runLogEntry struct {
	Last        *web.RunStatus `json:"last,omitempty"`
	LastSuccess time.Time      `json:"last_success,omitzero"`
}

// newRunLog returns the run log of cfg's store.
func newRunLog(cfg *Config) (*runLog, error) {
	db, err := cfg.localPath()
	if err != nil {
		return nil, err
	}
	return &runLog{path: db + ".runs.json"}, nil
}

// read returns the entries by account; a missing file is an empty log.
func (l *runLog) read() (map[string]runLogEntry, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.readLocked()
}

func (l *runLog) readLocked() (map[string]runLogEntry, error) {
	out := map[string]runLogEntry{}
	b, err := os.ReadFile(l.path)
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("run log: %w", err)
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("run log %s: %w", l.path, err)
	}
	return out, nil
}

// record stores the last run of account.
func (l *runLog) record(account string, r web.RunStatus) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	all, err := l.readLocked()
	if err != nil {
		all = map[string]runLogEntry{} // a damaged log is replaced
	}
	e := all[account]
	e.Last = &r
	if r.Err == "" {
		e.LastSuccess = r.Start.Add(r.Duration)
	}
	all[account] = e
	b, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(l.path, b); err != nil {
		return fmt.Errorf("run log: %w", err)
	}
	return nil
}

// runStatusOf turns a bridge report into the run status the service, the
// run log and the status page show.
func runStatusOf(rep *bridge.Report, trigger string, start time.Time, d time.Duration, err error) web.RunStatus {
	rs := web.RunStatus{Trigger: trigger, Start: start, Duration: d, ErrKind: errKind(err)}
	if rep != nil {
		rs.ID = rep.Run
		rs.ToHub, rs.ToRemote = web.Counts(rep.ToHub), web.Counts(rep.ToRemote)
		rs.Conflicts, rs.Failed, rs.Waiting = rep.Conflicts, len(rep.Failed), rep.Waiting
		if err == nil && rs.Failed > 0 {
			rs.ErrKind = "item"
		}
	}
	if err != nil {
		rs.Err = err.Error()
	}
	return rs
}
