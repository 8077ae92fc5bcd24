package storetest

import (
	"testing"
	"time"

	"github.com/contactbridge/contactbridge/store"
)

func infoCases() []testCase {
	return []testCase{
		{name: "info reports timestamp, record count and payload bytes per collection", run: func(t *testing.T, e *env) {
			if info := e.info(t); len(info) != 0 {
				t.Fatalf("Info of a new user = %v, want empty", info)
			}
			tc := e.post(t, "contacts", rec("a", "12345"), rec("b", "123"), rec("c", ""))
			e.clock.Advance(time.Second)
			tk := e.put(t, "keys", rec("k", "héllo")) // bytes, not characters
			e.put(t, "contacts", store.Write{ID: "b", SortIndex: i64(1)})
			tc2 := e.put(t, "contacts", rec("a", "1"))
			want := map[string]store.Usage{
				"contacts": {Modified: tc2, Count: 3, Bytes: 4},
				"keys":     {Modified: tk, Count: 1, Bytes: 6},
			}
			info := e.info(t)
			if len(info) != len(want) || info["contacts"] != want["contacts"] || info["keys"] != want["keys"] {
				t.Fatalf("Info = %+v, want %+v (first contacts write at %d)", info, want, tc)
			}
		}},
	}
}
