package outlook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/contactbridge/contactbridge/connectors"
	"github.com/contactbridge/contactbridge/connectors/outlook/graphtest"
	"github.com/contactbridge/contactbridge/mapping"
)

func card(t *testing.T, i int, extra string) *mapping.Card {
	t.Helper()
	c, err := mapping.Parse(fmt.Appendf(nil, "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Person %d\r\nN:%d;Person;;;\r\nEMAIL:p%d@example.org\r\n%sEND:VCARD\r\n", i, i, i, extra))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func jpegBytes(t *testing.T, shade uint8) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 8, 8))
	for i := range img.Pix {
		img.Pix[i] = shade
	}
	img.Set(0, 0, color.Gray{Y: 255 - shade})
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// list runs Changes and then fetches what it listed, as the bridge does.
func list(t *testing.T, c *Connector, token string) (map[string]connectors.Item, []string, string, error) {
	t.Helper()
	ctx := context.Background()
	var ids, gone []string
	next, err := c.Changes(ctx, token, func(p connectors.Page) error {
		for _, ch := range p.Changes {
			if ch.Deleted {
				gone = append(gone, ch.ID)
			} else {
				ids = append(ids, ch.ID)
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, "", err
	}
	items := map[string]connectors.Item{}
	if err := c.Fetch(ctx, ids, func(it connectors.Item) error {
		items[it.ID] = it
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return items, gone, next, nil
}

func TestBatchesStayWithinTheMailboxLimits(t *testing.T) {
	var mu sync.Mutex
	c, srv, user := fakeMailbox(t, graphtest.Options{}, Config{})
	var waits []time.Duration
	c.c.sleep = func(_ context.Context, d time.Duration) error {
		mu.Lock()
		waits = append(waits, d)
		mu.Unlock()
		return nil
	}
	n := c.Capabilities().BatchSize
	if n != 80 {
		t.Fatalf("BatchSize %d, want 80 (4 sequential batches of 20)", n)
	}
	ws := make([]connectors.Write, n)
	for i := range ws {
		ws[i] = connectors.Write{Op: connectors.OpCreate, Key: fmt.Sprintf("key%03d", i), Card: card(t, i, "")}
	}
	srv.FailBatchItems(2, http.StatusTooManyRequests, 3*time.Second)
	res := c.WriteBatch(context.Background(), ws)
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("write %d: %v", i, r.Err)
		}
		if r.Item.Key != ws[i].Key || r.Item.Card == nil {
			t.Errorf("write %d: item %+v lacks its key or card", i, r.Item)
		}
	}
	if got := len(user.Contacts()); got != n {
		t.Errorf("%d contacts on the mailbox, want %d", got, n)
	}
	reqs := srv.Requests()
	// 4 batches, plus one or two more for the throttled items and those
	// that depended on them.
	if reqs["$batch"] < 5 || reqs["$batch"] > 6 || reqs["contacts.create"] < n {
		t.Errorf("requests %v: want 5 or 6 $batch for %d creates", reqs, n)
	}
	if len(waits) == 0 || waits[0] != 3*time.Second {
		t.Errorf("waits %v: want the items' Retry-After of 3s", waits)
	}
}

func TestCreateRetriedAfterACrashIsFoundByKey(t *testing.T) {
	c, srv, user := fakeMailbox(t, graphtest.Options{}, Config{})
	ctx := context.Background()
	first, err := c.Create(ctx, "recordkey001", card(t, 1, ""))
	if err != nil {
		t.Fatal(err)
	}
	// A new process knows nothing of the first create.
	c2, err := New(ctx, Config{ClientID: "client", RefreshToken: user.RefreshToken(), Endpoint: srv.URL(),
		TokenURL: srv.TokenURL("common"), HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	items, err := c2.FindKeys(ctx, []string{"recordkey001", "recordkey002"})
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].ID != first.ID || items[0].Key != "recordkey001" || items[0].Card == nil {
		t.Fatalf("FindKeys: %+v, want just %s with its key and card", items, first.ID)
	}
	if !mapping.Equal(items[0].Card, first.Card) {
		t.Errorf("found card differs from the written one")
	}
}

func TestRefreshTokensAreKeptAsTheyRotate(t *testing.T) {
	srv := graphtest.New(graphtest.Options{})
	defer srv.Close()
	user := srv.AddUser("first")
	var saved []string
	ctx := context.Background()
	cfg := Config{ClientID: "client", RefreshToken: "first", Endpoint: srv.URL(), TokenURL: srv.TokenURL("common"),
		HTTPClient: srv.Client(), SaveRefreshToken: func(_ context.Context, tok string) error {
			saved = append(saved, tok)
			return nil
		}}
	c, err := New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := list(t, c, ""); err != nil {
		t.Fatal(err)
	}
	if len(saved) != 1 || saved[0] == "first" || saved[0] != user.RefreshToken() {
		t.Fatalf("saved %q, want the rotated token %q", saved, user.RefreshToken())
	}
	// The old token is spent; the saved one works.
	cfg.RefreshToken = "first"
	old, _ := New(ctx, cfg)
	if _, _, _, err := list(t, old, ""); err == nil {
		t.Errorf("the spent refresh token still works: the fake does not rotate")
	}
	cfg.RefreshToken = saved[0]
	again, _ := New(ctx, cfg)
	if _, _, _, err := list(t, again, ""); err != nil {
		t.Errorf("the saved refresh token: %v", err)
	}
	// A failure to keep the new token fails the request rather than
	// losing the sign-in silently.
	cfg.RefreshToken = user.RefreshToken()
	cfg.SaveRefreshToken = func(context.Context, string) error { return errors.New("disk full") }
	broken, _ := New(ctx, cfg)
	if _, _, _, err := list(t, broken, ""); err == nil {
		t.Errorf("a refresh token that could not be kept: no error")
	}
}

func TestDeltaLossAndRemovals(t *testing.T) {
	c, srv, user := fakeMailbox(t, graphtest.Options{DeltaPageSize: 2}, Config{PageSize: 2})
	ctx := context.Background()
	var ids []string
	for i := range 5 {
		it, err := c.Create(ctx, fmt.Sprintf("k%d", i), card(t, i, ""))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, it.ID)
	}
	items, _, token, err := list(t, c, "")
	if err != nil || len(items) != 5 {
		t.Fatalf("first listing: %d items, %v", len(items), err)
	}
	user.Delete(ids[0])
	user.SoftDelete(ids[1])
	_, gone, token2, err := list(t, c, token)
	if err != nil {
		t.Fatal(err)
	}
	if len(gone) != 2 {
		t.Errorf("removed %v, want %s and %s", gone, ids[0], ids[1])
	}
	srv.ExpireDeltaTokens()
	if _, _, _, err := list(t, c, token2); !errors.Is(err, connectors.ErrTokenExpired) {
		t.Fatalf("a lost delta token: %v, want ErrTokenExpired", err)
	}
	items, _, _, err = list(t, c, "")
	if err != nil || len(items) != 3 {
		t.Errorf("full listing after the loss: %d items, %v; want 3", len(items), err)
	}
	// A token of another folder is not followed.
	c.mu.Lock()
	c.folderID = "elsewhere"
	c.mu.Unlock()
	if _, _, _, err := list(t, c, token2); !errors.Is(err, connectors.ErrTokenExpired) {
		t.Errorf("a token of another folder: %v, want ErrTokenExpired", err)
	}
}

func TestStaleChangeKeyIsAPreconditionFailure(t *testing.T) {
	c, _, user := fakeMailbox(t, graphtest.Options{}, Config{})
	ctx := context.Background()
	it, err := c.Create(ctx, "k", card(t, 1, ""))
	if err != nil {
		t.Fatal(err)
	}
	user.Edit(it.ID, func(gc *graphtest.Contact) { gc.JobTitle = "Editor" })
	if _, err := c.Update(ctx, it.ID, it.ETag, card(t, 1, "NOTE:x\r\n")); !errors.Is(err, connectors.ErrPreconditionFailed) {
		t.Errorf("update with a stale change key: %v, want ErrPreconditionFailed", err)
	}
	if err := c.Delete(ctx, it.ID, it.ETag); !errors.Is(err, connectors.ErrPreconditionFailed) {
		t.Errorf("delete with a stale change key: %v, want ErrPreconditionFailed", err)
	}
	gc, _ := user.Contact(it.ID)
	if gc.JobTitle != "Editor" {
		t.Errorf("the edit was overwritten")
	}
}

func TestPhotosAreSentOnlyWhenTheyChange(t *testing.T) {
	c, srv, user := fakeMailbox(t, graphtest.Options{}, Config{})
	ctx := context.Background()
	photo := jpegBytes(t, 100)
	withPhoto := card(t, 1, "")
	setPhoto(withPhoto, photo)
	it, err := c.Create(ctx, "k", withPhoto)
	if err != nil {
		t.Fatal(err)
	}
	if got, _, ok := user.Photo(it.ID); !ok || !bytes.Equal(got, photo) {
		t.Fatalf("the photo did not reach the mailbox")
	}
	gc, _ := user.Contact(it.ID)
	if it.ETag != gc.ETag {
		t.Errorf("etag %q after the photo, mailbox has %q", it.ETag, gc.ETag)
	}
	before := srv.Requests()["photo.put"]
	upd := withPhoto.Clone()
	upd.Add(mapping.Property{Name: "NOTE", Value: "new note"})
	if _, err := c.Update(ctx, it.ID, it.ETag, upd); err != nil {
		t.Fatal(err)
	}
	if n := srv.Requests()["photo.put"]; n != before {
		t.Errorf("an update that keeps the photo sent it again (%d → %d)", before, n)
	}
	items, _, _, err := list(t, c, "")
	if err != nil {
		t.Fatal(err)
	}
	got := items[it.ID]
	if got.Card == nil || got.Key != "" && got.Key != "k" {
		t.Fatalf("listing: %+v", got)
	}
	if p := got.Card.Get("PHOTO"); p == nil {
		t.Errorf("the listed contact has no photo")
	}
}
