package vclock

import (
	"fmt"
	"math/bits"
	"strconv"
)

// Max is VCLOCK_MAX: the number of components, so replica ids run
// 0..Max-1 (0 is reserved for local rows, registered instances use 1..31).
const Max = 32

// ReplicaID is an instance's id in the replica set (_cluster), the index of
// its vclock component.
type ReplicaID uint32

// LSN is a log sequence number: the value of one vclock component.
type LSN int64

// VClock is a vector clock. The zero value is an empty clock, ready to use.
// A VClock is a plain value: assignment copies it.
type VClock struct {
	lsn       [Max]int64
	present   uint32 // bit i set: component i is present
	signature int64  // sum of all present components, kept in step
}

// Order is the result of comparing two clocks in the partial order.
type Order int8

// Orders returned by Compare. Incomparable means the clocks are concurrent:
// each has a component greater than the other's.
const (
	Less         Order = -1
	Equal        Order = 0
	Greater      Order = 1
	Incomparable Order = 2
)

func (o Order) String() string {
	switch o {
	case Less:
		return "<"
	case Equal:
		return "="
	case Greater:
		return ">"
	}
	return "incomparable"
}

func checkID(id ReplicaID) {
	if id >= Max {
		panic(fmt.Sprintf("vclock: replica id %d out of range [0, %d)", id, Max))
	}
}

// Get returns component id; 0 when it is absent. Ids >= Max panic.
func (v *VClock) Get(id ReplicaID) LSN {
	checkID(id)
	if v.present&(1<<id) == 0 {
		return 0
	}
	return LSN(v.lsn[id])
}

// Has reports whether component id is present.
func (v *VClock) Has(id ReplicaID) bool {
	checkID(id)
	return v.present&(1<<id) != 0
}

// Set sets component id to lsn, moving it backwards if needed (Tarantool's
// vclock_reset). Setting 0 removes the component. A negative lsn panics.
func (v *VClock) Set(id ReplicaID, lsn LSN) {
	checkID(id)
	if lsn < 0 {
		panic(fmt.Sprintf("vclock: negative lsn %d for replica %d", lsn, id))
	}
	v.signature -= int64(v.Get(id))
	if lsn == 0 {
		v.present &^= 1 << id
		v.lsn[id] = 0
		return
	}
	v.present |= 1 << id
	v.lsn[id] = int64(lsn)
	v.signature += int64(lsn)
}

// Follow advances component id to lsn and returns its previous value. The
// LSN of a replica only grows: lsn <= the current value is a broken
// invariant of the caller and panics (Tarantool asserts the same).
func (v *VClock) Follow(id ReplicaID, lsn LSN) LSN {
	prev := v.Get(id)
	if lsn <= prev {
		panic(fmt.Sprintf("vclock: lsn of replica %d goes backwards: %d -> %d", id, prev, lsn))
	}
	v.present |= 1 << id
	v.lsn[id] = int64(lsn)
	v.signature += int64(lsn - prev)
	return prev
}

// Inc increments component id and returns the new value.
func (v *VClock) Inc(id ReplicaID) LSN {
	next := v.Get(id) + 1
	v.Follow(id, next)
	return next
}

// Sum is the signature: the sum of all components including 0. File names
// and box.info.signature use it.
func (v *VClock) Sum() int64 { return v.signature }

// Size is the number of present components.
func (v *VClock) Size() int { return bits.OnesCount32(v.present) }

// SizeIgnore0 is the number of present components other than 0.
func (v *VClock) SizeIgnore0() int { return bits.OnesCount32(v.present &^ 1) }

// IsEmpty reports whether no component is present.
func (v *VClock) IsEmpty() bool { return v.present == 0 }

// Copy returns a copy of v (a VClock is a value; this reads better at call
// sites that hand a clock to another owner).
func (v *VClock) Copy() VClock { return *v }

// Each calls fn for every present component in ascending id order.
func (v *VClock) Each(fn func(id ReplicaID, lsn LSN)) {
	for m := v.present; m != 0; m &= m - 1 {
		id := bits.TrailingZeros32(m)
		fn(ReplicaID(id), LSN(v.lsn[id]))
	}
}

// Compare returns the partial order of v relative to o over all
// components (vclock_compare).
func (v *VClock) Compare(o *VClock) Order { return v.compare(o, false) }

// CompareIgnore0 is Compare that ignores component 0 (vclock_compare_ignore0):
// local rows must not order clocks of different instances.
func (v *VClock) CompareIgnore0(o *VClock) Order { return v.compare(o, true) }

func (v *VClock) compare(o *VClock, ignore0 bool) Order {
	le, ge := true, true
	m := v.present | o.present
	if ignore0 {
		m &^= 1
	}
	for ; m != 0; m &= m - 1 {
		id := ReplicaID(bits.TrailingZeros32(m))
		a, b := v.Get(id), o.Get(id)
		le = le && a <= b
		ge = ge && a >= b
		if !le && !ge {
			return Incomparable
		}
	}
	switch {
	case ge && !le:
		return Greater
	case le && !ge:
		return Less
	}
	return Equal
}

// LexCompare orders clocks lexicographically by ascending id (total order,
// consistent with Compare where Compare is defined): -1, 0 or 1.
func (v *VClock) LexCompare(o *VClock) int {
	for m := v.present | o.present; m != 0; m &= m - 1 {
		id := ReplicaID(bits.TrailingZeros32(m))
		a, b := v.Get(id), o.Get(id)
		if a < b {
			return -1
		}
		if a > b {
			return 1
		}
	}
	return 0
}

// Merge adds every component of diff to v (Tarantool's vclock_merge, used
// to apply a batch of increments accumulated in diff). Components of diff
// must be positive; diff is left untouched.
func (v *VClock) Merge(diff *VClock) {
	diff.Each(func(id ReplicaID, lsn LSN) {
		if lsn > 0 {
			v.Follow(id, v.Get(id)+lsn)
		}
	})
}

// Max raises every component of v to at least o's (componentwise maximum).
func (v *VClock) Max(o *VClock) {
	o.Each(func(id ReplicaID, lsn LSN) {
		if lsn > v.Get(id) {
			v.Follow(id, lsn)
		}
	})
}

// MinIgnore0 lowers every component of v except 0 to at most o's
// (vclock_min_ignore0): the result is the oldest position both have seen.
func (v *VClock) MinIgnore0(o *VClock) {
	for m := (v.present | o.present) &^ 1; m != 0; m &= m - 1 {
		id := ReplicaID(bits.TrailingZeros32(m))
		if b := o.Get(id); b < v.Get(id) {
			v.Set(id, b)
		}
	}
}

// String formats v as Tarantool does: "{0: 1, 1: 26}", ids ascending,
// "{}" when empty.
func (v VClock) String() string {
	return string(v.AppendText(make([]byte, 0, 2+v.Size()*8)))
}

// AppendText appends the text form of v to dst.
func (v *VClock) AppendText(dst []byte) []byte {
	dst = append(dst, '{')
	first := true
	v.Each(func(id ReplicaID, lsn LSN) {
		if !first {
			dst = append(dst, ", "...)
		}
		first = false
		dst = strconv.AppendUint(dst, uint64(id), 10)
		dst = append(dst, ": "...)
		dst = strconv.AppendInt(dst, int64(lsn), 10)
	})
	return append(dst, '}')
}
