package carddav

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/contactbridge/contactbridge/connectors"
	"github.com/contactbridge/contactbridge/mapping"
)

// Fetch implements connectors.Connector with addressbook-multiget in
// batches of BatchSize. A card missing from a batch's answer, or a batch
// the server fails as a whole (v0.7.0-era servers answer 404 to all for
// one missing href), is read with one GET per card instead. A card that is
// gone is passed with Err wrapping connectors.ErrNotFound; one that is not
// exactly one readable vCard with Err naming its href. Failures of the
// server itself (after retries) and authentication stop Fetch. fn is
// called from the calling goroutine.
func (c *Connector) Fetch(ctx context.Context, ids []string, fn func(connectors.Item) error) error {
	if err := c.ready(ctx); err != nil {
		return err
	}
	seen := make(map[string]bool, len(ids))
	batch := make([]string, 0, min(len(ids), BatchSize))
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		items, err := c.multiget(ctx, batch)
		if err != nil {
			return err
		}
		batch = batch[:0]
		for _, it := range items {
			if err := fn(it); err != nil {
				return err
			}
		}
		return nil
	}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("carddav: fetch: %w", err)
		}
		href, err := c.memberPath("fetch", id)
		if err != nil {
			if err := fn(connectors.Item{ID: id, Err: err}); err != nil {
				return err
			}
			continue
		}
		batch = append(batch, href)
		if len(batch) == BatchSize {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// multiget reads the cards at hrefs with one REPORT, and those the answer
// lacks with GET.
func (c *Connector) multiget(ctx context.Context, hrefs []string) ([]connectors.Item, error) {
	r, err := c.c.newRequest("REPORT", escapePath(c.book.Path), multigetBody(hrefs))
	if err != nil {
		return nil, err
	}
	r.header.Set("Depth", "1")
	r.header.Set("Content-Type", `application/xml; charset="utf-8"`)
	res, err := c.c.send(ctx, r)
	var got map[string]entry
	switch {
	case err != nil && !errors.Is(err, errBodyTooLarge):
		return nil, fmt.Errorf("carddav: multiget %s: %w", c.book.Path, err)
	case err != nil:
		c.c.log.Debug("carddav: multiget answer too large; reading one by one", "op", "fetch", "remote_id", c.book.Path)
	case res.status == http.StatusUnauthorized || res.status == http.StatusForbidden ||
		res.status == http.StatusTooManyRequests || res.status == http.StatusServiceUnavailable:
		// Reading one by one would fail alike, and load the server more.
		// (Other failures may come from one card of the batch: a GET each
		// gets the others; the first GET stops Fetch if the server is down.)
		return nil, fmt.Errorf("carddav: multiget %s: %w", c.book.Path, c.c.statusErr(res))
	case res.status != http.StatusMultiStatus:
		c.c.log.Debug("carddav: multiget failed; reading one by one", "op", "fetch", "remote_id", c.book.Path, "status", res.status)
	default:
		ms, err := parseMultistatus(res.body)
		if err != nil {
			c.c.log.Debug("carddav: multiget answer unreadable; reading one by one", "op", "fetch", "remote_id", c.book.Path, "error", err.Error())
			break
		}
		got = make(map[string]entry, len(hrefs))
		for _, e := range ms.entries() {
			got[e.path] = e
		}
	}
	items := make([]connectors.Item, 0, len(hrefs))
	for _, href := range hrefs {
		e, ok := got[href]
		switch {
		case ok && (e.status == http.StatusNotFound || e.status == http.StatusGone):
			c.forgetVersion(href)
			items = append(items, connectors.Item{ID: href, Err: fmt.Errorf("carddav: read %s: %w", href, connectors.ErrNotFound)})
			continue
		case ok && e.status/100 == 2 && e.prop.AddressData != nil:
			etag := ""
			if e.prop.ETag != nil {
				etag, _ = canonicalETag(*e.prop.ETag)
			}
			items = append(items, c.item(href, etag, []byte(*e.prop.AddressData)))
			continue
		}
		it, err := c.get(ctx, href)
		if err != nil {
			return nil, err
		}
		items = append(items, it)
	}
	return items, nil
}

// get reads the card at href with GET. Only failures of the server or of
// authentication are returned as errors; everything about the card is in
// Item.Err.
func (c *Connector) get(ctx context.Context, href string) (connectors.Item, error) {
	r, err := c.c.newRequest(http.MethodGet, escapePath(href), nil)
	if err != nil {
		return connectors.Item{}, err
	}
	r.header.Set("Accept", "text/vcard, text/x-vcard;q=0.5, */*;q=0.1")
	r.maxBody = maxCard
	res, err := c.c.send(ctx, r)
	switch {
	case errors.Is(err, errBodyTooLarge):
		return connectors.Item{ID: href, Key: keyOf(href),
			Err: fmt.Errorf("carddav: read %s: %w", href, mapping.ErrCardTooLarge)}, nil
	case err != nil:
		return connectors.Item{}, fmt.Errorf("carddav: get %s: %w", href, err)
	case res.status == http.StatusNotFound || res.status == http.StatusGone:
		c.forgetVersion(href)
		return connectors.Item{ID: href, Err: fmt.Errorf("carddav: read %s: %w", href, connectors.ErrNotFound)}, nil
	case res.status/100 != 2:
		err := c.c.statusErr(res)
		if res.status == http.StatusUnauthorized || connectors.IsTransient(err) {
			return connectors.Item{}, fmt.Errorf("carddav: get %s: %w", href, err)
		}
		return connectors.Item{ID: href, Key: keyOf(href), Err: fmt.Errorf("carddav: read %s: %w", href, err)}, nil
	}
	etag, _ := canonicalETag(res.header.Get("ETag"))
	return c.item(href, etag, res.body), nil
}

// item parses the card read at href.
func (c *Connector) item(href, etag string, data []byte) connectors.Item {
	it := connectors.Item{ID: href, ETag: etag, Key: keyOf(href)}
	if len(data) > mapping.MaxCardSize {
		it.Err = fmt.Errorf("carddav: read %s: %d bytes: %w", href, len(data), mapping.ErrCardTooLarge)
		return it
	}
	cards, errs := mapping.ParseAll(href, data)
	switch {
	case len(errs) > 0:
		it.Err = fmt.Errorf("carddav: read %s: %w", href, errs[0])
	case len(cards) > 1:
		it.Err = fmt.Errorf("carddav: read %s: %d cards: %w", href, len(cards), ErrSeveralCards)
	case len(cards) == 0:
		it.Err = fmt.Errorf("carddav: read %s: %w", href, mapping.ErrNoCard)
	default:
		it.Card = cards[0]
		if c.vobject {
			vobjectRepair(it.Card)
		}
		withoutAdded(it.Card, href)
		c.rememberVersion(href, it.Card.Version)
	}
	return it
}
