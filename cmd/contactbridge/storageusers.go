package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
	"gopkg.in/yaml.v3"

	"github.com/contactbridge/contactbridge/store/httpapi"
)

// Argon2id parameters of new password hashes: OWASP's minimum (19 MiB, two
// passes, one lane).
const (
	argonMemoryKiB = 19 * 1024
	argonTime      = 2
	argonThreads   = 1
	argonKeyLen    = 32
)

// verifiedFor is how long a checked password is remembered, so that HTTP
// Basic on every request does not cost a hash each.
const verifiedFor = 5 * time.Minute

// userNamePattern is what a storage user may be called: a path segment of
// /1.5/{user}/ without escaping.
var userNamePattern = regexp.MustCompile(`^[a-zA-Z0-9._-]{1,64}$`)

// storageUsers is the users file of `storage serve`: YAML mapping each
// user name to a password hash (argon2id in PHC form; bcrypt hashes are
// accepted too). The server reads it again when it changes, so `storage
// user add|remove|passwd` applies without a restart.
type storageUsers struct {
	path string

	mu       sync.Mutex
	hashes   map[string]string
	stamp    string                 // size and mtime of the file read
	file     os.FileInfo            // the file read, to tell a replaced one
	verified map[[32]byte]time.Time // HMAC of (user, password) → until when
	secret   []byte                 // HMAC key of verified, per process
	// dummy is checked for unknown users, so that timing does not tell
	// which users exist; its password is random and forgotten. Made on
	// first use: only a server needs it.
	dummy     string
	dummyOnce sync.Once
	// hashing bounds the password checks running at once: each takes
	// argonMemoryKiB of memory, and a burst of first requests would
	// otherwise take that many times over.
	hashing chan struct{}
}

var _ httpapi.Authenticator = (*storageUsers)(nil)

// openStorageUsers reads the users file at path; a missing file has no
// users.
func openStorageUsers(path string) (*storageUsers, error) {
	u := &storageUsers{path: path, verified: map[[32]byte]time.Time{}, secret: make([]byte, 32),
		hashing: make(chan struct{}, runtime.NumCPU())}
	if _, err := rand.Read(u.secret); err != nil {
		return nil, err
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if err := u.reload(); err != nil {
		return nil, err
	}
	return u, nil
}

// reload reads the file again when it changed. Callers hold mu.
func (u *storageUsers) reload() error {
	fi, err := os.Stat(u.path)
	if errors.Is(err, fs.ErrNotExist) {
		u.hashes, u.stamp = map[string]string{}, ""
		clear(u.verified)
		return nil
	}
	if err != nil {
		return fmt.Errorf("storage users: %w", err)
	}
	stamp := fmt.Sprint(fi.Size(), fi.ModTime().UnixNano(), fi.Mode())
	if stamp == u.stamp && u.file != nil && os.SameFile(fi, u.file) {
		return nil // `storage user` replaces the file: a new one is read
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("storage users: %s is readable by others (mode %v): chmod 600 it", u.path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(u.path)
	if err != nil {
		return fmt.Errorf("storage users: %w", err)
	}
	var f struct {
		Users map[string]string `yaml:"users"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && len(bytes.TrimSpace(b)) > 0 {
		return fmt.Errorf("storage users: %s: %w", u.path, err)
	}
	if f.Users == nil {
		f.Users = map[string]string{}
	}
	u.hashes, u.stamp, u.file = f.Users, stamp, fi
	clear(u.verified) // a changed or removed password stops working at once
	return nil
}

// Authenticate implements httpapi.Authenticator.
func (u *storageUsers) Authenticate(ctx context.Context, user, password string) error {
	mac := hmac.New(sha256.New, u.secret)
	mac.Write([]byte(user))
	mac.Write([]byte{0})
	mac.Write([]byte(password))
	var digest [32]byte
	copy(digest[:], mac.Sum(nil))

	u.mu.Lock()
	if err := u.reload(); err != nil {
		u.mu.Unlock()
		return err
	}
	hash, known := u.hashes[user]
	until, ok := u.verified[digest]
	u.mu.Unlock()
	if ok && time.Now().Before(until) && known {
		return nil
	}
	if !known {
		u.dummyOnce.Do(func() { u.dummy = hashPassword(base64.RawStdEncoding.EncodeToString(u.secret[:16])) })
		hash = u.dummy
	}
	select {
	case u.hashing <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	match := verifyPassword(hash, password)
	<-u.hashing
	if !match || !known {
		return httpapi.ErrBadCredentials
	}
	u.mu.Lock()
	if len(u.verified) > 10000 {
		clear(u.verified)
	}
	u.verified[digest] = time.Now().Add(verifiedFor)
	u.mu.Unlock()
	return nil
}

// change applies edit to the users and writes the file (0600), reading it
// first so that concurrent servers' reloads see a whole file.
func (u *storageUsers) change(edit func(map[string]string) error) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.stamp = "" // always read the current file
	if err := u.reload(); err != nil {
		return err
	}
	users := make(map[string]string, len(u.hashes))
	for k, v := range u.hashes {
		users[k] = v
	}
	if err := edit(users); err != nil {
		return err
	}
	b, err := yaml.Marshal(struct {
		Users map[string]string `yaml:"users"`
	}{users})
	if err != nil {
		return fmt.Errorf("storage users: %w", err)
	}
	if err := writeFileAtomic(u.path, b); err != nil {
		return fmt.Errorf("storage users: %s: %w", u.path, err)
	}
	u.stamp = ""
	return u.reload()
}

// names lists the users, sorted.
func (u *storageUsers) names() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	var out []string
	for n := range u.hashes {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// hashPassword returns an argon2id hash of pw in PHC string form.
func hashPassword(pw string) string {
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemoryKiB, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemoryKiB, argonTime, argonThreads,
		enc.EncodeToString(salt), enc.EncodeToString(key))
}

// verifyPassword reports whether pw matches hash (argon2id or bcrypt).
func verifyPassword(hash, pw string) bool {
	if strings.HasPrefix(hash, "$2a$") || strings.HasPrefix(hash, "$2b$") || strings.HasPrefix(hash, "$2y$") {
		return bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) == nil
	}
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || t == 0 || p == 0 || m > 1<<22 || t > 16 {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[4])
	want, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}
