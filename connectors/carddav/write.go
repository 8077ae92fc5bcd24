package carddav

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/contactbridge/contactbridge/connectors"
	"github.com/contactbridge/contactbridge/mapping"
)

// createAttempts bounds how often Create tries again when the resource it
// found in its way (412) is gone by the time it reads it.
const createAttempts = 3

// maxWriteAnswer bounds the body of an answer to a write.
const maxWriteAnswer = 1 << 20

// Create implements connectors.Connector: a PUT with If-None-Match: * to
// <address book>/ResourceName(key), in the address book's vCard version.
// The item returned has no Card (servers rewrite what they store; the
// card is read when its etag next changes). When the resource exists (412:
// an earlier attempt made it, maybe one whose answer was lost) Create reads
// it and returns it, card included, with Key set, as it is on the server.
func (c *Connector) Create(ctx context.Context, key string, card *mapping.Card) (connectors.Item, error) {
	if err := c.ready(ctx); err != nil {
		return connectors.Item{}, err
	}
	href := c.book.Path + ResourceName(key)
	if err := ctx.Err(); err != nil {
		return connectors.Item{}, fmt.Errorf("carddav: create %s: %w", href, err)
	}
	if card == nil {
		return connectors.Item{}, fmt.Errorf("carddav: create %s: no card", href)
	}
	body, err := c.encode(card, href, c.version)
	if err != nil {
		return connectors.Item{}, fmt.Errorf("carddav: create %s: %w", href, err)
	}
	for range createAttempts {
		res, err := c.put(ctx, href, body, "If-None-Match", "*")
		if err != nil {
			return connectors.Item{}, fmt.Errorf("carddav: create %s: %w", href, err)
		}
		switch {
		case res.status/100 == 2:
			c.rememberVersion(href, c.version)
			return connectors.Item{ID: href, ETag: c.newETag(ctx, href, res), Key: key}, nil
		case res.status != http.StatusPreconditionFailed:
			return connectors.Item{}, fmt.Errorf("carddav: create %s: %w", href, c.writeErr(res))
		}
		it, err := c.get(ctx, href)
		if err != nil {
			return connectors.Item{}, fmt.Errorf("carddav: create %s: exists already: %w", href, err)
		}
		switch {
		case errors.Is(it.Err, connectors.ErrNotFound):
			continue // deleted meanwhile: create it after all
		case it.Err != nil:
			return connectors.Item{}, fmt.Errorf("carddav: create %s: exists already and cannot be read: %w", href, it.Err)
		}
		it.Key = key
		return it, nil
	}
	return connectors.Item{}, fmt.Errorf("carddav: create %s: created and deleted by someone else %d times; try again later", href, createAttempts)
}

// Update implements connectors.Connector: a PUT with If-Match, in the
// version card.Version says (the one the caller read the card in), else the
// one this Connector last read or wrote for id, else the address book's;
// 2.1 is written as 3.0. A 412 to a request that had to be sent again is
// checked: if the server holds exactly this card, the first attempt
// succeeded and Update returns the item.
func (c *Connector) Update(ctx context.Context, id, etag string, card *mapping.Card) (connectors.Item, error) {
	if err := c.ready(ctx); err != nil {
		return connectors.Item{}, err
	}
	href, err := c.memberPath("update", id)
	if err != nil {
		return connectors.Item{}, err
	}
	if err := ctx.Err(); err != nil {
		return connectors.Item{}, fmt.Errorf("carddav: update %s: %w", href, err)
	}
	if card == nil {
		return connectors.Item{}, fmt.Errorf("carddav: update %s: no card", href)
	}
	cond, ok := ifMatch(etag)
	if !ok {
		return connectors.Item{}, fmt.Errorf("carddav: update %s: no etag to check against: %w", href, connectors.ErrPreconditionFailed)
	}
	v := c.versionFor(href, card)
	body, err := c.encode(card, href, v)
	if err != nil {
		return connectors.Item{}, fmt.Errorf("carddav: update %s: %w", href, err)
	}
	res, err := c.put(ctx, href, body, "If-Match", cond)
	if err != nil {
		return connectors.Item{}, fmt.Errorf("carddav: update %s: %w", href, err)
	}
	switch {
	case res.status/100 == 2:
		c.rememberVersion(href, v)
		return connectors.Item{ID: href, ETag: c.newETag(ctx, href, res), Key: keyOf(href)}, nil
	case res.status == http.StatusNotFound || res.status == http.StatusGone:
		return connectors.Item{}, fmt.Errorf("carddav: update %s: %w", href, connectors.ErrNotFound)
	case res.status != http.StatusPreconditionFailed:
		return connectors.Item{}, fmt.Errorf("carddav: update %s: %w", href, c.writeErr(res))
	}
	// 412: a stale etag, a card that is gone (If-Match on nothing fails
	// too), or our own first attempt that succeeded.
	cur, err := c.get(ctx, href)
	switch {
	case err != nil:
		return connectors.Item{}, fmt.Errorf("carddav: update %s: %w", href, err)
	case errors.Is(cur.Err, connectors.ErrNotFound):
		return connectors.Item{}, fmt.Errorf("carddav: update %s: %w", href, connectors.ErrNotFound)
	case res.retried && cur.Card != nil && cur.Card.Hash() == card.Hash():
		return cur, nil
	}
	return connectors.Item{}, fmt.Errorf("carddav: update %s: %w", href, connectors.ErrPreconditionFailed)
}

// Delete implements connectors.Connector: a DELETE with If-Match. A 404 to
// a request that had to be sent again is our own first attempt's success.
func (c *Connector) Delete(ctx context.Context, id, etag string) error {
	if err := c.ready(ctx); err != nil {
		return err
	}
	href, err := c.memberPath("delete", id)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("carddav: delete %s: %w", href, err)
	}
	cond, ok := ifMatch(etag)
	if !ok {
		return fmt.Errorf("carddav: delete %s: no etag to check against: %w", href, connectors.ErrPreconditionFailed)
	}
	r, err := c.c.newRequest(http.MethodDelete, escapePath(href), nil)
	if err != nil {
		return err
	}
	r.header.Set("If-Match", cond)
	r.maxBody = maxWriteAnswer
	res, err := c.c.send(ctx, r)
	if err != nil {
		return fmt.Errorf("carddav: delete %s: %w", href, err)
	}
	gone := func() error {
		c.forgetVersion(href)
		if res.retried {
			return nil
		}
		return fmt.Errorf("carddav: delete %s: %w", href, connectors.ErrNotFound)
	}
	switch {
	case res.status/100 == 2:
		c.forgetVersion(href)
		return nil
	case res.status == http.StatusNotFound || res.status == http.StatusGone:
		return gone()
	case res.status != http.StatusPreconditionFailed:
		return fmt.Errorf("carddav: delete %s: %w", href, c.c.statusErr(res))
	}
	// 412: a stale etag, or a card that is gone.
	if _, err := c.etagOf(ctx, href); errors.Is(err, connectors.ErrNotFound) {
		return gone()
	} else if err != nil {
		return fmt.Errorf("carddav: delete %s: %w", href, err)
	}
	return fmt.Errorf("carddav: delete %s: %w", href, connectors.ErrPreconditionFailed)
}

// writeErr explains a refused PUT.
func (c *Connector) writeErr(res *response) error {
	err := c.c.statusErr(res)
	var se *StatusError
	if !errors.As(err, &se) {
		return err
	}
	switch {
	case se.has("no-uid-conflict"):
		return fmt.Errorf("another card of address book %s has this card's UID: %w", c.book.Path, err)
	case se.Status == http.StatusRequestEntityTooLarge || se.has("max-resource-size"):
		return fmt.Errorf("the card is larger than the server accepts: %w", err)
	case se.Status == http.StatusBadRequest || se.Status == http.StatusUnsupportedMediaType || se.has("valid-address-data"):
		return fmt.Errorf("the server refuses the card as malformed: %w", err)
	}
	return err
}

// encode returns the text to PUT for card at href in version v: with
// what CardDAV requires added (withRequired), and written around the
// server's known faults.
func (c *Connector) encode(card *mapping.Card, href string, v mapping.Version) ([]byte, error) {
	body, err := withRequired(card, href).Marshal(v)
	if err != nil {
		return nil, err
	}
	if c.vobject {
		body = vobjectSafe(body)
	}
	return body, nil
}

// put sends body to href with the precondition header name: value.
func (c *Connector) put(ctx context.Context, href string, body []byte, name, value string) (*response, error) {
	r, err := c.c.newRequest(http.MethodPut, escapePath(href), body)
	if err != nil {
		return nil, err
	}
	r.header.Set("Content-Type", "text/vcard; charset=utf-8")
	r.header.Set(name, value)
	r.maxBody = maxWriteAnswer
	return c.c.send(ctx, r)
}

// newETag returns the etag of what a successful PUT stored: the answer's
// strong ETag, else (none, weak: the server changed the card, or
// unreadable) the getetag a PROPFIND reads. When that fails too the write
// still succeeded: the etag is then the weak one or "", and the bridge
// reads the card again on its next listing.
func (c *Connector) newETag(ctx context.Context, href string, res *response) string {
	etag, ok := canonicalETag(res.header.Get("ETag"))
	if ok && !isWeak(etag) {
		return etag
	}
	got, err := c.etagOf(ctx, href)
	if err != nil || got == "" {
		c.c.log.Debug("carddav: no etag for a written card", "op", "put", "remote_id", href, "error", errString(err))
		return etag
	}
	return got
}

// etagOf reads the getetag of href with PROPFIND Depth 0; an error wraps
// connectors.ErrNotFound when the card is gone.
func (c *Connector) etagOf(ctx context.Context, href string) (string, error) {
	ms, err := c.c.propfind(ctx, href, "0", "D:getetag")
	if err != nil {
		return "", err
	}
	for _, e := range ms.entries() {
		if e.path != href {
			continue
		}
		if e.status == http.StatusNotFound || e.status == http.StatusGone {
			return "", connectors.ErrNotFound
		}
		if e.prop.ETag != nil {
			etag, _ := canonicalETag(*e.prop.ETag)
			return etag, nil
		}
	}
	return "", nil
}
