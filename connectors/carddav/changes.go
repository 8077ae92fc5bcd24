package carddav

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/contactbridge/contactbridge/connectors"
)

// Token prefixes: the token Changes returns says which way it was made, so
// that a token of another kind (the server gained or lost sync-collection)
// is never misread.
const (
	syncPrefix = "sync:" // + the server's DAV:sync-token
	ctagPrefix = "ctag:" // + the address book's CS:getctag
	listToken  = "list:" // the server has neither: every call lists
	maxRounds  = 100_000 // sync-collection continuations of a truncated answer
)

// Changes implements connectors.Connector. With sync-collection, an empty
// token asks for the initial sync (pages marked Full; the deletions some
// servers report from their history are left out), another token for the
// changes since. Without it, a "ctag:" token costs one PROPFIND when the
// address book's CTag did not move, and otherwise, like an empty token, a
// Depth-1 listing of etags (Full). An incremental answer without changes
// passes no page. A token the server rejects (RFC 6578 valid-sync-token on
// 403, or 409, 410, or a 500 while the server otherwise answers, as
// Xandikos does) gives ErrTokenExpired.
//
// An address book taken from a session (Resume) that turns out gone or
// changed before a page was passed is discovered again, and the changes
// asked for once more.
func (c *Connector) Changes(ctx context.Context, token string, fn func(connectors.Page) error) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("carddav: changes: %w", err)
	}
	if err := c.ready(ctx); err != nil {
		return "", err
	}
	pages := 0
	count := func(p connectors.Page) error {
		pages++
		return fn(p)
	}
	next, err := c.changes(ctx, token, count)
	if err != nil && pages == 0 {
		again, derr := c.rediscover(ctx, err)
		if derr != nil {
			return "", fmt.Errorf("%w (and discovering the address book again: %w)", err, derr)
		}
		if again {
			return c.changes(ctx, token, fn)
		}
	}
	return next, err
}

// changes is Changes once the address book is known.
func (c *Connector) changes(ctx context.Context, token string, fn func(connectors.Page) error) (string, error) {
	switch {
	case c.book.SyncCollection:
		if token == "" {
			return c.sync(ctx, "", fn)
		}
		t, ok := strings.CutPrefix(token, syncPrefix)
		if !ok || t == "" {
			return "", fmt.Errorf("carddav: changes %s: token is not a sync-collection token: %w", c.book.Path, connectors.ErrTokenExpired)
		}
		return c.sync(ctx, t, fn)
	case c.hasCTag:
		if old, ok := strings.CutPrefix(token, ctagPrefix); ok && old != "" {
			ctag, err := c.ctag(ctx)
			if err != nil {
				return "", fmt.Errorf("carddav: changes %s: %w", c.book.Path, err)
			}
			if ctag == old {
				return token, nil
			}
		}
	}
	return c.list(ctx, fn)
}

// sync runs sync-collection from token ("" for the initial sync) to the
// end, following the continuation tokens of truncated answers (RFC 6578
// §3.6), and passes the changes to fn in pages.
func (c *Connector) sync(ctx context.Context, token string, fn func(connectors.Page) error) (string, error) {
	full := token == ""
	order := make([]string, 0, 64)
	changes := make(map[string]connectors.Change)
	for round := 0; ; round++ {
		if round >= maxRounds {
			return "", fmt.Errorf("carddav: sync %s: no end after %d truncated answers", c.book.Path, round)
		}
		ms, err := c.syncRound(ctx, token)
		if err != nil {
			return "", err
		}
		truncated := false
		for _, e := range ms.entries() {
			if dirPath(e.path) == c.book.Path {
				truncated = truncated || e.status == http.StatusInsufficientStorage
				continue
			}
			if !c.isMember(&e) {
				continue
			}
			var ch connectors.Change
			switch {
			case e.status == http.StatusNotFound || e.status == http.StatusGone:
				ch = connectors.Change{Item: connectors.Item{ID: e.path}, Deleted: true}
			case e.status/100 == 2:
				ch = connectors.Change{Item: c.listed(&e)}
			default:
				continue
			}
			if _, seen := changes[e.path]; !seen {
				order = append(order, e.path)
			}
			changes[e.path] = ch
		}
		next := strings.TrimSpace(ms.SyncToken)
		if next == "" {
			return "", fmt.Errorf("carddav: sync %s: the answer holds no sync-token", c.book.Path)
		}
		if !truncated {
			token = next
			break
		}
		if next == token {
			return "", fmt.Errorf("carddav: sync %s: the server truncated its answer without moving the token", c.book.Path)
		}
		c.c.log.Debug("carddav: sync answer truncated; continuing", "op", "sync", "remote_id", c.book.Path, "round", round+1)
		token = next
	}
	out := make([]connectors.Change, 0, len(order))
	for _, p := range order {
		ch := changes[p]
		if full && ch.Deleted {
			continue // an initial sync lists the history's deletions (Radicale)
		}
		out = append(out, ch)
	}
	if err := c.emit(ctx, out, full, fn); err != nil {
		return "", err
	}
	return syncPrefix + token, nil
}

// syncRound sends one sync-collection REPORT.
func (c *Connector) syncRound(ctx context.Context, token string) (*multistatus, error) {
	r, err := c.c.newRequest("REPORT", escapePath(c.book.Path), syncBody(token))
	if err != nil {
		return nil, err
	}
	r.header.Set("Content-Type", `application/xml; charset="utf-8"`)
	if token != "" {
		r.final = []int{http.StatusInternalServerError}
	}
	res, err := c.c.send(ctx, r)
	if err != nil {
		return nil, fmt.Errorf("carddav: sync %s: %w", c.book.Path, err)
	}
	if res.status != http.StatusMultiStatus {
		if token != "" && c.tokenRejected(ctx, res) {
			return nil, fmt.Errorf("carddav: sync %s: the server no longer accepts the token (%d): %w",
				c.book.Path, res.status, connectors.ErrTokenExpired)
		}
		return nil, fmt.Errorf("carddav: sync %s: %w", c.book.Path, c.c.statusErr(res))
	}
	ms, err := parseMultistatus(res.body)
	if err != nil {
		return nil, fmt.Errorf("carddav: sync %s: %w", c.book.Path, err)
	}
	return ms, nil
}

// tokenRejected reports whether a failed sync-collection with a token
// means the token is no longer valid: RFC 6578 says 403 (or 409) with the
// valid-sync-token precondition; some servers answer 409 or 410 bare; and
// Xandikos 0.2.8 fails with 500. A 500 counts only when the server answers
// a PROPFIND of the address book right after, so an outage is not taken
// for an expired token.
func (c *Connector) tokenRejected(ctx context.Context, res *response) bool {
	switch res.status {
	case http.StatusConflict, http.StatusGone:
		return true
	case http.StatusForbidden, http.StatusBadRequest, http.StatusPreconditionFailed:
		var se *StatusError
		return errors.As(c.c.statusErr(res), &se) && se.has("valid-sync-token")
	case http.StatusInternalServerError:
		_, err := c.ctag(ctx)
		return err == nil
	}
	return false
}

// ctag reads the address book's CS:getctag ("" when it has none) with one
// PROPFIND.
func (c *Connector) ctag(ctx context.Context) (string, error) {
	ms, err := c.c.propfind(ctx, c.book.Path, "0", "CS:getctag")
	if err != nil {
		return "", err
	}
	for _, e := range ms.entries() {
		if dirPath(e.path) == c.book.Path && e.prop.CTag != nil {
			return strings.TrimSpace(*e.prop.CTag), nil
		}
	}
	return "", nil
}

// list passes a Depth-1 listing of the address book's etags to fn, as a
// full listing, and returns a "ctag:" token when the address book has a
// CTag (read in the same request), else listToken.
func (c *Connector) list(ctx context.Context, fn func(connectors.Page) error) (string, error) {
	props := []string{"D:resourcetype", "D:getetag"}
	if c.hasCTag {
		props = append(props, "CS:getctag")
	}
	ms, err := c.c.propfind(ctx, c.book.Path, "1", props...)
	if err != nil {
		return "", fmt.Errorf("carddav: list %s: %w", c.book.Path, err)
	}
	token := listToken
	entries := ms.entries()
	out := make([]connectors.Change, 0, len(entries))
	seen := make(map[string]bool, len(entries))
	for _, e := range entries {
		if dirPath(e.path) == c.book.Path {
			if c.hasCTag && e.prop.CTag != nil && strings.TrimSpace(*e.prop.CTag) != "" {
				token = ctagPrefix + strings.TrimSpace(*e.prop.CTag)
			}
			continue
		}
		if !c.isMember(&e) || e.status/100 != 2 || seen[e.path] {
			continue
		}
		seen[e.path] = true
		out = append(out, connectors.Change{Item: c.listed(&e)})
	}
	if err := c.emit(ctx, out, true, fn); err != nil {
		return "", err
	}
	return token, nil
}

// isMember reports whether e is a card directly inside the address book.
func (c *Connector) isMember(e *entry) bool {
	name, ok := strings.CutPrefix(e.path, c.book.Path)
	return ok && name != "" && !strings.Contains(name, "/") && !e.isCollection()
}

// listed returns the item a listing or sync entry names, without its card.
func (c *Connector) listed(e *entry) connectors.Item {
	it := connectors.Item{ID: e.path, Key: keyOf(e.path)}
	if e.prop.ETag != nil {
		it.ETag, _ = canonicalETag(*e.prop.ETag)
	}
	return it
}

// emit passes changes to fn in pages of at most c.pageSize; a full listing
// passes at least one page, empty for an empty address book.
func (c *Connector) emit(ctx context.Context, changes []connectors.Change, full bool, fn func(connectors.Page) error) error {
	if len(changes) == 0 && full {
		return fn(connectors.Page{Full: true, Changes: []connectors.Change{}})
	}
	for start := 0; start < len(changes); start += c.pageSize {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("carddav: changes %s: %w", c.book.Path, err)
		}
		end := min(start+c.pageSize, len(changes))
		page := connectors.Page{Full: full, Changes: append([]connectors.Change(nil), changes[start:end]...)}
		if err := fn(page); err != nil {
			return err
		}
	}
	return nil
}
