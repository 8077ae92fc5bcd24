package sqlite

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/contactbridge/contactbridge/store"
)

// A position is where a page ended in a List order: the sort key (modified,
// or the sortindex key for store.SortIndex) and id of its last record. The
// next page starts strictly after it, so records written between pages do
// not shift the pages that follow, as a numeric offset would.
type position struct {
	key int64
	id  string
}

// noSortIndex is the sort key of a record without a sortindex: below every
// valid one, so such records come last in store.SortIndex order.
const noSortIndex = -store.MaxSortIndex - 1

// encodeOffset makes the opaque NextOffset: "<sort>:<key>:<id>" in
// unpadded URL-safe base64, so that it fits X-Weave-Next-Offset as is.
func encodeOffset(sort store.Sort, p position) string {
	raw := strconv.Itoa(int(sort)) + ":" + strconv.FormatInt(p.key, 10) + ":" + p.id
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// decodeOffset reads an offset made by encodeOffset for the same sort.
func decodeOffset(s string, sort store.Sort) (position, error) {
	bad := fmt.Errorf("offset %q: %w", s, store.ErrInvalid)
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return position{}, bad
	}
	parts := strings.SplitN(string(raw), ":", 3)
	if len(parts) != 3 || parts[0] != strconv.Itoa(int(sort)) || !store.ValidID(parts[2]) {
		return position{}, bad
	}
	key, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return position{}, bad
	}
	return position{key: key, id: parts[2]}, nil
}
