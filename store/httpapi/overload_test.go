package httpapi_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/contactbridge/contactbridge/store/httpapi"
)

func TestOverloadIs503WithBackoff(t *testing.T) {
	e := newEnv(t, config{options: func(o *httpapi.Options) { o.MaxInFlight = 1 }})
	entered := make(chan struct{})
	release := make(chan struct{})
	var releaseOnce sync.Once
	free := func() { releaseOnce.Do(func() { close(release) }) }
	// Runs before the server's Close, which waits for the held request.
	t.Cleanup(free)
	var once sync.Once
	e.auth.hold = func(user string) {
		if user == "bob" {
			once.Do(func() {
				close(entered)
				<-release
			})
		}
	}
	done := make(chan int)
	go func() {
		r, err := e.srv.Client().Do(bobRequest(t, e))
		if err != nil {
			t.Error(err)
			done <- 0
			return
		}
		r.Body.Close()
		done <- r.StatusCode
	}()
	<-entered // bob's request holds the only slot

	// A handler that queued the request instead of refusing it would hang
	// here: the client's deadline turns that into a failure.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r := e.do("GET", "/1.5/alice/info/collections", "", withContext(ctx)).
		want(t, "a request beyond MaxInFlight", http.StatusServiceUnavailable, "0")
	if r.header.Get("Retry-After") == "" || r.header.Get("X-Weave-Backoff") == "" {
		t.Fatalf("503 without Retry-After (%q) or X-Weave-Backoff (%q)", r.header.Get("Retry-After"), r.header.Get("X-Weave-Backoff"))
	}
	if r.header.Get("Retry-After") != r.header.Get("X-Weave-Backoff") {
		t.Fatalf("Retry-After %q and X-Weave-Backoff %q differ", r.header.Get("Retry-After"), r.header.Get("X-Weave-Backoff"))
	}

	free()
	if got := <-done; got != http.StatusOK {
		t.Fatalf("the held request: status %d, want 200", got)
	}
	e.do("GET", "/1.5/alice/info/collections", "").want(t, "once the slot is free", http.StatusOK, "")
}

func bobRequest(t *testing.T, e *env) *http.Request {
	req, err := http.NewRequest("GET", e.srv.URL+"/1.5/bob/info/collections", nil)
	if err != nil {
		t.Error(err)
	}
	req.SetBasicAuth("bob", "secret-b")
	return req
}

// withContext sends the request with ctx.
func withContext(ctx context.Context) reqOpt {
	return func(r *http.Request) { *r = *r.WithContext(ctx) }
}
