package carddav

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"

	webdavcard "github.com/emersion/go-webdav/carddav"
)

// bookInfo is an address book with what the connector needs besides the
// exported fields.
type bookInfo struct {
	AddressBook
	ctag    bool // it has CS:getctag
	vobject bool // Radicale: see quirks.go
}

// discovery is what the account offers.
type discovery struct {
	account string
	home    string // address book home set path, "" if unknown
	books   []bookInfo
	urlBook string // path of the address book Config.URL names, if any
}

// discover finds the address books of the account: /.well-known/carddav
// at the host root first, then the configured URL; the current user's
// principal; its address book home set; the address books in it, and the
// configured URL itself if it is an address book elsewhere.
func (c *client) discover(ctx context.Context) (*discovery, error) {
	d := &discovery{account: c.account}
	principal, err := c.wellKnownPrincipal(ctx)
	if err != nil {
		return nil, err
	}
	if principal == "" {
		principal, err = c.principalAt(ctx, c.origin)
		if err != nil {
			return nil, err
		}
	}
	lib, err := webdavcard.NewClient(c, c.pathURL("/").String())
	if err != nil {
		return nil, fmt.Errorf("carddav: %w", err)
	}
	for _, p := range []string{principal, c.origin.Path} {
		if p == "" || d.home != "" {
			continue
		}
		var cp capture
		home, err := lib.FindAddressBookHomeSet(context.WithValue(ctx, captureKey{}, &cp), p)
		if err := c.discoveryErr(ctx, &cp, err); err != nil {
			return nil, err
		}
		if err == nil && home != "" {
			d.home = dirPath(home)
		}
	}
	if d.home != "" {
		books, err := c.books(ctx, d.home, "1")
		if err != nil {
			return nil, fmt.Errorf("carddav: account %s: list address books in %s: %w", c.account, d.home, err)
		}
		d.books = books
	}
	d.urlBook = c.urlBook(ctx, d)
	if len(d.books) == 0 && d.home == "" {
		return nil, fmt.Errorf("carddav: account %s: %s shows no CardDAV address book home: is it a CardDAV server?",
			c.account, c.origin.Redacted())
	}
	c.log.Debug("carddav: discovered", "op", "discover", "principal", principal, "home", d.home, "books", len(d.books))
	return d, nil
}

// wellKnownPrincipal asks /.well-known/carddav (RFC 6764) for the current
// user's principal, following its redirect with PROPFIND, and moves the
// client to the host it ends on. It returns "" when the server offers no
// well-known URL or no principal there.
func (c *client) wellKnownPrincipal(ctx context.Context) (string, error) {
	wk := c.pathURL("/.well-known/carddav")
	lib, err := webdavcard.NewClient(c, wk.String())
	if err != nil {
		return "", fmt.Errorf("carddav: %w", err)
	}
	var cp capture
	p, err := lib.FindCurrentUserPrincipal(context.WithValue(ctx, captureKey{}, &cp))
	if err := c.discoveryErr(ctx, &cp, err); err != nil {
		return "", err
	}
	if err != nil || p == "" {
		c.log.Debug("carddav: no principal at the well-known URL", "op", "discover", "status", cp.status)
		return "", nil
	}
	if cp.url != nil && !strings.EqualFold(cp.url.Host, c.origin.Host) {
		// The server sends us elsewhere (a CardDAV host of its own).
		if !c.mayAuthenticate(cp.url) {
			return "", fmt.Errorf("carddav: account %s: the well-known URL redirects to %s; configure that URL instead",
				c.account, cp.url.Redacted())
		}
		c.origin = &url.URL{Scheme: cp.url.Scheme, Host: cp.url.Host, Path: "/"}
	}
	return p, nil
}

// principalAt asks u for the current user's principal; "" when it has none.
func (c *client) principalAt(ctx context.Context, u *url.URL) (string, error) {
	lib, err := webdavcard.NewClient(c, u.String())
	if err != nil {
		return "", fmt.Errorf("carddav: %w", err)
	}
	var cp capture
	p, err := lib.FindCurrentUserPrincipal(context.WithValue(ctx, captureKey{}, &cp))
	if err := c.discoveryErr(ctx, &cp, err); err != nil {
		return "", err
	}
	if err != nil {
		c.log.Debug("carddav: no current-user-principal", "op", "discover", "status", cp.status)
		return "", nil
	}
	return p, nil
}

// discoveryErr returns the error a failed discovery request must stop
// discovery with: a cancelled context, failed authentication, a server
// that stays unreachable. Other failures (a 404, a property the server
// lacks) only mean "try the next way" and give nil.
func (c *client) discoveryErr(ctx context.Context, cp *capture, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("carddav: discover: %w", ctx.Err())
	}
	switch {
	case cp.status == http.StatusUnauthorized:
		return fmt.Errorf("carddav: %w", c.statusErr(&response{status: cp.status}))
	case cp.status == 0 || cp.status >= 500:
		// No answer at all, or the server failing after retries.
		return fmt.Errorf("carddav: account %s: discover: %w", c.account, err)
	}
	return nil
}

// books lists the address books at path (depth "1": those in a home set;
// "0": path itself, if it is one).
func (c *client) books(ctx context.Context, p, depth string) ([]bookInfo, error) {
	ms, err := c.propfind(ctx, p, depth,
		"D:resourcetype", "D:displayname", "C:addressbook-description",
		"C:supported-address-data", "D:supported-report-set", "CS:getctag", "D:sync-token")
	if err != nil {
		return nil, err
	}
	var out []bookInfo
	for _, e := range ms.entries() {
		rt := e.prop.ResourceType
		if e.status/100 != 2 || rt == nil || rt.AddressBook == nil {
			continue
		}
		b := bookInfo{
			AddressBook: AddressBook{
				Path:           dirPath(e.path),
				VCard4:         e.prop.SupportedAddressData.vcard4(),
				SyncCollection: e.prop.SupportedReports.syncCollection(),
			},
			ctag:    e.prop.CTag != nil,
			vobject: e.prop.SyncToken != nil && strings.HasPrefix(strings.TrimSpace(*e.prop.SyncToken), radicaleTokenPrefix),
		}
		if e.prop.DisplayName != nil {
			b.Name = strings.TrimSpace(*e.prop.DisplayName)
		}
		if e.prop.Description != nil {
			b.Description = strings.TrimSpace(*e.prop.Description)
		}
		if !slices.ContainsFunc(out, func(o bookInfo) bool { return o.Path == b.Path }) {
			out = append(out, b)
		}
	}
	return out, nil
}

// urlBook returns the path of the address book the configured URL names:
// one of those found, or, when the URL points elsewhere (a book shared from
// another account), that book after asking for it; "" if none.
func (c *client) urlBook(ctx context.Context, d *discovery) string {
	p := dirPath(c.origin.Path)
	for _, b := range d.books {
		if b.Path == p {
			return p
		}
	}
	if p == "/" || p == d.home {
		return ""
	}
	books, err := c.books(ctx, p, "0")
	if err != nil || len(books) != 1 {
		return ""
	}
	d.books = append(d.books, books[0])
	return books[0].Path
}

// pick returns the address book want names (see Config.AddressBook).
func (d *discovery) pick(want string) (bookInfo, error) {
	want = strings.TrimSpace(want)
	var found []bookInfo
	switch {
	case want == "":
		if d.urlBook != "" {
			return d.book(d.urlBook), nil
		}
		if len(d.books) == 1 {
			return d.books[0], nil
		}
		if len(d.books) == 0 {
			return bookInfo{}, fmt.Errorf("carddav: account %s has no address book; set create: true to make one: %w", d.account, ErrNoAddressBook)
		}
		found = d.match(func(b bookInfo) bool {
			for _, n := range []string{b.Name, path.Base(b.Path)} {
				if strings.EqualFold(n, "default") || strings.EqualFold(n, "contacts") {
					return true
				}
			}
			return false
		})
		if len(found) == 1 {
			return found[0], nil
		}
		return bookInfo{}, fmt.Errorf("carddav: account %s has %d address books; set address_book to one of %s", d.account, len(d.books), d.choices())
	case strings.Contains(want, "/"):
		p := want
		if u, err := url.Parse(want); err == nil && u.Path != "" {
			p = u.Path
		}
		p = dirPath(p)
		found = d.match(func(b bookInfo) bool { return b.Path == p })
	default:
		for _, same := range []func(b bookInfo) bool{
			func(b bookInfo) bool { return b.Name == want },
			func(b bookInfo) bool { return strings.EqualFold(b.Name, want) },
			func(b bookInfo) bool { return path.Base(b.Path) == want },
		} {
			if found = d.match(same); len(found) > 0 {
				break
			}
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return bookInfo{}, fmt.Errorf("carddav: account %s: address book %q not found (the account has %s; set create: true to make it): %w",
			d.account, want, d.choices(), ErrNoAddressBook)
	}
	return bookInfo{}, fmt.Errorf("carddav: account %s: %d address books are called %q; set address_book to a path: %s", d.account, len(found), want, d.choices())
}

// book returns the book at path p.
func (d *discovery) book(p string) bookInfo {
	for _, b := range d.books {
		if b.Path == p {
			return b
		}
	}
	return bookInfo{}
}

// match returns the books ok accepts.
func (d *discovery) match(ok func(bookInfo) bool) []bookInfo {
	var out []bookInfo
	for _, b := range d.books {
		if ok(b) {
			out = append(out, b)
		}
	}
	return out
}

// choices lists the books for a message: `"Name" (/path/)`.
func (d *discovery) choices() string {
	if len(d.books) == 0 {
		return "none"
	}
	parts := make([]string, len(d.books))
	for i, b := range d.books {
		parts[i] = fmt.Sprintf("%q (%s)", b.Name, b.Path)
	}
	return strings.Join(parts, ", ")
}

// createBook makes the address book want names in the home set with an
// extended MKCOL (RFC 5689) and returns it.
func (c *client) createBook(ctx context.Context, d *discovery, want string) (bookInfo, error) {
	want = strings.TrimSpace(want)
	var name string
	var paths []string
	switch {
	case strings.Contains(want, "/"):
		p := want
		if u, err := url.Parse(want); err == nil && u.Path != "" {
			p = u.Path
		}
		p = dirPath(p)
		name, paths = path.Base(p), []string{p}
	default:
		if d.home == "" {
			return bookInfo{}, fmt.Errorf("carddav: account %s: cannot create address book %q: the server shows no address book home", c.account, want)
		}
		name = want
		if name == "" {
			name = "Contacts"
		}
		base := d.home + slug(name)
		paths = []string{base + "/"}
		for i := 2; i <= 5; i++ {
			paths = append(paths, fmt.Sprintf("%s-%d/", base, i))
		}
	}
	for _, p := range paths {
		r, err := c.newRequest("MKCOL", escapePath(p), mkcolBody(name))
		if err != nil {
			return bookInfo{}, err
		}
		r.header.Set("Content-Type", `application/xml; charset="utf-8"`)
		res, err := c.send(ctx, r)
		if err != nil {
			return bookInfo{}, fmt.Errorf("carddav: account %s: create address book %s: %w", c.account, p, err)
		}
		switch {
		case res.status/100 == 2:
		case res.status == http.StatusMethodNotAllowed:
			// Something is there: our own book if an earlier attempt of
			// this MKCOL made it, else try the next name.
			if books, err := c.books(ctx, p, "0"); err == nil && len(books) == 1 && books[0].Name == name {
				return books[0], nil
			}
			continue
		default:
			return bookInfo{}, fmt.Errorf("carddav: account %s: create address book %s: %w", c.account, p, c.statusErr(res))
		}
		books, err := c.books(ctx, p, "0")
		if err != nil {
			return bookInfo{}, fmt.Errorf("carddav: account %s: read new address book %s: %w", c.account, p, err)
		}
		if len(books) != 1 {
			return bookInfo{}, fmt.Errorf("carddav: account %s: %s was created but is not an address book", c.account, p)
		}
		c.log.Info("carddav: created address book", "op", "create_book", "remote_id", p)
		return books[0], nil
	}
	return bookInfo{}, fmt.Errorf("carddav: account %s: cannot create address book %q: %s is taken", c.account, want, paths[0])
}

// slug turns a display name into a path segment: lower-case ASCII letters
// and digits, runs of anything else as one "-".
func slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.TrimSuffix(b.String(), "-")
	if s == "" {
		s = "contacts"
	}
	if len(s) > 64 {
		s = strings.TrimSuffix(s[:64], "-")
	}
	return s
}

// dirPath returns p ending in "/", as collection paths do.
func dirPath(p string) string {
	if !strings.HasSuffix(p, "/") {
		return p + "/"
	}
	return p
}
