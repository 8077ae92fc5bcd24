package bridge

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/contactbridge/contactbridge/mapping"
	"github.com/contactbridge/contactbridge/store"
)

// ConflictsCollection holds the conflict log, encrypted with the bridge's
// state key.
const ConflictsCollection = "conflicts"

// A ConflictEntry is one true conflict a run resolved: both sides changed the
// same single-valued property differently. Values are vCard content lines.
type ConflictEntry struct {
	ID       string    `json:"id"`
	Time     time.Time `json:"time"`
	Account  string    `json:"account"`
	Record   string    `json:"record"`
	Property string    `json:"property"`
	Base     []string  `json:"base,omitempty"`
	Hub      []string  `json:"hub,omitempty"`
	Remote   []string  `json:"remote,omitempty"`
	// Kept is "hub" or "remote": the version the contact has now.
	Kept string `json:"kept"`
}

func propLines(ps []mapping.Property) []string {
	if len(ps) == 0 {
		return nil
	}
	b, err := (&mapping.Card{Props: ps}).Marshal(mapping.Version40)
	if err != nil {
		return nil
	}
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(string(b), "\r\n ", ""), "\r\n") {
		if l == "" || strings.HasPrefix(l, "BEGIN:") || strings.HasPrefix(l, "END:") || strings.HasPrefix(l, "VERSION:") {
			continue
		}
		out = append(out, l)
	}
	return out
}

func (e *Engine) logConflicts(ctx context.Context, account, record string, cs []mapping.Conflict) error {
	var ws []store.Write
	for _, c := range cs {
		id, err := mapping.NewGUID()
		if err != nil {
			return err
		}
		kept := "hub"
		if c.Chosen == mapping.Theirs {
			kept = "remote"
		}
		entry := ConflictEntry{ID: id, Time: e.now().UTC(), Account: account, Record: record, Property: c.Name,
			Base: propLines(c.Base), Hub: propLines(c.Ours), Remote: propLines(c.Theirs), Kept: kept}
		plain, err := json.Marshal(entry)
		if err != nil {
			return fmt.Errorf("conflict log: %w", err)
		}
		p, err := e.stateKB.Encrypt(plain)
		if err != nil {
			return fmt.Errorf("conflict log: %w", err)
		}
		ws = append(ws, store.Write{ID: id, Payload: &p})
	}
	if _, err := e.hub.st.Post(ctx, e.hub.user, ConflictsCollection, ws, store.Precondition{}); err != nil {
		return fmt.Errorf("conflict log: %w", err)
	}
	return nil
}

// Conflicts returns the conflict log, newest first.
func (e *Engine) Conflicts(ctx context.Context) ([]ConflictEntry, error) {
	var out []ConflictEntry
	q := store.Query{Sort: store.SortNewest, Limit: readPage}
	for {
		page, err := e.hub.st.List(ctx, e.hub.user, ConflictsCollection, q)
		if err != nil {
			return nil, fmt.Errorf("conflict log: %w", err)
		}
		for _, b := range page.Records {
			plain, err := e.stateKB.Decrypt(b.ID, b.Payload)
			if err != nil {
				return nil, fmt.Errorf("conflict log: %w", err)
			}
			var c ConflictEntry
			if err := json.Unmarshal(plain, &c); err != nil {
				return nil, fmt.Errorf("conflict log: %s: %w", b.ID, err)
			}
			out = append(out, c)
		}
		if page.NextOffset == "" {
			return out, nil
		}
		q.Offset = page.NextOffset
	}
}

// DismissConflict removes an entry from the conflict log once the user has
// looked at it.
func (e *Engine) DismissConflict(ctx context.Context, id string) error {
	if _, err := e.hub.st.Delete(ctx, e.hub.user, ConflictsCollection, id, store.Precondition{}); err != nil {
		return fmt.Errorf("conflict log: dismiss %s: %w", id, err)
	}
	return nil
}
