package graphtest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
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

const (
	testClientID = "6731de76-14a6-49ae-97bc-6eba6914391e"
	testRefresh  = "0.AXoA-seed-refresh-token-of-ada"
)

// env is a fake with one mailbox and an access token for it.
type env struct {
	t     *testing.T
	s     *Server
	u     *User
	clock *clock
	token string
}

func newEnv(t *testing.T, opts Options) *env {
	t.Helper()
	c := newClock()
	if opts.Clock == nil {
		opts.Clock = c.Now
	}
	s := New(opts)
	t.Cleanup(s.Close)
	e := &env{t: t, s: s, u: s.AddUser(testRefresh), clock: c}
	e.token = e.refresh()
	return e
}

// refresh exchanges the mailbox's newest refresh token for an access token,
// as a client that persists rotations does.
func (e *env) refresh() string {
	e.t.Helper()
	r := e.tokenRequest("common", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {e.u.RefreshToken()},
		"client_id": {testClientID}})
	if r.code != http.StatusOK {
		e.t.Fatalf("refresh: %d %s", r.code, r.body)
	}
	var tok tokenBody
	r.into(e.t, &tok)
	return tok.AccessToken
}

type tokenBody struct {
	TokenType    string `json:"token_type"`
	Scope        string `json:"scope"`
	ExpiresIn    int    `json:"expires_in"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	IDToken      string `json:"id_token"`
	Error        string `json:"error"`
	Description  string `json:"error_description"`
	ErrorCodes   []int  `json:"error_codes"`
}

func (e *env) tokenRequest(tenant string, form url.Values) *resp {
	e.t.Helper()
	res, err := http.PostForm(e.s.TokenURL(tenant), form)
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

func (r *resp) want(t *testing.T, code int) *resp {
	t.Helper()
	if r.code != code {
		t.Fatalf("got HTTP %d, want %d: %s", r.code, code, r.body)
	}
	return r
}

// gerr is a Graph error body.
type gerr struct {
	Error struct {
		Code       string `json:"code"`
		Message    string `json:"message"`
		InnerError struct {
			Date      string `json:"date"`
			RequestID string `json:"request-id"`
		} `json:"innerError"`
	} `json:"error"`
}

// wantError checks the status and error code of a Graph error and that it
// has the envelope of reference §10.11.
func (r *resp) wantError(t *testing.T, code int, errCode string) gerr {
	t.Helper()
	if r.code != code {
		t.Fatalf("got HTTP %d, want %d: %s", r.code, code, r.body)
	}
	var g gerr
	r.into(t, &g)
	if g.Error.Code != errCode {
		t.Fatalf("got error code %q, want %q: %s", g.Error.Code, errCode, r.body)
	}
	if _, err := time.Parse("2006-01-02T15:04:05", g.Error.InnerError.Date); err != nil || len(g.Error.InnerError.RequestID) != 36 {
		t.Fatalf("innerError without date and request-id: %s", r.body)
	}
	return g
}

// do sends an authenticated Graph request. path is relative to URL() (such
// as "/me/contacts") or an absolute link. A non-nil body is sent as JSON
// ([]byte as is). hdr are header name/value pairs.
func (e *env) do(method, path string, body any, hdr ...string) *resp {
	e.t.Helper()
	return e.doAs(e.token, method, path, body, hdr...)
}

func (e *env) doAs(token, method, path string, body any, hdr ...string) *resp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		out, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(out)
	}
	u := path
	if !strings.HasPrefix(path, "http") {
		u = e.s.URL() + path
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	return readResp(e.t, res)
}

const immutable = `IdType="ImmutableId"`

// create posts a contact to the default folder and returns it decoded.
func (e *env) create(c map[string]any, hdr ...string) map[string]any {
	e.t.Helper()
	return e.do("POST", "/me/contacts", c, hdr...).want(e.t, http.StatusCreated).json(e.t)
}

// page is a decoded list or delta page.
type page struct {
	Value     []map[string]any `json:"value"`
	NextLink  string           `json:"@odata.nextLink"`
	DeltaLink string           `json:"@odata.deltaLink"`
	Count     *int             `json:"@odata.count"`
}

func (e *env) page(link string, hdr ...string) page {
	e.t.Helper()
	var p page
	e.do("GET", link, nil, hdr...).want(e.t, http.StatusOK).into(e.t, &p)
	return p
}

// round follows a delta round from link to its deltaLink and returns every
// page.
func (e *env) round(link string, hdr ...string) ([]page, string) {
	e.t.Helper()
	var pages []page
	for range 1000 {
		p := e.page(link, hdr...)
		pages = append(pages, p)
		switch {
		case p.NextLink != "" && p.DeltaLink != "":
			e.t.Fatalf("a page with both nextLink and deltaLink")
		case p.NextLink != "":
			link = p.NextLink
		case p.DeltaLink != "":
			return pages, p.DeltaLink
		default:
			e.t.Fatalf("a delta page with neither nextLink nor deltaLink")
		}
	}
	e.t.Fatal("too many pages")
	return nil, ""
}

func values(pages []page) []map[string]any {
	var out []map[string]any
	for _, p := range pages {
		out = append(out, p.Value...)
	}
	return out
}

// ids lists the ids of items (not @removed entries), sorted.
func ids(items []map[string]any) []string {
	var out []string
	for _, it := range items {
		if _, removed := it["@removed"]; !removed {
			out = append(out, it["id"].(string))
		}
	}
	slices.Sort(out)
	return out
}

// removed maps the ids of @removed entries to their reasons.
func removed(items []map[string]any) map[string]string {
	out := map[string]string{}
	for _, it := range items {
		if r, ok := it["@removed"].(map[string]any); ok {
			out[it["id"].(string)] = r["reason"].(string)
		}
	}
	return out
}

func sorted(s ...string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// keys lists the member names of a JSON object in the order the server
// wrote them.
func keys(t *testing.T, raw []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %s", raw)
	}
	var out []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func person(given, surname string, emails ...string) map[string]any {
	c := map[string]any{"givenName": given, "surname": surname}
	var list []map[string]string
	for _, a := range emails {
		list = append(list, map[string]string{"name": given, "address": a})
	}
	if list != nil {
		c["emailAddresses"] = list
	}
	return c
}
