package main

import (
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// A countingProxy is a loopback reverse proxy in front of one server that
// counts the requests a client sends it, by method.
type countingProxy struct {
	URL string
	srv *http.Server

	mu     sync.Mutex
	counts map[string]int
}

// newCountingProxy starts a proxy on a free loopback port forwarding to
// target.
func newCountingProxy(target string) (*countingProxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &countingProxy{URL: "http://" + l.Addr().String(), counts: map[string]int{}}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.Transport = &http.Transport{MaxIdleConnsPerHost: 16}
	// Redirects name the server's own address; the client must come back
	// through the proxy.
	rp.ModifyResponse = func(resp *http.Response) error {
		if loc := resp.Header.Get("Location"); strings.HasPrefix(loc, target) {
			resp.Header.Set("Location", p.URL+strings.TrimPrefix(loc, target))
		}
		return nil
	}
	p.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.counts[r.Method]++
		p.mu.Unlock()
		rp.ServeHTTP(w, r)
	})}
	go p.srv.Serve(l)
	return p, nil
}

// Take returns the counts since the last Take and resets them.
func (p *countingProxy) Take() Requests {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := Requests{}
	for m, n := range p.counts {
		out[m] = n
	}
	clear(p.counts)
	return out
}

// Close stops the proxy.
func (p *countingProxy) Close() { p.srv.Close() }

// Requests counts HTTP requests by method.
type Requests map[string]int

// Total is the number of requests.
func (r Requests) Total() int {
	n := 0
	for _, c := range r {
		n += c
	}
	return n
}

// Writes is the number of PUT and DELETE requests.
func (r Requests) Writes() int { return r["PUT"] + r["DELETE"] }

// String lists the counts, "12 (PROPFIND 2, REPORT 10)".
func (r Requests) String() string {
	if len(r) == 0 {
		return "0"
	}
	methods := make([]string, 0, len(r))
	for m := range r {
		methods = append(methods, m)
	}
	sort.Strings(methods)
	parts := make([]string, len(methods))
	for i, m := range methods {
		parts[i] = m + " " + strconv.Itoa(r[m])
	}
	return strconv.Itoa(r.Total()) + " (" + strings.Join(parts, ", ") + ")"
}
