package box

import (
	"sort"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/memtx"
	"github.com/spindledb/spindle/internal/rmean"
	"github.com/spindledb/spindle/internal/xrow"
)

// Journal makes committed rows durable. box calls it from Commit with the
// rows of one transaction; the implementation (wired by the server) assigns
// ReplicaID/LSN/TSN/Timestamp for local rows (rows coming from an applier
// already carry their origin's ReplicaID/LSN), may release the tx baton
// while it waits, and returns after the rows are durable. On error box rolls
// the transaction back in memory and returns ER_WAL_IO. A nil Journal means
// nothing is logged.
type Journal interface {
	Write(rows []*xrow.Row) error
}

// Options configure a Box.
type Options struct {
	InstanceUUID string
	Journal      Journal
	// Log receives diagnostics (say levels); optional.
	Log func(level int, msg string)
	// MemtxMemory is box.cfg.memtx_memory: writes that would take the
	// tuples of user spaces beyond it fail with ER_MEMORY_ISSUE; 0: no
	// limit.
	MemtxMemory int64
}

// Box is the transactional core. It is not safe for concurrent use: the
// caller serializes every call with the tx baton.
type Box struct {
	opts Options
	// loadArena allocates the user tuples of snapshot rows.
	loadArena memtx.Arena
	// mem accounts the tuples of every space; quota is memtx_memory.
	mem   memtx.Memory
	quota int64

	spaces map[uint32]*Space
	// lastSpace is the space spaceByID found last: a request stream
	// mostly goes to one space. Reset whenever spaces changes.
	lastSpace   *Space
	spaceByName map[string]*Space
	// triggers on system spaces, by space id (the alter.cc on_replace_dd_*).
	sysTriggers map[uint32]sysTrigger

	users      map[uint32]*User
	userByName map[string]*User
	// grants[uid] are the rows of _priv granted to uid, parsed.
	grants map[uint32][]grant
	// effCache memoizes effective access; dropped on every _priv/_user change.
	effCache map[effKey]Access
	// accessVersion counts the drops of effCache, so that a session's
	// own copy of its access to all spaces knows when it is stale.
	accessVersion uint64

	// Stat counts the requests of box.stat(): by IPROTO request type, as
	// 2.6's rmean_box (statNames).
	Stat *rmean.Rmean
	// ErrorStat counts the client errors made (box.stat().ERROR, 2.6's
	// rmean_error); the box made last in a process gets the count.
	ErrorStat *rmean.Rmean

	funcs       map[uint32]*Func
	funcByName  map[string]*Func
	funcVersion uint64
	// FuncLoader, when set, loads the body of a Lua function being
	// created (the Lua runtime compiles it); its error fails the insert
	// into _func, as a body 2.6 cannot load does.
	FuncLoader func(f *Func) error

	// sequences is the _sequence catalog; seqValues is the sequence
	// cache (sequence_data_index): id -> current value of every started
	// sequence. seqVersion counts changes of the sequence catalog and of
	// space-sequence links (see SequenceVersion).
	sequences  map[uint32]*Sequence
	seqValues  map[uint32]int64
	seqVersion uint64

	cluster        map[uint32]string // _cluster: replica id -> uuid
	replicasetUUID string
	instanceID     uint32

	schemaVersion uint64
	readOnly      bool
	// loading is set while bootstrap or recovery rows are applied: no
	// journal, no access checks, no read-only check.
	loading bool

	nextSessionID uint64
	nextTxnID     int64
}

// New returns an empty Box: the core system spaces exist (with the
// hard-coded definitions of schema_init) but hold no rows. Call Bootstrap
// for a new instance, or feed a snapshot through ApplySnapshotRow.
func New(opts Options) *Box {
	b := &Box{
		opts:        opts,
		quota:       opts.MemtxMemory,
		spaces:      make(map[uint32]*Space),
		spaceByName: make(map[string]*Space),
		users:       make(map[uint32]*User),
		userByName:  make(map[string]*User),
		grants:      make(map[uint32][]grant),
		effCache:    make(map[effKey]Access),
		funcs:       make(map[uint32]*Func),
		funcByName:  make(map[string]*Func),
		cluster:     make(map[uint32]string),
		sequences:   make(map[uint32]*Sequence),
		seqValues:   make(map[uint32]int64),
	}
	b.Stat = rmean.New(statNames[:]...)
	b.ErrorStat = rmean.New("ERROR")
	boxerr.OnMade(func() { b.ErrorStat.Collect(0, 1) })
	b.initSchema()
	return b
}

// statNames are the names of box.stat()'s counters by IPROTO request
// type (2.6's iproto_type_strs up to IPROTO_TYPE_STAT_MAX); the types
// without a name (CALL_16, NOP) are not shown.
var statNames = [...]string{1: "SELECT", 2: "INSERT", 3: "REPLACE", 4: "UPDATE", 5: "DELETE",
	7: "AUTH", 8: "EVAL", 9: "UPSERT", 10: "CALL", 11: "EXECUTE", 13: "PREPARE"}

// StatNames returns the names of box.stat()'s request counters by
// request type ("" for the types not shown).
func StatNames() []string { return statNames[:] }

// Request types box.stat() counts besides the DML ones.
const (
	StatAuth    = 7
	StatEval    = 8
	StatCall    = 10
	StatExecute = 11
	StatPrepare = 13
)

// collect counts a request of type typ in box.stat(), as 2.6 counts
// every request it processes; rows of bootstrap and recovery are not
// counted (2.6 resets its counters once box.cfg has loaded them).
func (b *Box) collect(typ int) {
	if !b.loading && typ > 0 && typ < len(statNames) && statNames[typ] != "" {
		b.Stat.Collect(typ, 1)
	}
}

// Collect counts a request box.stat() shows that box itself does not
// process (StatCall, StatEval, StatAuth, ...), or a select that reads an
// index directly (index:get, index:pairs).
func (b *Box) Collect(typ int) { b.collect(typ) }

// Space returns the space with the given id, nil if none.
func (b *Box) Space(id uint32) *Space { return b.spaces[id] }

// SpaceByName returns the space with the given name, nil if none.
func (b *Box) SpaceByName(name string) *Space { return b.spaceByName[name] }

// Spaces returns every space in ascending id order.
func (b *Box) Spaces() []*Space {
	out := make([]*Space, 0, len(b.spaces))
	for _, s := range b.spaces {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// SchemaVersion is bumped by every committed transaction that changed the
// schema; IPROTO puts it in every reply header.
func (b *Box) SchemaVersion() uint64 { return b.schemaVersion }

// SetReadOnly switches read-only mode (box.cfg.read_only, orphan status).
func (b *Box) SetReadOnly(ro bool) { b.readOnly = ro }

// ReadOnly reports whether writes to non-temporary, non-local spaces fail.
func (b *Box) ReadOnly() bool { return b.readOnly }

// InstanceUUID is the uuid given in Options.
func (b *Box) InstanceUUID() string { return b.opts.InstanceUUID }

// ReplicasetUUID is the value of _schema 'cluster', "" before bootstrap.
func (b *Box) ReplicasetUUID() string { return b.replicasetUUID }

// InstanceID is this instance's id in _cluster, 0 when unregistered.
func (b *Box) InstanceID() uint32 { return b.instanceID }

// Replicas returns _cluster: replica id -> instance uuid.
func (b *Box) Replicas() map[uint32]string {
	out := make(map[uint32]string, len(b.cluster))
	for id, u := range b.cluster {
		out[id] = u
	}
	return out
}

func (b *Box) log(level int, msg string) {
	if b.opts.Log != nil {
		b.opts.Log(level, msg)
	}
}

// SetMemtxMemory changes the memtx_memory limit (0: none).
func (b *Box) SetMemtxMemory(n int64) { b.quota = n }

// MemtxMemory is the memtx_memory limit and the bytes the tuples of all
// spaces take (box.slab.info's quota_size and items_used).
func (b *Box) MemtxMemory() (quota, used int64) { return b.quota, b.mem.Used() }

// Space is a space of the catalog: the memtx storage plus the definition
// from its _space tuple and its triggers.
type Space struct {
	*memtx.Space
	Engine     string
	OwnerID    uint32
	FieldCount uint32
	Temporary  bool
	IsLocal    bool // group_id 1: rows are logged with GroupID 1 and never replicated
	IsSync     bool

	// OnReplace triggers run after the change is applied in memory; an
	// error rolls the statement back.
	OnReplace []Trigger
	// BeforeReplace triggers run before the change and may replace the new
	// tuple (return new to keep it, old to skip, nil to delete).
	BeforeReplace []BeforeTrigger

	// sequence is the sequence filling a primary-key field (_space_sequence).
	sequence *spaceSequence
	// readView, when set, replaces the stored tuples in snapshots and
	// JOIN streams (_sequence_data: the sequence cache).
	readView func() *memtx.ReadView
	// view is set for sysview spaces: reads come from the source space.
	view *sysview
	// opts is the raw flags map of the _space tuple.
	opts []byte
}

// ReadView is a consistent view of the space's tuples for snapshots and
// JOIN. For _sequence_data it holds the sequence cache, not the stored
// tuples, as 2.6's sequence_data_index snapshot iterator does:
// auto-increment advances only the cache.
func (s *Space) ReadView() *memtx.ReadView {
	if s.readView != nil {
		return s.readView()
	}
	return s.Space.ReadView()
}

// Trigger is an on_replace trigger.
type Trigger func(old, new *memtx.Tuple) error

// BeforeTrigger is a before_replace trigger: it returns the tuple to
// store instead of new.
type BeforeTrigger func(old, new *memtx.Tuple) (result *memtx.Tuple, err error)

// IsSystem reports whether the space is a system space (id in 257..510).
func (s *Space) IsSystem() bool { return s.ID > systemIDMin && s.ID < systemIDMax }

// IsView reports whether the space is a system view (_vspace & co).
func (s *Space) IsView() bool { return s.view != nil }

func (s *Space) groupID() uint32 {
	if s.IsLocal {
		return 1
	}
	return 0
}

// spaceByID is b.spaces[id] for the request path, with a one-entry
// cache in front of the map.
func (b *Box) spaceByID(id uint32) *Space {
	if sp := b.lastSpace; sp != nil && sp.ID == id {
		return sp
	}
	sp := b.spaces[id]
	if sp != nil {
		b.lastSpace = sp
	}
	return sp
}

func (b *Box) addSpace(s *Space) {
	b.lastSpace = nil
	b.spaces[s.ID] = s
	b.spaceByName[s.Name] = s
	s.Space.SetMemory(&b.mem)
}

func (b *Box) removeSpace(s *Space) {
	s.Space.SetMemory(nil)
	b.lastSpace = nil
	delete(b.spaces, s.ID)
	if b.spaceByName[s.Name] == s {
		delete(b.spaceByName, s.Name)
	}
}
