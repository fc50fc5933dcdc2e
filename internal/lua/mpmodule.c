/*
 * mpmodule.c: the C half of the msgpack and buffer modules, and the
 * serializer configuration tables that json, yaml and msgpack share
 * (Tarantool 2.6's luaL_newserializer, src/lua/msgpack.c and the ibuf
 * of src/lua/buffer.lua).
 *
 * Every function here is a lua_CFunction called from Lua, so errors are
 * raised with luaL_error directly and read as Tarantool's C modules'
 * ("<caller position>: msgpack.decode: invalid MsgPack").
 */
#include <string.h>
#include <stdlib.h>
#include "sp.h"

/* ---------------------------------------------------------------------- */
/* Serializer options                                                      */

static const struct {
	const char *name;
	size_t offset;
	int boolean;
} sp_options[] = {
	{"encode_sparse_convert", offsetof(struct sp_serializer, encode_sparse_convert), 1},
	{"encode_sparse_ratio", offsetof(struct sp_serializer, encode_sparse_ratio), 0},
	{"encode_sparse_safe", offsetof(struct sp_serializer, encode_sparse_safe), 0},
	{"encode_max_depth", offsetof(struct sp_serializer, encode_max_depth), 0},
	{"encode_deep_as_nil", offsetof(struct sp_serializer, encode_deep_as_nil), 1},
	{"encode_invalid_numbers", offsetof(struct sp_serializer, encode_invalid_numbers), 1},
	{"encode_number_precision", offsetof(struct sp_serializer, encode_number_precision), 0},
	{"encode_load_metatables", offsetof(struct sp_serializer, encode_load_metatables), 1},
	{"encode_use_tostring", offsetof(struct sp_serializer, encode_use_tostring), 1},
	{"encode_invalid_as_nil", offsetof(struct sp_serializer, encode_invalid_as_nil), 1},
	{"decode_invalid_numbers", offsetof(struct sp_serializer, decode_invalid_numbers), 1},
	{"decode_save_metatables", offsetof(struct sp_serializer, decode_save_metatables), 1},
	{"decode_max_depth", offsetof(struct sp_serializer, decode_max_depth), 0},
};
#define SP_NOPTIONS (sizeof(sp_options) / sizeof(sp_options[0]))

/* sp_option_get pushes opts[name] (lua_getfield: metamethods run, a
 * non-indexable value raises) and stores it in cfg unless it is nil.
 * Returns 1 when the option was present. */
static int
sp_option_get(lua_State *L, int idx, size_t i, struct sp_serializer *cfg)
{
	lua_getfield(L, idx, sp_options[i].name);
	if (lua_isnil(L, -1))
		return 0;
	int *p = (int *)((char *)cfg + sp_options[i].offset);
	if (sp_options[i].boolean)
		*p = lua_toboolean(L, -1);
	else
		*p = (int)lua_tointeger(L, -1);
	return 1;
}

void
sp_serializer_parse_options(lua_State *L, int idx, struct sp_serializer *cfg)
{
	if (idx < 0 && idx > LUA_REGISTRYINDEX)
		idx = lua_gettop(L) + idx + 1;
	for (size_t i = 0; i < SP_NOPTIONS; i++) {
		sp_option_get(L, idx, i, cfg);
		lua_pop(L, 1);
	}
}

static int
sp_parse_options_f(lua_State *L)
{
	struct sp_serializer *cfg = lua_touserdata(L, 2);
	sp_serializer_parse_options(L, 1, cfg);
	return 0;
}

/* sp_pparse_options is sp_serializer_parse_options for Go: protected,
 * 0 or a lua status with the error value on top. */
int
sp_pparse_options(lua_State *L, int idx, struct sp_serializer *cfg)
{
	if (idx < 0 && idx > LUA_REGISTRYINDEX)
		idx = lua_gettop(L) + idx + 1;
	lua_pushcfunction(L, sp_parse_options_f);
	lua_pushvalue(L, idx);
	lua_pushlightuserdata(L, cfg);
	return lua_pcall(L, 2, 0, 0);
}

/* cfg{...}: upvalue 1 is the configuration. Present options are stored
 * in the configuration and, as given, in the cfg table. */
static int
sp_serializer_cfg_call(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	luaL_checktype(L, 2, LUA_TTABLE);
	struct sp_serializer *cfg = lua_touserdata(L, lua_upvalueindex(1));
	for (size_t i = 0; i < SP_NOPTIONS; i++) {
		if (sp_option_get(L, 2, i, cfg))
			lua_setfield(L, 1, sp_options[i].name);
		else
			lua_pop(L, 1);
	}
	return 0;
}

void
sp_push_serializer_cfg(lua_State *L, int idx)
{
	if (idx < 0 && idx > LUA_REGISTRYINDEX)
		idx = lua_gettop(L) + idx + 1;
	struct sp_serializer *cfg = lua_touserdata(L, idx);
	lua_createtable(L, 0, (int)SP_NOPTIONS);
	for (size_t i = 0; i < SP_NOPTIONS; i++) {
		int v = *(int *)((char *)cfg + sp_options[i].offset);
		if (sp_options[i].boolean)
			lua_pushboolean(L, v);
		else
			lua_pushinteger(L, v);
		lua_setfield(L, -2, sp_options[i].name);
	}
	lua_createtable(L, 0, 1);
	lua_pushvalue(L, idx);
	lua_pushcclosure(L, sp_serializer_cfg_call, 1);
	lua_setfield(L, -2, "__call");
	lua_setmetatable(L, -2);
}

struct sp_serializer *
sp_newserializer(lua_State *L, const luaL_Reg *reg, struct sp_serializer *cfg)
{
	luaL_checkstack(L, 6, "serializer");
	lua_newtable(L);
	int mod = lua_gettop(L);
	if (cfg == NULL) {
		/* A configuration of its own lives as long as a function of
		 * the module (or its cfg table) does. */
		cfg = lua_newuserdata(L, sizeof(*cfg));
		sp_serializer_defaults(cfg);
	} else {
		lua_pushlightuserdata(L, cfg);
	}
	int up = lua_gettop(L);
	for (; reg->name != NULL; reg++) {
		lua_pushvalue(L, up);
		lua_pushnil(L); /* scratch buffer slot */
		lua_pushcclosure(L, reg->func, 2);
		lua_setfield(L, mod, reg->name);
	}
	sp_push_serializer_cfg(L, up);
	lua_setfield(L, mod, "cfg");
	lua_pop(L, 1);
	sp_pushnull(L);
	lua_setfield(L, mod, "NULL");
	lua_rawgeti(L, LUA_REGISTRYINDEX, sp_globals(L)->array_mt_ref);
	lua_setfield(L, mod, "array_mt");
	lua_rawgeti(L, LUA_REGISTRYINDEX, sp_globals(L)->map_mt_ref);
	lua_setfield(L, mod, "map_mt");
	return cfg;
}

/* ---------------------------------------------------------------------- */
/* Scratch buffers                                                         */

/* A scratch buffer grown past this is freed after use rather than kept
 * for the life of the module. */
#define SP_SCRATCH_KEEP (1 << 20)

static int
sp_scratch_gc(lua_State *L)
{
	struct sp_buf *b = lua_touserdata(L, 1);
	if (b != NULL)
		sp_buf_free(b);
	return 0;
}

struct sp_buf *
sp_scratch_take(lua_State *L, int up)
{
	int ui = lua_upvalueindex(up);
	struct sp_buf *b = lua_touserdata(L, ui);
	if (b != NULL) {
		lua_pushvalue(L, ui);
		lua_pushnil(L);
		lua_replace(L, ui);
	} else {
		b = lua_newuserdata(L, sizeof(*b));
		memset(b, 0, sizeof(*b));
		if (luaL_newmetatable(L, "spindle.scratch")) {
			lua_pushcfunction(L, sp_scratch_gc);
			lua_setfield(L, -2, "__gc");
		}
		lua_setmetatable(L, -2);
	}
	b->len = 0;
	return b;
}

void
sp_scratch_put(lua_State *L, int up, int idx)
{
	struct sp_buf *b = lua_touserdata(L, idx);
	if (b->cap > SP_SCRATCH_KEEP)
		sp_buf_free(b);
	lua_pushvalue(L, idx);
	lua_replace(L, lua_upvalueindex(up));
}

/* ---------------------------------------------------------------------- */
/* ibuf                                                                    */

/*
 * Tarantool takes ibuf memory from slabs: a request of n bytes gets the
 * smallest power-of-two slab (4 KB up to 4 MB) holding n plus the slab
 * header, and a bigger one gets exactly n. The capacities computed here
 * are those, so buf:capacity() reads as in Tarantool.
 */
enum {
	SP_SLAB_HEADER = 48,
	SP_SLAB_MIN = 4096,
	SP_SLAB_MAX = 4 << 20,
};

static size_t
sp_slab_capacity(size_t n)
{
	if (n > SP_SLAB_MAX - SP_SLAB_HEADER)
		return n;
	size_t size = SP_SLAB_MIN;
	while (size < n + SP_SLAB_HEADER)
		size *= 2;
	return size - SP_SLAB_HEADER;
}

void
sp_ibuf_create(struct sp_ibuf *ib, void *slabc, size_t start_capacity)
{
	ib->slabc = slabc;
	ib->buf = ib->rpos = ib->wpos = ib->epos = NULL;
	ib->start_capacity = start_capacity;
}

void
sp_ibuf_destroy(struct sp_ibuf *ib)
{
	free(ib->buf);
}

void
sp_ibuf_reinit(struct sp_ibuf *ib)
{
	sp_ibuf_destroy(ib);
	sp_ibuf_create(ib, ib->slabc, ib->start_capacity);
}

void *
sp_ibuf_reserve_slow(struct sp_ibuf *ib, size_t size)
{
	size_t used = (size_t)(ib->wpos - ib->rpos);
	size_t capacity = (size_t)(ib->epos - ib->buf);
	if (size > ((size_t)1 << 48) - used)
		return NULL; /* no such memory: also keeps the doubling finite */
	if (used + size <= capacity) {
		if (used > 0)
			memmove(ib->buf, ib->rpos, used);
	} else {
		size_t want = capacity * 2;
		if (want < ib->start_capacity)
			want = ib->start_capacity;
		if (want == 0)
			want = 1;
		while (want < used + size)
			want *= 2;
		size_t cap = sp_slab_capacity(want);
		char *p = malloc(cap);
		if (p == NULL)
			return NULL;
		if (used > 0)
			memcpy(p, ib->rpos, used);
		free(ib->buf);
		ib->buf = p;
		ib->epos = p + cap;
	}
	ib->rpos = ib->buf;
	ib->wpos = ib->buf + used;
	return ib->wpos;
}

/* sp_ibuf_alloc takes n bytes at wpos, NULL when out of memory. */
static char *
sp_ibuf_alloc(struct sp_ibuf *ib, size_t n)
{
	if ((size_t)(ib->epos - ib->wpos) < n && sp_ibuf_reserve_slow(ib, n) == NULL)
		return NULL;
	char *p = ib->wpos;
	ib->wpos += n;
	return p;
}

struct sp_ibuf *
sp_checkibuf(lua_State *L, int idx)
{
	struct sp_globals *g = sp_globals(L);
	uint32_t id = sp_cdata_ctypeid(L, idx);
	if (id == 0)
		return NULL;
	void *p = (void *)lua_topointer(L, idx);
	if (id == g->ibuf_ctid)
		return p;
	if (id == g->ibuf_ptr_ctid)
		return *(struct sp_ibuf **)p;
	return NULL;
}

/* register(ffi.typeof('struct ibuf'), ffi.typeof('struct ibuf *'),
 * ffi.typeof('char *'), ffi.typeof('const char *')): the buffer module
 * names its types once declared. */
static int
sp_buffer_register(lua_State *L)
{
	struct sp_globals *g = sp_globals(L);
	for (int i = 1; i <= 4; i++) {
		if (sp_cdata_ctypeid(L, i) != SP_CTID_CTYPEID)
			luaL_argerror(L, i, "ctype expected");
	}
	g->ibuf_ctid = *(const uint32_t *)lua_topointer(L, 1);
	g->ibuf_ptr_ctid = *(const uint32_t *)lua_topointer(L, 2);
	g->char_ptr_ctid = *(const uint32_t *)lua_topointer(L, 3);
	if (*(const uint32_t *)lua_topointer(L, 4) != SP_CTID_P_CCHAR)
		luaL_argerror(L, 4, "const char * expected");
	/* Ref 0 is luaL_ref's free list head: only real refs are released. */
	if (g->char_ptr_ctor_ref > 0)
		luaL_unref(L, LUA_REGISTRYINDEX, g->char_ptr_ctor_ref);
	if (g->cchar_ptr_ctor_ref > 0)
		luaL_unref(L, LUA_REGISTRYINDEX, g->cchar_ptr_ctor_ref);
	lua_pushvalue(L, 3);
	g->char_ptr_ctor_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	lua_pushvalue(L, 4);
	g->cchar_ptr_ctor_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	return 0;
}

void
sp_push_buffer_helpers(lua_State *L)
{
	lua_createtable(L, 0, 5);
	lua_pushcfunction(L, sp_buffer_register);
	lua_setfield(L, -2, "register");
	lua_pushlightuserdata(L, (void *)sp_ibuf_create);
	lua_setfield(L, -2, "ibuf_create");
	lua_pushlightuserdata(L, (void *)sp_ibuf_reinit);
	lua_setfield(L, -2, "ibuf_reinit");
	lua_pushlightuserdata(L, (void *)sp_ibuf_reserve_slow);
	lua_setfield(L, -2, "ibuf_reserve_slow");
	lua_pushlightuserdata(L, (void *)sp_mp_checklen);
	lua_setfield(L, -2, "mp_checklen");
}

/* ---------------------------------------------------------------------- */
/* msgpack                                                                 */

static inline struct sp_serializer *
sp_upcfg(lua_State *L)
{
	return lua_touserdata(L, lua_upvalueindex(1));
}

/* sp_push_charptr pushes a pointer of the ctype id (char * or const
 * char *), as Tarantool returns positions in the caller's pointer type. */
static void
sp_push_charptr(lua_State *L, uint32_t id, const char *p)
{
	struct sp_globals *g = sp_globals(L);
	int ref = id == g->char_ptr_ctid ? g->char_ptr_ctor_ref : g->cchar_ptr_ctor_ref;
	if (ref <= 0)
		luaL_error(L, "the buffer module has not registered its types");
	lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
	lua_call(L, 0, 1);
	*(const char **)lua_topointer(L, -1) = p;
}

/* sp_tocharptr reads a char * or const char * cdata: its ctype id, or 0
 * for anything else. */
static uint32_t
sp_tocharptr(lua_State *L, int idx, const char **p)
{
	uint32_t id = sp_cdata_ctypeid(L, idx);
	if (id == 0 || (id != SP_CTID_P_CCHAR && id != sp_globals(L)->char_ptr_ctid))
		return 0;
	*p = *(const char *const *)lua_topointer(L, idx);
	return id;
}

/*
 * Data behind a bare pointer has no known end: decode_unchecked(ptr)
 * trusts it as Tarantool does, checking the structure (and the nesting
 * depth, which bounds the decoder's recursion) against this much.
 */
#define SP_UNBOUNDED ((size_t)1 << 40)

static int
sp_msgpack_encode(lua_State *L)
{
	int n = lua_gettop(L);
	if (n < 1)
		return luaL_error(L, "msgpack.encode: a Lua object expected");
	struct sp_ibuf *ib = NULL;
	if (n > 1) {
		ib = sp_checkibuf(L, 2);
		if (ib == NULL)
			return luaL_error(L, "msgpack.encode: argument 2 must be of type 'struct ibuf'");
	}
	struct sp_serializer *cfg = sp_upcfg(L);
	struct sp_buf *b = sp_scratch_take(L, 2);
	int slot = lua_gettop(L);
	sp_mp_encode(L, cfg, b, 1);
	if (ib != NULL) {
		char *p = sp_ibuf_alloc(ib, b->len);
		if (p == NULL)
			return luaL_error(L, "Failed to allocate %d bytes in ibuf", (int)b->len);
		memcpy(p, b->data, b->len);
		lua_pushinteger(L, (lua_Integer)b->len);
	} else {
		lua_pushlstring(L, b->data, b->len);
	}
	sp_scratch_put(L, 2, slot);
	return 1;
}

static int
sp_msgpack_decode_cdata(lua_State *L, int check)
{
	const char *data = NULL;
	uint32_t id = sp_tocharptr(L, 1, &data);
	if (id == 0)
		return luaL_error(L, "msgpack.decode: a Lua string or 'char *' expected");
	size_t size = SP_UNBOUNDED;
	if (check) {
		ptrdiff_t n = luaL_checkinteger(L, 2);
		if (n < 0)
			return luaL_error(L, "msgpack.decode: size can't be negative");
		size = (size_t)n;
	}
	const char *p = data;
	if (data == NULL || sp_mp_check(&p, data + size, SP_MP_MAX_DEPTH) != 0)
		return luaL_error(L, "msgpack.decode: invalid MsgPack");
	p = data;
	sp_mp_decode(L, sp_upcfg(L), &p);
	sp_push_charptr(L, id, p);
	return 2;
}

static int
sp_msgpack_decode_string(lua_State *L, int check)
{
	size_t len;
	const char *data = lua_tolstring(L, 1, &len);
	ptrdiff_t offset = 0;
	if (lua_gettop(L) > 1) {
		offset = luaL_checkinteger(L, 2) - 1;
		if (offset < 0 || (size_t)offset >= len)
			return luaL_error(L, "msgpack.decode: offset is out of bounds");
	}
	/* Unchecked decoding trusts the string in Tarantool; here a value
	 * may run into the string's terminating NUL (which Tarantool would
	 * read as well), never past it. */
	const char *end = data + len + (check ? 0 : 1);
	const char *p = data + offset;
	if (sp_mp_check(&p, end, SP_MP_MAX_DEPTH) != 0)
		return luaL_error(L, "msgpack.decode: invalid MsgPack");
	p = data + offset;
	sp_mp_decode(L, sp_upcfg(L), &p);
	lua_pushinteger(L, (lua_Integer)(p - data + 1));
	return 2;
}

static int
sp_msgpack_decode_any(lua_State *L, int check)
{
	switch (lua_gettop(L) >= 1 ? lua_type(L, 1) : LUA_TNONE) {
	case SP_TCDATA:
		return sp_msgpack_decode_cdata(L, check);
	case LUA_TSTRING:
		return sp_msgpack_decode_string(L, check);
	}
	return luaL_error(L, "msgpack.decode: a Lua string or 'char *' expected");
}

static int
sp_msgpack_decode(lua_State *L)
{
	return sp_msgpack_decode_any(L, 1);
}

static int
sp_msgpack_decode_unchecked(lua_State *L)
{
	return sp_msgpack_decode_any(L, 0);
}

/* ibuf_decode(rpos) -> new_rpos, value */
static int
sp_msgpack_ibuf_decode(lua_State *L)
{
	const char *data = NULL;
	uint32_t id = sp_tocharptr(L, 1, &data);
	if (id == 0)
		return luaL_error(L, "expected cdata as 1 argument");
	if (data == NULL)
		return luaL_error(L, "msgpack.ibuf_decode: rpos is null");
	const char *p = data;
	if (sp_mp_check(&p, data + SP_UNBOUNDED, SP_MP_MAX_DEPTH) != 0)
		return luaL_error(L, "msgpack.decode: invalid MsgPack");
	p = data;
	sp_mp_decode(L, sp_upcfg(L), &p);
	sp_push_charptr(L, id, p);
	lua_pushvalue(L, -2);
	return 2;
}

/* decode_array_header / decode_map_header (ptr, size) -> len, new_ptr */
static int
sp_msgpack_decode_header(lua_State *L, const char *fname, int map)
{
	if (lua_gettop(L) != 2)
		return luaL_error(L, "Usage: %s(ptr, size)", fname);
	const char *data = NULL;
	uint32_t id = sp_tocharptr(L, 1, &data);
	if (id == 0 || data == NULL)
		return luaL_error(L, "%s: 'char *' expected", fname);
	ptrdiff_t size = luaL_checkinteger(L, 2);
	if (size <= 0)
		return luaL_error(L, "%s: non-positive size", fname);
	uint8_t c = (uint8_t)data[0];
	uint8_t fix = map ? 0x80 : 0x90, wide = map ? 0xde : 0xdc;
	ptrdiff_t hdr;
	if ((c & 0xf0) == fix)
		hdr = 1;
	else if (c == wide)
		hdr = 3;
	else if (c == wide + 1)
		hdr = 5;
	else
		return luaL_error(L, "%s: unexpected msgpack type", fname);
	if (hdr > size)
		return luaL_error(L, "%s: unexpected end of buffer", fname);
	const uint8_t *u = (const uint8_t *)data;
	uint32_t len;
	if (hdr == 1)
		len = c & 0x0f;
	else if (hdr == 3)
		len = ((uint32_t)u[1] << 8) | u[2];
	else
		len = ((uint32_t)u[1] << 24) | ((uint32_t)u[2] << 16) | ((uint32_t)u[3] << 8) | u[4];
	lua_pushinteger(L, (lua_Integer)len);
	sp_push_charptr(L, id, data + hdr);
	return 2;
}

static int
sp_msgpack_decode_array_header(lua_State *L)
{
	return sp_msgpack_decode_header(L, "msgpack.decode_array_header", 0);
}

static int
sp_msgpack_decode_map_header(lua_State *L)
{
	return sp_msgpack_decode_header(L, "msgpack.decode_map_header", 1);
}

static int sp_msgpack_new(lua_State *L);

static const luaL_Reg sp_msgpack_lib[] = {
	{"encode", sp_msgpack_encode},
	{"decode", sp_msgpack_decode},
	{"decode_unchecked", sp_msgpack_decode_unchecked},
	{"ibuf_decode", sp_msgpack_ibuf_decode},
	{"decode_array_header", sp_msgpack_decode_array_header},
	{"decode_map_header", sp_msgpack_decode_map_header},
	{"new", sp_msgpack_new},
	{NULL, NULL},
};

static int
sp_msgpack_new(lua_State *L)
{
	sp_newserializer(L, sp_msgpack_lib, NULL);
	return 1;
}

/* sp_msgpack_module is the loader of require('msgpack'): the module over
 * the VM's msgpack configuration, the one tuples and CALL use. */
int
sp_msgpack_module(lua_State *L)
{
	sp_newserializer(L, sp_msgpack_lib, sp_globals(L)->mp_cfg);
	return 1;
}
