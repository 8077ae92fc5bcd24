package httpapi_test

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/contactbridge/contactbridge/store"
)

// fill writes records a..e to contacts, each in its own write, with
// sortindex rising from a to e, and returns their timestamps by id.
func fill(e *env) map[string]string {
	e.t.Helper()
	ts := map[string]string{}
	for i, id := range []string{"a", "b", "c", "d", "e"} {
		r := e.do("PUT", "/1.5/alice/storage/contacts/"+id, `{"payload":"p-`+id+`","sortindex":`+strconv.Itoa(i+1)+`}`)
		r.want(e.t, "PUT "+id, http.StatusOK, "")
		ts[id] = r.header.Get("X-Last-Modified")
		e.tick()
	}
	return ts
}

func TestGetCollection(t *testing.T) {
	e := newEnv(t, config{})
	ts := fill(e)
	for _, tc := range []struct {
		name, query string
		want        []string
	}{
		{"ids by default, oldest first", "", []string{"a", "b", "c", "d", "e"}},
		{"newer is strict", "?newer=" + ts["b"], []string{"c", "d", "e"}},
		{"older is strict", "?older=" + ts["d"], []string{"a", "b", "c"}},
		{"newer and older", "?newer=" + ts["a"] + "&older=" + ts["e"], []string{"b", "c", "d"}},
		{"sort newest", "?sort=newest", []string{"e", "d", "c", "b", "a"}},
		{"sort oldest", "?sort=oldest", []string{"a", "b", "c", "d", "e"}},
		{"sort index", "?sort=index", []string{"e", "d", "c", "b", "a"}},
		{"ids", "?ids=d,b,zz", []string{"b", "d"}},
		{"empty ids selects none", "?ids=", []string{}},
		{"unknown parameters are ignored", "?whatever=1&foo", []string{"a", "b", "c", "d", "e"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			r := e.do("GET", "/1.5/alice/storage/contacts"+tc.query, "").want(t, "GET", http.StatusOK, "")
			r.decode(t, &got)
			if tc.name == "ids" {
				slices.Sort(got)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			if r.header.Get("X-Weave-Records") != strconv.Itoa(len(tc.want)) {
				t.Fatalf("X-Weave-Records %q, want %d", r.header.Get("X-Weave-Records"), len(tc.want))
			}
			if r.header.Get("X-Last-Modified") != ts["e"] {
				t.Fatalf("X-Last-Modified %q, want the collection's %s", r.header.Get("X-Last-Modified"), ts["e"])
			}
		})
	}
}

func TestGetCollectionFull(t *testing.T) {
	e := newEnv(t, config{})
	ts := fill(e)
	r := e.do("GET", "/1.5/alice/storage/contacts?full=1&ids=c", "").want(t, "GET", http.StatusOK, "")
	want := `[{"id":"c","modified":` + ts["c"] + `,"sortindex":3,"payload":"p-c"}]`
	if r.body != want {
		t.Fatalf("got %s, want %s", r.body, want)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q", ct)
	}
}

func TestGetCollectionPaging(t *testing.T) {
	e := newEnv(t, config{})
	fill(e)
	var all []string
	q := "?limit=2&sort=newest"
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("no end after 5 pages")
		}
		r := e.do("GET", "/1.5/alice/storage/contacts"+q, "").want(t, "GET", http.StatusOK, "")
		var page []string
		r.decode(t, &page)
		all = append(all, page...)
		next := r.header.Get("X-Weave-Next-Offset")
		if next == "" {
			break
		}
		if len(page) != 2 {
			t.Fatalf("a page with X-Weave-Next-Offset has %d records", len(page))
		}
		q = "?limit=2&sort=newest&offset=" + url.QueryEscape(next)
	}
	if want := []string{"e", "d", "c", "b", "a"}; !slices.Equal(all, want) {
		t.Fatalf("pages gave %v, want %v", all, want)
	}
}

func TestGetCollectionNewlines(t *testing.T) {
	e := newEnv(t, config{})
	ts := fill(e)
	e.do("PUT", "/1.5/alice/storage/contacts/f", `{"payload":"line1\nline2"}`).want(t, "PUT", http.StatusOK, "")
	for _, accept := range []string{"application/newlines", "application/json;q=0.5, application/newlines"} {
		t.Run(accept, func(t *testing.T) {
			r := e.do("GET", "/1.5/alice/storage/contacts?full=1&ids=a,f", "", header("Accept", accept)).want(t, "GET", http.StatusOK, "")
			lines := strings.Split(strings.TrimSuffix(r.body, "\n"), "\n")
			if len(lines) != 2 || lines[0] != `{"id":"a","modified":`+ts["a"]+`,"sortindex":1,"payload":"p-a"}` ||
				!strings.Contains(lines[1], `"line1\nline2"`) {
				t.Fatalf("got %q", r.body)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/newlines" {
				t.Fatalf("Content-Type %q", ct)
			}
		})
	}
	r := e.do("GET", "/1.5/alice/storage/contacts?ids=a", "", header("Accept", "application/json, application/newlines"))
	r.want(t, "JSON listed first", http.StatusOK, `["a"]`)
}

func TestGetMissingCollectionIsEmpty(t *testing.T) {
	e := newEnv(t, config{})
	r := e.do("GET", "/1.5/alice/storage/nothing", "").want(t, "GET", http.StatusOK, "[]")
	if r.header.Get("X-Weave-Records") != "0" || r.header.Get("X-Last-Modified") != "0.00" {
		t.Fatalf("X-Weave-Records %q, X-Last-Modified %q", r.header.Get("X-Weave-Records"), r.header.Get("X-Last-Modified"))
	}
}

func TestGetCollectionBadQuery(t *testing.T) {
	e := newEnv(t, config{})
	fill(e)
	many := strings.Repeat("x,", 100) + "y"
	for _, q := range []string{
		"newer=abc", "newer=-1", "older=1x", "limit=x", "limit=0", "limit=-2", "sort=random",
		"offset=not-an-offset", "ids=" + many, "newer=%zz",
	} {
		t.Run(q, func(t *testing.T) {
			e.do("GET", "/1.5/alice/storage/contacts?"+q, "").want(t, q, http.StatusBadRequest, "")
		})
	}
}

func TestDeleteCollection(t *testing.T) {
	e := newEnv(t, config{})
	ts := fill(e)
	e.put("meta", "global", "x")

	r := e.do("DELETE", "/1.5/alice/storage/contacts?ids=a,c,missing", "").want(t, "DELETE ids", http.StatusOK, "")
	last, err := store.ParseTimestamp(ts["e"])
	if err != nil {
		t.Fatal(err)
	}
	if r.body != `{"modified":`+r.header.Get("X-Last-Modified")+`}` || r.ts(t, "X-Last-Modified") <= last {
		t.Fatalf("body %q, X-Last-Modified %q; want a new timestamp after %s", r.body, r.header.Get("X-Last-Modified"), last)
	}
	e.do("GET", "/1.5/alice/storage/contacts", "").want(t, "after DELETE ids", http.StatusOK, `["b","d","e"]`)

	e.do("DELETE", "/1.5/alice/storage/contacts", "").want(t, "DELETE", http.StatusOK, "")
	e.do("GET", "/1.5/alice/storage/contacts", "").want(t, "after DELETE", http.StatusOK, "[]")
	e.do("GET", "/1.5/alice/storage/meta", "").want(t, "another collection", http.StatusOK, `["global"]`)
	e.do("DELETE", "/1.5/alice/storage/contacts?ids="+strings.Repeat("x,", 100)+"y", "").
		want(t, "more than 100 ids", http.StatusBadRequest, "")
}
