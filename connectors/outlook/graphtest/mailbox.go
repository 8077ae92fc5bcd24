package graphtest

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"time"
)

// A User is one mailbox of the fake: its contact folders, contacts and
// master categories. Tests use its methods to change the mailbox behind the
// client's back, as the person would in Outlook or on their phone; those
// changes obey the same rules as API writes (new changeKey, replication
// delay, @removed entries in delta, ids that change on moves).
type User struct {
	s    *Server
	id   string // the Graph user id, a GUID
	upn  string // userPrincipalName
	name string
	tag  string // the mailbox part every Exchange id of this mailbox shares
	root string // id of the (hidden) message folder root, the default folder's parent

	// Guarded by s.mu.
	seq        uint64 // change sequence: every write to a contact or folder takes the next value
	folders    map[string]*folder
	folderList []*folder // creation order
	defFolder  *folder
	contacts   map[string]*contact // by immutable id
	regular    map[string]*contact // by current non-immutable id
	order      []*contact          // creation order
	categories []Category
	deltaGen   map[string]int // highest delta-token generation issued, by delta scope
	usage      map[string]*appUsage
	refreshTok string // the newest refresh token issued for this mailbox
}

// Folder is the Graph contactFolder resource.
type Folder struct {
	ID             string `json:"id"`
	ParentFolderID string `json:"parentFolderId"`
	DisplayName    string `json:"displayName"`
}

// Category is the Graph outlookCategory resource: an entry of the
// mailbox's master category list (reference §1, §10.10).
type Category struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
	Color       string `json:"color"` // "none" or "preset0" … "preset24"
}

type folder struct {
	id       string
	versions []*folderVersion
}

type folderVersion struct {
	seq       uint64
	visibleAt time.Time
	name      string
	parent    string
	deleted   bool
}

func (f *folder) current() *folderVersion { return f.versions[len(f.versions)-1] }

// A contact is one item's history, every version kept, so that delta can
// tell what a client saw at any sync point.
type contact struct {
	immutableID string
	versions    []*version
}

type version struct {
	seq       uint64
	visibleAt time.Time
	removed   bool
	reason    string // @removed reason when removed
	folder    string
	regularID string // the non-immutable id at this version
	data      *Contact
	changeKey string
	created   time.Time
	modified  time.Time
	photo     *photo
}

type photo struct {
	data        []byte
	contentType string
}

const (
	reasonChanged = "changed"
	reasonDeleted = "deleted"
)

func (c *contact) current() *version { return c.versions[len(c.versions)-1] }
func (c *contact) live() bool        { return !c.current().removed }

// atOrBefore is the newest version with seq ≤ mark, or nil.
func (c *contact) atOrBefore(mark uint64) *version {
	for i := len(c.versions) - 1; i >= 0; i-- {
		if c.versions[i].seq <= mark {
			return c.versions[i]
		}
	}
	return nil
}

// AddUser creates a mailbox whose refresh token is token, or returns
// the existing one. The refresh token stands for a past consent to
// Contacts.ReadWrite, MailboxSettings.Read and offline_access by any client
// id; it rotates on first use like any other (reference §8.3). The mailbox
// starts with its default Contacts folder and no contacts.
func (s *Server) AddUser(token string) *User {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rt := s.refresh[token]; rt != nil {
		return rt.u
	}
	s.nextUser++
	tagBytes := make([]byte, 33)
	_, _ = rand.Read(tagBytes)
	u := &User{
		s:        s,
		id:       newUUID(),
		upn:      fmt.Sprintf("user%d@contoso.onmicrosoft.com", s.nextUser),
		name:     fmt.Sprintf("Test User %d", s.nextUser),
		tag:      base64.RawURLEncoding.EncodeToString(tagBytes),
		folders:  map[string]*folder{},
		contacts: map[string]*contact{},
		regular:  map[string]*contact{},
		deltaGen: map[string]int{},
		usage:    map[string]*appUsage{},
	}
	u.root = u.newFolderID()
	u.defFolder = u.addFolder(u.root, "Contacts")
	s.users[u.id] = u
	s.refresh[token] = &refreshToken{u: u, scopes: seedScopes(), expires: s.now().Add(s.opts.RefreshTokenTTL)}
	u.refreshTok = token
	return u
}

// ID is the mailbox owner's Graph user id, usable as /users/{id}.
func (u *User) ID() string { return u.id }

// UserPrincipalName is the owner's sign-in name, usable as /users/{upn}.
func (u *User) UserPrincipalName() string { return u.upn }

// DefaultFolderID is the id of the default Contacts folder, the one
// /me/contacts lists and the well-known name "contacts" names.
func (u *User) DefaultFolderID() string { return u.defFolder.id }

// RefreshToken is the newest refresh token the token endpoint issued for
// this mailbox (or the one AddUser was given): a client that persists
// rotated tokens holds this one.
func (u *User) RefreshToken() string {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	return u.refreshTok
}

// AddFolder creates a contact folder named displayName under parentID (""
// means the default Contacts folder, where Outlook puts top-level contact
// folders) and returns its id, or "" if the parent does not exist.
func (u *User) AddFolder(parentID, displayName string) string {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	parent := u.defFolder
	if parentID != "" {
		parent = u.liveFolder(parentID)
	}
	if parent == nil {
		return ""
	}
	return u.addFolder(parent.id, displayName).id
}

// DeleteFolder deletes the folder id with its subfolders and contacts, as
// the person would in Outlook. Its contacts are reported removed with
// reason "deleted". The default folder cannot be deleted.
func (u *User) DeleteFolder(id string) bool {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	f := u.liveFolder(id)
	if f == nil || f == u.defFolder {
		return false
	}
	u.deleteFolder(f, reasonDeleted)
	return true
}

// Folders returns the mailbox's contact folders, the default one first,
// then in creation order.
func (u *User) Folders() []Folder {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	var out []Folder
	for _, f := range u.folderList {
		if v := f.current(); !v.deleted {
			out = append(out, Folder{ID: f.id, ParentFolderID: v.parent, DisplayName: v.name})
		}
	}
	return out
}

// Put stores c as a contact, as if the person had made or edited it in
// Outlook, and returns its immutable id. With an empty c.ID, or an id the
// mailbox does not hold, it creates a contact in the folder
// c.ParentFolderID (the default folder when empty); otherwise it replaces
// the contact's properties wholesale, keeping its folder, photo and the
// extended properties c does not set. An empty displayName is generated
// from the name parts. Read-only fields are ignored; caps apply as on API
// writes, always by truncation.
func (u *User) Put(c Contact) string {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	data := storedCopy(&c)
	u.s.truncateToCaps(data)
	if data.DisplayName == "" {
		data.DisplayName = generatedDisplayName(data)
	}
	if ct, _ := u.lookup(c.ID); ct != nil && ct.live() {
		cur := ct.current()
		data.SingleValueExtendedProperties = upsertExtended(cur.data.SingleValueExtendedProperties, data.SingleValueExtendedProperties)
		u.write(ct, func(v *version) { v.data = data })
		return ct.immutableID
	}
	f := u.defFolder
	if c.ParentFolderID != "" {
		if f = u.liveFolder(c.ParentFolderID); f == nil {
			f = u.defFolder
		}
	}
	return u.create(f.id, data).immutableID
}

// Edit changes the contact id in place through fn, as the person would,
// and reports whether the contact exists. fn sees every property,
// extended properties included; read-only fields it sets are ignored.
func (u *User) Edit(id string, fn func(*Contact)) bool {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	ct, _ := u.lookup(id)
	if ct == nil || !ct.live() {
		return false
	}
	data := cloneContact(ct.current().data)
	fn(data)
	data = storedCopy(data)
	u.s.truncateToCaps(data)
	u.write(ct, func(v *version) { v.data = data })
	return true
}

// Delete deletes the contact id for good, as emptying Deleted Items would:
// delta reports it @removed with reason "deleted". It reports whether the
// contact existed.
func (u *User) Delete(id string) bool { return u.remove(id, reasonDeleted) }

// SoftDelete deletes the contact id the way Outlook does, into Deleted
// Items, where it can be restored: delta reports it @removed with reason
// "changed" (reference §3). It reports whether the contact existed.
func (u *User) SoftDelete(id string) bool { return u.remove(id, reasonChanged) }

func (u *User) remove(id, reason string) bool {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	ct, _ := u.lookup(id)
	if ct == nil || !ct.live() {
		return false
	}
	u.removeContact(ct, reason)
	return true
}

// Move moves the contact id to the folder folderID, as the person would by
// dragging it in Outlook, and returns its new non-immutable id: unless
// Options.StableIDs is set, the old one stops working (reference §1, §10.3).
// The immutable id does not change. It returns "" if the contact or the
// folder does not exist.
func (u *User) Move(id, folderID string) string {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	ct, _ := u.lookup(id)
	f := u.liveFolder(folderID)
	if ct == nil || !ct.live() || f == nil {
		return ""
	}
	u.move(ct, f.id)
	return ct.current().regularID
}

// SetPhoto gives the contact id a photo (removes it when data is empty),
// as the person would, and reports whether the contact exists. The photo
// change gives the contact a new changeKey (reference §10.9).
func (u *User) SetPhoto(id string, data []byte, contentType string) bool {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	ct, _ := u.lookup(id)
	if ct == nil || !ct.live() {
		return false
	}
	var p *photo
	if len(data) > 0 {
		p = &photo{data: slices.Clone(data), contentType: contentType}
	}
	u.write(ct, func(v *version) { v.photo = p })
	return true
}

// Photo returns the photo of the contact id and its Content-Type.
func (u *User) Photo(id string) (data []byte, contentType string, ok bool) {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	ct, _ := u.lookup(id)
	if ct == nil || !ct.live() || ct.current().photo == nil {
		return nil, "", false
	}
	p := ct.current().photo
	return slices.Clone(p.data), p.contentType, true
}

// Contacts returns the mailbox's contacts in every folder, in creation
// order, as GET would return them with Prefer: IdType="ImmutableId" and
// every extended property. Unlike delta it does not lag behind writes.
func (u *User) Contacts() []Contact {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	var out []Contact
	for _, ct := range u.order {
		if ct.live() {
			out = append(out, u.snapshot(ct, ct.current()))
		}
	}
	return out
}

// Contact returns the contact id (immutable or not) as Contacts does.
func (u *User) Contact(id string) (Contact, bool) {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	ct, _ := u.lookup(id)
	if ct == nil || !ct.live() {
		return Contact{}, false
	}
	return u.snapshot(ct, ct.current()), true
}

// RegularID returns the id the contact id has in requests without Prefer:
// IdType="ImmutableId", or "" if there is no such contact.
func (u *User) RegularID(id string) string {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	ct, _ := u.lookup(id)
	if ct == nil || !ct.live() {
		return ""
	}
	return ct.current().regularID
}

// AddCategory adds name to the master category list (reference §10.10),
// with color "none" when color is empty, and returns its id. An existing
// name (compared case-insensitively) is left as it is.
func (u *User) AddCategory(name, color string) string {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	return u.addCategory(name, color)
}

// Categories returns the master category list.
func (u *User) Categories() []Category {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	return slices.Clone(u.categories)
}

func (u *User) addCategory(name, color string) string {
	for _, c := range u.categories {
		if strings.EqualFold(c.DisplayName, name) {
			return c.ID
		}
	}
	if color == "" {
		color = "none"
	}
	c := Category{ID: newUUID(), DisplayName: name, Color: color}
	u.categories = append(u.categories, c)
	return c.ID
}

// truncateToCaps applies the caps to a contact the person edits: Outlook's
// own forms have no more slots, so nothing is refused.
func (s *Server) truncateToCaps(c *Contact) {
	caps := s.opts.Caps
	caps.Reject = false
	_ = capContact(caps, c)
}

// snapshot is a contact as the User accessors return it.
func (u *User) snapshot(ct *contact, v *version) Contact {
	c := *cloneContact(v.data)
	c.ID = ct.immutableID
	c.ChangeKey = v.changeKey
	c.ETag = etagOf(v)
	c.CreatedDateTime = v.created.UTC().Format(timeFormat)
	c.LastModifiedDateTime = v.modified.UTC().Format(timeFormat)
	c.ParentFolderID = v.folder
	return c
}

// timeFormat is the form of createdDateTime and lastModifiedDateTime.
const timeFormat = "2006-01-02T15:04:05Z"

// etagOf is @odata.etag: W/"<changeKey>" (reference §4).
func etagOf(v *version) string { return `W/"` + v.changeKey + `"` }

// lookup finds a contact by its immutable or its current non-immutable id.
// Callers hold s.mu.
func (u *User) lookup(id string) (*contact, bool) {
	if id == "" {
		return nil, false
	}
	if ct := u.contacts[id]; ct != nil {
		return ct, true
	}
	return u.regular[id], false
}

func (u *User) liveFolder(id string) *folder {
	if strings.EqualFold(id, "contacts") {
		return u.defFolder
	}
	f := u.folders[id]
	if f == nil || f.current().deleted {
		return nil
	}
	return f
}

func (u *User) addFolder(parent, name string) *folder {
	f := &folder{id: u.newFolderID()}
	u.seq++
	now := u.s.now()
	f.versions = []*folderVersion{{seq: u.seq, visibleAt: now.Add(u.s.opts.ReplicationDelay), name: name, parent: parent}}
	u.folders[f.id] = f
	u.folderList = append(u.folderList, f)
	return f
}

// deleteFolder removes f, its subfolders and their contacts.
func (u *User) deleteFolder(f *folder, reason string) {
	for _, g := range u.folderList {
		if v := g.current(); !v.deleted && v.parent == f.id {
			u.deleteFolder(g, reason)
		}
	}
	for _, ct := range u.order {
		if v := ct.current(); !v.removed && v.folder == f.id {
			u.removeContact(ct, reason)
		}
	}
	u.seq++
	cur := f.current()
	f.versions = append(f.versions, &folderVersion{seq: u.seq, visibleAt: u.s.now().Add(u.s.opts.ReplicationDelay),
		name: cur.name, parent: cur.parent, deleted: true})
}

// create makes a new contact holding data in folder.
func (u *User) create(folderID string, data *Contact) *contact {
	ct := &contact{immutableID: u.newImmutableID()}
	now := u.s.now()
	u.seq++
	v := &version{seq: u.seq, visibleAt: now.Add(u.s.opts.ReplicationDelay), folder: folderID,
		regularID: u.newRegularID(), data: data, changeKey: newChangeKey(), created: now, modified: now}
	ct.versions = []*version{v}
	u.contacts[ct.immutableID] = ct
	u.regular[v.regularID] = ct
	u.order = append(u.order, ct)
	u.autoCategories(data)
	return ct
}

// write appends a version to ct: a copy of the current one changed by fn,
// with the next sequence number, a new changeKey and lastModifiedDateTime,
// visible to delta after the replication delay.
func (u *User) write(ct *contact, fn func(v *version)) *version {
	cur := ct.current()
	now := u.s.now()
	u.seq++
	v := *cur
	v.seq, v.visibleAt, v.changeKey, v.modified = u.seq, now.Add(u.s.opts.ReplicationDelay), newChangeKey(), now
	fn(&v)
	ct.versions = append(ct.versions, &v)
	if v.regularID != cur.regularID {
		delete(u.regular, cur.regularID)
		u.regular[v.regularID] = ct
	}
	if v.data != nil {
		u.autoCategories(v.data)
	}
	return &v
}

func (u *User) removeContact(ct *contact, reason string) {
	u.write(ct, func(v *version) { v.removed, v.reason = true, reason })
	delete(u.regular, ct.current().regularID)
}

// move puts ct in folder; its non-immutable id changes unless
// Options.StableIDs (reference §1, §10.3).
func (u *User) move(ct *contact, folderID string) {
	u.write(ct, func(v *version) {
		v.folder = folderID
		if !u.s.opts.StableIDs {
			v.regularID = u.newRegularID()
		}
	})
}

func (u *User) autoCategories(c *Contact) {
	if !u.s.opts.AutoAddCategories {
		return
	}
	for _, name := range c.Categories {
		u.addCategory(name, "")
	}
}

// watermark is the highest sequence number up to which every change is
// visible to delta at now (reference §10.2).
func (u *User) watermark(now time.Time) uint64 {
	mark := u.seq
	if u.s.opts.ReplicationDelay <= 0 {
		return mark
	}
	for _, ct := range u.order {
		for i := len(ct.versions) - 1; i >= 0 && ct.versions[i].visibleAt.After(now); i-- {
			mark = min(mark, ct.versions[i].seq-1)
		}
	}
	for _, f := range u.folderList {
		for i := len(f.versions) - 1; i >= 0 && f.versions[i].visibleAt.After(now); i-- {
			mark = min(mark, f.versions[i].seq-1)
		}
	}
	return mark
}

// Exchange ids: base64url with the mailbox's part in the middle. A
// non-immutable item id starts "AAMkA" and ends "=", an immutable one
// starts "AAkALg" (learn.microsoft.com outlook-immutable-id).
func (u *User) newRegularID() string {
	return "AAMkA" + u.tag + "BGAAAAAA" + randomToken(96) + "AAA="
}

func (u *User) newImmutableID() string {
	return "AAkALgAAAAAAHYQDEapmEc2byACqAC-EWg0A" + randomToken(40)
}

func (u *User) newFolderID() string {
	return "AAMkA" + u.tag + "AuAAAAAA" + randomToken(56) + "AAA="
}

// newChangeKey makes a changeKey in Exchange's form: standard base64, so
// it may hold "/" and "+" ("EQAAABYAAAAiIsqMbYjsT5e/T7KzowPTAAAYc8Bf").
func newChangeKey() string {
	b := make([]byte, 21)
	_, _ = rand.Read(b)
	return "EQAAABYAAAA" + base64.StdEncoding.EncodeToString(b)
}

// wellFormedID reports whether id could be an Exchange id; anything else
// is answered 400 ErrorInvalidIdMalformed, as Graph does.
func wellFormedID(id string) bool {
	if len(id) < 20 {
		return false
	}
	for _, r := range id {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '=') {
			return false
		}
	}
	return true
}
