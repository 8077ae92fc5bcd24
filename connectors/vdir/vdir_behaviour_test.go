package vdir_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/contactbridge/contactbridge/connectors"
	"github.com/contactbridge/contactbridge/connectors/vdir"
	"github.com/contactbridge/contactbridge/mapping"
)

const (
	aliceV3 = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Alice Example\r\nN:Example;Alice;;;\r\nEMAIL;TYPE=work:alice@example.org\r\nUID:alice\r\nEND:VCARD\r\n"
	bobV4   = "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Bob Example\r\nN:Example;Bob;;;\r\nUID:bob\r\nEND:VCARD\r\n"
)

// list returns id → etag of a full listing.
func list(t *testing.T, c *vdir.Connector) map[string]string {
	t.Helper()
	out := make(map[string]string)
	_, err := c.Changes(context.Background(), "", func(p connectors.Page) error {
		if !p.Full {
			t.Error("vdir listing page not marked Full")
		}
		for _, ch := range p.Changes {
			out[ch.ID] = ch.ETag
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Changes: %v", err)
	}
	return out
}

// fetch reads one item.
func fetch(t *testing.T, c *vdir.Connector, id string) connectors.Item {
	t.Helper()
	var got connectors.Item
	if err := c.Fetch(context.Background(), []string{id}, func(it connectors.Item) error {
		got = it
		return nil
	}); err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	return got
}

// write puts a file into the folder as another program would.
func write(t *testing.T, c *vdir.Connector, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(c.Path(), name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// names returns every name in the folder, hidden ones included.
func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func parse(t *testing.T, s string) *mapping.Card {
	t.Helper()
	c, err := mapping.Parse([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNew(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		cfg     vdir.Config
		wantErr bool
	}{
		{"existing folder", vdir.Config{Path: dir}, false},
		{"no path", vdir.Config{}, true},
		{"missing folder", vdir.Config{Path: filepath.Join(dir, "missing")}, true},
		{"missing folder created", vdir.Config{Path: filepath.Join(dir, "new", "contacts"), Create: true}, false},
		{"a file, not a folder", vdir.Config{Path: file, Create: true}, true},
		{"vCard 2.1 is not written", vdir.Config{Path: dir, Version: mapping.Version21}, true},
		{"vCard 3.0", vdir.Config{Path: dir, Version: mapping.Version30}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := vdir.New(tc.cfg)
			if (err != nil) != tc.wantErr {
				t.Fatalf("New: err = %v, want error %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			fi, err := os.Stat(c.Path())
			if err != nil {
				t.Fatal(err)
			}
			if tc.cfg.Create && fi.Mode().Perm() != 0o700 {
				t.Errorf("created folder has mode %v, want 0700", fi.Mode().Perm())
			}
			want := mapping.Version40
			if tc.cfg.Version != "" {
				want = tc.cfg.Version
			}
			if got := c.Capabilities().Version; got != want {
				t.Errorf("Capabilities().Version = %s, want %s", got, want)
			}
		})
	}
}

func TestWritesLeaveNoTemporaryFiles(t *testing.T) {
	ctx := context.Background()
	c := open(t, vdir.Config{})
	card := parse(t, bobV4)
	it, err := c.Create(ctx, "kXJ5pQ0vR2aS", card)
	if err != nil {
		t.Fatal(err)
	}
	it, err = c.Update(ctx, it.ID, it.ETag, parse(t, aliceV3))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Update(ctx, it.ID, "stale", card); !errors.Is(err, connectors.ErrPreconditionFailed) {
		t.Fatalf("Update with a stale etag: %v", err)
	}
	huge := card.Clone()
	huge.Add(mapping.Property{Name: "NOTE", Value: strings.Repeat("x", mapping.MaxCardSize)})
	if _, err := c.Create(ctx, "huge", huge); !errors.Is(err, mapping.ErrCardTooLarge) {
		t.Fatalf("Create of a card over the size limit: %v, want ErrCardTooLarge", err)
	}
	if _, err := c.Create(ctx, "other", card); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, it.ID, it.ETag); err != nil {
		t.Fatal(err)
	}
	got := names(t, c.Path())
	if want := []string{vdir.FileName("other")}; !slices.Equal(got, want) {
		t.Errorf("folder holds %q, want %q", got, want)
	}
	fi, err := os.Stat(filepath.Join(c.Path(), vdir.FileName("other")))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("written file has mode %v, want 0600", fi.Mode().Perm())
	}
}

func TestStaleTemporaryFilesRemoved(t *testing.T) {
	c := open(t, vdir.Config{})
	old := filepath.Join(c.Path(), ".abc.vcf.123.cbtmp")
	fresh := filepath.Join(c.Path(), ".def.vcf.456.cbtmp")
	foreign := filepath.Join(c.Path(), ".someone-elses.tmp")
	for _, p := range []string{old, fresh, foreign} {
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	long := time.Now().Add(-2 * time.Hour)
	for _, p := range []string{old, foreign} {
		if err := os.Chtimes(p, long, long); err != nil {
			t.Fatal(err)
		}
	}
	if got := list(t, c); len(got) != 0 {
		t.Errorf("listing holds %v, want nothing", got)
	}
	got := names(t, c.Path())
	want := []string{".def.vcf.456.cbtmp", ".someone-elses.tmp"}
	if !slices.Equal(got, want) {
		t.Errorf("after a listing the folder holds %q, want %q", got, want)
	}
}

func TestForeignFilesIgnored(t *testing.T) {
	c := open(t, vdir.Config{})
	write(t, c, "alice.vcf", aliceV3)
	write(t, c, "BOB.VCF", bobV4)
	for _, name := range []string{"README", "notes.txt", "alice.vcf.bak", ".hidden.vcf", "alice.vcf~", ".#alice.vcf", "vcf"} {
		write(t, c, name, aliceV3)
	}
	if err := os.Mkdir(filepath.Join(c.Path(), "sub.vcf"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(c.Path(), "alice.vcf"), filepath.Join(c.Path(), "link.vcf")); err != nil {
		t.Fatal(err)
	}
	got := slices.Sorted(func(yield func(string) bool) {
		for id := range list(t, c) {
			if !yield(id) {
				return
			}
		}
	})
	if want := []string{"BOB.VCF", "alice.vcf"}; !slices.Equal(got, want) {
		t.Errorf("listing holds %q, want %q", got, want)
	}
	for _, id := range []string{".hidden.vcf", "notes.txt", "link.vcf", "sub.vcf"} {
		if it := fetch(t, c, id); !errors.Is(it.Err, connectors.ErrNotFound) {
			t.Errorf("Fetch %s: Err = %v, want ErrNotFound", id, it.Err)
		}
	}
}

func TestUnreadableFilesReported(t *testing.T) {
	big := "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Big\r\nNOTE:" + strings.Repeat("x", mapping.MaxCardSize) + "\r\nEND:VCARD\r\n"
	cases := []struct {
		name    string
		content string
		want    error
	}{
		{"two cards.vcf", aliceV3 + bobV4, vdir.ErrSeveralCards},
		{"three cards.vcf", aliceV3 + bobV4 + aliceV3, vdir.ErrSeveralCards},
		{"malformed.vcf", "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:No end\r\n", mapping.ErrMalformed},
		{"not a vcard.vcf", "hello, world\n", mapping.ErrMalformed},
		{"empty.vcf", "", mapping.ErrNoCard},
		{"good and bad.vcf", aliceV3 + "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:No end\r\n", mapping.ErrMalformed},
		{"too large.vcf", big, mapping.ErrCardTooLarge},
	}
	c := open(t, vdir.Config{})
	write(t, c, "good.vcf", aliceV3)
	for _, tc := range cases {
		write(t, c, tc.name, tc.content)
	}
	listed := list(t, c)
	if len(listed) != len(cases)+1 {
		t.Errorf("listing holds %d items, want %d: unreadable files are listed too", len(listed), len(cases)+1)
	}
	if it := fetch(t, c, "good.vcf"); it.Err != nil || it.Card == nil {
		t.Errorf("Fetch good.vcf beside unreadable files: %v", it.Err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			it := fetch(t, c, tc.name)
			if !errors.Is(it.Err, tc.want) {
				t.Fatalf("Fetch: Err = %v, want %v", it.Err, tc.want)
			}
			if !strings.Contains(it.Err.Error(), tc.name) {
				t.Errorf("error %q does not name the file", it.Err)
			}
			if it.Card != nil {
				t.Error("Fetch passed a card for an unreadable file")
			}
			if it.ETag != listed[tc.name] {
				t.Errorf("Fetch etag %q, listing %q", it.ETag, listed[tc.name])
			}
			data, err := os.ReadFile(filepath.Join(c.Path(), tc.name))
			if err != nil || string(data) != tc.content {
				t.Errorf("the file was changed (err %v)", err)
			}
		})
	}
}

func TestFileNames(t *testing.T) {
	cases := []struct{ name, key string }{
		{"record id", "kXJ5pQ0vR2aS"},
		{"record id, other case", "kxj5pq0vr2as"},
		{"record id, upper case", "KXJ5PQ0VR2AS"},
		{"dash and underscore", "-_-_-_-_-_-_"},
		{"parent path", "../../../etc/passwd"},
		{"absolute path", "/etc/passwd"},
		{"backslashes", `..\..\windows`},
		{"dot", "."},
		{"dot dot", ".."},
		{"empty", ""},
		{"device name", "CON"},
		{"NUL byte", "a\x00b"},
		{"newline", "a\nb"},
		{"unicode", "Zoë 😀"},
		{"long", strings.Repeat("k", 1000)},
		{"long, other", strings.Repeat("k", 999) + "K"},
	}
	ctx := context.Background()
	c := open(t, vdir.Config{})
	seen := make(map[string]string) // lower-case name → key
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			name := vdir.FileName(tc.key)
			if name != vdir.FileName(tc.key) {
				t.Fatal("FileName is not deterministic")
			}
			if name != strings.ToLower(name) {
				t.Errorf("FileName(%q) = %q has upper case", tc.key, name)
			}
			if strings.ContainsAny(name, `/\:*?"<>|`+"\x00\n") || strings.HasPrefix(name, ".") || len(name) > 255 || !strings.HasSuffix(name, ".vcf") {
				t.Errorf("FileName(%q) = %q is not a safe name", tc.key, name)
			}
			if other, ok := seen[strings.ToLower(name)]; ok {
				t.Errorf("FileName(%q) = FileName(%q) = %q, ignoring case", tc.key, other, name)
			}
			seen[strings.ToLower(name)] = tc.key
			it, err := c.Create(ctx, tc.key, parse(t, bobV4))
			if err != nil {
				t.Fatalf("Create: %v", err)
			}
			if it.ID != name {
				t.Errorf("Create made %q, want %q", it.ID, name)
			}
			if _, err := os.Stat(filepath.Join(c.Path(), name)); err != nil {
				t.Errorf("the file is not in the folder: %v", err)
			}
		})
	}
	if got := list(t, c); len(got) != len(cases) {
		t.Errorf("listing holds %d items, want %d", len(got), len(cases))
	}
	if parent := names(t, filepath.Dir(c.Path())); len(parent) != 1 {
		t.Errorf("the folder's parent holds %q: a file was written outside", parent)
	}
}

func TestUnsafeIDsRefused(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	outside := filepath.Join(root, "outside.vcf")
	if err := os.WriteFile(outside, []byte(aliceV3), 0o600); err != nil {
		t.Fatal(err)
	}
	c := open(t, vdir.Config{Path: filepath.Join(root, "contacts"), Create: true})
	fi, err := os.Stat(outside)
	if err != nil {
		t.Fatal(err)
	}
	etag := fi.ModTime().String()
	for _, id := range []string{"../outside.vcf", outside, "sub/x.vcf", `..\outside.vcf`, "", ".vcf", "x.txt"} {
		if it := fetch(t, c, id); !errors.Is(it.Err, connectors.ErrNotFound) {
			t.Errorf("Fetch %q: %v, want ErrNotFound", id, it.Err)
		}
		if _, err := c.Update(ctx, id, etag, parse(t, bobV4)); !errors.Is(err, connectors.ErrNotFound) {
			t.Errorf("Update %q: %v, want ErrNotFound", id, err)
		}
		if err := c.Delete(ctx, id, etag); !errors.Is(err, connectors.ErrNotFound) {
			t.Errorf("Delete %q: %v, want ErrNotFound", id, err)
		}
	}
	if data, err := os.ReadFile(outside); err != nil || string(data) != aliceV3 {
		t.Errorf("the file outside the folder was touched (err %v)", err)
	}
}

func TestLineEndingsAndVersions(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name, content string
		want          mapping.Version // version an Update keeps
	}{
		{"lf only 3.0", strings.ReplaceAll(aliceV3, "\r\n", "\n"), mapping.Version30},
		{"crlf 4.0", bobV4, mapping.Version40},
		{"2.1 becomes 3.0", "BEGIN:VCARD\nVERSION:2.1\nN:Example;Carol\nFN:Carol Example\nTEL;HOME;VOICE:+1-555-0100\nEND:VCARD\n", mapping.Version30},
		{"no version", "BEGIN:VCARD\nFN:Dan Example\nEND:VCARD\n", mapping.Version40},
	}
	c := open(t, vdir.Config{})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id := tc.name + ".vcf"
			write(t, c, id, tc.content)
			it := fetch(t, c, id)
			if it.Err != nil {
				t.Fatalf("Fetch: %v", it.Err)
			}
			edited := it.Card.Clone()
			edited.Add(mapping.Property{Name: "NOTE", Value: "edited"})
			edited.Version = mapping.Version40 // the card's version does not decide; the file's does
			up, err := c.Update(ctx, id, it.ETag, edited)
			if err != nil {
				t.Fatalf("Update: %v", err)
			}
			if up.Card == nil || up.Card.Version != tc.want {
				t.Errorf("Update result version = %v, want %s", up.Card, tc.want)
			}
			data, err := os.ReadFile(filepath.Join(c.Path(), id))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(data, []byte("\r\nVERSION:"+string(tc.want)+"\r\n")) {
				t.Errorf("file written as\n%s\nwant VERSION:%s", data, tc.want)
			}
			if bytes.Count(data, []byte("\n")) != bytes.Count(data, []byte("\r\n")) {
				t.Errorf("file written with bare LF:\n%q", data)
			}
			if got := fetch(t, c, id); got.Err != nil || got.Card.Hash() != edited.Hash() {
				t.Errorf("Fetch after Update: %v, equal %v", got.Err, got.Err == nil && got.Card.Hash() == edited.Hash())
			}
		})
	}
}

func TestHandEditPickedUp(t *testing.T) {
	ctx := context.Background()
	c := open(t, vdir.Config{})
	it, err := c.Create(ctx, "kXJ5pQ0vR2aS", parse(t, bobV4))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(c.Path(), it.ID)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Right after our write, an edit in place that keeps the size: the
	// file system clock may not have moved, so only our backdated mtime
	// (or the change time) tells the two versions apart.
	edited := bytes.Replace(data, []byte("FN:Bob"), []byte("FN:Rob"), 1)
	if len(edited) != len(data) || bytes.Equal(edited, data) {
		t.Fatal("test edit did not apply")
	}
	if err := os.WriteFile(path, edited, 0o600); err != nil {
		t.Fatal(err)
	}
	listed := list(t, c)
	if listed[it.ID] == it.ETag {
		t.Fatalf("a hand edit kept the etag %q", it.ETag)
	}
	got := fetch(t, c, it.ID)
	if got.Err != nil || got.Card.Value("FN") != "Rob Example" {
		t.Errorf("Fetch after a hand edit: %v, FN %q", got.Err, got.Card.Value("FN"))
	}
	if got.ETag != listed[it.ID] {
		t.Errorf("Fetch etag %q, listing %q", got.ETag, listed[it.ID])
	}
	// The bridge's update, with the etag from before the edit, must not
	// overwrite it.
	if _, err := c.Update(ctx, it.ID, it.ETag, parse(t, bobV4)); !errors.Is(err, connectors.ErrPreconditionFailed) {
		t.Errorf("Update over a hand edit: %v, want ErrPreconditionFailed", err)
	}
	// A touch that keeps the content changes the etag too; the bridge then
	// fetches and finds the same canonical hash.
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
	if list(t, c)[it.ID] == listed[it.ID] {
		t.Error("a touch kept the etag")
	}
}

func TestCreateFindsExistingFile(t *testing.T) {
	ctx := context.Background()
	c := open(t, vdir.Config{})
	first, err := c.Create(ctx, "kXJ5pQ0vR2aS", parse(t, bobV4))
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.Create(ctx, "kXJ5pQ0vR2aS", parse(t, aliceV3))
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != first.ID || again.ETag != first.ETag || again.Card.Value("FN") != "Bob Example" {
		t.Errorf("retried Create returned %s %s %q, want the first file %s %s", again.ID, again.ETag, again.Card.Value("FN"), first.ID, first.ETag)
	}
	// A file in the way that is not one contact is an error, not replaced.
	write(t, c, vdir.FileName("broken"), aliceV3+bobV4)
	if _, err := c.Create(ctx, "broken", parse(t, bobV4)); !errors.Is(err, vdir.ErrSeveralCards) {
		t.Errorf("Create over a file with two cards: %v, want ErrSeveralCards", err)
	}
}
