package googletest

import (
	"cmp"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Page and sync tokens are opaque to clients (base64url of JSON here). A
// page token is bound to every parameter of the call that produced it, a
// sync token to the parameters that decide what is listed (reference §1:
// "With page_token or sync_token, all other request parameters must match
// the first call").
type pageToken struct {
	Kind   string `json:"k"` // "c": connections, "g": contact groups
	User   string `json:"u"`
	Bind   string `json:"b"`
	Cursor uint64 `json:"c,omitempty"` // last sequence number served
	Offset int    `json:"o,omitempty"` // for orders other than by last modification
	Mark   uint64 `json:"w"`           // watermark of the first page: what nextSyncToken will cover
	Full   int64  `json:"f"`           // when the full sync this listing belongs to started
}

type syncToken struct {
	Kind   string `json:"k"`
	User   string `json:"u"`
	Bind   string `json:"b"`
	Mark   uint64 `json:"w"` // changes with a higher sequence number are news
	Issued int64  `json:"i"`
	Full   int64  `json:"f"`
	Gen    int    `json:"g"`
}

func encodeToken(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeToken(s string, v any) bool {
	b, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil && json.Unmarshal(b, v) == nil
}

func bind(parts ...any) string {
	sum := sha256.Sum256([]byte(fmt.Sprintln(parts...)))
	return hex.EncodeToString(sum[:12])
}

func invalidPageToken() *apiError {
	return badRequest("page_token", "Page token is invalid. Parameters provided with a page token must match the call that provided the page token.")
}

func invalidSyncToken() *apiError {
	return badRequest("sync_token", "Sync token is invalid. Parameters provided with a sync token must match the call that provided the sync token.")
}

// checkSync validates a sync token of kind for u and reports whether it
// expired (reference §1.3, §10.2).
func (s *Server) checkSync(raw, kind string, u *User, bindTo string, now time.Time) (syncToken, *apiError) {
	var st syncToken
	if !decodeToken(raw, &st) || st.Kind != kind || st.User != u.id {
		return st, badRequest("sync_token", "Sync token is invalid.")
	}
	if st.Bind != bindTo {
		return st, invalidSyncToken()
	}
	anchor := time.Unix(0, st.Issued)
	if s.opts.SyncTokenTTLFromFullSync {
		anchor = time.Unix(0, st.Full)
	}
	if st.Gen < s.syncGen || !now.Before(anchor.Add(s.opts.SyncTokenTTL)) {
		return st, s.expiredSyncToken()
	}
	return st, nil
}

type listConnectionsResponse struct {
	Connections   []Person `json:"connections,omitempty"`
	NextPageToken string   `json:"nextPageToken,omitempty"`
	NextSyncToken string   `json:"nextSyncToken,omitempty"`
	TotalItems    int32    `json:"totalItems,omitempty"`
	TotalPeople   int32    `json:"totalPeople,omitempty"`
}

const sortOrders = "LAST_MODIFIED_ASCENDING|LAST_MODIFIED_DESCENDING|FIRST_NAME_ASCENDING|LAST_NAME_ASCENDING"

// listConnections is GET v1/people/me/connections (reference §1, §10.1).
//
// A full listing (no syncToken) returns the contacts visible now; with a
// syncToken it returns those changed since, deleted ones as tombstones. In
// the default order (last modified, ascending) pages follow the change
// sequence, so a contact changed while a client pages moves to a later page
// instead of being skipped, and the sync token of the last page covers only
// what was visible when the first page was served: changes made while
// paging are reported again next time, never lost.
func (s *Server) listConnections(w http.ResponseWriter, r *http.Request, c *call) *apiError {
	q := r.URL.Query()
	if c.resource != "people/me" {
		return badRequest("resource_name", "Only people/me is valid as the resource name of connections.list.")
	}
	fields, err := personFieldsParam(q, docConnectionsList, true)
	if err != nil {
		return err
	}
	pageSize, err := pageSizeParam(q, s.opts.PageSize)
	if err != nil {
		return err
	}
	order := q.Get("sortOrder")
	if order != "" && !slices.Contains(strings.Split(sortOrders, "|"), order) {
		return badRequest("sort_order", fmt.Sprintf("Invalid value at 'sort_order' (type.googleapis.com/google.people.v1.ListConnectionsRequest.SortOrder), %q", order))
	}
	sources, err := sourcesParam(q["sources"], "sources")
	if err != nil {
		return err
	}
	wantSync, err := queryBool(q, "requestSyncToken")
	if err != nil {
		return err
	}
	rawSync, rawPage := q.Get("syncToken"), q.Get("pageToken")
	if (wantSync || rawSync != "") && order != "" && order != "LAST_MODIFIED_ASCENDING" {
		// "Only used if sync is not requested"; seen rejected (reference §1).
		return badRequest("sort_order", "sort_order is not supported when requesting or using a sync token; omit it or use LAST_MODIFIED_ASCENDING.")
	}
	bindSync := bind("connections", fields.canonical(), sources)
	bindPage := bind(bindSync, pageSize, order, wantSync, rawSync)

	resp, err := withLock(s, func() (listConnectionsResponse, *apiError) {
		u, now := c.u, s.now()
		var resp listConnectionsResponse
		full, since, fullAt := true, uint64(0), now.UnixNano()
		if rawSync != "" {
			st, err := s.checkSync(rawSync, "c", u, bindSync, now)
			if err != nil {
				return resp, err
			}
			full, since, fullAt = false, st.Mark, st.Full
		}
		var pt pageToken
		if rawPage != "" {
			if !decodeToken(rawPage, &pt) || pt.Kind != "c" || pt.User != u.id || pt.Bind != bindPage {
				return resp, invalidPageToken()
			}
		} else {
			pt = pageToken{Kind: "c", User: u.id, Bind: bindPage, Mark: u.watermark(now), Full: fullAt}
		}
		costs := []cost{{bReads, 1}}
		if full && rawPage == "" {
			costs = append(costs, cost{bFirstPage, 1})
		}
		if err := s.charge(u, costs...); err != nil {
			return resp, err
		}

		type entry struct {
			c *contact
			v *version
		}
		var entries []entry
		for _, ct := range u.contacts {
			v := ct.visible(now)
			switch {
			case v == nil:
			case full && v.state == live, !full && v.seq > since && v.state != hidden:
				entries = append(entries, entry{ct, v})
			}
		}
		total := len(entries)
		byName := func(name func(*Person) string) func(a, b entry) int {
			return func(a, b entry) int {
				return cmp.Or(cmp.Compare(strings.ToLower(name(a.v.data)), strings.ToLower(name(b.v.data))),
					cmp.Compare(a.v.seq, b.v.seq))
			}
		}
		bySeq := func(a, b entry) int { return cmp.Compare(a.v.seq, b.v.seq) }
		switch order {
		case "", "LAST_MODIFIED_ASCENDING":
			slices.SortFunc(entries, bySeq)
			i, _ := slices.BinarySearchFunc(entries, pt.Cursor+1, func(e entry, seq uint64) int { return cmp.Compare(e.v.seq, seq) })
			entries = entries[i:]
		case "LAST_MODIFIED_DESCENDING":
			slices.SortFunc(entries, func(a, b entry) int { return -bySeq(a, b) })
		case "FIRST_NAME_ASCENDING":
			slices.SortFunc(entries, byName(func(p *Person) string { return firstName(p, false) }))
		case "LAST_NAME_ASCENDING":
			slices.SortFunc(entries, byName(func(p *Person) string { return firstName(p, true) }))
		}
		if order != "" && order != "LAST_MODIFIED_ASCENDING" {
			entries = entries[min(pt.Offset, len(entries)):]
		}
		page := entries[:min(pageSize, len(entries))]
		mode := modeList
		if !full {
			mode = modeSync
		}
		for _, e := range page {
			resp.Connections = append(resp.Connections, u.render(e.c, e.v, fields, mode))
		}
		resp.TotalItems, resp.TotalPeople = int32(total), int32(total)
		if len(page) < len(entries) {
			next := pt
			next.Offset += len(page)
			next.Cursor = page[len(page)-1].v.seq
			resp.NextPageToken = encodeToken(next)
		} else if wantSync {
			resp.NextSyncToken = encodeToken(syncToken{Kind: "c", User: u.id, Bind: bindSync, Mark: pt.Mark,
				Issued: now.UnixNano(), Full: pt.Full, Gen: s.syncGen})
		}
		return resp, nil
	})
	return reply(w, r, resp, err)
}

// firstName is the sort key of FIRST_NAME_ASCENDING (given name) or
// LAST_NAME_ASCENDING (family name).
func firstName(p *Person, family bool) string {
	if p == nil || len(p.Names) == 0 {
		return ""
	}
	if family {
		return p.Names[0].FamilyName
	}
	return p.Names[0].GivenName
}

// withLock runs fn holding s.mu.
func withLock[T any](s *Server, fn func() (T, *apiError)) (T, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fn()
}

// reply writes v, or returns err for the caller to write.
func reply(w http.ResponseWriter, r *http.Request, v any, err *apiError) *apiError {
	if err != nil {
		return err
	}
	writeJSON(w, r, v)
	return nil
}
