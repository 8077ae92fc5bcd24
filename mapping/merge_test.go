package mapping

import (
	"reflect"
	"strings"
	"testing"
)

// lines parses a 4.0 card from its property lines ("" for no card at all).
func lines(t testing.TB, ls ...string) *Card {
	t.Helper()
	return mustParse(t, vcf("4.0", ls...))
}

func TestMerge(t *testing.T) {
	base := []string{"FN:Pat", "N:Doe;Pat;;;", "EMAIL:pat@a.org", "TEL;TYPE=cell:1", "NOTE:old", "CATEGORIES:a,b", "X-FOO:keep"}
	with := func(drop []string, add ...string) []string {
		var out []string
		for _, l := range base {
			keep := true
			for _, d := range drop {
				if l == d {
					keep = false
				}
			}
			if keep {
				out = append(out, l)
			}
		}
		return append(out, add...)
	}
	tests := []struct {
		name      string
		base      []string // nil: no base
		ours      []string
		theirs    []string
		prefer    Side
		want      []string
		conflicts []string
	}{
		{
			name: "single changed on one side, set added on the other",
			base: base, ours: with([]string{"FN:Pat"}, "FN:Patricia"), theirs: with(nil, "EMAIL:pat@b.org"),
			want: with([]string{"FN:Pat"}, "FN:Patricia", "EMAIL:pat@b.org"),
		},
		{
			name: "both add different emails",
			base: base, ours: with(nil, "EMAIL:o@x"), theirs: with(nil, "EMAIL:t@x"),
			want: with(nil, "EMAIL:o@x", "EMAIL:t@x"),
		},
		{
			name: "both add the same email once",
			base: base, ours: with(nil, "EMAIL:same@x", "TEL:9"), theirs: with(nil, "EMAIL:same@x"),
			want: with(nil, "EMAIL:same@x", "TEL:9"),
		},
		{
			name: "deletion on one side applies",
			base: base, ours: with([]string{"EMAIL:pat@a.org"}), theirs: with(nil, "TEL:2"),
			want: with([]string{"EMAIL:pat@a.org"}, "TEL:2"),
		},
		{
			name: "changed email is delete plus add",
			base: base, ours: with([]string{"EMAIL:pat@a.org"}, "EMAIL:pat@new.org"), theirs: with(nil, "TEL:2"),
			want: with([]string{"EMAIL:pat@a.org"}, "EMAIL:pat@new.org", "TEL:2"),
		},
		{
			name: "parameter change on one side",
			base: base, ours: with([]string{"TEL;TYPE=cell:1"}, "TEL;TYPE=work:1"), theirs: with(nil, "URL:http://x"),
			want: with([]string{"TEL;TYPE=cell:1"}, "TEL;TYPE=work:1", "URL:http://x"),
		},
		{
			name: "true conflict, ours preferred",
			base: base, ours: with([]string{"FN:Pat"}, "FN:Pat O"), theirs: with([]string{"FN:Pat"}, "FN:Pat T"), prefer: Ours,
			want: with([]string{"FN:Pat"}, "FN:Pat O"), conflicts: []string{"FN"},
		},
		{
			name: "true conflict, theirs preferred",
			base: base, ours: with([]string{"FN:Pat"}, "FN:Pat O"), theirs: with([]string{"FN:Pat"}, "FN:Pat T"), prefer: Theirs,
			want: with([]string{"FN:Pat"}, "FN:Pat T"), conflicts: []string{"FN"},
		},
		{
			name: "same change on both sides is no conflict",
			base: base, ours: with([]string{"NOTE:old"}, "NOTE:new", "TEL:7"), theirs: with([]string{"NOTE:old"}, "NOTE:new"),
			want: with([]string{"NOTE:old"}, "NOTE:new", "TEL:7"),
		},
		{
			name: "delete versus edit of a single value conflicts",
			base: base, ours: with([]string{"NOTE:old"}), theirs: with([]string{"NOTE:old"}, "NOTE:edited"), prefer: Theirs,
			want: with([]string{"NOTE:old"}, "NOTE:edited"), conflicts: []string{"NOTE"},
		},
		{
			name: "delete of an unchanged single value applies",
			base: base, ours: with([]string{"NOTE:old"}), theirs: with(nil, "TEL:5"),
			want: with([]string{"NOTE:old"}, "TEL:5"),
		},
		{
			name: "cosmetic difference is not a change",
			base: base, ours: with([]string{"TEL;TYPE=cell:1"}, "TEL;TYPE=CELL:1", "REV:20240101T000000Z"), theirs: with(nil, "TEL:3"),
			want: with(nil, "TEL:3"),
		},
		{
			name: "categories merge as a set",
			base: base, ours: with([]string{"CATEGORIES:a,b"}, "CATEGORIES:a,b,c"), theirs: with([]string{"CATEGORIES:a,b"}, "CATEGORIES:a"),
			want: with([]string{"CATEGORIES:a,b"}, "CATEGORIES:a,c"),
		},
		{
			name: "unknown property edits merge as sets",
			base: base, ours: with([]string{"X-FOO:keep"}, "X-FOO:ours"), theirs: with(nil, "X-BAR:theirs"),
			want: with([]string{"X-FOO:keep"}, "X-FOO:ours", "X-BAR:theirs"),
		},
		{
			name: "groups added on both sides with the same label",
			base: base,
			ours: with(nil, "item1.EMAIL:o@x", "item1.X-ABLABEL:ours"), theirs: with(nil, "item1.TEL:5", "item1.X-ABLABEL:theirs"),
			want: with(nil, "item1.EMAIL:o@x", "item1.X-ABLABEL:ours", "item2.TEL:5", "item2.X-ABLABEL:theirs"),
		},
		{
			name: "group relabelled on one side is no change",
			base: with(nil, "item1.EMAIL:g@x", "item1.X-ABLABEL:l"),
			ours: with(nil, "item9.EMAIL:g@x", "item9.X-ABLABEL:l", "TEL:4"), theirs: with(nil, "item1.EMAIL:g@x", "item1.X-ABLABEL:l", "URL:http://y"),
			want: with(nil, "item9.EMAIL:g@x", "item9.X-ABLABEL:l", "TEL:4", "URL:http://y"),
		},
		{
			name: "label edited inside a group",
			base: with(nil, "item1.EMAIL:g@x", "item1.X-ABLABEL:l"),
			ours: with(nil, "item1.EMAIL:g@x", "item1.X-ABLABEL:new"), theirs: with(nil, "item1.EMAIL:g@x", "item1.X-ABLABEL:l", "TEL:8"),
			want: with(nil, "item1.EMAIL:g@x", "item1.X-ABLABEL:new", "TEL:8"),
		},
		{
			name: "one side unchanged returns the other",
			base: base, ours: base, theirs: with([]string{"FN:Pat"}, "FN:Other"),
			want: with([]string{"FN:Pat"}, "FN:Other"),
		},
		{
			name: "no base: union, conflicts on singles",
			ours: []string{"FN:A", "EMAIL:a@x"}, theirs: []string{"FN:B", "EMAIL:b@x"}, prefer: Ours,
			want: []string{"FN:A", "EMAIL:a@x", "EMAIL:b@x"}, conflicts: []string{"FN"},
		},
		{
			name: "version differences are not changes",
			base: base, ours: with(nil, "TEL;PREF=1:6"), theirs: with(nil, "EMAIL:z@z"),
			want: with(nil, "TEL;PREF=1:6", "EMAIL:z@z"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b *Card
			if tt.base != nil {
				b = lines(t, tt.base...)
			}
			o, th := lines(t, tt.ours...), lines(t, tt.theirs...)
			oursBefore, theirsBefore := body(t, o), body(t, th)
			got, conflicts := Merge(b, o, th, tt.prefer)
			want := lines(t, tt.want...)
			if got.Hash() != want.Hash() {
				t.Errorf("merged\n%s\nwant\n%s", body(t, got), body(t, want))
			}
			var names []string
			for _, c := range conflicts {
				names = append(names, c.Name)
				if c.Chosen != tt.prefer {
					t.Errorf("conflict %s chose %v, want %v", c.Name, c.Chosen, tt.prefer)
				}
			}
			if !reflect.DeepEqual(names, tt.conflicts) {
				t.Errorf("conflicts %v, want %v", names, tt.conflicts)
			}
			if body(t, o) != oursBefore || body(t, th) != theirsBefore {
				t.Error("Merge modified its arguments")
			}
			checkRoundTrip(t, got, Version40)
		})
	}
}

// TestMergeConflictContent checks what a conflict carries for the log.
func TestMergeConflictContent(t *testing.T) {
	b, o, th := lines(t, "NOTE:base"), lines(t, "NOTE:ours"), lines(t, "NOTE:theirs")
	_, conflicts := Merge(b, o, th, Theirs)
	if len(conflicts) != 1 {
		t.Fatalf("%d conflicts", len(conflicts))
	}
	c := conflicts[0]
	got := []string{c.Base[0].Text(), c.Ours[0].Text(), c.Theirs[0].Text(), c.Chosen.String()}
	if want := []string{"base", "ours", "theirs", "theirs"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestMergeKeepsRevFromPreferredSide(t *testing.T) {
	b := lines(t, "FN:a")
	o := lines(t, "FN:a", "TEL:1", "REV:1")
	th := lines(t, "FN:a", "TEL:2", "REV:2")
	for _, side := range []Side{Ours, Theirs} {
		t.Run(side.String(), func(t *testing.T) {
			got, _ := Merge(b, o, th, side)
			want := map[Side]string{Ours: "1", Theirs: "2"}[side]
			if rev := got.Value("REV"); rev != want {
				t.Errorf("REV %q, want %q", rev, want)
			}
		})
	}
}

func TestMergeCount(t *testing.T) {
	tests := []struct{ b, o, t, want int }{
		{0, 0, 0, 0}, {1, 1, 1, 1}, {0, 1, 0, 1}, {0, 0, 1, 1}, {0, 1, 1, 1},
		{1, 0, 1, 0}, {1, 1, 0, 0}, {1, 0, 0, 0}, {1, 2, 0, 1}, {1, 2, 3, 3}, {2, 1, 0, 0},
	}
	for _, tt := range tests {
		if got := mergeCount(tt.b, tt.o, tt.t); got != tt.want {
			t.Errorf("mergeCount(%d, %d, %d) = %d, want %d", tt.b, tt.o, tt.t, got, tt.want)
		}
	}
}

func TestDiff(t *testing.T) {
	type change struct {
		kind ChangeKind
		name string
	}
	tests := []struct {
		name string
		a, b []string
		want []change
	}{
		{"none", []string{"FN:a"}, []string{"FN:a", "REV:2"}, nil},
		{"single modified", []string{"FN:a"}, []string{"FN:b"}, []change{{Modified, "FN"}}},
		{"single added", []string{"EMAIL:x"}, []string{"EMAIL:x", "NOTE:n"}, []change{{Added, "NOTE"}}},
		{"single removed", []string{"NOTE:n"}, nil, []change{{Removed, "NOTE"}}},
		{"multi added and removed", []string{"EMAIL:a", "EMAIL:b"}, []string{"EMAIL:b", "EMAIL:c"}, []change{{Removed, "EMAIL"}, {Added, "EMAIL"}}},
		{"category item", []string{"CATEGORIES:a,b"}, []string{"CATEGORIES:b,c"}, []change{{Removed, "CATEGORIES"}, {Added, "CATEGORIES"}}},
		{"group", []string{"item1.EMAIL:a", "item1.X-ABLABEL:x"}, []string{"item1.EMAIL:a", "item1.X-ABLABEL:y"}, []change{{Removed, "EMAIL+X-ABLABEL"}, {Added, "EMAIL+X-ABLABEL"}}},
		{"sorted by name", []string{"TEL:1"}, []string{"URL:u", "EMAIL:e", "TEL:1"}, []change{{Added, "EMAIL"}, {Added, "URL"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []change
			for _, c := range Diff(lines(t, tt.a...), lines(t, tt.b...)) {
				got = append(got, change{c.Kind, c.Name})
				if (c.Kind == Added) != (len(c.Old) == 0) || (c.Kind == Removed) != (len(c.New) == 0) {
					t.Errorf("%v %s: Old %d New %d", c.Kind, c.Name, len(c.Old), len(c.New))
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("nil cards", func(t *testing.T) {
		if d := Diff(nil, nil); len(d) != 0 {
			t.Errorf("Diff(nil, nil) = %v", d)
		}
		if d := Diff(nil, lines(t, "FN:x")); len(d) != 1 || d[0].Kind != Added {
			t.Errorf("Diff(nil, card) = %v", d)
		}
	})
	t.Run("kind strings", func(t *testing.T) {
		got := strings.Join([]string{Added.String(), Removed.String(), Modified.String(), ChangeKind(0).String()}, ",")
		if got != "added,removed,modified,unknown" {
			t.Error(got)
		}
	})
}
