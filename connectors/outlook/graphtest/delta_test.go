package graphtest

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// The lost-sync-state payload recorded in reference §3
// (microsoftgraph/microsoft-graph-docs#2350, #2877).
const recorded410 = `{"error":{"code":"SyncStateNotFound",
  "message":"The sync state generation is not found; generation=605;[highest=841][841][839][840].",
  "innerError":{"date":"2018-06-01T06:31:24","request-id":"47e918a9-ce5b-42b4-8a86-12b96c93121a"}}}`

func folderDeltaPath(folder string) string { return "/me/contactFolders/" + folder + "/contacts/delta" }

func TestDeltaRoundPages(t *testing.T) {
	e := newEnv(t, Options{})
	var want []string
	for i := range 5 {
		want = append(want, e.u.Put(Contact{GivenName: fmt.Sprint("P", i)}))
	}
	pages, deltaLink := e.round(folderDeltaPath(e.u.DefaultFolderID()), "Prefer", "odata.maxpagesize=2", "Prefer", immutable)
	var sizes []int
	for _, p := range pages {
		sizes = append(sizes, len(p.Value))
	}
	if !slices.Equal(sizes, []int{2, 2, 1}) {
		t.Errorf("page sizes %v with odata.maxpagesize=2", sizes)
	}
	if got := ids(values(pages)); !slices.Equal(got, sorted(want...)) {
		t.Errorf("initial round %v, want %v", got, want)
	}
	link := regexp.MustCompile(`^` + regexp.QuoteMeta(e.s.URL()) + `/me/contactfolders/[A-Za-z0-9_=-]+/contacts/delta\?\$(skiptoken|deltatoken)=[A-Za-z0-9_-]+$`)
	for _, p := range pages {
		if l := p.NextLink + p.DeltaLink; !link.MatchString(l) {
			t.Errorf("link %s: not an absolute link to the fake in Graph's form", l)
		}
	}
	if !strings.Contains(pages[0].NextLink, "$skiptoken=") || !strings.Contains(deltaLink, "$deltatoken=") {
		t.Errorf("nextLink %s deltaLink %s", pages[0].NextLink, deltaLink)
	}

	// Nothing changed: one empty page with a new deltaLink.
	pages, deltaLink = e.round(deltaLink, "Prefer", immutable)
	if len(pages) != 1 || len(pages[0].Value) != 0 {
		t.Errorf("a quiet round: %v", pages)
	}

	// The same deltaLink can be followed again (a client that crashed
	// before storing the next one) and gives the same changes.
	e.u.Edit(want[0], func(c *Contact) { c.JobTitle = "Analyst" })
	first, _ := e.round(deltaLink, "Prefer", immutable)
	again, _ := e.round(deltaLink, "Prefer", immutable)
	if a, b := ids(values(first)), ids(values(again)); !slices.Equal(a, []string{want[0]}) || !slices.Equal(a, b) {
		t.Errorf("following one deltaLink twice: %v then %v", a, b)
	}
}

func TestDeltaChangesAndRemovals(t *testing.T) {
	for _, tc := range []struct {
		name      string
		opts      Options
		immutable bool
		apiDelete string // reason for the API delete
		movedOut  string
	}{
		{"defaults, regular ids", Options{}, false, "deleted", "changed"},
		{"defaults, immutable ids", Options{}, true, "deleted", "changed"},
		{"knobs", Options{DeleteReason: "changed", MovedOutReason: "deleted"}, true, "changed", "deleted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.opts)
			var hdr []string
			if tc.immutable {
				hdr = []string{"Prefer", immutable}
			}
			edited, apiDeleted, soft, purged, moved, kept := e.u.Put(Contact{GivenName: "Edited"}), e.u.Put(Contact{GivenName: "ApiDeleted"}),
				e.u.Put(Contact{GivenName: "Soft"}), e.u.Put(Contact{GivenName: "Purged"}), e.u.Put(Contact{GivenName: "Moved"}), e.u.Put(Contact{GivenName: "Kept"})
			idOf := func(imm string) string {
				if tc.immutable {
					return imm
				}
				return e.u.RegularID(imm)
			}
			known := map[string]string{}
			for _, imm := range []string{edited, apiDeleted, soft, purged, moved, kept} {
				known[imm] = idOf(imm)
			}
			_, deltaLink := e.round(folderDeltaPath("contacts"), hdr...)

			e.do("PATCH", "/me/contacts/"+known[edited], map[string]any{"jobTitle": "Analyst"}).want(t, 200)
			e.do("DELETE", "/me/contacts/"+known[apiDeleted], nil).want(t, 204)
			e.u.SoftDelete(soft)
			e.u.Delete(purged)
			e.u.Move(moved, e.u.AddFolder("", "Elsewhere"))
			created := e.u.Put(Contact{GivenName: "New"})

			pages, _ := e.round(deltaLink, hdr...)
			items := values(pages)
			if got, want := ids(items), sorted(idOf(edited), idOf(created)); !slices.Equal(got, want) {
				t.Errorf("changed items %v, want %v", got, want)
			}
			wantRemoved := map[string]string{known[apiDeleted]: tc.apiDelete, known[soft]: "changed", known[purged]: "deleted", known[moved]: tc.movedOut}
			if got := removed(items); fmt.Sprint(got) != fmt.Sprint(wantRemoved) {
				t.Errorf("@removed %v, want %v", got, wantRemoved)
			}
			for _, it := range items {
				if _, ok := it["@removed"]; ok && len(it) != 2 {
					t.Errorf("@removed entry %v has more than id and @removed (reference §3)", it)
				}
			}
		})
	}
}

func TestDeltaInitialRoundOmitsWhatIsGone(t *testing.T) {
	e := newEnv(t, Options{})
	gone := e.u.Put(Contact{GivenName: "Gone"})
	e.u.Delete(gone)
	stay := e.u.Put(Contact{GivenName: "Stay"})
	pages, _ := e.round(folderDeltaPath("contacts"), "Prefer", immutable)
	if got := values(pages); len(got) != 1 || got[0]["id"] != stay {
		t.Errorf("initial round %v: it does not return items created and deleted before it (reference §3)", got)
	}
}

func TestDeltaSelectEncodedInTokens(t *testing.T) {
	e := newEnv(t, Options{})
	for i := range 3 {
		e.u.Put(Contact{GivenName: fmt.Sprint("P", i), Surname: "S", JobTitle: "J"})
	}
	pages, deltaLink := e.round(folderDeltaPath("contacts")+"?$select=givenName", "Prefer", "odata.maxpagesize=1")
	e.u.Put(Contact{GivenName: "Later", JobTitle: "J"})
	more, _ := e.round(deltaLink)
	for _, it := range values(append(pages, more...)) {
		if len(it) != 3 || it["givenName"] == nil || it["id"] == nil || it["@odata.etag"] == nil {
			t.Errorf("item %v: $select=givenName applies to the whole round and the next (reference §3)", it)
		}
	}
	if len(pages) != 3 {
		t.Errorf("%d pages: odata.maxpagesize of the initial request applies to later pages too", len(pages))
	}
	e.do("GET", folderDeltaPath("contacts")+"?$filter=givenName%20eq%20'x'", nil).wantError(t, 400, "BadRequest")
	e.do("GET", folderDeltaPath("contacts")+"?$top=5", nil).wantError(t, 400, "BadRequest")
}

func TestDeltaPageSizes(t *testing.T) {
	e := newEnv(t, Options{})
	for i := range 250 {
		e.u.Put(Contact{GivenName: fmt.Sprint("P", i)})
	}
	r := e.do("GET", folderDeltaPath("contacts"), nil, "Prefer", "odata.maxpagesize=500").want(t, 200)
	var p page
	r.into(t, &p)
	if len(p.Value) != 200 || r.header.Get("Preference-Applied") != "odata.maxpagesize=200" {
		t.Errorf("maxpagesize=500: %d items, Preference-Applied %q (capped at 200, reference §3)", len(p.Value), r.header.Get("Preference-Applied"))
	}
	if p := e.page(folderDeltaPath("contacts")); len(p.Value) != 200 || p.NextLink == "" {
		t.Errorf("no Prefer header: %d items (the same 200 applies, reference §3)", len(p.Value))
	}
	e = newEnv(t, Options{DeltaPageSize: 7})
	for i := range 8 {
		e.u.Put(Contact{GivenName: fmt.Sprint("P", i)})
	}
	if p := e.page(folderDeltaPath("contacts")); len(p.Value) != 7 {
		t.Errorf("DeltaPageSize 7: %d items", len(p.Value))
	}
}

func TestDeltaEmptyPages(t *testing.T) {
	e := newEnv(t, Options{DeltaEmptyPages: true})
	for i := range 3 {
		e.u.Put(Contact{GivenName: fmt.Sprint("P", i)})
	}
	pages, _ := e.round(folderDeltaPath("contacts"), "Prefer", "odata.maxpagesize=2")
	if len(pages[0].Value) != 0 || pages[0].NextLink == "" {
		t.Errorf("first page %v: want empty with a nextLink", pages[0])
	}
	if n := len(ids(values(pages))); n != 3 {
		t.Errorf("%d items over %d pages, want 3", n, len(pages))
	}
}

func TestDeltaTokenLoss(t *testing.T) {
	type loss struct {
		name   string
		opts   Options
		lose   func(e *env, link string) string // makes link lost, returns what to request
		status int
		code   string
	}
	for _, tc := range []loss{
		{"ExpireDeltaTokens", Options{}, func(e *env, l string) string { e.s.ExpireDeltaTokens(); return l }, 410, "SyncStateNotFound"},
		{"unknown token", Options{}, func(e *env, l string) string { return l[:strings.Index(l, "token=")+6] + "bogus" }, 410, "SyncStateNotFound"},
		{"TTL", Options{DeltaTokenTTL: time.Hour}, func(e *env, l string) string { e.clock.Add(time.Hour); e.token = e.refresh(); return l }, 410, "SyncStateNotFound"},
		{"resyncRequired", Options{DeltaLossCode: "resyncRequired"}, func(e *env, l string) string { e.s.ExpireDeltaTokens(); return l }, 410, "resyncRequired"},
		{"40x", Options{DeltaLossStatus: 400, DeltaLossCode: "syncStateNotFound"}, func(e *env, l string) string { e.s.ExpireDeltaTokens(); return l }, 400, "syncStateNotFound"},
		{"token cache", Options{DeltaTokenCache: 3}, func(e *env, l string) string {
			next := l
			for range 3 {
				_, next = e.round(next)
			}
			return l
		}, 410, "SyncStateNotFound"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.opts)
			e.u.Put(Contact{GivenName: "A"})
			_, deltaLink := e.round(folderDeltaPath("contacts"))
			r := e.do("GET", tc.lose(e, deltaLink), nil)
			g := r.wantError(t, tc.status, tc.code)
			if tc.code == "resyncRequired" {
				if g.Error.Message != msgResyncRequired {
					t.Errorf("message %q", g.Error.Message)
				}
				return
			}
			if !regexp.MustCompile(`^The sync state generation is not found; generation=\d+;\[highest=\d+\](\[\d+\])*\.$`).MatchString(g.Error.Message) {
				t.Errorf("message %q is not shaped like the recorded one", g.Error.Message)
			}
			if tc.name == "token cache" && g.Error.Message != "The sync state generation is not found; generation=1;[highest=4][4][2][3]." {
				t.Errorf("message %q", g.Error.Message)
			}
			if got, want := keys(t, r.body), keys(t, []byte(recorded410)); !slices.Equal(got, want) {
				t.Errorf("members %v, recorded %v", got, want)
			}
		})
	}

	t.Run("a stale nextLink in the middle of a round", func(t *testing.T) {
		e := newEnv(t, Options{})
		e.u.Put(Contact{GivenName: "A"})
		e.u.Put(Contact{GivenName: "B"})
		p := e.page(folderDeltaPath("contacts"), "Prefer", "odata.maxpagesize=1")
		e.s.ExpireDeltaTokens()
		e.do("GET", p.NextLink, nil).wantError(t, 410, "SyncStateNotFound")
	})
	t.Run("Location resets to an initial round", func(t *testing.T) {
		e := newEnv(t, Options{DeltaLossLocation: true})
		id := e.u.Put(Contact{GivenName: "A"})
		_, deltaLink := e.round(folderDeltaPath("contacts") + "?$select=givenName")
		e.s.ExpireDeltaTokens()
		r := e.do("GET", deltaLink, nil)
		r.wantError(t, 410, "SyncStateNotFound")
		loc := r.header.Get("Location")
		if !strings.HasPrefix(loc, e.s.URL()) || !strings.Contains(loc, "$deltatoken=&") {
			t.Fatalf("Location %q", loc)
		}
		pages, _ := e.round(loc, "Prefer", immutable)
		if got := values(pages); len(got) != 1 || got[0]["id"] != id || len(got[0]) != 3 {
			t.Errorf("the reset URL gives %v, want a full listing with the old $select", got)
		}
	})
	t.Run("a deltaLink of another folder", func(t *testing.T) {
		e := newEnv(t, Options{})
		other := e.u.AddFolder("", "Other")
		_, deltaLink := e.round(folderDeltaPath("contacts"))
		wrong := strings.Replace(deltaLink, e.u.DefaultFolderID(), other, 1)
		e.do("GET", wrong, nil).wantError(t, 410, "SyncStateNotFound")
	})
}

func TestDeltaReplay(t *testing.T) {
	e := newEnv(t, Options{})
	e.u.Put(Contact{GivenName: "A"})
	_, link1 := e.round(folderDeltaPath("contacts"), "Prefer", immutable)
	b := e.u.Put(Contact{GivenName: "B"})
	_, link2 := e.round(link1, "Prefer", immutable)
	e.s.ReplayDelta()
	c := e.u.Put(Contact{GivenName: "C"})
	pages, link3 := e.round(link2, "Prefer", immutable)
	if got := ids(values(pages)); !slices.Equal(got, sorted(b, c)) {
		t.Errorf("replayed round %v, want B again and C", got)
	}
	pages, _ = e.round(link3, "Prefer", immutable)
	if got := values(pages); len(got) != 0 {
		t.Errorf("ReplayDelta replays once; next round %v", got)
	}

	e = newEnv(t, Options{ReplayDelta: true})
	a := e.u.Put(Contact{GivenName: "A"})
	_, link1 = e.round(folderDeltaPath("contacts"), "Prefer", immutable)
	for range 2 {
		pages, link1 = e.round(link1, "Prefer", immutable)
		if got := ids(values(pages)); !slices.Equal(got, []string{a}) {
			t.Errorf("Options.ReplayDelta: round %v, want A again", got)
		}
	}
}

func TestDeltaReplayPages(t *testing.T) {
	e := newEnv(t, Options{ReplayPages: true})
	var want []string
	for _, n := range []string{"A", "B", "C"} {
		want = append(want, e.u.Put(Contact{GivenName: n}))
	}
	pages, _ := e.round(folderDeltaPath("contacts"), "Prefer", "odata.maxpagesize=1", "Prefer", immutable)
	var got []string
	for _, p := range pages {
		got = append(got, ids(p.Value)...)
	}
	if exp := []string{want[0], want[0], want[1], want[1], want[2]}; !slices.Equal(got, exp) {
		t.Errorf("pages %v, want each page but the last twice", got)
	}
}

func TestDeltaReplicationDelay(t *testing.T) {
	e := newEnv(t, Options{ReplicationDelay: 30 * time.Second})
	_, link := e.round(folderDeltaPath("contacts"))
	id := e.create(person("Ada", "Lovelace"), "Prefer", immutable)["id"].(string)
	e.do("GET", "/me/contacts/"+id, nil).want(t, http.StatusOK)
	pages, next := e.round(link, "Prefer", immutable)
	if got := values(pages); len(got) != 0 {
		t.Errorf("delta saw a write before the replication delay: %v", got)
	}
	e.clock.Add(30 * time.Second)
	pages, _ = e.round(next, "Prefer", immutable)
	if got := ids(values(pages)); !slices.Equal(got, []string{id}) {
		t.Errorf("after the delay: %v", got)
	}
}

func TestDeltaChangeDuringRoundIsDeliveredAgain(t *testing.T) {
	e := newEnv(t, Options{})
	a := e.u.Put(Contact{GivenName: "A"})
	e.u.Put(Contact{GivenName: "B"})
	e.u.Put(Contact{GivenName: "C"})
	p := e.page(folderDeltaPath("contacts"), "Prefer", "odata.maxpagesize=1", "Prefer", immutable)
	if p.Value[0]["id"] != a {
		t.Fatalf("first page %v", p.Value)
	}
	e.u.Edit(a, func(c *Contact) { c.JobTitle = "changed mid-round" })
	rest, _ := e.round(p.NextLink, "Prefer", immutable)
	var seen int
	for _, it := range values(rest) {
		if it["id"] == a {
			seen++
			if it["jobTitle"] != "changed mid-round" {
				t.Errorf("A again, but not its new version: %v", it)
			}
		}
	}
	if seen != 1 {
		t.Errorf("A delivered %d more times in the round; the same item may appear more than once (reference §3)", seen)
	}
}

func TestDeltaOfDefaultFolderAndFolders(t *testing.T) {
	e := newEnv(t, Options{})
	id := e.u.Put(Contact{GivenName: "A"})
	p := e.page("/me/contacts/delta", "Prefer", immutable)
	if !strings.HasPrefix(p.DeltaLink, e.s.URL()+"/me/contacts/delta?$deltatoken=") || len(p.Value) != 1 || p.Value[0]["id"] != id {
		t.Errorf("/me/contacts/delta: %v %s", p.Value, p.DeltaLink)
	}
	e.do("GET", "/me/contactFolders/contacts/contacts/delta()", nil).want(t, http.StatusOK)

	work := e.u.AddFolder("", "Work")
	pages, link := e.round("/me/contactFolders/delta")
	if got := ids(values(pages)); !slices.Equal(got, []string{work}) {
		t.Errorf("folder delta %v, want only Work (not the default folder)", got)
	}
	e.do("DELETE", "/me/contactFolders/"+work, nil).want(t, http.StatusNoContent)
	pages, _ = e.round(link)
	if got := removed(values(pages)); got[work] != "deleted" || len(got) != 1 {
		t.Errorf("after deleting Work: %v", got)
	}
}
