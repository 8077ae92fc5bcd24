package googletest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is a settable time source for Options.Clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a fake with one user and an access token for it.
type env struct {
	t     *testing.T
	s     *Server
	u     *User
	clock *clock
	token string
}

const testRefreshToken = "1//refresh-token-of-ada"

func newEnv(t *testing.T, opts Options) *env {
	t.Helper()
	c := newClock()
	if opts.Clock == nil {
		opts.Clock = c.Now
	}
	s := New(opts)
	t.Cleanup(s.Close)
	e := &env{t: t, s: s, u: s.AddUser(testRefreshToken), clock: c}
	e.token = e.refresh(testRefreshToken)
	return e
}

// refresh gets an access token with grant_type=refresh_token.
func (e *env) refresh(refreshToken string) string {
	e.t.Helper()
	r := e.tokenRequest(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken},
		"client_id": {"client.apps.googleusercontent.com"}, "client_secret": {"secret"}})
	if r.code != http.StatusOK {
		e.t.Fatalf("refresh: %d %s", r.code, r.body)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	r.into(e.t, &tok)
	return tok.AccessToken
}

// advance moves the clock and, as a client would, gets a fresh access
// token (they live an hour).
func (e *env) advance(d time.Duration) {
	e.t.Helper()
	e.clock.Add(d)
	e.token = e.refresh(testRefreshToken)
}

func (e *env) tokenRequest(form url.Values) *resp {
	e.t.Helper()
	res, err := http.PostForm(e.s.TokenURL(), form)
	if err != nil {
		e.t.Fatal(err)
	}
	return readResp(e.t, res)
}

type resp struct {
	code   int
	header http.Header
	body   []byte
}

func readResp(t *testing.T, res *http.Response) *resp {
	t.Helper()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return &resp{code: res.StatusCode, header: res.Header, body: b}
}

func (r *resp) into(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
}

func (r *resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	r.into(t, &m)
	return m
}

// apiErr is the error body of a Google API error.
type apiErr struct {
	Error struct {
		Code    int              `json:"code"`
		Message string           `json:"message"`
		Status  string           `json:"status"`
		Details []map[string]any `json:"details"`
	} `json:"error"`
}

func (r *resp) apiError(t *testing.T) apiErr {
	t.Helper()
	var e apiErr
	r.into(t, &e)
	if e.Error.Code != r.code {
		t.Fatalf("error body code %d, HTTP status %d: %s", e.Error.Code, r.code, r.body)
	}
	return e
}

// wantError checks the HTTP status and the error's status string.
func (r *resp) wantError(t *testing.T, code int, status string) apiErr {
	t.Helper()
	if r.code != code {
		t.Fatalf("got HTTP %d, want %d: %s", r.code, code, r.body)
	}
	e := r.apiError(t)
	if e.Error.Status != status {
		t.Fatalf("got status %q, want %q: %s", e.Error.Status, status, r.body)
	}
	return e
}

func (r *resp) wantOK(t *testing.T) {
	t.Helper()
	if r.code != http.StatusOK {
		t.Fatalf("got HTTP %d, want 200: %s", r.code, r.body)
	}
}

// do sends an authenticated API request. path is relative to URL(), such
// as "v1/people/me/connections?personFields=names". A non-nil body is sent
// as JSON (a string or []byte is sent as is).
func (e *env) do(method, path string, body any) *resp {
	e.t.Helper()
	return e.doAs(e.token, method, path, body)
}

func (e *env) doAs(token, method, path string, body any) *resp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		out, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(out)
	}
	req, err := http.NewRequest(method, e.s.URL()+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	return readResp(e.t, res)
}

// list is one connections.list page, decoded.
type listPage struct {
	Connections   []Person `json:"connections"`
	NextPageToken string   `json:"nextPageToken"`
	NextSyncToken string   `json:"nextSyncToken"`
	TotalItems    int      `json:"totalItems"`
	TotalPeople   int      `json:"totalPeople"`
}

func (e *env) list(query string) listPage {
	e.t.Helper()
	r := e.do("GET", "v1/people/me/connections?"+query, nil)
	r.wantOK(e.t)
	var p listPage
	r.into(e.t, &p)
	return p
}

// listAll pages through a listing and returns its people and the sync
// token of the last page.
func (e *env) listAll(query string) ([]Person, string) {
	e.t.Helper()
	var out []Person
	q := query
	for range 1000 {
		p := e.list(q)
		out = append(out, p.Connections...)
		if p.NextPageToken == "" {
			return out, p.NextSyncToken
		}
		if p.NextSyncToken != "" {
			e.t.Fatalf("nextSyncToken on a page that is not the last")
		}
		q = query + "&pageToken=" + url.QueryEscape(p.NextPageToken)
	}
	e.t.Fatal("too many pages")
	return nil, ""
}

func names(ps []Person) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.ResourceName)
	}
	sort.Strings(out)
	return out
}

func person(given, family string, emails ...string) Person {
	p := Person{Names: []Name{{GivenName: given, FamilyName: family}}}
	for _, e := range emails {
		p.EmailAddresses = append(p.EmailAddresses, EmailAddress{Value: e, Type: "home"})
	}
	return p
}

func (e *env) get(name, fields string) Person {
	e.t.Helper()
	r := e.do("GET", "v1/"+name+"?personFields="+fields, nil)
	r.wantOK(e.t)
	var p Person
	r.into(e.t, &p)
	return p
}

// shape reduces a decoded JSON value to its structure: objects keep their
// keys, arrays the shape of their first element, scalars their JSON type.
func shape(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = shape(e)
		}
		return out
	case []any:
		if len(x) == 0 {
			return []any{}
		}
		return []any{shape(x[0])}
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// sameShape reports where got differs in structure from want (a recorded
// payload): missing or extra keys, or values of another JSON type.
func sameShape(want, got any, path string) []string {
	sw, sg := shape(want), shape(got)
	var diffs []string
	var walk func(w, g any, p string)
	walk = func(w, g any, p string) {
		switch wv := w.(type) {
		case map[string]any:
			gv, ok := g.(map[string]any)
			if !ok {
				diffs = append(diffs, fmt.Sprintf("%s: want object, got %v", p, g))
				return
			}
			keys := map[string]bool{}
			for k := range wv {
				keys[k] = true
			}
			for k := range gv {
				keys[k] = true
			}
			for _, k := range slices.Sorted(maps.Keys(keys)) {
				we, inW := wv[k]
				ge, inG := gv[k]
				switch {
				case !inG:
					diffs = append(diffs, fmt.Sprintf("%s.%s: missing", p, k))
				case !inW:
					diffs = append(diffs, fmt.Sprintf("%s.%s: not in the recorded payload", p, k))
				default:
					walk(we, ge, p+"."+k)
				}
			}
		case []any:
			gv, ok := g.([]any)
			if !ok {
				diffs = append(diffs, fmt.Sprintf("%s: want array, got %v", p, g))
				return
			}
			if len(wv) > 0 && len(gv) > 0 {
				walk(wv[0], gv[0], p+"[0]")
			}
		default:
			if !reflect.DeepEqual(w, g) {
				diffs = append(diffs, fmt.Sprintf("%s: want %v, got %v", p, w, g))
			}
		}
	}
	walk(sw, sg, path)
	return diffs
}

func decodeJSON(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("bad recorded payload: %v", err)
	}
	return v
}
