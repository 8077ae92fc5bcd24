package googletest

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestConnectionsRequiresPersonFields(t *testing.T) {
	e := newEnv(t, Options{})
	r := e.do("GET", "v1/people/me/connections", nil)
	er := r.wantError(t, 400, "INVALID_ARGUMENT")
	want := "personFields mask is required. Please specify one or more valid paths. Valid paths are documented at https://developers.google.com/people/api/rest/v1/people.connections/list."
	if er.Error.Message != want {
		t.Errorf("message %q", er.Error.Message)
	}
	r = e.do("GET", "v1/people/me/connections?personFields=names,emailAdresses", nil)
	er = r.wantError(t, 400, "INVALID_ARGUMENT")
	if !strings.Contains(er.Error.Message, `"emailAdresses"`) {
		t.Errorf("message %q", er.Error.Message)
	}
	// The deprecated requestMask.includeField still works.
	e.do("GET", "v1/people/me/connections?requestMask.includeField=person.names", nil).wantOK(t)
	// Only people/me has connections.
	e.do("GET", "v1/people/c123/connections?personFields=names", nil).wantError(t, 400, "INVALID_ARGUMENT")
}

func TestConnectionsIgnoresSystemParameters(t *testing.T) {
	e := newEnv(t, Options{})
	e.u.Put(person("Ada", "Lovelace"))
	// What google.golang.org/api sends (reference §9).
	r := e.do("GET", "v1/people/me/connections?alt=json&pageSize=1000&personFields=names%2Cmetadata&prettyPrint=false&requestSyncToken=true", nil)
	r.wantOK(t)
	if strings.Contains(string(r.body), "\n  ") {
		t.Errorf("prettyPrint=false answered indented JSON")
	}
}

func TestConnectionsPaging(t *testing.T) {
	e := newEnv(t, Options{})
	for i := range 250 {
		e.u.Put(person(fmt.Sprintf("P%03d", i), "Test"))
	}
	p := e.list("personFields=names&pageSize=100&requestSyncToken=true")
	if len(p.Connections) != 100 || p.NextPageToken == "" || p.NextSyncToken != "" || p.TotalItems != 250 || p.TotalPeople != 250 {
		t.Fatalf("first page: %d people, next %q, sync %q, total %d", len(p.Connections), p.NextPageToken, p.NextSyncToken, p.TotalItems)
	}
	all, sync := e.listAll("personFields=names&pageSize=100&requestSyncToken=true")
	if len(all) != 250 || sync == "" {
		t.Fatalf("got %d people, sync token %q", len(all), sync)
	}
	if got := slices.Compact(names(all)); len(got) != 250 {
		t.Errorf("duplicates in the listing: %d distinct", len(got))
	}
	// Without requestSyncToken there is never a sync token.
	if _, sync := e.listAll("personFields=names&pageSize=100"); sync != "" {
		t.Errorf("nextSyncToken without requestSyncToken")
	}
}

func TestConnectionsPageSize(t *testing.T) {
	for _, tc := range []struct {
		name     string
		opts     Options
		query    string
		want     int
		wantCode int
	}{
		{"default is 100", Options{}, "", 100, 200},
		{"option sets the default", Options{PageSize: 7}, "", 7, 200},
		{"option is capped at 1000", Options{PageSize: 5000}, "", 1000, 200},
		{"request wins", Options{PageSize: 7}, "&pageSize=20", 20, 200},
		{"zero means default", Options{}, "&pageSize=0", 100, 200},
		{"over 1000 is clamped", Options{}, "&pageSize=1500", 1000, 200},
		{"negative is refused", Options{}, "&pageSize=-1", 0, 400},
		{"not a number is refused", Options{}, "&pageSize=ten", 0, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.opts)
			for i := range 1100 {
				e.u.Put(person(fmt.Sprint(i), ""))
			}
			r := e.do("GET", "v1/people/me/connections?personFields=names"+tc.query, nil)
			if tc.wantCode != 200 {
				r.wantError(t, tc.wantCode, "INVALID_ARGUMENT")
				return
			}
			r.wantOK(t)
			var p listPage
			r.into(t, &p)
			if len(p.Connections) != tc.want {
				t.Errorf("page of %d, want %d", len(p.Connections), tc.want)
			}
		})
	}
}

func TestPageTokenParametersMustMatch(t *testing.T) {
	e := newEnv(t, Options{})
	for i := range 5 {
		e.u.Put(person(fmt.Sprint(i), ""))
	}
	base := "personFields=names,emailAddresses&pageSize=2&requestSyncToken=true"
	p := e.list(base)
	tok := "&pageToken=" + url.QueryEscape(p.NextPageToken)
	e.do("GET", "v1/people/me/connections?"+base+tok, nil).wantOK(t)
	// The same mask in another order is the same mask.
	e.do("GET", "v1/people/me/connections?personFields=emailAddresses,names&pageSize=2&requestSyncToken=true"+tok, nil).wantOK(t)
	for _, q := range []string{
		"personFields=names&pageSize=2&requestSyncToken=true",
		"personFields=names,emailAddresses&pageSize=3&requestSyncToken=true",
		"personFields=names,emailAddresses&pageSize=2",
		"personFields=names,emailAddresses&pageSize=2&requestSyncToken=true&sources=READ_SOURCE_TYPE_CONTACT",
	} {
		t.Run(q, func(t *testing.T) {
			e.do("GET", "v1/people/me/connections?"+q+tok, nil).wantError(t, 400, "INVALID_ARGUMENT")
		})
	}
	e.do("GET", "v1/people/me/connections?"+base+"&pageToken=garbage", nil).wantError(t, 400, "INVALID_ARGUMENT")
}

// The tombstone of a deleted person, as reference §1.1 shows it.
const recordedTombstone = `{
  "resourceName": "people/c8571940186043591234",
  "etag": "%EgUBAi43PRoEAQIFByIMbW9jS2tYZ2FhY2c9",
  "metadata": {
    "sources": [{"type": "CONTACT", "id": "76fe7bd00f8a8f83"}],
    "deleted": true
  }
}`

func TestSyncIncremental(t *testing.T) {
	e := newEnv(t, Options{})
	keep := e.u.Put(person("Keep", "Same"))
	edit := e.u.Put(person("Edit", "Me"))
	gone := e.u.Put(person("Gone", "Soon"))
	full, sync := e.listAll("personFields=names,metadata&requestSyncToken=true")
	if len(full) != 3 {
		t.Fatalf("full sync: %d people", len(full))
	}
	for _, p := range full {
		if p.Metadata == nil || p.Metadata.Deleted || len(p.Metadata.PreviousResourceNames) > 0 {
			t.Errorf("full listing person metadata %+v", p.Metadata)
		}
	}

	// Nothing changed: an empty page with a new token and no connections key.
	r := e.do("GET", "v1/people/me/connections?personFields=names,metadata&requestSyncToken=true&syncToken="+url.QueryEscape(sync), nil)
	r.wantOK(t)
	if m := r.json(t); len(m) != 1 || m["nextSyncToken"] == nil {
		t.Errorf("quiet incremental sync answered %s", r.body)
	}

	p := e.get(edit, "names")
	p.Names[0].GivenName = "Edited"
	e.u.Put(p)
	e.u.Delete(gone)
	added := e.u.Put(person("New", "Person"))
	changes, sync2 := e.listAll("personFields=names,metadata&requestSyncToken=true&syncToken=" + url.QueryEscape(sync))
	if got, want := names(changes), names([]Person{{ResourceName: edit}, {ResourceName: gone}, {ResourceName: added}}); !slices.Equal(got, want) {
		t.Fatalf("changes %v, want %v", got, want)
	}
	for _, c := range changes {
		switch c.ResourceName {
		case gone:
			out, _ := json.Marshal(c)
			if diffs := sameShape(decodeJSON(t, recordedTombstone), decodeJSON(t, string(out)), "$"); len(diffs) > 0 {
				t.Errorf("tombstone differs from reference §1.1: %v\n%s", diffs, out)
			}
		case edit:
			if c.Names[0].GivenName != "Edited" || c.Metadata.Deleted {
				t.Errorf("edited person %+v", c)
			}
		}
	}
	if slices.Contains(names(changes), keep) {
		t.Errorf("unchanged person in the incremental sync")
	}
	// Deletions never appear in full listings.
	full, _ = e.listAll("personFields=names,metadata")
	if slices.Contains(names(full), gone) {
		t.Errorf("deleted person in a full listing")
	}
	// The chained token reports nothing new.
	if changes, _ := e.listAll("personFields=names,metadata&syncToken=" + url.QueryEscape(sync2)); len(changes) != 0 {
		t.Errorf("chained token gave %v", names(changes))
	}
	// Sync tokens are bound to personFields (reference §1).
	e.do("GET", "v1/people/me/connections?personFields=names&syncToken="+url.QueryEscape(sync2), nil).
		wantError(t, 400, "INVALID_ARGUMENT")
	e.do("GET", "v1/people/me/connections?personFields=names,metadata&syncToken=bogus", nil).
		wantError(t, 400, "INVALID_ARGUMENT")
}

func TestSyncIncrementalPaging(t *testing.T) {
	e := newEnv(t, Options{})
	var all []string
	for i := range 30 {
		all = append(all, e.u.Put(person(fmt.Sprint(i), "")))
	}
	_, sync := e.listAll("personFields=names&requestSyncToken=true")
	for _, n := range all[:25] {
		e.u.Delete(n)
	}
	q := "personFields=names&pageSize=10&requestSyncToken=true&syncToken=" + url.QueryEscape(sync)
	first := e.list(q)
	if len(first.Connections) != 10 || first.NextPageToken == "" || first.NextSyncToken != "" {
		t.Fatalf("first incremental page: %d, next %q", len(first.Connections), first.NextPageToken)
	}
	// Pages of an incremental sync carry the same syncToken.
	changes, next := e.listAll(q)
	if len(changes) != 25 || next == "" {
		t.Errorf("%d changes, token %q", len(changes), next)
	}
	for _, c := range changes {
		if c.Metadata == nil || !c.Metadata.Deleted {
			t.Errorf("not a tombstone: %+v", c)
		}
	}
}

// The expired-sync-token error of reference §1.3, byte for byte in content.
const recordedExpiredSyncToken = `{
  "error": {
    "code": 400,
    "message": "Sync token is expired. Clear local cache and retry call without the sync token.",
    "status": "FAILED_PRECONDITION",
    "details": [
      {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": "EXPIRED_SYNC_TOKEN",
        "domain": "people.googleapis.com"
      }
    ]
  }
}`

func TestSyncTokenExpiry(t *testing.T) {
	for _, tc := range []struct {
		name   string
		opts   Options
		expire func(e *env)
		code   int
		status string
	}{
		{"seven days on the clock", Options{}, func(e *env) { e.advance(7*24*time.Hour - time.Minute) }, 400, "FAILED_PRECONDITION"},
		{"configured TTL", Options{SyncTokenTTL: time.Hour}, func(e *env) { e.advance(59 * time.Minute) }, 400, "FAILED_PRECONDITION"},
		{"ExpireSyncTokens", Options{}, func(e *env) { e.s.ExpireSyncTokens() }, 400, "FAILED_PRECONDITION"},
		{"old 410 variant", Options{ExpiredSyncTokenHTTPStatus: 410}, func(e *env) { e.s.ExpireSyncTokens() }, 410, "FAILED_PRECONDITION"},
		{"INVALID_ARGUMENT variant", Options{ExpiredSyncTokenStatus: "INVALID_ARGUMENT"}, func(e *env) { e.s.ExpireSyncTokens() }, 400, "INVALID_ARGUMENT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.opts)
			e.u.Put(person("Ada", "Lovelace"))
			_, sync := e.listAll("personFields=names&requestSyncToken=true")
			q := "v1/people/me/connections?personFields=names&requestSyncToken=true&syncToken=" + url.QueryEscape(sync)
			e.clock.Add(time.Minute)
			e.do("GET", q, nil).wantOK(t)
			tc.expire(e)
			r := e.do("GET", q, nil)
			r.wantError(t, tc.code, tc.status)
			want := decodeJSON(t, recordedExpiredSyncToken).(map[string]any)
			want["error"].(map[string]any)["code"] = float64(tc.code)
			want["error"].(map[string]any)["status"] = tc.status
			wantJSON, _ := json.Marshal(want)
			gotJSON, _ := json.Marshal(r.json(t))
			if string(wantJSON) != string(gotJSON) {
				t.Errorf("expired token body\n got %s\nwant %s", gotJSON, wantJSON)
			}
			// A full sync works and gives a fresh token.
			if _, fresh := e.listAll("personFields=names&requestSyncToken=true"); fresh == "" {
				t.Errorf("no token from the full sync after expiry")
			}
		})
	}
}

func TestSyncTokenTTLChaining(t *testing.T) {
	day := 24 * time.Hour
	for _, tc := range []struct {
		name        string
		fromFull    bool
		wantExpired bool
	}{
		{"each token lives a TTL from issue", false, false},
		{"tokens live a TTL from the full sync", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, Options{SyncTokenTTLFromFullSync: tc.fromFull})
			_, sync := e.listAll("personFields=names&requestSyncToken=true")
			for i := range 3 {
				e.advance(3 * day)
				r := e.do("GET", "v1/people/me/connections?personFields=names&requestSyncToken=true&syncToken="+url.QueryEscape(sync), nil)
				if r.code != 200 {
					if !tc.wantExpired || i != 2 {
						t.Fatalf("token chain broke after %d days: %s", 3*(i+1), r.body)
					}
					r.wantError(t, 400, "FAILED_PRECONDITION")
					return
				}
				var p listPage
				r.into(t, &p)
				sync = p.NextSyncToken
			}
			if tc.wantExpired {
				t.Fatal("token chain outlived the full sync's TTL")
			}
		})
	}
}

func TestSyncTokenExpiryFromFullSyncAnswersError(t *testing.T) {
	e := newEnv(t, Options{SyncTokenTTLFromFullSync: true})
	_, sync := e.listAll("personFields=names&requestSyncToken=true")
	e.advance(4 * 24 * time.Hour)
	_, sync = e.listAll("personFields=names&requestSyncToken=true&syncToken=" + url.QueryEscape(sync))
	e.advance(3 * 24 * time.Hour)
	e.do("GET", "v1/people/me/connections?personFields=names&requestSyncToken=true&syncToken="+url.QueryEscape(sync), nil).
		wantError(t, 400, "FAILED_PRECONDITION")
}

func TestReadAfterWriteDelay(t *testing.T) {
	e := newEnv(t, Options{ReadAfterWrite: 2 * time.Minute})
	old := e.u.Put(person("Old", "Timer"))
	e.clock.Add(2 * time.Minute)
	_, sync := e.listAll("personFields=names&requestSyncToken=true")

	r := e.do("POST", "v1/people:createContact?personFields=names", person("Fresh", "Write"))
	r.wantOK(t)
	var created Person
	r.into(t, &created)
	// people.get sees the write at once (reference §10.3)…
	if got := e.get(created.ResourceName, "names"); got.Names[0].GivenName != "Fresh" {
		t.Errorf("get after create: %+v", got)
	}
	// …listings do not, full or incremental.
	full, _ := e.listAll("personFields=names")
	if slices.Contains(names(full), created.ResourceName) {
		t.Errorf("write visible in a full listing before the delay")
	}
	changes, sync2 := e.listAll("personFields=names&requestSyncToken=true&syncToken=" + url.QueryEscape(sync))
	if len(changes) != 0 {
		t.Errorf("write visible in a sync before the delay: %v", names(changes))
	}
	// An edit of a listed contact shows the old version until it propagates.
	p := e.get(old, "names")
	p.Names[0].GivenName = "New"
	e.u.Put(p)
	full, _ = e.listAll("personFields=names")
	if len(full) != 1 || full[0].Names[0].GivenName != "Old" {
		t.Errorf("listing during propagation: %+v", full)
	}

	e.clock.Add(2 * time.Minute)
	// The token issued during the delay did not skip the pending writes.
	changes, _ = e.listAll("personFields=names&requestSyncToken=true&syncToken=" + url.QueryEscape(sync2))
	if got, want := names(changes), names([]Person{{ResourceName: old}, {ResourceName: created.ResourceName}}); !slices.Equal(got, want) {
		t.Errorf("after the delay the sync reports %v, want %v", got, want)
	}
}

func TestChangesWhilePagingAreNotLost(t *testing.T) {
	e := newEnv(t, Options{})
	var all []string
	for i := range 10 {
		all = append(all, e.u.Put(person(fmt.Sprint(i), "")))
	}
	q := "personFields=names&pageSize=4&requestSyncToken=true"
	p := e.list(q)
	// While the client pages: edit a contact it already read, delete one
	// it already read, add one.
	read := names(p.Connections)
	edited := read[0]
	ep := e.get(edited, "names")
	ep.Names[0].GivenName = "edited"
	e.u.Put(ep)
	e.u.Delete(read[1])
	added := e.u.Put(person("added", ""))
	seen := slices.Clone(p.Connections)
	for p.NextPageToken != "" {
		p = e.list(q + "&pageToken=" + url.QueryEscape(p.NextPageToken))
		seen = append(seen, p.Connections...)
	}
	for _, n := range all[2:] {
		if !slices.Contains(names(seen), n) && n != read[1] {
			t.Errorf("contact %s skipped by the paging", n)
		}
	}
	// Changes made while paging come again in the next incremental sync.
	changes, _ := e.listAll("personFields=names&syncToken=" + url.QueryEscape(p.NextSyncToken))
	for _, n := range []string{edited, read[1], added} {
		if !slices.Contains(names(changes), n) {
			t.Errorf("change to %s made while paging was lost", n)
		}
	}
}

func TestSortOrder(t *testing.T) {
	e := newEnv(t, Options{})
	e.u.Put(person("Carol", "Alpha"))
	e.u.Put(person("Alice", "Charlie"))
	e.u.Put(person("Bob", "Bravo"))
	givens := func(ps []Person) string {
		var out []string
		for _, p := range ps {
			out = append(out, p.Names[0].GivenName)
		}
		return strings.Join(out, ",")
	}
	for order, want := range map[string]string{
		"":                         "Carol,Alice,Bob",
		"LAST_MODIFIED_ASCENDING":  "Carol,Alice,Bob",
		"LAST_MODIFIED_DESCENDING": "Bob,Alice,Carol",
		"FIRST_NAME_ASCENDING":     "Alice,Bob,Carol",
		"LAST_NAME_ASCENDING":      "Carol,Bob,Alice",
	} {
		t.Run(order, func(t *testing.T) {
			ps, _ := e.listAll("personFields=names&pageSize=2&sortOrder=" + order)
			if got := givens(ps); got != want {
				t.Errorf("got %s, want %s", got, want)
			}
		})
	}
	// A sort order other than the default cannot go with sync (reference §1).
	e.do("GET", "v1/people/me/connections?personFields=names&requestSyncToken=true&sortOrder=LAST_MODIFIED_DESCENDING", nil).
		wantError(t, 400, "INVALID_ARGUMENT")
	e.do("GET", "v1/people/me/connections?personFields=names&sortOrder=SIDEWAYS", nil).
		wantError(t, 400, "INVALID_ARGUMENT")
}

func TestListCapsEmailsAndPhones(t *testing.T) {
	e := newEnv(t, Options{})
	p := person("Many", "Addresses")
	for i := range 150 {
		p.EmailAddresses = append(p.EmailAddresses, EmailAddress{Value: fmt.Sprintf("a%d@example.com", i)})
		p.PhoneNumbers = append(p.PhoneNumbers, PhoneNumber{Value: fmt.Sprintf("+4420790000%02d", i%100)})
	}
	name := e.u.Put(p)
	list := e.list("personFields=emailAddresses,phoneNumbers")
	if n, m := len(list.Connections[0].EmailAddresses), len(list.Connections[0].PhoneNumbers); n != 100 || m != 100 {
		t.Errorf("listing carries %d emails and %d phones, want 100 each (reference §1)", n, m)
	}
	got := e.get(name, "emailAddresses,phoneNumbers")
	if n, m := len(got.EmailAddresses), len(got.PhoneNumbers); n != 150 || m != 150 {
		t.Errorf("people.get carries %d emails and %d phones, want all 150", n, m)
	}
}

func TestRenameReportsPreviousResourceNames(t *testing.T) {
	for _, tombstone := range []bool{false, true} {
		t.Run(fmt.Sprintf("tombstone=%v", tombstone), func(t *testing.T) {
			e := newEnv(t, Options{RenameLeavesTombstone: tombstone})
			old := e.u.Put(person("Ada", "Lovelace"))
			_, sync := e.listAll("personFields=names,metadata&requestSyncToken=true")
			renamed := e.u.Rename(old)
			if renamed == "" || renamed == old {
				t.Fatalf("Rename gave %q", renamed)
			}
			changes, _ := e.listAll("personFields=names,metadata&syncToken=" + url.QueryEscape(sync))
			var sawNew, sawOld bool
			for _, c := range changes {
				switch c.ResourceName {
				case renamed:
					sawNew = true
					if !slices.Equal(c.Metadata.PreviousResourceNames, []string{old}) {
						t.Errorf("previousResourceNames = %v", c.Metadata.PreviousResourceNames)
					}
				case old:
					sawOld = true
					if !c.Metadata.Deleted {
						t.Errorf("old name listed but not deleted")
					}
				}
			}
			if !sawNew || sawOld != tombstone {
				t.Errorf("new name listed %v, old name listed %v", sawNew, sawOld)
			}
			// previousResourceNames is only in sync responses.
			full, _ := e.listAll("personFields=names,metadata")
			if len(full) != 1 || full[0].ResourceName != renamed || len(full[0].Metadata.PreviousResourceNames) != 0 {
				t.Errorf("full listing after rename: %+v", full)
			}
			e.do("GET", "v1/"+old+"?personFields=names", nil).wantError(t, 404, "NOT_FOUND")
		})
	}
}
