package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/contactbridge/contactbridge/mapping"
)

// words are the lists contacts are drawn from. They mix ASCII and
// non-ASCII names, and values that need escaping (commas, semicolons,
// quotes), as real address books do.
type words struct {
	first, last, streets, companies, units, titles, categories, sentences []string
	cities                                                                [][4]string // locality, region, postal code, country
}

// defaultWords returns the word lists of the benchmark.
func defaultWords() words {
	return words{
		first: []string{"Anna", "Ben", "Chloé", "David", "Elif", "François", "Grace", "Hiro", "Ingrid", "José",
			"Karin", "Liam", "Maëlle", "Noah", "Olga", "Pablo", "Quinn", "Rosa", "Søren", "Tomás", "Uma", "Viktor",
			"Wen", "Xavier", "Yasmin", "Zoë", "Łukasz", "Ana María", "Jean-Luc", "Priya"},
		last: []string{"Smith", "Müller", "García", "Nguyen", "Kowalski", "O'Brien", "Rossi", "Andersen", "Yamamoto",
			"Dubois", "Silva", "Novák", "van der Berg", "Özdemir", "Johansson", "Papadopoulos", "Kim", "Fischer",
			"Hernández", "Larsen", "Ivanova", "Schmidt", "Moreau", "Costa", "Brown"},
		streets: []string{"Main Street", "Rue de la Paix", "Hauptstraße", "Calle Mayor", "Elm Avenue", "Via Roma",
			"Kungsgatan", "Baker Street", "Oak Lane", "Bahnhofstraße", "Avenida Paulista", "Church Road"},
		cities: [][4]string{ // locality, region, postal code, country
			{"Springfield", "IL", "62701", "USA"}, {"Paris", "", "75002", "France"}, {"Berlin", "", "10115", "Germany"},
			{"Madrid", "", "28013", "Spain"}, {"Portland", "OR", "97205", "USA"}, {"Rome", "RM", "00184", "Italy"},
			{"Stockholm", "", "111 20", "Sweden"}, {"London", "", "NW1 6XE", "United Kingdom"},
			{"São Paulo", "SP", "01310-100", "Brazil"}, {"Toronto", "ON", "M5H 2N2", "Canada"}},
		companies: []string{"Acme Corporation", "Globex, Inc.", "Initech", "Umbrella AG", "Stark Industries",
			"Wayne Enterprises", "Hooli", "Vandelay Industries", "Soylent SA", "Tyrell Corp."},
		units: []string{"Research and Development", "Sales", "Finance", "Legal", "Operations", "Marketing"},
		titles: []string{"Senior Engineer", "Account Manager", "CFO", "Product Owner", "Designer",
			"Head of Operations", "Lawyer", "Data Scientist", "Support Lead", "Architect"},
		categories: []string{"friends", "work", "family", "school", "football club", "neighbours", "clients", "VIP"},
		sentences: []string{
			"Met at the spring conference in Lisbon; follow up about the partnership.",
			"Prefers e-mail over phone calls, except on Fridays.",
			"Birthday dinner usually at the Italian place near the station.",
			"Has two kids, Mia and Leo; asks about the garden every time.",
			"Allergic to peanuts — remember for the summer barbecue.",
			"Introduced by a former colleague from the Berlin office.",
			"Plays the cello in the city orchestra, concerts in December.",
			"Owes me a book: \"The Left Hand of Darkness\", lent in March.",
			"Working on the migration project until the end of the quarter.",
			"Speaks French, German and a little Japanese.",
			"Call the office number first, the mobile is often switched off.",
			"Runs the local repair café on the first Saturday of the month.",
		},
	}
}

// A Generator makes the benchmark's contacts. Contact i depends only on the
// seed and i, so the same contact is generated whatever the folder's size,
// and an edited contact differs from the original in exactly one property.
// Create it with NewGenerator.
type Generator struct {
	seed  uint64
	words words
	fold  *strings.Replacer // drops accents for mail addresses
}

// NewGenerator returns the generator of seed.
func NewGenerator(seed uint64) *Generator {
	return &Generator{
		seed:  seed,
		words: defaultWords(),
		fold: strings.NewReplacer("é", "e", "ç", "c", "ë", "e", "ø", "o", "á", "a", "í", "i", "ó", "o",
			"Ł", "L", "ü", "u", "Ö", "O", "ö", "o", "Ø", "O", " ", "", "'", "", "-", ""),
	}
}

// rng returns the random source of contact i.
func (g *Generator) rng(i int) *rand.Rand {
	return rand.New(rand.NewPCG(g.seed, uint64(i)))
}

// UID returns the UID of contact i, a urn:uuid as most address books make.
func (g *Generator) UID(i int) string {
	r := g.rng(i)
	return uid(r)
}

func uid(r *rand.Rand) string {
	return fmt.Sprintf("urn:uuid:%08x-%04x-4%03x-%04x-%012x",
		r.Uint32(), r.Uint32()&0xffff, r.Uint32()&0xfff, 0x8000|r.Uint32()&0x3fff, r.Uint64()&0xffffffffffff)
}

// FileName returns the file name of contact i in the generated folder: the
// UUID and ".vcf", as khard and vdirsyncer name files.
func (g *Generator) FileName(i int) string {
	return strings.TrimPrefix(g.UID(i), "urn:uuid:") + ".vcf"
}

// Card returns contact i; edit > 0 gives its edit-th edited version, which
// changes the mobile number (even i) or appends to the note (odd i).
func (g *Generator) Card(i, edit int) *mapping.Card {
	r := g.rng(i)
	pick := func(list []string) string { return list[r.IntN(len(list))] }
	id := uid(r)
	w := &g.words
	first, last := pick(w.first), pick(w.last)
	city := w.cities[r.IntN(len(w.cities))]
	org, title := pick(w.companies), pick(w.titles)
	user := strings.ToLower(g.fold.Replace(first + "." + last))

	c := &mapping.Card{}
	add := func(name string, set func(p *mapping.Property), typ ...string) {
		p := mapping.Property{Name: name}
		if len(typ) > 0 {
			p.SetParam("TYPE", typ...)
		}
		set(&p)
		c.Add(p)
	}
	text := func(s string) func(*mapping.Property) { return func(p *mapping.Property) { p.SetText(s) } }
	add("UID", text(id))
	add("FN", text(first+" "+last))
	add("N", func(p *mapping.Property) { p.SetComponents(last, first, "", "", "") })
	add("EMAIL", text(fmt.Sprintf("%s@%s", user, domainOf(org))), "work")
	add("EMAIL", text(fmt.Sprintf("%s%d@example.org", user, i)), "home")
	mobile := fmt.Sprintf("+1 555 %03d %04d", r.IntN(1000), r.IntN(10000))
	if edit > 0 && i%2 == 0 {
		mobile = fmt.Sprintf("+1 555 %03d %04d", edit, i%10000)
	}
	add("TEL", text(mobile), "cell")
	add("TEL", text(fmt.Sprintf("+1 555 %03d %04d", r.IntN(1000), r.IntN(10000))), "work", "voice")
	add("ADR", func(p *mapping.Property) {
		p.SetComponents("", "", fmt.Sprintf("%d %s", 1+r.IntN(300), pick(w.streets)), city[0], city[1], city[2], city[3])
	}, "home")
	add("ORG", func(p *mapping.Property) { p.SetComponents(org, pick(w.units)) })
	add("TITLE", text(title))
	add("BDAY", text(fmt.Sprintf("%04d-%02d-%02d", 1950+r.IntN(55), 1+r.IntN(12), 1+r.IntN(28))))
	var note strings.Builder
	for n := 6 + r.IntN(5); n > 0; n-- {
		if note.Len() > 0 {
			note.WriteString(" ")
		}
		note.WriteString(pick(w.sentences))
	}
	if edit > 0 && i%2 == 1 {
		fmt.Fprintf(&note, " Edit %d: new details after the last call.", edit)
	}
	add("NOTE", text(note.String()))
	add("CATEGORIES", func(p *mapping.Property) { p.SetList(pick(w.categories), pick(w.categories)) })
	return c
}

// Marshal returns contact i (edit as for Card) as vCard 3.0 text, the
// version most address books write.
func (g *Generator) Marshal(i, edit int) ([]byte, error) {
	b, err := g.Card(i, edit).Marshal(mapping.Version30)
	if err != nil {
		return nil, fmt.Errorf("contact %d: %w", i, err)
	}
	return b, nil
}

// WriteFolder writes contacts 0 … n-1, one file each, into dir (which must
// exist), and returns the bytes written.
func (g *Generator) WriteFolder(dir string, n int) (int64, error) {
	var total int64
	for i := range n {
		b, err := g.Marshal(i, 0)
		if err != nil {
			return total, err
		}
		if err := os.WriteFile(filepath.Join(dir, g.FileName(i)), b, 0o600); err != nil {
			return total, fmt.Errorf("generate: %w", err)
		}
		total += int64(len(b))
	}
	return total, nil
}

// Edited returns the indexes of the k contacts, out of n, that the change
// phase edits: spread evenly over the folder.
func Edited(n, k int) []int {
	k = min(k, n)
	out := make([]int, k)
	for j := range out {
		out[j] = j * n / k
	}
	return out
}

// EditFolder rewrites the files of the contacts idx in dir with their
// edit-th edited version, in place, as an editor that saves over the file
// would.
func (g *Generator) EditFolder(dir string, idx []int, edit int) error {
	for _, i := range idx {
		b, err := g.Marshal(i, edit)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, g.FileName(i)), b, 0o600); err != nil {
			return fmt.Errorf("edit contact %d: %w", i, err)
		}
	}
	return nil
}

// domainOf makes a mail domain from a company name.
func domainOf(org string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(org) {
		if r >= 'a' && r <= 'z' {
			b.WriteRune(r)
		}
	}
	return b.String() + ".example.com"
}
