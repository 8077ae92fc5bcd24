package googletest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// A User is one Google account of the fake: its contacts and contact
// groups. Tests use its methods to change the account behind the client's
// back, as the person would from their phone; those changes obey the same
// rules as API writes (new etag, propagation delay, tombstones for sync).
type User struct {
	s            *Server
	id           string // numeric profile id, as in people/{id}
	refreshToken string
	consentAt    time.Time
	profileName  string
	email        string

	// Guarded by s.mu.
	seq      uint64 // change sequence: every write to a contact or group takes the next value
	contacts map[string]*contact
	groups   map[string]*group
	usage    map[bucket]*window

	writeMu sync.Mutex // serialises API writes (reference §2)
}

// A contact is one resource name's history. Versions are kept until a later
// one is visible, so that listings can lag behind writes (reference §10.3).
type contact struct {
	name     string // people/c…
	sourceID string // the CONTACT source id (metadata.sources[].id)
	versions []*version
}

type versionState int

const (
	live    versionState = iota
	deleted              // a tombstone: sync responses report metadata.deleted
	hidden               // re-keyed away: no longer listed under this name
)

type version struct {
	seq       uint64
	visibleAt time.Time
	state     versionState
	data      *Person // the stored fields; nil unless live
	etag      string  // person.etag
	srcETag   string  // metadata.sources[CONTACT].etag
	updated   time.Time
	photo     string   // key of the user photo; "" gives the default avatar
	prev      []string // metadata.previousResourceNames
}

func (c *contact) current() *version { return c.versions[len(c.versions)-1] }

// visible is the version listings show at now: the latest whose propagation
// delay has passed, or nil.
func (c *contact) visible(now time.Time) *version {
	for i := len(c.versions) - 1; i >= 0; i-- {
		if !c.versions[i].visibleAt.After(now) {
			return c.versions[i]
		}
	}
	return nil
}

func (c *contact) live() bool { return c.current().state == live }

// AddUser creates an account whose refresh token is refreshToken, or returns
// the existing one. The account starts with Google's system contact groups
// and no contacts.
func (s *Server) AddUser(refreshToken string) *User {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.users[refreshToken]; u != nil {
		return u
	}
	s.nextUser++
	var id string
	for id == "" || s.byID[id] != nil {
		id = fmt.Sprintf("1%020d", randomUint64())
	}
	u := &User{
		s:            s,
		id:           id,
		refreshToken: refreshToken,
		consentAt:    s.now(),
		profileName:  fmt.Sprintf("Test User %d", s.nextUser),
		email:        fmt.Sprintf("user%d@example.com", s.nextUser),
		contacts:     map[string]*contact{},
		groups:       map[string]*group{},
		usage:        map[bucket]*window{},
	}
	for _, g := range systemGroups() {
		u.seq++
		u.groups[groupPrefix+g.id] = &group{name: groupPrefix + g.id, title: g.id, formatted: g.formatted,
			system: true, addable: g.addable, etag: newSourceETag(), updated: s.now(), seq: u.seq}
	}
	s.users[refreshToken] = u
	s.byID[id] = u
	return u
}

// SetProfile sets the name and e-mail address people.get returns for
// people/me. By default they are "Test User N" and userN@example.com.
func (u *User) SetProfile(name, email string) {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	u.profileName, u.email = name, email
}

// Put stores p as a contact, as if the user had made or edited it elsewhere,
// and returns its resource name. With an empty p.ResourceName, or a name
// the account does not hold, it creates a contact (under that name if one
// is given); otherwise it replaces the contact's fields wholesale. Output
// only fields, etag and metadata in p are ignored; a contact with no
// contact-group membership is put in contactGroups/myContacts.
func (u *User) Put(p Person) string {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	data := storedCopy(&p)
	u.fixMemberships(data)
	if c := u.contacts[p.ResourceName]; c != nil && c.live() {
		u.write(c, live, data, c.current().photo, c.current().prev)
		return c.name
	}
	name := p.ResourceName
	if name != "" && !strings.HasPrefix(name, "people/") {
		name = "people/" + name
	}
	return u.create(name, data).name
}

// Delete deletes the contact resourceName, as if the user had deleted it
// elsewhere. Unknown or already deleted names are ignored.
func (u *User) Delete(resourceName string) {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	if c := u.contacts[resourceName]; c != nil && c.live() {
		u.remove(c)
	}
}

// Rename gives the contact old a new resource name, as Google does when a
// field linking it to a profile changes (reference §1.2), and returns the
// new name. Sync responses then carry the contact under the new name with
// metadata.previousResourceNames listing old. It returns "" if old is not a
// live contact.
func (u *User) Rename(old string) string {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	c := u.contacts[old]
	if c == nil || !c.live() {
		return ""
	}
	return u.rekey(c).name
}

// SetPhoto gives the contact resourceName a user photo (JPEG or PNG bytes),
// or removes it when data is empty, so that the generated default avatar
// shows again. It reports whether the contact exists.
func (u *User) SetPhoto(resourceName string, data []byte) bool {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	c := u.contacts[resourceName]
	if c == nil || !c.live() {
		return false
	}
	cur := c.current()
	key := ""
	if len(data) > 0 {
		key = u.s.storePhoto(data)
	}
	u.write(c, live, cur.data, key, cur.prev)
	return true
}

// People returns the account's contacts as people.get would with every
// person field, sorted by resource name. Unlike listings it does not lag
// behind writes.
func (u *User) People() []Person {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	var out []Person
	for _, c := range u.sortedContacts() {
		if c.live() {
			out = append(out, u.render(c, c.current(), maskOf(personReadFields), modeGet))
		}
	}
	return out
}

// Groups returns the account's contact groups, system groups included,
// with every group field and their members, sorted by resource name.
func (u *User) Groups() []Group {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	var out []Group
	for _, g := range u.sortedGroups() {
		if !g.deleted {
			out = append(out, u.renderGroup(g, maskOf(groupReadFields), maxMembersAll))
		}
	}
	return out
}

// PutGroup creates a user contact group, or renames it and replaces its
// client data when g.ResourceName names an existing user group, and
// returns its resource name. Names are not checked for duplicates here.
func (u *User) PutGroup(g Group) string {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	if cur := u.groups[g.ResourceName]; cur != nil && !cur.deleted && !cur.system {
		cur.title, cur.clientData = g.Name, slices.Clone(g.ClientData)
		u.touchGroup(cur)
		return cur.name
	}
	return u.newGroup(g.Name, g.ClientData).name
}

func (u *User) sortedContacts() []*contact {
	out := make([]*contact, 0, len(u.contacts))
	for _, c := range u.contacts {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b *contact) int { return strings.Compare(a.name, b.name) })
	return out
}

// create makes a new contact holding data, under name or a fresh one.
func (u *User) create(name string, data *Person) *contact {
	id := u.newContactID()
	if name == "" {
		name = "people/c" + id.decimal
	}
	c := &contact{name: name, sourceID: id.hex}
	u.contacts[name] = c
	u.write(c, live, data, "", nil)
	return c
}

// write appends a version to c: every mutation takes the next sequence
// number, gets new etags and becomes visible after the propagation delay.
func (u *User) write(c *contact, st versionState, data *Person, photo string, prev []string) *version {
	now := u.s.now()
	u.seq++
	v := &version{seq: u.seq, visibleAt: now.Add(u.s.opts.ReadAfterWrite), state: st, data: data,
		etag: newPersonETag(), srcETag: newSourceETag(), updated: now, photo: photo, prev: prev}
	if st != live {
		v.data = nil
	}
	c.versions = append(c.versions, v)
	// Keep only the latest visible version and those still propagating.
	for i := len(c.versions) - 1; i > 0; i-- {
		if !c.versions[i].visibleAt.After(now) {
			c.versions = slices.Delete(c.versions, 0, i)
			break
		}
	}
	return v
}

func (u *User) remove(c *contact) { u.write(c, deleted, nil, "", nil) }

// rekey moves c to a fresh resource name (reference §1.2).
func (u *User) rekey(c *contact) *contact {
	cur := c.current()
	id := u.newContactID()
	nc := &contact{name: "people/c" + id.decimal, sourceID: c.sourceID}
	prev := append(slices.Clone(cur.prev), c.name)
	gone := hidden
	if u.s.opts.RenameLeavesTombstone {
		gone = deleted
	}
	u.write(c, gone, nil, "", nil)
	u.contacts[nc.name] = nc
	u.write(nc, live, cur.data, cur.photo, prev)
	return nc
}

// watermark is the highest sequence number below which every change is
// visible at now: a sync token issued now covers exactly those changes.
func (u *User) watermark(now time.Time) uint64 {
	mark := u.seq
	for _, c := range u.contacts {
		for _, v := range c.versions {
			if v.visibleAt.After(now) && v.seq-1 < mark {
				mark = v.seq - 1
			}
		}
	}
	return mark
}

type contactID struct{ decimal, hex string }

// newContactID makes a contact id: Google's resource names are people/c
// followed by a decimal number whose hexadecimal form is the CONTACT source
// id (people/c8571940186043591234 ↔ 76fe7bd00f8a8f83).
func (u *User) newContactID() contactID {
	for {
		n := randomUint64() >> 1
		id := contactID{fmt.Sprint(n), fmt.Sprintf("%x", n)}
		if u.contacts["people/c"+id.decimal] == nil {
			return id
		}
	}
}

func randomUint64() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return binary.BigEndian.Uint64(b[:])
}

// newPersonETag makes a person etag in Google's form ("%EgUBAi43PRoE…").
func newPersonETag() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	b[0], b[1] = 0x12, 0x05
	return "%" + base64.StdEncoding.EncodeToString(b)
}

// newSourceETag makes a source etag in Google's form ("#euwPitXZO7A=").
func newSourceETag() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "#" + base64.StdEncoding.EncodeToString(b)
}

// storedCopy is what the fake keeps of a person sent to it: a deep copy
// without the server-assigned fields (resourceName, etag, metadata), the
// output-only ones and field metadata other than sourcePrimary, which Google
// ignores on input.
func storedCopy(p *Person) *Person {
	c := clonePerson(p)
	c.ResourceName, c.ETag, c.Metadata = "", "", nil
	stripOutputOnly(c)
	return c
}

func clonePerson(p *Person) *Person {
	out, _ := json.Marshal(p)
	var c Person
	_ = json.Unmarshal(out, &c)
	return &c
}

// fixMemberships drops memberships that are not contact-group memberships
// and duplicates, and puts a contact with none in myContacts, where Google
// puts new contacts.
func (u *User) fixMemberships(p *Person) {
	var out []Membership
	seen := map[string]bool{}
	for _, m := range p.Memberships {
		if m.ContactGroupMembership == nil || m.ContactGroupMembership.ContactGroupResourceName == "" {
			continue
		}
		name := m.ContactGroupMembership.ContactGroupResourceName
		if seen[name] {
			continue
		}
		seen[name] = true
		out = append(out, m)
	}
	if len(out) == 0 {
		out = []Membership{membershipOf(myContacts)}
	}
	p.Memberships = out
}

func membershipOf(group string) Membership {
	return Membership{ContactGroupMembership: &ContactGroupMembership{ContactGroupResourceName: group}}
}

func groupsOf(p *Person) []string {
	if p == nil {
		return nil
	}
	var out []string
	for _, m := range p.Memberships {
		if m.ContactGroupMembership != nil {
			out = append(out, m.ContactGroupMembership.ContactGroupResourceName)
		}
	}
	return out
}

// emailSet is the sorted set of a person's e-mail values, for
// RekeyOnEmailChange.
func emailSet(p *Person) string {
	var out []string
	for _, e := range p.EmailAddresses {
		out = append(out, strings.ToLower(e.Value))
	}
	slices.Sort(out)
	return strings.Join(slices.Compact(out), "\n")
}
