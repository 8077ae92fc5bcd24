package carddav

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/contactbridge/contactbridge/connectors"
)

// A StatusError is an HTTP answer the connector did not expect. Its message
// gives the status and the names of the DAV preconditions the server said
// failed, never the body, which may quote a card.
type StatusError struct {
	Status int
	// Conditions are the local names of the elements of the DAV:error
	// body, if any ("valid-sync-token", "no-uid-conflict").
	Conditions []string
}

// Error implements error.
func (e *StatusError) Error() string {
	s := fmt.Sprintf("server answered %d %s", e.Status, http.StatusText(e.Status))
	if len(e.Conditions) > 0 {
		s += " (" + strings.Join(e.Conditions, ", ") + ")"
	}
	return s
}

// has reports whether the server named the precondition cond.
func (e *StatusError) has(cond string) bool { return slices.Contains(e.Conditions, cond) }

// statusErr turns an answer the caller did not expect into an error: the
// connectors sentinels for 404 and 412, a permanent error telling the user
// what to check for 401 and 403, a transient one for 429 and 5xx.
func (c *client) statusErr(res *response) error {
	se := &StatusError{Status: res.status, Conditions: davConditions(res.body)}
	switch {
	case res.status == http.StatusUnauthorized:
		return fmt.Errorf("account %s: authentication failed (401): %s", c.account, c.authHint)
	case res.status == http.StatusForbidden:
		return fmt.Errorf("account %s: access forbidden (403): check that the account may use this address book: %w", c.account, se)
	case res.status == http.StatusNotFound:
		return fmt.Errorf("%w (%d)", connectors.ErrNotFound, res.status)
	case res.status == http.StatusGone:
		return fmt.Errorf("%w (%d)", connectors.ErrNotFound, res.status)
	case res.status == http.StatusPreconditionFailed:
		return fmt.Errorf("%w (%d)", connectors.ErrPreconditionFailed, res.status)
	case connectors.RetryableStatus(res.status):
		if d, ok := connectors.RetryAfter(res.header, c.now()); ok {
			return connectors.Transient(fmt.Errorf("%w; retry after %s", se, d.Round(1e9)))
		}
		return connectors.Transient(se)
	}
	return se
}

// davConditions returns the local names of the children of a DAV:error
// body, or nil when body is not one.
func davConditions(body []byte) []string {
	if !bytes.Contains(body, []byte("error")) {
		return nil
	}
	var e struct {
		XMLName xml.Name
		Any     []struct {
			XMLName xml.Name
		} `xml:",any"`
	}
	if err := newXMLDecoder(body).Decode(&e); err != nil || e.XMLName.Local != "error" {
		return nil
	}
	var out []string
	for _, a := range e.Any {
		if name := a.XMLName.Local; name != "" && len(out) < 8 && len(name) < 64 {
			out = append(out, name)
		}
	}
	return out
}
