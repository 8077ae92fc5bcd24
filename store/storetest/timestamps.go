package storetest

import (
	"encoding/json"
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/contactbridge/contactbridge/store"
)

func timestampCases() []testCase {
	return []testCase{
		{name: "timestamp of a write is the clock truncated to 10 ms", run: func(t *testing.T, e *env) {
			ts := e.put(t, "c", rec("a", "x"))
			if want := store.FromTime(e.clock.Now()); ts != want {
				t.Fatalf("Put at %v returned %d, want %d", e.clock.Now(), ts, want)
			}
			if ts%10 != 0 {
				t.Fatalf("timestamp %d is not a multiple of 10 ms", ts)
			}
			e.clock.Advance(1234567 * time.Microsecond)
			if ts2, want := e.put(t, "c", rec("b", "x")), store.FromTime(e.clock.Now()); ts2 != want {
				t.Fatalf("Put after the clock moved returned %d, want %d", ts2, want)
			}
		}},
		{name: "timestamps increase by 10 ms when the clock stands still", run: func(t *testing.T, e *env) {
			t1 := e.put(t, "c", rec("a", "x"))
			t2 := e.put(t, "c", rec("a", "y"))
			t3 := e.post(t, "c", recs("b", "c")...)
			if t2 != t1+10 || t3 != t2+10 {
				t.Fatalf("timestamps %d, %d, %d under a still clock; want steps of 10 ms", t1, t2, t3)
			}
		}},
		{name: "timestamps keep increasing when the clock steps back", run: func(t *testing.T, e *env) {
			t1 := e.put(t, "c", rec("a", "x"))
			e.clock.Advance(-time.Hour)
			t2 := e.put(t, "c", rec("a", "y"))
			if t2 != t1+10 {
				t.Fatalf("after the clock stepped back an hour: %d then %d, want %d", t1, t2, t1+10)
			}
			e.clock.Advance(2 * time.Hour)
			if t3, want := e.put(t, "c", rec("a", "z")), store.FromTime(e.clock.Now()); t3 != want {
				t.Fatalf("once the clock passed the last timestamp: %d, want the clock's %d", t3, want)
			}
		}},
		{name: "timestamps increase across the collections of one user", run: func(t *testing.T, e *env) {
			t1 := e.put(t, "one", rec("a", "x"))
			t2 := e.put(t, "two", rec("a", "x"))
			t3, err := e.s.Delete(e.ctx, e.user, "one", "a", store.Precondition{})
			if err != nil {
				t.Fatal(err)
			}
			if !(t1 < t2 && t2 < t3) {
				t.Fatalf("timestamps %d, %d, %d in two collections: want strictly increasing", t1, t2, t3)
			}
			info := e.info(t)
			if info["one"].Modified != t3 || info["two"].Modified != t2 {
				t.Fatalf("Info: one at %d, two at %d; want %d and %d", info["one"].Modified, info["two"].Modified, t3, t2)
			}
		}},
		{name: "timestamps print with two decimals and parse back", run: func(t *testing.T, e *env) {
			e.clock.Set(time.UnixMilli(1388635807_400))
			ts := e.put(t, "c", rec("a", "x"))
			if got := ts.String(); got != "1388635807.40" {
				t.Fatalf("String() = %q, want 1388635807.40", got)
			}
			if back, err := store.ParseTimestamp(ts.String()); err != nil || back != ts {
				t.Fatalf("ParseTimestamp(%q) = %d, %v; want %d", ts.String(), back, err, ts)
			}
			b, err := json.Marshal(e.get(t, "c", "a"))
			if err != nil {
				t.Fatal(err)
			}
			if !regexp.MustCompile(`"modified":[0-9]+\.[0-9][0-9][,}]`).Match(b) {
				t.Fatalf("BSO JSON %s: modified must have exactly two decimals", b)
			}
			for in, want := range map[string]store.Timestamp{"12": 12000, "1388635807.4": 1388635807400, "0.019": 10, "7.05": 7050} {
				if got, err := store.ParseTimestamp(in); err != nil || got != want {
					t.Errorf("ParseTimestamp(%q) = %d, %v; want %d", in, got, err, want)
				}
			}
			for _, in := range []string{"", "-1", "+1", "abc", "1.x", "1e3"} {
				if _, err := store.ParseTimestamp(in); !errors.Is(err, store.ErrInvalid) {
					t.Errorf("ParseTimestamp(%q): error %v, want ErrInvalid", in, err)
				}
			}
		}},
	}
}
