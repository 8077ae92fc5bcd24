package outlook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/contactbridge/contactbridge/connectors"
)

// tokenPrefix marks the tokens Changes returns: the prefix, the folder id
// the round ran on, a space, and the @odata.deltaLink verbatim.
const tokenPrefix = "delta1:"

// deltaPage is one page of a delta round (reference §3).
type deltaPage struct {
	Value     []*Contact `json:"value"`
	NextLink  string     `json:"@odata.nextLink"`
	DeltaLink string     `json:"@odata.deltaLink"`
}

// resolveFolder returns the id of the configured folder: "contacts" (the
// well-known name of the default folder) when none is configured, else
// the folder with that display name or id among the mailbox's top-level
// contact folders.
func (c *Connector) resolveFolder(ctx context.Context) (string, error) {
	c.mu.Lock()
	id := c.folderID
	c.mu.Unlock()
	if id != "" {
		return id, nil
	}
	if c.folder == "" || strings.EqualFold(c.folder, DefaultFolder) {
		id = "contacts"
	} else {
		var names []string
		u := "me/contactFolders?$top=100&$select=id,displayName"
		for u != "" && id == "" {
			var page struct {
				Value []struct {
					ID          string `json:"id"`
					DisplayName string `json:"displayName"`
				} `json:"value"`
				NextLink string `json:"@odata.nextLink"`
			}
			if err := c.c.getJSON(ctx, "contactFolders.list", u, nil, &page); err != nil {
				return "", err
			}
			for _, f := range page.Value {
				if f.ID == c.folder || strings.EqualFold(f.DisplayName, c.folder) {
					id = f.ID
					break
				}
				names = append(names, strconv.Quote(f.DisplayName))
			}
			u = page.NextLink
		}
		if id == "" {
			return "", fmt.Errorf("outlook: account %s: no contact folder %q (the mailbox has %s besides Contacts)",
				c.c.account, c.folder, strings.Join(names, ", "))
		}
	}
	c.mu.Lock()
	c.folderID = id
	c.mu.Unlock()
	return id, nil
}

// folderPath is the path of the folder's contacts, relative to the
// service root.
func folderPath(fid string) string {
	return "/me/contactFolders/" + url.PathEscape(fid) + "/contacts"
}

// Changes implements connectors.Connector with a delta round on the
// folder. Items come without cards (delta carries no photo): the bridge
// fetches those whose etag it does not know.
func (c *Connector) Changes(ctx context.Context, token string, fn func(connectors.Page) error) (string, error) {
	fid, err := c.resolveFolder(ctx)
	if err != nil {
		return "", err
	}
	start := strings.TrimPrefix(folderPath(fid), "/") + "/delta"
	u, full := start, token == ""
	if !full {
		rest, ok := strings.CutPrefix(token, tokenPrefix)
		f, link, ok2 := strings.Cut(rest, " ")
		if !ok || !ok2 || f != fid || link == "" {
			// Another folder, or a token of an older version.
			return "", fmt.Errorf("outlook: account %s: %w: the token is not of this folder's delta", c.c.account, connectors.ErrTokenExpired)
		}
		u = link
	}
	seen := map[string]*Contact{}
	defer func() {
		c.mu.Lock()
		c.seen = seen
		c.mu.Unlock()
	}()
	header := http.Header{"Prefer": {"odata.maxpagesize=" + strconv.Itoa(c.pageSize)}}
	restarts := 0
	for {
		var page deltaPage
		err := c.c.getJSON(ctx, "delta", u, header, &page)
		if errors.Is(err, connectors.ErrTokenExpired) && full && restarts < 2 {
			// The round's own skip token was lost: start it again; the
			// pages already passed are passed again, which is harmless.
			restarts++
			c.c.log.Info("outlook: delta round lost its state; starting it again", "account", c.c.account)
			u = start
			continue
		}
		if err != nil {
			return "", err
		}
		p := connectors.Page{Full: full}
		for _, ct := range page.Value {
			if ct == nil || ct.ID == "" {
				continue
			}
			if ct.Removed != nil {
				delete(seen, ct.ID)
				p.Changes = append(p.Changes, connectors.Change{Item: connectors.Item{ID: ct.ID}, Deleted: true})
				continue
			}
			seen[ct.ID] = ct
			p.Changes = append(p.Changes, connectors.Change{Item: connectors.Item{ID: ct.ID, ETag: etagOf(ct)}})
		}
		if err := fn(p); err != nil {
			return "", err
		}
		switch {
		case page.NextLink != "":
			u = page.NextLink
		case page.DeltaLink != "":
			return tokenPrefix + fid + " " + page.DeltaLink, nil
		default:
			return "", connectors.Transient(fmt.Errorf("outlook: account %s: a delta page has neither nextLink nor deltaLink", c.c.account))
		}
	}
}

// etagOf is a contact's version: its @odata.etag, else built from its
// change key as Graph builds it.
func etagOf(ct *Contact) string {
	if ct.ETag != "" {
		return ct.ETag
	}
	if ct.ChangeKey != "" {
		return `W/"` + ct.ChangeKey + `"`
	}
	return ""
}

// Fetch implements connectors.Connector: contacts the last delta round
// carried are completed with their photos; others are read whole. Reads
// go in parallel $batch requests of at most Concurrency steps.
func (c *Connector) Fetch(ctx context.Context, ids []string, fn func(connectors.Item) error) error {
	fid, err := c.resolveFolder(ctx)
	if err != nil {
		return err
	}
	c.mu.Lock()
	seen := c.seen
	c.mu.Unlock()
	var known []*Contact
	var unknown []string
	for _, id := range ids {
		if ct := seen[id]; ct != nil {
			known = append(known, ct)
		} else {
			unknown = append(unknown, id)
		}
	}
	// Contacts not carried by delta: read them first, with their key.
	for start := 0; start < len(unknown); start += maxBatch {
		part := unknown[start:min(start+maxBatch, len(unknown))]
		steps := make([]step, len(part))
		for i, id := range part {
			steps[i] = step{method: http.MethodGet, url: folderPath(fid) + "/" + url.PathEscape(id) + "?" + expandKey()}
		}
		for i, r := range c.c.batch(ctx, "contacts.get", steps, nil, false, true) {
			var ct Contact
			switch {
			case r.ok() && json.Unmarshal(r.body, &ct) == nil && ct.ID != "":
				known = append(known, &ct)
			case errors.Is(r.apiError(), connectors.ErrNotFound):
				if err := fn(connectors.Item{ID: part[i], Err: r.apiError()}); err != nil {
					return err
				}
			default:
				if err := fn(c.failed(part[i], r)); err != nil {
					return err
				}
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return c.withPhotos(ctx, known, fn)
}

// expandKey is the query that reads a contact's record key with it.
func expandKey() string {
	return "$expand=" + url.QueryEscape("singleValueExtendedProperties($filter=id eq '"+keyProperty+"')")
}

// failed is the item for a contact that could not be read.
func (c *Connector) failed(id string, r result) connectors.Item {
	err := r.apiError()
	if r.ok() {
		err = connectors.Transient(errors.New("outlook: the answer is not a contact"))
	}
	return connectors.Item{ID: id, Err: &connectors.ItemError{Account: c.c.account, ID: id, Err: err}}
}

// withPhotos reads the photos of cts and passes each as an item to fn.
func (c *Connector) withPhotos(ctx context.Context, cts []*Contact, fn func(connectors.Item) error) error {
	for start := 0; start < len(cts); start += maxBatch {
		part := cts[start:min(start+maxBatch, len(cts))]
		steps := make([]step, len(part))
		for i, ct := range part {
			steps[i] = step{method: http.MethodGet, url: "/me/contacts/" + url.PathEscape(ct.ID) + "/photo/$value"}
		}
		for i, r := range c.c.batch(ctx, "photo.get", steps, nil, false, true) {
			var photo []byte
			switch {
			case r.ok():
				photo = r.body
			case r.err == nil && r.status == http.StatusNotFound:
			default:
				// A photo that cannot be read now must not look deleted:
				// the contact waits for a later run.
				if err := fn(c.failed(part[i].ID, r)); err != nil {
					return err
				}
				continue
			}
			c.rememberPhoto(part[i].ID, photo)
			if err := fn(c.item(part[i], photo)); err != nil {
				return err
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return nil
}

// item is the connectors.Item for a contact and its photo.
func (c *Connector) item(ct *Contact, photo []byte) connectors.Item {
	it := connectors.Item{ID: ct.ID, ETag: etagOf(ct), Key: recordKey(ct)}
	card, err := toCard(ct)
	if err != nil {
		it.Err = &connectors.ItemError{Account: c.c.account, ID: ct.ID, Err: err}
		return it
	}
	if len(photo) > 0 {
		setPhoto(card, photo)
	}
	it.Card = card
	return it
}

// FindKeys implements connectors.KeyFinder: a plain listing of the folder
// filtered on the record-key property, which sees writes at once.
func (c *Connector) FindKeys(ctx context.Context, keys []string) ([]connectors.Item, error) {
	fid, err := c.resolveFolder(ctx)
	if err != nil {
		return nil, err
	}
	var found []*Contact
	const perQuery = 15 // keeps the URL short
	for start := 0; start < len(keys); start += perQuery {
		var values []string
		for _, k := range keys[start:min(start+perQuery, len(keys))] {
			values = append(values, "ep/value eq '"+strings.ReplaceAll(k, "'", "''")+"'")
		}
		filter := "singleValueExtendedProperties/any(ep: ep/id eq '" + keyProperty + "' and (" + strings.Join(values, " or ") + "))"
		u := strings.TrimPrefix(folderPath(fid), "/") + "?$top=100&$filter=" + url.QueryEscape(filter) + "&" + expandKey()
		for u != "" {
			var page deltaPage
			if err := c.c.getJSON(ctx, "contacts.list", u, nil, &page); err != nil {
				return nil, err
			}
			found = append(found, page.Value...)
			u = page.NextLink
		}
	}
	var out []connectors.Item
	err = c.withPhotos(ctx, found, func(it connectors.Item) error {
		if it.Err == nil {
			out = append(out, it)
		}
		return nil
	})
	return out, err
}
