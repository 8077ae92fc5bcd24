package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// contentSecurityPolicy lets the page load its own stylesheet and its
// data: favicon, and nothing else: no script, no frame, no form target.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src data:; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Handler serves the endpoint of `contactbridge run`:
//
//	GET  /                   the status page (HTML, refreshes itself every 30 s)
//	GET  /static/style.css   its stylesheet
//	GET  /api/status         the Snapshot as JSON (see the types for the field names)
//	GET  /metrics            the metrics of gatherer, in the Prometheus formats
//	GET  /healthz            200 "ok" while the process serves
//	GET  /readyz             200 when the snapshot is Ready, else 503 and the reason
//	POST /api/sync/{account} asks for a run of account now: 202, 404 for an
//	                         unknown account, 403 for a cross-site request
//
// Every response carries nosniff, a Content-Security-Policy that allows only
// the page's own stylesheet, and Referrer-Policy: no-referrer. log receives
// sync requests, refusals and failures; never a request body. A nil log
// discards; a nil gatherer serves an empty /metrics.
func Handler(svc Service, gatherer prometheus.Gatherer, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if gatherer == nil {
		gatherer = prometheus.NewRegistry()
	}
	h := &handler{svc: svc, log: log, page: newPage()}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", h.statusPage)
	mux.HandleFunc("GET "+h.page.cssPath, h.page.serveCSS)
	mux.HandleFunc("GET /api/status", h.status)
	mux.Handle("GET /metrics", promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{
		ErrorLog:            slog.NewLogLogger(log.Handler(), slog.LevelError),
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: 4,
		Timeout:             10 * time.Second,
	}))
	mux.HandleFunc("GET /healthz", healthz)
	mux.HandleFunc("GET /readyz", h.readyz)
	mux.HandleFunc("POST /api/sync/{account}", h.sync)
	return securityHeaders(mux)
}

type handler struct {
	svc  Service
	log  *slog.Logger
	page *page
}

// securityHeaders sets the headers every response carries, errors included.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr := w.Header()
		hdr.Set("X-Content-Type-Options", "nosniff")
		hdr.Set("Content-Security-Policy", contentSecurityPolicy)
		hdr.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}

func (h *handler) statusPage(w http.ResponseWriter, r *http.Request) {
	snap := h.svc.Snapshot(r.Context())
	var buf bytes.Buffer
	if err := h.page.render(&buf, snap); err != nil {
		h.log.Error("web: rendering the status page", "err", err)
		http.Error(w, "the status page could not be rendered; see the log", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}

// status writes the snapshot as JSON. Accounts is [] rather than null when
// there are none, so a reader can range over it without a check.
func (h *handler) status(w http.ResponseWriter, r *http.Request) {
	snap := h.svc.Snapshot(r.Context())
	if snap.Accounts == nil {
		snap.Accounts = []AccountStatus{}
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, snap)
}

func healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprintln(w, "ok")
}

func (h *handler) readyz(w http.ResponseWriter, r *http.Request) {
	snap := h.svc.Snapshot(r.Context())
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if snap.Ready {
		fmt.Fprintln(w, "ready")
		return
	}
	reason := "the first configuration load and store open have not succeeded yet"
	if snap.ConfigError != "" {
		reason += ": " + snap.ConfigError
	}
	w.WriteHeader(http.StatusServiceUnavailable)
	fmt.Fprintln(w, "not ready:", reason)
}

// syncAccepted is the body of a 202 from POST /api/sync/{account}.
type syncAccepted struct {
	Account string `json:"account"`
	Status  string `json:"status"` // always "accepted"
	Message string `json:"message"`
}

// apiError is the body of an error from the JSON API.
type apiError struct {
	Error string `json:"error"`
}

func (h *handler) sync(w http.ResponseWriter, r *http.Request) {
	account := r.PathValue("account")
	if reason := crossSiteReason(r); reason != "" {
		h.log.Warn("web: refused a sync request", "account", account, "reason", reason)
		writeJSON(w, http.StatusForbidden, apiError{"refused: " + reason})
		return
	}
	if err := h.svc.Trigger(r.Context(), account); err != nil {
		switch {
		case errors.Is(err, ErrUnknownAccount):
			writeJSON(w, http.StatusNotFound, apiError{fmt.Sprintf("no account named %q is configured", account)})
		case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
			writeJSON(w, http.StatusServiceUnavailable, apiError{err.Error()})
		default:
			h.log.Error("web: sync request failed", "account", account, "err", err)
			writeJSON(w, http.StatusInternalServerError, apiError{err.Error()})
		}
		return
	}
	h.log.Info("web: sync requested", "account", account)
	writeJSON(w, http.StatusAccepted, syncAccepted{
		Account: account,
		Status:  "accepted",
		Message: "a run of " + account + " starts as soon as possible; GET /api/status shows its result",
	})
}

// crossSiteReason says why r, a request that changes state, must be refused
// as possibly sent by another site's page, or returns "".
//
// A browser marks its requests with Sec-Fetch-Site (since 2023) and Origin;
// either one naming another site refuses the request. Requests without both
// (the CLI, curl) pass. On top of that, the content types a cross-site HTML
// form can send without a CORS preflight (form-urlencoded, multipart,
// text/plain) are refused whatever the headers: no client of this endpoint
// sends them, so an old browser that sends neither header cannot be used to
// forge a request either. POST with no body, or with application/json.
func crossSiteReason(r *http.Request) string {
	switch site := r.Header.Get("Sec-Fetch-Site"); site {
	case "", "same-origin", "none":
	default:
		return "cross-site request (Sec-Fetch-Site: " + site + ")"
	}
	if origin := r.Header.Get("Origin"); origin != "" {
		u, err := url.Parse(origin)
		if err != nil || u.Host == "" || !sameHost(u.Host, r.Host) {
			return "cross-origin request (Origin " + origin + " is not this host)"
		}
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil {
			mt = strings.ToLower(strings.TrimSpace(ct))
		}
		switch mt {
		case "application/x-www-form-urlencoded", "multipart/form-data", "text/plain":
			return "form content type " + mt + " (send no body, or application/json)"
		}
	}
	return ""
}

// sameHost compares two host[:port] values, letting a default port (80,
// 443) match its absence: a proxy may add or drop it.
func sameHost(a, b string) bool {
	trim := func(h string) string {
		h = strings.ToLower(h)
		h = strings.TrimSuffix(h, ":80")
		return strings.TrimSuffix(h, ":443")
	}
	return trim(a) == trim(b)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}
