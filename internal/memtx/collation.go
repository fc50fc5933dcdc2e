package memtx

import (
	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"github.com/spindledb/spindle/internal/boxerr"
)

// collator compares strings under a Unicode collation. Tarantool 2.6 ships
// "unicode" (ICU root locale, tertiary strength: case and accents matter
// after the base letters) and "unicode_ci" (primary strength: case and
// accents are ignored). golang.org/x/text/collate implements the same
// Unicode Collation Algorithm with the root (DUCET/CLDR) table.
//
// A collator is not safe for concurrent use (it owns a key buffer); each
// Index builds its own, and everything in this package runs under the
// caller's serialization.
type collator struct {
	name string
	c    *collate.Collator
	buf  collate.Buffer
}

// newCollator returns nil for the binary collation ("" or "binary").
func newCollator(name string) (*collator, error) {
	switch name {
	case "", "none", "binary":
		return nil, nil
	case "unicode":
		return &collator{name: name, c: collate.New(language.Und)}, nil
	case "unicode_ci":
		return &collator{name: name, c: collate.New(language.Und, collate.Loose)}, nil
	}
	return nil, boxerr.New(boxerr.ER_NO_SUCH_COLLATION, name)
}

func (c *collator) compare(a, b []byte) int {
	return c.c.Compare(a, b)
}

// key returns the sort key of s: two strings compare equal under the
// collation exactly when their keys are equal, which is what hashing needs.
func (c *collator) key(s []byte) []byte {
	c.buf.Reset()
	return c.c.Key(&c.buf, s)
}
