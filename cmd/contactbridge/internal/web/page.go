package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// assets are the status page's template and stylesheet.
//
//go:embed templates/status.html static/style.css
var assets embed.FS

// page renders the status page. It is built once per Handler and only read
// after that.
type page struct {
	tmpl    *template.Template
	css     []byte
	cssETag string
	// cssPath is the stylesheet's URL path; the page links it with ?v= and
	// its hash, so a browser may keep it for a day and still sees a new one
	// at once.
	cssPath string
	cssHref string
}

func newPage() *page {
	css, err := assets.ReadFile("static/style.css")
	if err != nil {
		panic(err) // embedded: cannot happen
	}
	sum := sha256.Sum256(css)
	v := hex.EncodeToString(sum[:8])
	return &page{
		tmpl:    template.Must(template.New("status.html").ParseFS(assets, "templates/status.html")),
		css:     css,
		cssETag: `"` + v + `"`,
		cssPath: "/static/style.css",
		cssHref: "/static/style.css?v=" + v,
	}
}

func (p *page) serveCSS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.Header().Set("ETag", p.cssETag)
	http.ServeContent(w, r, "style.css", time.Time{}, bytes.NewReader(p.css))
}

func (p *page) render(w io.Writer, s Snapshot) error {
	return p.tmpl.Execute(w, newPageView(s, p.cssHref))
}

// pageView is the snapshot as the template shows it: every text already
// worded, so that the template only places and escapes.
type pageView struct {
	Title       string
	CSS         string
	Favicon     template.URL
	Version     string
	Started     timeView
	Now         timeView
	Ready       bool
	ConfigError string
	Overall     string // the state the favicon and the title show
	Summary     []summaryItem
	Accounts    []accountView
}

type summaryItem struct {
	State string
	Text  string
}

// timeView is a moment shown relative to the snapshot's Now, with the
// absolute UTC time in a tooltip.
type timeView struct {
	Zero bool
	Rel  string // "3 min ago", "in 2 h"
	Abs  string // "2026-05-04 13:04:05 UTC"
	ISO  string // for <time datetime>
}

type accountView struct {
	Name, Type, Schedule string
	State                string // StateRunning, StateOK, StateFailing, StateNever
	StateLabel           string
	StateNotes           []string // failures in a row, backoff, last success
	Last                 *runView
	Next                 timeView
	NextNote             string // when Next is zero
	ConflictsWaiting     int
	ErrorHint            string
}

type runView struct {
	When      timeView
	Duration  string
	Trigger   string
	ToHub     string
	ToRemote  string
	Conflicts int
	Failed    int
	Waiting   int
	Err       string
	ErrKind   string // a few words for ErrKind
}

func newPageView(s Snapshot, cssHref string) pageView {
	v := pageView{
		CSS:         cssHref,
		Version:     s.Version,
		Started:     newTimeView(s.Started, s.Now),
		Now:         newTimeView(s.Now, s.Now),
		Ready:       s.Ready,
		ConfigError: s.ConfigError,
	}
	if v.Version == "" {
		v.Version = "unknown version"
	}
	count := map[string]int{}
	for _, a := range s.Accounts {
		av := newAccountView(a, s.Now)
		count[av.State]++
		v.Accounts = append(v.Accounts, av)
	}
	for _, st := range []struct{ state, word string }{
		{StateFailing, "failing"}, {StateRunning, "running"}, {StateOK, "ok"}, {StateNever, "not run yet"},
	} {
		if n := count[st.state]; n > 0 {
			v.Summary = append(v.Summary, summaryItem{st.state, fmt.Sprintf("%d %s", n, st.word)})
		}
	}
	switch {
	case !s.Ready || count[StateFailing] > 0:
		v.Overall = StateFailing
	case count[StateRunning] > 0:
		v.Overall = StateRunning
	case s.ConfigError != "":
		v.Overall = "warning"
	case len(s.Accounts) == 0:
		v.Overall = StateNever
	default:
		v.Overall = StateOK
	}
	switch {
	case !s.Ready:
		v.Title = "not ready · ContactBridge"
	case count[StateFailing] > 0:
		v.Title = fmt.Sprintf("%d failing · ContactBridge", count[StateFailing])
	case len(s.Accounts) == 0:
		v.Title = "no accounts · ContactBridge"
	default:
		v.Title = "all ok · ContactBridge"
	}
	v.Favicon = favicon(v.Overall)
	return v
}

func newAccountView(a AccountStatus, now time.Time) accountView {
	v := accountView{
		Name:             a.Name,
		Type:             a.Type,
		Schedule:         a.Schedule,
		State:            a.State(),
		Next:             newTimeView(a.Next, now),
		ConflictsWaiting: a.ConflictsWaiting,
	}
	v.StateLabel = map[string]string{
		StateRunning: "Running", StateOK: "OK", StateFailing: "Failing", StateNever: "Not run yet",
	}[v.State]
	if a.ConsecutiveFailures > 1 {
		v.StateNotes = append(v.StateNotes, fmt.Sprintf("failed %d times in a row", a.ConsecutiveFailures))
	}
	if a.BackoffUntil.After(now) {
		v.StateNotes = append(v.StateNotes, "retrying "+relative(a.BackoffUntil, now))
	}
	if v.State == StateFailing || (v.State == StateRunning && a.ConsecutiveFailures > 0) {
		if a.LastSuccess.IsZero() {
			v.StateNotes = append(v.StateNotes, "no success on record")
		} else {
			v.StateNotes = append(v.StateNotes, "last success "+relative(a.LastSuccess, now))
		}
	}
	switch {
	case !a.Next.IsZero():
	case a.Running:
		v.NextNote = "after this run"
	default:
		v.NextNote = "not scheduled"
	}
	if r := a.Last; r != nil {
		v.Last = &runView{
			When:      newTimeView(r.Start, now),
			Duration:  humanDuration(r.Duration),
			Trigger:   r.Trigger,
			ToHub:     countsText(r.ToHub),
			ToRemote:  countsText(r.ToRemote),
			Conflicts: r.Conflicts,
			Failed:    r.Failed,
			Waiting:   r.Waiting,
			Err:       r.Err,
			ErrKind:   errKindLabel(r.ErrKind),
		}
		if r.Err != "" {
			v.ErrorHint = errKindHint(r.ErrKind, a.Name)
		}
	}
	return v
}

func newTimeView(t, now time.Time) timeView {
	if t.IsZero() {
		return timeView{Zero: true}
	}
	return timeView{
		Rel: relative(t, now),
		Abs: t.UTC().Format("2006-01-02 15:04:05 UTC"),
		ISO: t.UTC().Format(time.RFC3339),
	}
}

// relative words t as seen from now: "just now", "4 min ago", "in 2 h",
// "3 days ago"; a date past a week.
func relative(t, now time.Time) string {
	d := now.Sub(t)
	future := d < 0
	if future {
		d = -d
	}
	var s string
	switch {
	case d < 45*time.Second:
		if future {
			return "in a few seconds"
		}
		return "just now"
	case d < 90*time.Second:
		s = "1 min"
	case d < time.Hour:
		s = fmt.Sprintf("%d min", int((d+30*time.Second)/time.Minute))
	case d < 24*time.Hour:
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if h < 10 && m >= 5 {
			s = fmt.Sprintf("%d h %d min", h, m)
		} else {
			s = fmt.Sprintf("%d h", int((d+30*time.Minute)/time.Hour))
		}
	case d < 48*time.Hour:
		if future {
			return "tomorrow " + t.UTC().Format("15:04 UTC")
		}
		return "yesterday " + t.UTC().Format("15:04 UTC")
	case d < 7*24*time.Hour:
		s = fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	default:
		return "on " + t.UTC().Format("2 Jan 2006")
	}
	if future {
		return "in " + s
	}
	return s + " ago"
}

// humanDuration words how long a run took, to the precision that matters
// at its size.
func humanDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0 s"
	case d < time.Second:
		return fmt.Sprintf("%d ms", max(d.Milliseconds(), 1))
	case d < 10*time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Round(time.Second)/time.Second))
	case d < time.Hour:
		d = d.Round(time.Second)
		return fmt.Sprintf("%d min %d s", int(d/time.Minute), int(d%time.Minute/time.Second))
	}
	d = d.Round(time.Minute)
	return fmt.Sprintf("%d h %d min", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

// countsText words one direction of a run: "2 created, 1 deleted", or
// "no changes".
func countsText(c Counts) string {
	var parts []string
	for _, p := range []struct {
		n    int
		word string
	}{{c.Created, "created"}, {c.Updated, "updated"}, {c.Deleted, "deleted"}} {
		if p.n != 0 {
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.word))
		}
	}
	if len(parts) == 0 {
		return "no changes"
	}
	return strings.Join(parts, ", ")
}

func errKindLabel(kind string) string {
	switch kind {
	case "":
		return ""
	case ErrKindRemote:
		return "server"
	case ErrKindAuth:
		return "sign-in"
	case ErrKindStore:
		return "hub store"
	case ErrKindBrake:
		return "safety brake"
	case ErrKindPanic:
		return "internal error"
	case ErrKindConfig:
		return "configuration"
	case ErrKindItem:
		return "some items"
	}
	return kind
}

// errKindHint says what to do about an error of kind, or "" when there is
// nothing better to say than the error itself.
func errKindHint(kind, account string) string {
	switch kind {
	case ErrKindRemote:
		return "The service retries with backoff; nothing to do unless this lasts."
	case ErrKindAuth:
		return "Check the account's credentials in the config, then reload."
	case ErrKindStore:
		return "The hub store failed: check its disk or database."
	case ErrKindBrake:
		return "The run would have deleted too many contacts. If that is intended, run: contactbridge sync --account " +
			shellQuote(account) + " --allow-mass-delete"
	case ErrKindPanic:
		return "This is a bug: please report it with the service's log."
	case ErrKindConfig:
		return "Fix the account's entry in the config file, then reload."
	case ErrKindItem:
		return "The items that failed are retried on the next run."
	}
	return ""
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// favicon is a dot of the colour of state, as a data: URL so that the CSP
// needs no more than img-src data:, and the tab shows the state at a glance.
func favicon(state string) template.URL {
	colour := map[string]string{
		StateOK: "#1a7f37", StateFailing: "#cf222e", StateRunning: "#0969da", "warning": "#bf8700",
	}[state]
	if colour == "" {
		colour = "#6e7781"
	}
	svg := `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="8" r="7" fill="` + colour + `"/></svg>`
	return template.URL("data:image/svg+xml," + url.PathEscape(svg))
}
