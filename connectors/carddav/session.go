package carddav

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/contactbridge/contactbridge/connectors"
)

// sessionVersion is the layout of the sessions Session makes; a session of
// another layout is ignored.
const sessionVersion = 1

// session is what a Connector keeps between runs (connectors.Resumer):
// what discovery found, so that a run costs no discovery requests. It
// holds paths and flags, no credentials; the bridge stores it encrypted.
type session struct {
	V       int         `json:"v"`
	Key     string      `json:"key"`
	Book    AddressBook `json:"book"`
	CTag    bool        `json:"ctag,omitempty"`
	Vobject bool        `json:"vobject,omitempty"`
}

// sessionKey names the configuration a session is for: the URL, the user
// and the address book asked for. A session made for another one (the
// user edited the account) is ignored and discovery runs again.
func sessionKey(c *client, cfg Config) string {
	h := sha256.New()
	for _, s := range []string{c.origin.String(), cfg.Username, cfg.AddressBook, strconv.FormatBool(cfg.Create)} {
		fmt.Fprintf(h, "%d:%s;", len(s), s)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Resume implements connectors.Resumer: it takes the address book from a
// session the last complete run left, when that session was made for this
// configuration, and otherwise discovers it (the first run, or after the
// account was edited). A Connector made by New keeps what it discovered.
func (c *Connector) Resume(ctx context.Context, s string) error {
	c.prep.Lock()
	defer c.prep.Unlock()
	if c.prepared && !c.resumed {
		return nil
	}
	var ss session
	if s != "" && json.Unmarshal([]byte(s), &ss) == nil && ss.V == sessionVersion &&
		ss.Key == c.key && ss.Book.Path != "" {
		c.setBook(bookInfo{AddressBook: ss.Book, ctag: ss.CTag, vobject: ss.Vobject})
		c.resumed = true
		return nil
	}
	c.prepared = false
	return c.discoverBook(ctx)
}

// Session implements connectors.Resumer: what Resume needs to skip
// discovery next time; "" before the address book is known.
func (c *Connector) Session() string {
	c.prep.Lock()
	defer c.prep.Unlock()
	if !c.prepared {
		return ""
	}
	b, err := json.Marshal(session{V: sessionVersion, Key: c.key, Book: c.book, CTag: c.hasCTag, Vobject: c.vobject})
	if err != nil {
		return ""
	}
	return string(b)
}

// rediscover runs discovery again when err, the failure of the first
// request of Changes, says that an address book taken from a session is
// gone or no longer what it was (deleted, moved, its rights or features
// changed). It reports whether Changes should try once more.
func (c *Connector) rediscover(ctx context.Context, err error) (bool, error) {
	c.prep.Lock()
	defer c.prep.Unlock()
	if !c.resumed || !staleBook(err) {
		return false, nil
	}
	c.c.log.Info("carddav: the remembered address book does not answer as it did; discovering again",
		"op", "discover", "account", c.c.account, "remote_id", c.book.Path, "err", err)
	c.prepared = false
	if err := c.discoverBook(ctx); err != nil {
		return false, err
	}
	return true, nil
}

// staleBook reports whether err says the address book itself is not there
// or does not take the request: a 404 or 410, or another client error
// except those about credentials, rate or the sync token.
func staleBook(err error) bool {
	if errors.Is(err, connectors.ErrNotFound) {
		return true
	}
	if errors.Is(err, connectors.ErrTokenExpired) {
		return false
	}
	var se *StatusError
	if !errors.As(err, &se) {
		return false
	}
	switch se.Status {
	case http.StatusUnauthorized, http.StatusTooManyRequests, http.StatusRequestTimeout:
		return false
	}
	return se.Status >= 400 && se.Status < 500
}
