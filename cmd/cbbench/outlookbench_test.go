package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/contactbridge/contactbridge/connectors/outlook/graphtest"
)

func TestGraphEndpoint(t *testing.T) {
	for _, tc := range []struct {
		method, url, want string
	}{
		{"POST", "/organizations/oauth2/v2.0/token", "token"},
		{"POST", "/v1.0/$batch", "$batch"},
		{"GET", "/v1.0/me/contactFolders/contacts/contacts/delta", "contacts.delta"},
		{"GET", "/v1.0/me/contactfolders/AAMkAD%2F1=/contacts/delta?$deltatoken=x", "contacts.delta"},
		{"GET", "/v1.0/me/contacts/delta()", "contacts.delta"},
		{"GET", "/v1.0/me/contactFolders?$top=100", "contactFolders.list"},
		{"GET", "/v1.0/users/u1/contactFolders/f1/childFolders/f2/contacts", "contacts.list"},
		{"POST", "/me/contactFolders/contacts/contacts", "contacts.create"},
		{"PATCH", "/me/contactFolders/f1/contacts/AAMk%2Fx=", "contacts.update"},
		{"DELETE", "/me/contacts/AAMk", "contacts.delete"},
		{"GET", "/me/contacts/AAMk?$select=id", "contacts.get"},
		{"GET", "/me/contacts/AAMk/photo/$value", "photo.get"},
		{"PUT", "/me/contacts/AAMk/photo/$value", "photo.put"},
		{"GET", "/v1.0/me/outlook/masterCategories", "masterCategories.list"},
		{"POST", "/v1.0/me/contacts/delta", "other POST"},
		{"GET", "/v1.0/me/messages", "other GET"},
	} {
		t.Run(tc.method+" "+tc.url, func(t *testing.T) {
			u, err := url.Parse(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			if got := graphEndpoint(tc.method, u); got != tc.want {
				t.Errorf("graphEndpoint = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestGraphProxy drives the fake through the proxy by hand: the delta
// links it follows lead back through the proxy, a $batch is one HTTP
// request named by what it carries, and the proxy's counts add up to the
// fake's.
func TestGraphProxy(t *testing.T) {
	srv := graphtest.New(graphtest.Options{})
	defer srv.Close()
	u := srv.AddUser("0.AXoA-proxy-test")
	var ids []string
	for i := range 5 {
		ids = append(ids, u.Put(graphtest.Contact{GivenName: fmt.Sprint("Ada", i), Surname: "Lovelace"}))
	}
	p, err := newGraphProxy(strings.TrimSuffix(srv.URL(), "/v1.0"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	res, err := http.PostForm(p.URL+"/common/oauth2/v2.0/token", url.Values{"grant_type": {"refresh_token"},
		"refresh_token": {"0.AXoA-proxy-test"}, "client_id": {outlookClientID}})
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	err = json.NewDecoder(res.Body).Decode(&tok)
	res.Body.Close()
	if err != nil || tok.AccessToken == "" {
		t.Fatalf("token: %v, status %d", err, res.StatusCode)
	}
	do := func(method, u string, body []byte, out any) {
		t.Helper()
		req, err := http.NewRequest(method, u, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		req.Header.Set("Prefer", "odata.maxpagesize=2")
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s %s: status %d", method, u, res.StatusCode)
		}
		if err := json.NewDecoder(res.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
	var pages int
	for link := p.URL + "/v1.0/me/contactFolders/contacts/contacts/delta"; link != ""; pages++ {
		if !strings.HasPrefix(link, p.URL) {
			t.Fatalf("page %d links to %s, not through the proxy %s", pages, link, p.URL)
		}
		var page struct {
			Next  string `json:"@odata.nextLink"`
			Delta string `json:"@odata.deltaLink"`
		}
		do("GET", link, nil, &page)
		link = page.Next
		if link == "" && !strings.HasPrefix(page.Delta, p.URL) {
			t.Errorf("deltaLink %s does not lead through the proxy", page.Delta)
		}
	}
	batch, _ := json.Marshal(map[string]any{"requests": []map[string]string{
		{"id": "1", "method": "GET", "url": "/me/contacts/" + ids[0] + "/photo/$value"},
		{"id": "2", "method": "GET", "url": "/me/contacts/" + ids[1] + "?$select=id"},
	}})
	var answer any
	do("POST", p.URL+"/v1.0/$batch", batch, &answer)

	direct, items := p.counts()
	want := Requests{"token": 1, "contacts.delta": pages, "$batch[contacts.get+photo.get]": 1}
	if direct.String() != want.String() {
		t.Errorf("HTTP requests %s, want %s", direct, want)
	}
	if want := (Requests{"photo.get": 1, "contacts.get": 1}); items.String() != want.String() {
		t.Errorf("requests in batches %s, want %s", items, want)
	}
	g := graphRequests{HTTP: direct, Items: items, Fake: srv.Requests()}
	res2 := &outlookResult{Steps: []outlookStep{{Phase: phaseInitial, Requests: map[string]graphRequests{outlookA: g}}}}
	(&outlookBench{}).agree(res2)
	if c := res2.Checks[0]; !c.OK {
		t.Errorf("proxy and fake disagree: %s", c.Detail)
	}
}

// TestOutlookAgree: the proxies' counts must add up to the fakes', except
// for requests in batches the fake skipped (424), which it never counts.
func TestOutlookAgree(t *testing.T) {
	for _, tc := range []struct {
		name        string
		http, items Requests
		fake        Requests
		ok          bool
		skipped     int
	}{
		{"the same", Requests{"$batch[contacts.create]": 2, "contacts.delta": 3}, Requests{"contacts.create": 40},
			Requests{"$batch": 2, "contacts.create": 40, "contacts.delta": 3}, true, 0},
		{"creates skipped after a throttled one", Requests{"$batch[contacts.create]": 2}, Requests{"contacts.create": 40},
			Requests{"$batch": 2, "contacts.create": 31}, true, 9},
		{"a delta page that bypassed the proxy", Requests{"contacts.delta": 1}, nil,
			Requests{"contacts.delta": 2}, false, 0},
		{"a request the fake has no name for", Requests{"$batch[other PATCH]": 1}, Requests{"other PATCH": 20},
			Requests{"$batch": 1}, false, 0},
		{"a batch the proxy did not see", Requests{"$batch[photo.get]": 1}, Requests{"photo.get": 4},
			Requests{"$batch": 2, "photo.get": 4}, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			zero := graphSnapshot{fake: map[string]Requests{outlookA: {}}, http: map[string]Requests{outlookA: {}},
				items: map[string]Requests{outlookA: {}}, admitted: map[string]Requests{outlookA: {}}}
			now := graphSnapshot{fake: map[string]Requests{outlookA: tc.fake}, http: map[string]Requests{outlookA: tc.http},
				items: map[string]Requests{outlookA: tc.items}, admitted: map[string]Requests{outlookA: tc.fake}}
			g := now.since(zero)
			if got := g[outlookA].Skipped; got != tc.skipped {
				t.Errorf("skipped %d, want %d", got, tc.skipped)
			}
			res := &outlookResult{Steps: []outlookStep{{Phase: phaseInitial, Requests: g}}}
			(&outlookBench{}).agree(res)
			if c := res.Checks[0]; c.OK != tc.ok {
				t.Errorf("agree: %t (%s), want %t", c.OK, c.Detail, tc.ok)
			}
		})
	}
}

func TestOutlookContact(t *testing.T) {
	g := NewGenerator(1)
	emails, companies := map[int]int{}, 0
	for i := range 12 {
		c := outlookContact(i, g.Card(i, 0))
		if c.GivenName == "" || c.Surname == "" || c.MobilePhone == "" || len(c.BusinessPhones) != 1 ||
			c.HomeAddress.City == "" || c.Birthday == "" || c.PersonalNotes == "" {
			t.Fatalf("contact %d lacks a field: %+v", i, c)
		}
		emails[len(c.EmailAddresses)]++
		if c.CompanyName != "" {
			companies++
		}
		e := outlookContact(i, g.Card(i, 1))
		if e.MobilePhone == c.MobilePhone && e.PersonalNotes == c.PersonalNotes {
			t.Errorf("contact %d: the edited version has the same mobile number and notes", i)
		}
	}
	if emails[1] != 4 || emails[2] != 4 || emails[3] != 4 || companies != 8 {
		t.Errorf("e-mail addresses per contact %v, %d of 12 with a company; want 1, 2 and 3 alike, 8 with a company", emails, companies)
	}
	if b, err := contactPhoto(3); err != nil || len(b) < 200 || len(b) > 4000 || !bytes.HasPrefix(b, []byte{0xff, 0xd8}) {
		t.Errorf("photo: %d bytes, %v; want a JPEG of about 1 KB", len(b), err)
	}
}

// TestOutlookBenchmark runs the whole benchmark at a small size against a
// contactbridge built from this module: both mailboxes end up with the
// same contacts and photos, B receives its contacts in ceil(N/20) $batch
// of creates (and the photos in at most one more per group), no contact
// is written when nothing changed, the second no-change run costs one
// request per mailbox, and 20 changes reach B in one $batch of updates.
func TestOutlookBenchmark(t *testing.T) {
	if testing.Short() {
		t.Skip("builds contactbridge: not in -short")
	}
	dir := t.TempDir()
	bin, err := buildContactbridge(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	const n = 60
	ob := &outlookBench{N: n, Changes: 20, Repeat: 2, Seed: 1, PhotoEvery: 20, WorkDir: dir, Contactbridge: bin}
	res, err := ob.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Photos == 0 {
		t.Fatal("no contact of A has a photo: the photo requests go untested")
	}
	for _, c := range res.Checks {
		// Whether a no-change run writes the store is a target the
		// benchmark reports, not what this test asserts.
		if !c.OK && !strings.HasPrefix(c.Name, "target") {
			t.Errorf("%s: %s", c.Name, c.Detail)
		}
	}
	nc := res.steps(phaseNoChange)
	if len(nc) != 2 || len(res.steps(phaseInitial)) != 1 || len(res.steps(phaseChanges)) != 1 {
		t.Fatalf("steps %+v, want initial, two no-change, changes", res.Steps)
	}

	initB := res.steps(phaseInitial)[0].Requests[outlookB]
	if got := initB.batches("contacts.create"); got != n/outlookBatch {
		t.Errorf("initial: %d $batch of creates on B for %d contacts, want %d: %s", got, n, n/outlookBatch, initB)
	}
	if got := initB.Items["contacts.create"]; got != n {
		t.Errorf("initial: %d creates on B, want %d: %s", got, n, initB)
	}
	if got := initB.batches("photo.put"); got < 1 || got > res.Photos || initB.Items["photo.put"] != res.Photos {
		t.Errorf("initial: the %d photos reach B in %d $batch (%d photo.put), want 1 to %d: %s",
			res.Photos, got, initB.Items["photo.put"], res.Photos, initB)
	}

	firstB := nc[0].Requests[outlookB]
	if got := firstB.Items.Total(); got != 0 {
		t.Errorf("first no-change run: B reads %d contacts or photos back, want none (their etags are known): %s", got, firstB)
	}
	for _, acct := range []string{outlookA, outlookB} {
		if got := nc[1].Requests[acct]; got.HTTP.Total() != 1 || got.HTTP["contacts.delta"] != 1 || got.Items.Total() != 0 {
			t.Errorf("second no-change run: %s got %s, want one delta page", acct, got)
		}
	}

	changesB := res.steps(phaseChanges)[0].Requests[outlookB]
	if got := changesB.batches("contacts.update"); got != 1 || changesB.Items["contacts.update"] != 20 {
		t.Errorf("20 changes: B got %d $batch of updates (%d updates), want 1 of 20: %s", got, changesB.Items["contacts.update"], changesB)
	}

	var md bytes.Buffer
	if err := writeOutlookMarkdown(&md, res); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| no-change (2 of 2) |", "| 20 changes |", "### Checks and targets", "contacts.delta", "$batch[contacts.create]"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("the report lacks %q:\n%s", want, md.String())
		}
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "cbbench-outlook-*")); len(left) > 0 {
		t.Errorf("temporary folders left behind: %v", left)
	}
}
