package luamod

import (
	"fmt"
	"math/bits"
	"sort"
	"sync"
)

// This file holds a tiny engine for Ragel-style regular machines with
// actions, the semantics Tarantool's URI parser (src/lib/uri/uri.rl) is
// defined by. Tarantool compiles that grammar with Ragel into a DFA whose
// transitions run the actions of every alternative that is still alive
// on that character — including alternatives that fail later — and
// whose quirky results (parse('http://') gives host 'http', the 'unix'
// action firing for plain paths) scripts observe. Rather than guess
// those results by hand, the grammar is written out in uri_grammar.go
// and run here with the same semantics:
//
//   - An expression is compiled into an NFA whose actions sit on
//     epsilon edges (Thompson construction, continuation-passing).
//   - Consuming a character runs, once each and sorted by ordinal, the
//     actions on every epsilon path from a live position to a character
//     position that accepts the character. At the end of input the
//     actions on paths to the accepting position run the same way
//     (Ragel's EOF actions).
//   - Ordinals are assigned while the grammar is built, in Ragel's walk
//     order: an entering action (>) before its machine is built, a
//     leaving action (%) after; each named-machine reference is built
//     afresh (new ordinals), while repetitions ({n,m}, +) share them.
//
// An entering action on an epsilon edge into a machine runs on the
// machine's first character, or — when the machine matches the empty
// string — when the path leaves it, which is Ragel's rule for entering
// actions of machines whose start state is final.

// rxKind is the kind of a regular-expression node.
type rxKind uint8

const (
	rxSet    rxKind = iota // one byte from a set
	rxCat                  // concatenation of subs
	rxAlt                  // union of subs
	rxStar                 // zero or more of sub[0]
	rxEmpty                // the empty string
	rxAction               // sub[0] with entering/leaving actions
)

// byteSet is a set of bytes.
type byteSet [4]uint64

func (s *byteSet) has(c byte) bool { return s[c>>6]&(1<<(c&63)) != 0 }
func (s *byteSet) add(c byte)      { s[c>>6] |= 1 << (c & 63) }

// rx is a regular expression with actions. Nodes are immutable once
// built and may be shared (repetition shares ordinals, as in Ragel).
type rx struct {
	kind  rxKind
	set   byteSet
	subs  []*rx
	enter []int // action ordinals run when entering
	leave []int // action ordinals run when leaving
}

// actSet is a set of action ordinals; the grammar has fewer than 128.
type actSet [2]uint64

func (a actSet) with(ord int) actSet { a[ord>>6] |= 1 << (ord & 63); return a }
func (a actSet) or(b actSet) actSet  { return actSet{a[0] | b[0], a[1] | b[1]} }
func (a actSet) subsetOf(b actSet) bool {
	return a[0]&^b[0] == 0 && a[1]&^b[1] == 0
}

// machineBuilder assigns action ordinals in build order.
type machineBuilder[S any] struct {
	actions []func(st *S, p int)
}

// act registers fn and returns its ordinal; call it where Ragel's walk
// would assign the ordering (before the inner machine for >, after it
// for %).
func (b *machineBuilder[S]) act(fn func(st *S, p int)) int {
	b.actions = append(b.actions, fn)
	return len(b.actions) - 1
}

func rxBytes(chars string) *rx {
	r := &rx{kind: rxSet}
	for i := 0; i < len(chars); i++ {
		r.set.add(chars[i])
	}
	return r
}

func rxRange(lo, hi byte) *rx {
	r := &rx{kind: rxSet}
	for c := int(lo); c <= int(hi); c++ {
		r.set.add(byte(c))
	}
	return r
}

// rxLit is a string literal: the concatenation of its bytes.
func rxLit(s string) *rx {
	subs := make([]*rx, len(s))
	for i := 0; i < len(s); i++ {
		subs[i] = rxBytes(s[i : i+1])
	}
	return rxCatOf(subs...)
}

func rxCatOf(subs ...*rx) *rx { return &rx{kind: rxCat, subs: subs} }
func rxAltOf(subs ...*rx) *rx { return &rx{kind: rxAlt, subs: subs} }
func rxStarOf(sub *rx) *rx    { return &rx{kind: rxStar, subs: []*rx{sub}} }
func rxPlusOf(sub *rx) *rx    { return rxCatOf(sub, rxStarOf(sub)) }
func rxOpt(sub *rx) *rx       { return rxAltOf(sub, &rx{kind: rxEmpty}) }
func rxEmptyOf() *rx          { return &rx{kind: rxEmpty} }

// rxRep is sub{lo,hi}.
func rxRep(sub *rx, lo, hi int) *rx {
	var tail *rx = rxEmptyOf()
	for i := lo; i < hi; i++ {
		tail = rxOpt(rxCatOf(sub, tail))
	}
	parts := make([]*rx, 0, lo+1)
	for i := 0; i < lo; i++ {
		parts = append(parts, sub)
	}
	return rxCatOf(append(parts, tail)...)
}

// rxAug attaches entering and leaving action ordinals to sub.
func rxAug(sub *rx, enter, leave []int) *rx {
	return &rx{kind: rxAction, subs: []*rx{sub}, enter: enter, leave: leave}
}

// NFA nodes.
type nfaKind uint8

const (
	nfaChar   nfaKind = iota // consumes a byte in set, goes to next
	nfaSplit                 // epsilon to every out
	nfaAct                   // epsilon to next, running action ord
	nfaAccept                // the final position
)

type nfaNode struct {
	kind nfaKind
	set  byteSet
	next int
	out  []int
	ord  int
}

// reach is one epsilon-closure target: a character position and the
// union of actions on the paths to it.
type reach struct {
	node int
	acts actSet
}

// machine is a compiled grammar: nodes, per-node epsilon closures and
// the actions by ordinal.
type machine[S any] struct {
	nodes   []nfaNode
	start   int
	actions []func(st *S, p int)
	// closure[n] lists the character positions reachable from n through
	// epsilons; final[n] reports whether the accepting position is, and
	// eof[n] the actions on those paths.
	closure [][]reach
	final   []bool
	eof     []actSet
	dfa     struct {
		dfaCache
		start int32
	}
}

func compileMachine[S any](b *machineBuilder[S], root *rx) *machine[S] {
	if len(b.actions) > 128 {
		panic(fmt.Sprintf("luamod: machine has %d actions; actSet holds 128", len(b.actions)))
	}
	m := &machine[S]{actions: b.actions}
	m.nodes = append(m.nodes, nfaNode{kind: nfaAccept})
	m.start = m.compile(root, 0)
	m.closure = make([][]reach, len(m.nodes))
	m.final = make([]bool, len(m.nodes))
	m.eof = make([]actSet, len(m.nodes))
	// Live positions are the start and character nodes; no other node
	// needs a closure.
	w := &closureWork{explored: make([]actSet, len(m.nodes)), seen: make([]uint32, len(m.nodes)),
		onPath: make([]bool, len(m.nodes)), targets: make([]actSet, len(m.nodes))}
	for n := range m.nodes {
		if n == m.start || m.nodes[n].kind == nfaChar {
			m.closeOver(n, w)
		}
	}
	m.dfa.states = []*dfaState{nil}
	m.dfa.index = map[string]int32{}
	m.dfa.start = m.stateFor([]int{m.start})
	return m
}

func (m *machine[S]) add(n nfaNode) int {
	m.nodes = append(m.nodes, n)
	return len(m.nodes) - 1
}

// compile returns the entry node of r followed by next.
func (m *machine[S]) compile(r *rx, next int) int {
	switch r.kind {
	case rxSet:
		return m.add(nfaNode{kind: nfaChar, set: r.set, next: next})
	case rxCat:
		for i := len(r.subs) - 1; i >= 0; i-- {
			next = m.compile(r.subs[i], next)
		}
		return next
	case rxAlt:
		out := make([]int, len(r.subs))
		for i, s := range r.subs {
			out[i] = m.compile(s, next)
		}
		return m.add(nfaNode{kind: nfaSplit, out: out})
	case rxStar:
		loop := m.add(nfaNode{kind: nfaSplit})
		body := m.compile(r.subs[0], loop)
		m.nodes[loop].out = []int{body, next}
		return loop
	case rxEmpty:
		return next
	case rxAction:
		for i := len(r.leave) - 1; i >= 0; i-- {
			next = m.add(nfaNode{kind: nfaAct, ord: r.leave[i], next: next})
		}
		next = m.compile(r.subs[0], next)
		for i := len(r.enter) - 1; i >= 0; i-- {
			next = m.add(nfaNode{kind: nfaAct, ord: r.enter[i], next: next})
		}
		return next
	}
	panic("luamod: unknown rx kind")
}

// closureWork is scratch space reused across closeOver calls; seen
// holds the generation a node was last visited in.
type closureWork struct {
	explored []actSet
	seen     []uint32
	onPath   []bool
	targets  []actSet
	gen      uint32
}

// closeOver computes the epsilon closure of the position after node n
// (for a character node: after consuming; otherwise n itself).
func (m *machine[S]) closeOver(n int, w *closureWork) {
	from := n
	if m.nodes[n].kind == nfaChar {
		from = m.nodes[n].next
	}
	w.gen++
	var order []int
	var final bool
	var eof actSet
	var walk func(x int, acts actSet)
	walk = func(x int, acts actSet) {
		if w.onPath[x] || (w.seen[x] == w.gen && acts.subsetOf(w.explored[x])) {
			return
		}
		if w.seen[x] != w.gen {
			w.seen[x] = w.gen
			w.explored[x] = actSet{}
			w.targets[x] = actSet{}
			if m.nodes[x].kind == nfaChar {
				order = append(order, x)
			}
		}
		w.explored[x] = w.explored[x].or(acts)
		nd := &m.nodes[x]
		switch nd.kind {
		case nfaChar:
			w.targets[x] = w.targets[x].or(acts)
		case nfaAccept:
			final = true
			eof = eof.or(acts)
		case nfaAct:
			w.onPath[x] = true
			walk(nd.next, acts.with(nd.ord))
			w.onPath[x] = false
		case nfaSplit:
			w.onPath[x] = true
			for _, o := range nd.out {
				walk(o, acts)
			}
			w.onPath[x] = false
		}
	}
	walk(from, actSet{})
	rs := make([]reach, len(order))
	for i, t := range order {
		rs[i] = reach{node: t, acts: w.targets[t]}
	}
	m.closure[n], m.final[n], m.eof[n] = rs, final, eof
}

// dfaState is one state of the lazily built DFA: a set of live NFA
// positions and the transitions computed so far.
type dfaState struct {
	nodes []int
	final bool
	eof   actSet
	trans [256]int32 // next state; dfaUnknown until computed, dfaDead if none
	acts  [256]actSet
}

const (
	dfaUnknown = 0
	dfaDead    = -1
	// dfaMaxStates bounds the cache; the URI grammar needs a few hundred.
	dfaMaxStates = 1 << 14
)

// dfaCache memoizes subset construction. Ragel builds the whole DFA at
// compile time; building it on demand keeps start-up cheap.
type dfaCache struct {
	mu     sync.Mutex
	states []*dfaState // index 0 unused so that dfaUnknown is 0
	index  map[string]int32
}

func nodeKey(nodes []int) string {
	b := make([]byte, 0, 4*len(nodes))
	for _, n := range nodes {
		b = append(b, byte(n), byte(n>>8), byte(n>>16), byte(n>>24))
	}
	return string(b)
}

// stateFor returns the state id of nodes (sorted), creating it; 0 when
// the cache is full. Called with mu held.
func (m *machine[S]) stateFor(nodes []int) int32 {
	c := &m.dfa
	key := nodeKey(nodes)
	if id, ok := c.index[key]; ok {
		return id
	}
	if len(c.states) >= dfaMaxStates {
		return dfaUnknown
	}
	st := &dfaState{nodes: append([]int(nil), nodes...)}
	for _, n := range nodes {
		if m.final[n] {
			st.final = true
			st.eof = st.eof.or(m.eof[n])
		}
	}
	c.states = append(c.states, st)
	id := int32(len(c.states) - 1)
	c.index[key] = id
	return id
}

// step computes the transition of state id on c. Called with mu held.
func (m *machine[S]) step(id int32, c byte) (int32, actSet) {
	st := m.dfa.states[id]
	if t := st.trans[c]; t != dfaUnknown {
		return t, st.acts[c]
	}
	var acts actSet
	var next []int
	seen := map[int]bool{}
	for _, n := range st.nodes {
		for _, t := range m.closure[n] {
			if !m.nodes[t.node].set.has(c) {
				continue
			}
			acts = acts.or(t.acts)
			if !seen[t.node] {
				seen[t.node] = true
				next = append(next, t.node)
			}
		}
	}
	if len(next) == 0 {
		st.trans[c] = dfaDead
		return dfaDead, actSet{}
	}
	sort.Ints(next)
	to := m.stateFor(next)
	if to != dfaUnknown {
		st.trans[c], st.acts[c] = to, acts
	}
	return to, acts
}

// run feeds input to m, running actions on st, and reports whether the
// machine ends in a final state. It stops at the first byte no live
// position accepts (Ragel's error state), returning false.
func (m *machine[S]) run(st *S, input string) bool {
	m.dfa.mu.Lock()
	cur := m.dfa.start
	m.dfa.mu.Unlock()
	for p := 0; p < len(input); p++ {
		m.dfa.mu.Lock()
		next, acts := m.step(cur, input[p])
		m.dfa.mu.Unlock()
		switch next {
		case dfaDead:
			return false
		case dfaUnknown:
			// The cache is full: finish with the NFA simulation.
			return m.simulate(st, input, p, m.dfa.states[cur].nodes)
		}
		m.exec(st, acts, p)
		cur = next
	}
	m.dfa.mu.Lock()
	final, eof := m.dfa.states[cur].final, m.dfa.states[cur].eof
	m.dfa.mu.Unlock()
	m.exec(st, eof, len(input))
	return final
}

// simulate runs the NFA directly from position p with live positions
// live; it gives the same results as the DFA, more slowly.
func (m *machine[S]) simulate(st *S, input string, p int, live []int) bool {
	live = append([]int(nil), live...)
	for ; p < len(input); p++ {
		c := input[p]
		var acts actSet
		var next []int
		seen := map[int]bool{}
		for _, n := range live {
			for _, t := range m.closure[n] {
				if m.nodes[t.node].set.has(c) {
					acts = acts.or(t.acts)
					if !seen[t.node] {
						seen[t.node] = true
						next = append(next, t.node)
					}
				}
			}
		}
		if len(next) == 0 {
			return false
		}
		m.exec(st, acts, p)
		live = next
	}
	var acts actSet
	final := false
	for _, n := range live {
		if m.final[n] {
			final = true
			acts = acts.or(m.eof[n])
		}
	}
	m.exec(st, acts, len(input))
	return final
}

// exec runs the actions of acts in ordinal order at position p.
func (m *machine[S]) exec(st *S, acts actSet, p int) {
	for w := 0; w < len(acts); w++ {
		for x := acts[w]; x != 0; x &= x - 1 {
			m.actions[w*64+bits.TrailingZeros64(x)](st, p)
		}
	}
}
