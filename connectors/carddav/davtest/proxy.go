package davtest

import (
	"bytes"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Faults says how often a Proxy misbehaves, each as a share of requests
// (0 to 1); the shares add up, and a request gets at most one fault. Faults
// marked "after" forward the request first, so the server has acted on it
// when the client sees the failure: the case a retried write must handle.
type Faults struct {
	// Drop closes the connection without forwarding the request.
	Drop float64
	// DropAfter forwards the request, then closes the connection without
	// answering.
	DropAfter float64
	// Error500 and Error503 answer with that status without forwarding.
	Error500 float64
	Error503 float64
	// Error502After forwards the request, then answers 502 Bad Gateway.
	Error502After float64
	// TooMany answers 429 with a Retry-After of RetryAfter without
	// forwarding.
	TooMany    float64
	RetryAfter string
	// Truncate forwards the request, then sends the headers and only half
	// of the body before closing the connection.
	Truncate float64
	// Slow forwards the request at once but answers only after Delay, as
	// an overloaded server does; a client that times out meanwhile sees no
	// answer although the server acted.
	Slow  float64
	Delay time.Duration
}

// A Proxy stands between a client and a server on loopback and injects
// the faults it is told to, from a seeded random source so a failing run
// can be repeated. It counts requests by method.
type Proxy struct {
	// URL is the proxy's root, to use instead of the server's.
	URL string

	target *url.URL
	client *http.Client

	mu     sync.Mutex
	faults Faults
	rng    *rand.Rand
	counts map[string]int
	faulty map[string]int
}

// NewProxy starts a proxy for t in front of the server at target (its
// root URL), injecting f, with random seed seed. It is closed when t ends.
func NewProxy(t testing.TB, target string, f Faults, seed uint64) *Proxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatalf("davtest: proxy target %q: %v", target, err)
	}
	p := &Proxy{
		target: u,
		client: &http.Client{
			Timeout:       time.Minute,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		faults: f,
		rng:    rand.New(rand.NewPCG(seed, seed^0x5bd1e995)),
		counts: map[string]int{},
		faulty: map[string]int{},
	}
	srv := httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(srv.Close)
	p.URL = srv.URL + "/"
	return p
}

// SetFaults replaces the faults injected from now on.
func (p *Proxy) SetFaults(f Faults) {
	p.mu.Lock()
	p.faults = f
	p.mu.Unlock()
}

// Counts returns the requests received so far, by method.
func (p *Proxy) Counts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int, len(p.counts))
	for k, v := range p.counts {
		out[k] = v
	}
	return out
}

// Faulted returns the faults injected so far, by kind.
func (p *Proxy) Faulted() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int, len(p.faulty))
	for k, v := range p.faulty {
		out[k] = v
	}
	return out
}

// pick counts r and draws the fault for it ("" for none).
func (p *Proxy) pick(r *http.Request) (string, Faults) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts[r.Method]++
	f := p.faults
	x := p.rng.Float64()
	for _, c := range []struct {
		name  string
		share float64
	}{
		{"drop", f.Drop}, {"drop-after", f.DropAfter}, {"500", f.Error500}, {"503", f.Error503},
		{"502-after", f.Error502After}, {"429", f.TooMany}, {"truncate", f.Truncate}, {"slow", f.Slow},
	} {
		if x < c.share {
			p.faulty[c.name]++
			return c.name, f
		}
		x -= c.share
	}
	return "", f
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	fault, f := p.pick(r)
	switch fault {
	case "drop":
		hangUp(w)
		return
	case "500":
		http.Error(w, "injected failure", http.StatusInternalServerError)
		return
	case "503":
		http.Error(w, "injected unavailability", http.StatusServiceUnavailable)
		return
	case "429":
		w.Header().Set("Retry-After", f.RetryAfter)
		http.Error(w, "injected rate limit", http.StatusTooManyRequests)
		return
	}
	resp, body, err := p.forward(r)
	if err != nil {
		http.Error(w, "proxy: "+err.Error(), http.StatusBadGateway)
		return
	}
	switch fault {
	case "slow":
		select {
		case <-time.After(f.Delay):
		case <-r.Context().Done():
			return
		}
	case "drop-after":
		hangUp(w)
		return
	case "502-after":
		http.Error(w, "injected bad gateway", http.StatusBadGateway)
		return
	}
	for k, vs := range resp.Header {
		if k == "Content-Length" {
			continue
		}
		w.Header()[k] = vs
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(resp.StatusCode)
	if fault == "truncate" && len(body) > 1 {
		w.Write(body[:len(body)/2])
		w.(http.Flusher).Flush()
		hangUp(w)
		return
	}
	w.Write(body)
}

// forward sends r to the target and reads the answer in full.
func (p *Proxy) forward(r *http.Request) (*http.Response, []byte, error) {
	in, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, nil, err
	}
	u := *p.target
	u.Path, u.RawPath, u.RawQuery = r.URL.Path, r.URL.RawPath, r.URL.RawQuery
	out, err := http.NewRequestWithContext(r.Context(), r.Method, u.String(), bytes.NewReader(in))
	if err != nil {
		return nil, nil, err
	}
	out.Header = r.Header.Clone()
	out.Host = p.target.Host
	resp, err := p.client.Do(out)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, err
	}
	if loc := resp.Header.Get("Location"); loc != "" {
		// Keep the client on the proxy.
		if lu, err := url.Parse(loc); err == nil && lu.Host == p.target.Host {
			lu.Scheme, lu.Host = "", ""
			resp.Header.Set("Location", lu.String())
		}
	}
	return resp, body, nil
}

// hangUp closes the client's connection without an answer.
func hangUp(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("davtest: proxy connection cannot be hijacked")
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	conn.Close()
}
