package graphtest

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"
)

type batchItem = map[string]any

type batchAnswer struct {
	Responses []struct {
		ID      string            `json:"id"`
		Status  int               `json:"status"`
		Headers map[string]string `json:"headers"`
		Body    any               `json:"body"`
	} `json:"responses"`
}

func (e *env) batch(items ...batchItem) batchAnswer {
	e.t.Helper()
	var a batchAnswer
	e.do("POST", "/$batch", map[string]any{"requests": items}).want(e.t, http.StatusOK).into(e.t, &a)
	return a
}

// byID indexes a batch answer.
func (a batchAnswer) byID() map[string]int {
	out := map[string]int{}
	for i, r := range a.Responses {
		out[r.ID] = i
	}
	return out
}

func get(id, url string) batchItem { return batchItem{"id": id, "method": "GET", "url": url} }

func TestBatchLimits(t *testing.T) {
	e := newEnv(t, Options{SerialBatchItems: true})
	many := func(n int) []batchItem {
		var out []batchItem
		for i := range n {
			out = append(out, get(fmt.Sprint(i+1), "/me/contacts?$top=1"))
		}
		return out
	}
	if a := e.batch(many(20)...); len(a.Responses) != 20 {
		t.Errorf("20 requests: %d responses", len(a.Responses))
	}
	post := batchItem{"id": "1", "method": "POST", "url": "/me/contacts", "body": map[string]any{"givenName": "A"}}
	for _, tc := range []struct {
		name  string
		items []batchItem
	}{
		{"21 requests", many(21)},
		{"no requests", []batchItem{}},
		{"duplicate ids, case ignored", []batchItem{get("a", "/me/contacts"), get("A", "/me/contacts")}},
		{"missing id", []batchItem{{"method": "GET", "url": "/me/contacts"}}},
		{"body without Content-Type", []batchItem{post}},
		{"absolute url", []batchItem{get("1", "https://graph.microsoft.com/v1.0/me/contacts")}},
		{"bad method", []batchItem{{"id": "1", "method": "HEAD", "url": "/me/contacts"}}},
		{"dependsOn unknown id", []batchItem{{"id": "1", "method": "GET", "url": "/me/contacts", "dependsOn": []string{"9"}}}},
		{"dependsOn cycle", []batchItem{
			{"id": "1", "method": "GET", "url": "/me/contacts", "dependsOn": []string{"2"}},
			{"id": "2", "method": "GET", "url": "/me/contacts", "dependsOn": []string{"1"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.do("POST", "/$batch", map[string]any{"requests": tc.items}).wantError(t, 400, "BadRequest")
		})
	}
	e.do("POST", "/$batch", []byte(`not json`)).wantError(t, 400, "BadRequest")
	e.do("GET", "/$batch", nil).wantError(t, 405, "Request_BadRequest")
	e.doAs("", "POST", "/$batch", map[string]any{"requests": many(1)}).wantError(t, 401, "InvalidAuthenticationToken")
	if n := len(e.u.Contacts()); n != 0 {
		t.Errorf("a refused batch ran: %d contacts", n)
	}
}

func TestBatchItems(t *testing.T) {
	e := newEnv(t, Options{})
	existing := e.u.Put(Contact{GivenName: "Old"})
	a := e.batch(
		batchItem{"id": "create", "method": "POST", "url": "/me/contacts", "headers": map[string]string{"Content-Type": "application/json"},
			"body": map[string]any{"givenName": "New"}},
		batchItem{"id": "patch", "method": "PATCH", "url": "me/contacts/" + existing, "headers": map[string]string{"Content-Type": "application/json", "Prefer": immutable},
			"body": map[string]any{"jobTitle": "Analyst"}},
		get("missing", "/me/contacts/AAkALgAAAAAAHYQDEapmEc2byACqAC-EWg0Anothere"),
		batchItem{"id": "photo", "method": "PUT", "url": "/me/contacts/" + existing + "/photo/$value", "headers": map[string]string{"Content-Type": "image/jpeg"},
			"body": base64.StdEncoding.EncodeToString(jpeg)},
	)
	if got := []string{a.Responses[0].ID, a.Responses[3].ID}; !slices.Equal(got, []string{"photo", "create"}) {
		t.Errorf("responses in order %v; by default they come back reversed (reference §5: any order)", got)
	}
	idx := a.byID()
	for id, want := range map[string]int{"create": 201, "patch": 200, "missing": 404, "photo": 200} {
		if got := a.Responses[idx[id]].Status; got != want {
			t.Errorf("%s: status %d, want %d (%v)", id, got, want, a.Responses[idx[id]].Body)
		}
	}
	patched := a.Responses[idx["patch"]]
	if body := patched.Body.(map[string]any); body["jobTitle"] != "Analyst" || body["id"] != existing {
		t.Errorf("patch body %v (the item's Prefer header applies)", body)
	}
	if patched.Headers["Content-Type"] == "" {
		t.Errorf("item headers %v", patched.Headers)
	}
	if err := a.Responses[idx["missing"]].Body.(map[string]any)["error"].(map[string]any); err["code"] != "ErrorItemNotFound" {
		t.Errorf("missing: %v", err)
	}
	if data, _, _ := e.u.Photo(existing); string(data) != string(jpeg) {
		t.Errorf("a base64 photo body in a batch was not decoded")
	}
	a = e.batch(get("p", "/me/contacts/"+existing+"/photo/$value"))
	if b, _ := base64.StdEncoding.DecodeString(a.Responses[0].Body.(string)); string(b) != string(jpeg) {
		t.Errorf("a binary answer in a batch is base64: %v", a.Responses[0].Body)
	}

	e = newEnv(t, Options{BatchInOrder: true})
	a = e.batch(get("1", "/me/contacts"), get("2", "/me/contacts"), get("3", "/me/contacts"))
	if a.Responses[0].ID != "1" || a.Responses[2].ID != "3" {
		t.Errorf("BatchInOrder: %v", a.byID())
	}
}

func TestBatchDependsOn(t *testing.T) {
	e := newEnv(t, Options{})
	body := func(name string) batchItem {
		return batchItem{"method": "POST", "url": "/me/contacts", "headers": map[string]string{"Content-Type": "application/json"},
			"body": map[string]any{"givenName": name}}
	}
	with := func(item batchItem, id string, deps ...string) batchItem {
		item["id"] = id
		if deps != nil {
			item["dependsOn"] = deps
		}
		return item
	}
	a := e.batch(with(body("One"), "1"), with(get("", "/me/contacts/AAkALgAAAAAAHYQDEapmEc2byACqAC-EWg0Anothere"), "2", "1"),
		with(body("Three"), "3", "2"), with(body("Four"), "4", "1"))
	idx := a.byID()
	for id, want := range map[string]int{"1": 201, "2": 404, "3": 424, "4": 201} {
		if got := a.Responses[idx[id]].Status; got != want {
			t.Errorf("request %s: %d, want %d", id, got, want)
		}
	}
	var names []string
	for _, c := range e.u.Contacts() {
		names = append(names, c.GivenName)
	}
	if !slices.Equal(names, []string{"One", "Four"}) {
		t.Errorf("contacts %v: a request whose dependency failed must not run", names)
	}
}

func TestBatchItemThrottling(t *testing.T) {
	e := newEnv(t, Options{})
	e.s.FailBatchItems(1, http.StatusTooManyRequests, 10*time.Second)
	a := e.batch(batchItem{"id": "1", "method": "GET", "url": "/me/contacts", "dependsOn": []string{}}, get("2", "/me/contacts"))
	idx := a.byID()
	first, second := a.Responses[idx["1"]], a.Responses[idx["2"]]
	if first.Status != 429 || first.Headers["Retry-After"] != "10" || second.Status != 200 {
		t.Fatalf("per-item 429: %+v / %+v", first, second)
	}
	if err := first.Body.(map[string]any)["error"].(map[string]any); err["code"] != "TooManyRequests" || err["message"] != "Please retry again later." {
		t.Errorf("per-item 429 body %v (reference §6)", err)
	}

	t.Run("parallel requests share the mailbox's four slots", func(t *testing.T) {
		var items []batchItem
		for i := range 6 {
			items = append(items, get(fmt.Sprint(i+1), "/me/contacts"))
		}
		a := e.batch(items...)
		var ok, throttled int
		for _, r := range a.Responses {
			switch {
			case r.Status == 200:
				ok++
			case r.Status == 429 && r.Body.(map[string]any)["error"].(map[string]any)["code"] == "ApplicationThrottled" && r.Headers["Retry-After"] != "":
				throttled++
			}
		}
		if ok != 4 || throttled != 2 {
			t.Errorf("%d ok, %d throttled: want 4 and 2 (reference §6: 4 concurrent requests per mailbox)", ok, throttled)
		}
	})
	t.Run("a sequential batch is not throttled", func(t *testing.T) {
		items := []batchItem{get("1", "/me/contacts")}
		for i := 2; i <= 6; i++ {
			items = append(items, batchItem{"id": fmt.Sprint(i), "method": "GET", "url": "/me/contacts", "dependsOn": []string{fmt.Sprint(i - 1)}})
		}
		for _, r := range e.batch(items...).Responses {
			if r.Status != 200 {
				t.Errorf("request %s: %d", r.ID, r.Status)
			}
		}
	})
	t.Run("SerialBatchItems", func(t *testing.T) {
		e := newEnv(t, Options{SerialBatchItems: true})
		var items []batchItem
		for i := range 20 {
			items = append(items, get(fmt.Sprint(i+1), "/me/contacts"))
		}
		for _, r := range e.batch(items...).Responses {
			if r.Status != 200 {
				t.Errorf("request %s: %d", r.ID, r.Status)
			}
		}
	})
	if got := e.s.Requests(); got["$batch"] != 3 || got["contacts.list"] != 14 {
		t.Errorf("Requests %v: the batch and each of its requests are counted", got)
	}
}
