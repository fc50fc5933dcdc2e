/*
 * sp.h: the C half of package lua. Everything that walks Lua values in
 * bulk (serializers, tuples, calls) is C, so that a Lua value crosses
 * into Go as bytes in one cgo call instead of one call per element.
 */
#ifndef SPINDLE_LUA_SP_H
#define SPINDLE_LUA_SP_H

#include <stddef.h>
#include <stdint.h>
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>
#include <luajit.h>

/* lua_type of a cdata value; LuaJIT does not name it in lua.h. */
#define SP_TCDATA 10

/* LuaJIT's built-in ctype ids (lj_ctype.h CTTYDEF), checked at start-up
 * by sp_cdata_selftest. */
enum {
	SP_CTID_BOOL = 3,
	SP_CTID_CCHAR = 4,
	SP_CTID_INT8 = 5,
	SP_CTID_UINT8 = 6,
	SP_CTID_INT16 = 7,
	SP_CTID_UINT16 = 8,
	SP_CTID_INT32 = 9,
	SP_CTID_UINT32 = 10,
	SP_CTID_INT64 = 11,
	SP_CTID_UINT64 = 12,
	SP_CTID_FLOAT = 13,
	SP_CTID_DOUBLE = 14,
	SP_CTID_P_VOID = 17,
	SP_CTID_P_CVOID = 18,
	SP_CTID_P_CCHAR = 19,
	SP_CTID_P_UINT8 = 20,
	SP_CTID_A_CCHAR = 21,
	SP_CTID_CTYPEID = 22, /* ffi.typeof's results (checked by the buffer module) */
};

/* Serializer configuration (Tarantool's struct luaL_serializer). */
struct sp_serializer {
	int encode_sparse_convert;
	int encode_sparse_ratio;
	int encode_sparse_safe;
	int encode_max_depth;
	int encode_deep_as_nil;
	int encode_invalid_numbers;
	int encode_number_precision;
	int encode_load_metatables;
	int encode_use_tostring;
	int encode_invalid_as_nil;
	int decode_invalid_numbers;
	int decode_save_metatables;
	int decode_max_depth;
	/* Hinted output (yaml, console), described at SP_EXT_COMPACT. */
	int hints;
};
/* Registry slots every state has (integer keys of LUA_REGISTRYINDEX
 * above luaL_ref's range would collide, so these are refs taken at
 * start-up and stored in struct sp_globals). */
struct sp_globals {
	int null_ref;      /* box.NULL: cdata<void *> NULL */
	int u64_ctor_ref;  /* ffi.typeof('uint64_t') */
	int i64_ctor_ref;  /* ffi.typeof('int64_t') */
	int array_mt_ref;  /* {__serialize = 'seq'} */
	int map_mt_ref;    /* {__serialize = 'map'} */
	int tuple_mt_ref;  /* box.tuple's metatable, 0 until registered */
	const void *tuple_mt;
	int gofunc_mt_ref; /* metatable of Go function upvalues (__gc) */
	int errhook_ref;   /* function(msg) -> error object, 0 if none */
	int ext_decode_ref;/* table ext_type -> function(data) */
	int uuid_ctid;     /* ctype id of struct tt_uuid, 0 until set */
	int decimal_ctid;  /* ctype id of decimal_t, 0 until set */
	int decimal_ctor_ref; /* ffi.typeof('decimal_t') */
	struct sp_serializer *mp_cfg; /* msgpack.cfg: tuples, CALL, box */
	/* ctype ids of the buffer module's types (0 until it registers
	 * them) and constructors of the pointer types msgpack returns. */
	uint32_t ibuf_ctid, ibuf_ptr_ctid, char_ptr_ctid;
	int char_ptr_ctor_ref, cchar_ptr_ctor_ref;
	int vm_id;
	/* Cached C closures of the protected helpers: lua_pushcfunction
	 * would allocate a new closure on every call. */
	int encode_f_ref, decode_f_ref, gettable_f_ref, settable_f_ref;
	int tostring_f_ref, concat_f_ref;
};

struct sp_globals *sp_globals(lua_State *L);
lua_State *sp_newstate(int vm_id);
void sp_close(lua_State *L);

/* Go functions: a C closure whose first upvalue is a userdata holding
 * the function's id in the VM's table. */
void sp_push_gofunction(lua_State *L, uint64_t id);
int sp_gofunction_id(lua_State *L, int idx, uint64_t *id);

/* Object handles (object.c). */
int sp_object_gc(lua_State *L);
uint64_t sp_object_id(lua_State *L, int idx, int mt_ref);
void sp_object_push(lua_State *L, uint64_t vm, uint64_t id, int mt_ref);

/* Protected helpers called from Go: each returns 0 or a lua_pcall
 * status with the error value on the stack. */
int sp_pgetfield(lua_State *L, int idx, const char *k, size_t klen);
int sp_psetfield(lua_State *L, int idx, const char *k, size_t klen);
int sp_pgettable(lua_State *L, int idx);
int sp_psettable(lua_State *L, int idx);
int sp_ptostring(lua_State *L, int idx);
int sp_pconcat(lua_State *L, int n);
int sp_pequal(lua_State *L, int a, int b);

void sp_rawgetfield(lua_State *L, int idx, const char *k, size_t klen);
void sp_rawsetfield(lua_State *L, int idx, const char *k, size_t klen);
void sp_getglobal(lua_State *L, const char *k, size_t klen);
void sp_setglobal(lua_State *L, const char *k, size_t klen);
int sp_load(lua_State *L, const char *buf, size_t len, const char *name);
void sp_where(lua_State *L, int level);
/* file must hold LUA_IDSIZE bytes. */
int sp_caller_position(lua_State *L, int level, char *file, int *line);
int sp_frame(lua_State *L, int level, const char **name, const char **source, int *line);
void sp_argerror_msg(lua_State *L, int narg, const char *msg, size_t len);

/* Numbers. */
void sp_pushnull(lua_State *L);
int sp_isnull(lua_State *L, int idx);
void sp_pushuint64(lua_State *L, uint64_t v);
void sp_pushint64(lua_State *L, int64_t v);
/* sp_cdata_ctypeid: the ctype id of the cdata at idx (0 if not cdata). */
uint32_t sp_cdata_ctypeid(lua_State *L, int idx);
/* sp_tointeger classifies idx as an exact integer: 1 unsigned (*u),
 * -1 negative (*i), 0 not an integer. */
int sp_tointeger(lua_State *L, int idx, uint64_t *u, int64_t *i);
int sp_cdata_selftest(lua_State *L);

/* A growable output buffer owned by C. */
struct sp_buf {
	char *data;
	size_t len;
	size_t cap;
};
void sp_buf_reserve(struct sp_buf *b, size_t n);
void sp_buf_free(struct sp_buf *b);

void sp_serializer_defaults(struct sp_serializer *cfg);
int sp_encode_f(lua_State *L);
int sp_decode_f(lua_State *L);
/* sp_pushcached pushes a cached helper closure by its ref. */
#define sp_pushcached(L, field) lua_rawgeti((L), LUA_REGISTRYINDEX, sp_globals(L)->field)
size_t sp_memused(lua_State *L);

/* Tuples (tuple.c). */
void sp_tuple_setmt(lua_State *L, int tuple_mt_ref);
void sp_tuple_push(lua_State *L, const char *data, size_t len, uint64_t ident, int fmt_ref);
const char *sp_tuple_data(lua_State *L, int idx, size_t *len);
uint64_t sp_tuple_ident(lua_State *L, int idx);
const char *sp_mp_next(const char *p);
int sp_tuple_index(lua_State *L);
int sp_tuple_len(lua_State *L);
int sp_tuple_eq(lua_State *L);
int sp_tuple_bsize(lua_State *L);
int sp_tuple_totable(lua_State *L);
int sp_tuple_unpack(lua_State *L);
int sp_tuple_tomap(lua_State *L);
int sp_tuple_next(lua_State *L);
int sp_tuple_is(lua_State *L);

/*
 * Hinted output: MessagePack for the yaml dumper, which needs what
 * lua-yaml learns from the Lua values themselves. Private extension
 * types that never leave the process precede a value:
 *  - SP_EXT_COMPACT, empty: the container's __serialize is exactly "seq"
 *    or "map" (flow style in YAML);
 *  - SP_EXT_COMPACT with the one byte SP_COMPACT_TUPLE: a tuple's raw
 *    MessagePack array, which Tarantool turns into Lua tables marked
 *    seq/map (so every container in it is flow style) holding Lua numbers;
 *  - SP_EXT_ANCHOR, a 4-byte big-endian number: a table referenced more
 *    than once in the value (lua-yaml's find_references), written here
 *    for the first time;
 *  - SP_EXT_ALIAS, a 4-byte big-endian number, stands instead of such a
 *    table written before.
 * Hinted encoding ignores encode_max_depth, as lua-yaml does, and stops
 * at SP_HINTS_MAX_DEPTH instead of exhausting the stacks.
 */
#define SP_EXT_COMPACT 127
#define SP_EXT_ANCHOR 126
#define SP_EXT_ALIAS 125
#define SP_COMPACT_TUPLE 1
#define SP_HINTS_MAX_DEPTH 10000

/* msgpack: encode the value at idx (raises on error: call through
 * sp_pencode from Go). */
void sp_mp_encode(lua_State *L, struct sp_serializer *cfg, struct sp_buf *b, int idx);
/* sp_pencode runs sp_mp_encode protected: 0 or a lua status with the
 * error value on top. */
int sp_pencode(lua_State *L, struct sp_serializer *cfg, struct sp_buf *b, int idx);
/* sp_pencode_multi encodes the values from..top as one array and pops
 * them. */
int sp_pencode_multi(lua_State *L, struct sp_serializer *cfg, struct sp_buf *b, int from);
/* sp_pdecode pushes the value at data (protected); on success *used
 * gets its length. Returns 0, a lua status, or -1 for invalid msgpack
 * (with a message pushed). */
int sp_pdecode(lua_State *L, struct sp_serializer *cfg, const char *data, size_t len, size_t *used);
long sp_mp_checklen(const char *data, size_t len, int depth);
/* sp_pdecode_args pushes the elements of the msgpack array at data;
 * *n gets their count. */
int sp_pdecode_args(lua_State *L, struct sp_serializer *cfg, const char *data, size_t len, int *n);

/* msgpack parsing helpers shared by the C side. */
int sp_mp_check(const char **data, const char *end, int depth);
void sp_mp_decode(lua_State *L, struct sp_serializer *cfg, const char **data);


/*
 * Classification of a Lua value for serializers (luaL_tofield and
 * luaL_convertfield): every encoder (msgpack, json, yaml) walks values
 * through these, so they agree on what is an array, a map, an integer.
 */
enum sp_ftype {
	SPF_NIL,
	SPF_BOOL,
	SPF_UINT,
	SPF_INT,
	SPF_FLOAT,
	SPF_DOUBLE,
	SPF_STR,
	SPF_ARRAY,
	SPF_MAP,
	SPF_RAW,     /* s/len is one complete msgpack value (tuples) */
	SPF_UUID,    /* s points at a struct tt_uuid */
	SPF_DECIMAL, /* s points at a decimal_t */
	SPF_UNKNOWN, /* needs sp_convertfield */
};

struct sp_field {
	int type;
	union {
		uint64_t u;
		int64_t i;
		double d;
		float f;
		int b;
	};
	const char *s;
	size_t len;
	uint32_t size;
	int compact;
};

/* sp_tofield classifies the value at idx (absolute); may call
 * __serialize and raise. SPF_UNKNOWN values go through sp_convertfield,
 * which may replace the value at idx (with __serialize's or tostring's
 * result) and raises when nothing applies. */
int sp_tofield(lua_State *L, struct sp_serializer *cfg, int idx, struct sp_field *f);
void sp_convertfield(lua_State *L, struct sp_serializer *cfg, int idx, struct sp_field *f);

/* MessagePack writers. */
void sp_mp_uint(struct sp_buf *b, uint64_t v);
void sp_mp_int(struct sp_buf *b, int64_t v);
void sp_mp_double(struct sp_buf *b, double d);
void sp_mp_float(struct sp_buf *b, float f);
void sp_mp_strhdr(struct sp_buf *b, size_t n);
void sp_mp_str(struct sp_buf *b, const char *s, size_t n);
void sp_mp_arrayhdr(struct sp_buf *b, uint32_t n);
void sp_mp_maphdr(struct sp_buf *b, uint32_t n);
void sp_mp_raw(struct sp_buf *b, const char *p, size_t n);
void sp_mp_exthdr(struct sp_buf *b, int8_t type, uint32_t len);
void sp_uuid_pack(struct sp_buf *b, const unsigned char *uuid);

/*
 * Decimals (decimal.c): Tarantool 2.6's decimal_t, decNumber's struct
 * for 38 digits, as Tarantool declares it to the FFI. Package decimal
 * (Go) holds the arithmetic and reads and writes the same layout; the C
 * side only encodes (MP_DECIMAL, text for json), without a cgo call per
 * value.
 */
#define SP_DECIMAL_UNITS 13
#define SP_DECIMAL_MAXDIGITS (3 * SP_DECIMAL_UNITS)
/* The exponent bound package decimal's FromLayout applies. */
#define SP_DECIMAL_MAXEXP 1000
struct sp_decimal {
	int32_t digits;
	int32_t exponent;
	uint8_t bits; /* 0x80 negative, 0x70 infinities and NaNs */
	uint16_t lsu[SP_DECIMAL_UNITS]; /* 3 digits a unit, least first */
};
/* sp_decimal_coeff writes the coefficient's digits (most significant
 * first, "0" for zero) into out, room for SP_DECIMAL_MAXDIGITS, and
 * returns their count, or -1 for what no decimal operation makes and
 * package decimal rejects too (special values, more than 39 digits, a
 * unit above 999, an exponent beyond SP_DECIMAL_MAXEXP). */
int sp_decimal_coeff(const struct sp_decimal *d, char *out);
/* sp_decimal_pack writes d as MP_DECIMAL (decimal_pack); sp_decimal_text
 * writes 2.6's decimal_to_string of d into out (room for
 * SP_DECIMAL_TEXTMAX) and returns its length. Both raise on an invalid
 * value. */
#define SP_DECIMAL_TEXTMAX (3 + SP_DECIMAL_MAXEXP + SP_DECIMAL_MAXDIGITS)
void sp_decimal_pack(lua_State *L, struct sp_buf *b, const struct sp_decimal *d);
size_t sp_decimal_text(lua_State *L, char *out, const struct sp_decimal *d);
/* sp_pushdecimal pushes a new zero decimal_t (0 until the type is set:
 * then it pushes nothing and returns NULL). */
struct sp_decimal *sp_pushdecimal(lua_State *L);

/* ---------------------------------------------------------------------- */
/* box.error objects (errobj.c)                                           */

/* 2.6's struct type_info (src/lib/core/reflection.h). */
struct sp_type_info {
	const char *name;
	const struct sp_type_info *parent;
	const void *methods;
};

/* 2.6's struct error (src/lib/core/diag.h), field for field: Lua code
 * declares it with ffi.cdef as 2.6's error.lua does. */
struct sp_error {
	void *destroy;
	void *raise;
	void *log;
	const struct sp_type_info *type;
	int64_t refs;
	int saved_errno;
	unsigned line;
	char file[256];
	char errmsg[512];
	struct sp_error *cause;
	struct sp_error *effect;
};

/* sp_error_new allocates an error block with refs 0 (NULL when out of
 * memory); strings are cut to their fields' sizes. */
uintptr_t sp_error_new(const char *cls, size_t cls_len, const char *file,
			size_t file_len, unsigned line, int saved_errno,
			const char *msg, size_t msg_len);
void sp_error_ref(uintptr_t e);
/* sp_error_unref frees e when its last reference goes; returns 1 then. */
int sp_error_unref(uintptr_t e);
/* sp_cdata_pointee is the address a pointer or reference cdata holds. */
uintptr_t sp_cdata_pointee(lua_State *L, int idx);
/* Zeroed C memory for objects Lua points at through ffi (NULL/0 when out
 * of memory). */
uintptr_t sp_block_alloc(size_t size);
void sp_block_free(uintptr_t p);
/* sp_pushaddress pushes an address as a light userdata. */
void sp_pushaddress(lua_State *L, uintptr_t p);
/* sp_ctype_of is the ctype id a ctype object (ffi.typeof's result)
 * stands for, 0 for other values. */
uint32_t sp_ctype_of(lua_State *L, int idx);

/* ---------------------------------------------------------------------- */
/* Modules (mpmodule.c, json.c)                                           */

/*
 * struct ibuf of Tarantool's buffer module, the layout buffer.lua
 * declares through ffi.cdef: [buf, rpos) consumed, [rpos, wpos) data,
 * [wpos, epos) free. Capacities follow Tarantool's slab sizes so that
 * ibuf:capacity() reads the same.
 */
struct sp_ibuf {
	void *slabc; /* unused: the memory comes from malloc */
	char *buf;
	char *rpos;
	char *wpos;
	char *epos;
	size_t start_capacity;
};
void sp_ibuf_create(struct sp_ibuf *ib, void *slabc, size_t start_capacity);
void sp_ibuf_destroy(struct sp_ibuf *ib);
void sp_ibuf_reinit(struct sp_ibuf *ib);
/* sp_ibuf_reserve_slow makes room for size bytes at wpos (moving the
 * data to the front or growing); NULL when that cannot be done. */
void *sp_ibuf_reserve_slow(struct sp_ibuf *ib, size_t size);
/* sp_checkibuf returns the ibuf at idx (struct ibuf or a non-NULL
 * struct ibuf *), or NULL. */
struct sp_ibuf *sp_checkibuf(lua_State *L, int idx);
/* Go's access to ibufs (ibuf.c). */
int sp_ibuf_view(lua_State *L, int idx, const char **data, size_t *len);
void sp_ibuf_consume(lua_State *L, int idx, size_t n);
int sp_ibuf_append(lua_State *L, int idx, const char *p, size_t n);
/* The buffer module's helpers: a table of the ibuf functions as
 * lightuserdata for ffi.cast, and register(ctypes...). */
void sp_push_buffer_helpers(lua_State *L);

/* Serializer configuration tables (luaL_newserializer): options parsed
 * as Tarantool does (lua_getfield on the table at idx, lua_toboolean and
 * lua_tointeger, no type errors). */
void sp_serializer_parse_options(lua_State *L, int idx, struct sp_serializer *cfg);
int sp_pparse_options(lua_State *L, int idx, struct sp_serializer *cfg);
/* sp_push_serializer_cfg pushes the cfg table of the configuration in
 * the userdata (full or light) at idx: current values, callable as
 * cfg{...}. */
void sp_push_serializer_cfg(lua_State *L, int idx);
/* sp_newserializer pushes a module table with the functions of reg as
 * closures over a configuration (upvalue 1) and a scratch buffer slot
 * (upvalue 2), plus cfg, NULL, array_mt and map_mt. cfg NULL makes a new
 * configuration with the defaults, owned by the module. */
struct sp_serializer *sp_newserializer(lua_State *L, const luaL_Reg *reg, struct sp_serializer *cfg);

/* Scratch output buffers of module functions, kept in upvalue `up` of
 * the running closure: sp_scratch_take pushes the buffer's userdata and
 * empties the slot, so a nested call (a __serialize function encoding)
 * makes its own; sp_scratch_put returns the userdata at idx to the slot.
 * A buffer abandoned by an error is collected with its userdata. */
struct sp_buf *sp_scratch_take(lua_State *L, int up);
void sp_scratch_put(lua_State *L, int up, int idx);

/* The depth the msgpack module passes sp_mp_check, its maximum: 254
 * nested containers decode, which also bounds the decoder's recursion. */
#define SP_MP_MAX_DEPTH 255

int sp_msgpack_module(lua_State *L);
int sp_json_module(lua_State *L);

#endif
