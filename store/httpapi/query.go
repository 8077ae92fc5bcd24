package httpapi

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/contactbridge/contactbridge/store"
)

// listQuery is a parsed GET collection query (reference §5.3).
type listQuery struct {
	q store.Query
	// noIDs is set by an empty ids=: a query for no record at all.
	noIDs bool
}

// parseListQuery reads ids, newer, older, full, limit, offset and sort;
// other parameters are ignored. A malformed value is 400.
func parseListQuery(raw string) (listQuery, error) {
	v, err := url.ParseQuery(raw)
	if err != nil {
		return listQuery{}, badRequest(codeUnknown, "malformed query")
	}
	var lq listQuery
	if v.Has("ids") {
		lq.q.IDs, err = parseIDs(v.Get("ids"))
		if err != nil {
			return listQuery{}, err
		}
		lq.noIDs = len(lq.q.IDs) == 0
	}
	for _, p := range []struct {
		name string
		to   *store.Timestamp
	}{{"newer", &lq.q.Newer}, {"older", &lq.q.Older}} {
		if !v.Has(p.name) {
			continue
		}
		if *p.to, err = store.ParseTimestamp(v.Get(p.name)); err != nil {
			return listQuery{}, badRequest(codeUnknown, "%s is not a timestamp", p.name)
		}
	}
	lq.q.IDsOnly = !v.Has("full")
	if v.Has("limit") {
		n, err := strconv.Atoi(v.Get("limit"))
		if err != nil || n <= 0 {
			return listQuery{}, badRequest(codeUnknown, "limit is not a positive integer")
		}
		lq.q.Limit = n
	}
	lq.q.Offset = v.Get("offset")
	switch s := v.Get("sort"); s {
	case "":
	case "newest":
		lq.q.Sort = store.SortNewest
	case "oldest":
		lq.q.Sort = store.SortOldest
	case "index":
		lq.q.Sort = store.SortIndex
	default:
		return listQuery{}, badRequest(codeUnknown, "unknown sort")
	}
	return lq, nil
}

// parseIDs parses a comma list of at most store.MaxIDs valid record ids;
// an empty list is no id.
func parseIDs(list string) ([]string, error) {
	if list == "" {
		return nil, nil
	}
	ids := strings.Split(list, ",")
	if len(ids) > store.MaxIDs {
		return nil, badRequest(codeUnknown, "%d ids, at most %d", len(ids), store.MaxIDs)
	}
	for _, id := range ids {
		if !store.ValidID(id) {
			return nil, badRequest(codeInvalidBSO, "invalid id in ids")
		}
	}
	return ids, nil
}
