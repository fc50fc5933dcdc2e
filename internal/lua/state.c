/*
 * state.c: the Lua state, Go function trampolines, protected helpers and
 * 64-bit numbers.
 */
#include <string.h>
#include <stdlib.h>
#include <math.h>
#include "sp.h"
#include "_cgo_export.h"

/*
 * Per-state data hangs off the allocator's user pointer: lua_getallocf is
 * a field read, cheaper than a registry lookup, and needs no global table
 * of states. The allocator itself forwards to LuaJIT's own.
 */
struct sp_state {
	lua_Alloc f;
	void *ud;
	struct sp_globals g;
	struct sp_serializer mp_cfg;
};

/*
 * Blocks of SP_BIG bytes and more come from the C library's malloc
 * instead of LuaJIT's allocator. LuaJIT maps such blocks with mmap and
 * unmaps them on free; its string table is resized up and down by the
 * collector as short-lived strings come and go, and every resize then
 * costs fresh pages (page faults, zeroing) and an munmap. glibc keeps
 * freed large blocks for reuse (its mmap threshold rises after the first
 * free), which removes that churn.
 *
 * Invariant: a live block is a malloc block exactly when its size is
 * SP_BIG or more. LuaJIT passes a block's size on realloc and free, so
 * the owner is known; a block crossing the threshold moves between the
 * allocators. No block of that size exists before sp_newstate installs
 * this allocator.
 */
#define SP_BIG ((size_t)128 * 1024)

static void *
sp_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct sp_state *s = ud;
	int obig = ptr != NULL && osize >= SP_BIG;
	int nbig = nsize >= SP_BIG;
	void *n;
	if (!obig && !nbig) {
		n = s->f(s->ud, ptr, osize, nsize);
	} else if (nsize == 0) {
		free(ptr);
		n = NULL;
	} else if (obig && nbig) {
		n = realloc(ptr, nsize);
	} else {
		n = nbig ? malloc(nsize) : s->f(s->ud, NULL, 0, nsize);
		if (n != NULL && ptr != NULL) {
			memcpy(n, ptr, osize < nsize ? osize : nsize);
			if (obig)
				free(ptr);
			else
				s->f(s->ud, ptr, osize, 0);
		}
	}
	return n;
}

struct sp_globals *
sp_globals(lua_State *L)
{
	void *ud;
	lua_getallocf(L, &ud);
	return &((struct sp_state *)ud)->g;
}

size_t
sp_memused(lua_State *L)
{
	return (size_t)lua_gc(L, LUA_GCCOUNT, 0) * 1024 + (size_t)lua_gc(L, LUA_GCCOUNTB, 0);
}

static int
sp_gofunc_gc(lua_State *L)
{
	uint64_t *ids = lua_touserdata(L, 1);
	if (ids != NULL && ids[1] != 0) {
		spindleGoRelease(ids[0], ids[1]);
		ids[1] = 0;
	}
	return 0;
}

static int
sp_gofunc_tramp(lua_State *L)
{
	uint64_t *ids = lua_touserdata(L, lua_upvalueindex(1));
	int n = spindleGoCall(L, ids[0], ids[1]);
	if (n < 0)
		return lua_error(L);
	return n;
}

void
sp_push_gofunction(lua_State *L, uint64_t id)
{
	struct sp_globals *g = sp_globals(L);
	uint64_t *ids = lua_newuserdata(L, 2 * sizeof(uint64_t));
	ids[0] = (uint64_t)g->vm_id;
	ids[1] = id;
	lua_rawgeti(L, LUA_REGISTRYINDEX, g->gofunc_mt_ref);
	lua_setmetatable(L, -2);
	lua_pushcclosure(L, sp_gofunc_tramp, 1);
}

int
sp_gofunction_id(lua_State *L, int idx, uint64_t *id)
{
	if (lua_tocfunction(L, idx) != sp_gofunc_tramp)
		return 0;
	lua_getupvalue(L, idx, 1);
	uint64_t *ids = lua_touserdata(L, -1);
	lua_pop(L, 1);
	if (ids == NULL)
		return 0;
	*id = ids[1];
	return 1;
}

static int
sp_panic(lua_State *L)
{
	const char *msg = lua_tostring(L, -1);
	spindleLuaPanic((char *)(msg ? msg : "(error object is not a string)"));
	return 0;
}

int sp_cdata_init(lua_State *L);
static int sp_gettable_f(lua_State *L);
static int sp_settable_f(lua_State *L);
static int sp_tostring_f(lua_State *L);
static int sp_concat_f(lua_State *L);

static int
sp_cache(lua_State *L, lua_CFunction f)
{
	lua_pushcfunction(L, f);
	return luaL_ref(L, LUA_REGISTRYINDEX);
}

lua_State *
sp_newstate(int vm_id)
{
	lua_State *L = luaL_newstate();
	if (L == NULL)
		return NULL;
	struct sp_state *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		lua_close(L);
		return NULL;
	}
	s->f = lua_getallocf(L, &s->ud);
	lua_setallocf(L, sp_alloc, s);
	s->g.vm_id = vm_id;
	s->g.mp_cfg = &s->mp_cfg;
	sp_serializer_defaults(&s->mp_cfg);
	lua_atpanic(L, sp_panic);
	luaL_openlibs(L);

	lua_createtable(L, 0, 1);
	lua_pushcfunction(L, sp_gofunc_gc);
	lua_setfield(L, -2, "__gc");
	s->g.gofunc_mt_ref = luaL_ref(L, LUA_REGISTRYINDEX);

	lua_createtable(L, 0, 1);
	lua_pushliteral(L, "seq");
	lua_setfield(L, -2, "__serialize");
	s->g.array_mt_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	lua_createtable(L, 0, 1);
	lua_pushliteral(L, "map");
	lua_setfield(L, -2, "__serialize");
	s->g.map_mt_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	lua_newtable(L);
	s->g.ext_decode_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	s->g.encode_f_ref = sp_cache(L, sp_encode_f);
	s->g.decode_f_ref = sp_cache(L, sp_decode_f);
	s->g.gettable_f_ref = sp_cache(L, sp_gettable_f);
	s->g.settable_f_ref = sp_cache(L, sp_settable_f);
	s->g.tostring_f_ref = sp_cache(L, sp_tostring_f);
	s->g.concat_f_ref = sp_cache(L, sp_concat_f);

	if (sp_cdata_init(L) != 0) {
		sp_close(L);
		return NULL;
	}
	return L;
}

void
sp_close(lua_State *L)
{
	void *ud;
	lua_getallocf(L, &ud);
	struct sp_state *s = ud;
	lua_close(L);
	free(s);
}

/* ---------------------------------------------------------------------- */
/* Protected helpers                                                       */

static int
sp_gettable_f(lua_State *L)
{
	lua_gettable(L, 1);
	return 1;
}

static int
sp_settable_f(lua_State *L)
{
	lua_settable(L, 1);
	return 0;
}

static int
sp_tostring_f(lua_State *L)
{
	luaL_checkany(L, 1);
	if (luaL_callmeta(L, 1, "__tostring")) {
		if (!lua_isstring(L, -1))
			luaL_error(L, "'__tostring' must return a string");
		return 1;
	}
	lua_getglobal(L, "tostring");
	lua_pushvalue(L, 1);
	lua_call(L, 1, 1);
	return 1;
}

static int
sp_equal_f(lua_State *L)
{
	lua_pushboolean(L, lua_equal(L, 1, 2));
	return 1;
}

/* sp_pequal compares a and b with ==, metamethods honoured: 1, 0, or -1
 * with the error value pushed. */
int
sp_pequal(lua_State *L, int a, int b)
{
	if (a < 0 && a > LUA_REGISTRYINDEX)
		a = lua_gettop(L) + a + 1;
	if (b < 0 && b > LUA_REGISTRYINDEX)
		b = lua_gettop(L) + b + 1;
	if (lua_rawequal(L, a, b))
		return 1;
	lua_pushcfunction(L, sp_equal_f);
	lua_pushvalue(L, a);
	lua_pushvalue(L, b);
	if (lua_pcall(L, 2, 1, 0) != 0)
		return -1;
	int r = lua_toboolean(L, -1);
	lua_pop(L, 1);
	return r;
}

static int
sp_concat_f(lua_State *L)
{
	lua_concat(L, lua_gettop(L));
	return 1;
}

static int
sp_plain_table(lua_State *L, int idx)
{
	if (lua_type(L, idx) != LUA_TTABLE)
		return 0;
	if (!lua_getmetatable(L, idx))
		return 1;
	lua_pop(L, 1);
	return 0;
}

int
sp_pgetfield(lua_State *L, int idx, const char *k, size_t klen)
{
	if (idx < 0 && idx > LUA_REGISTRYINDEX)
		idx = lua_gettop(L) + idx + 1;
	if (sp_plain_table(L, idx)) {
		lua_pushlstring(L, k, klen);
		lua_rawget(L, idx);
		return 0;
	}
	sp_pushcached(L, gettable_f_ref);
	lua_pushvalue(L, idx);
	lua_pushlstring(L, k, klen);
	return lua_pcall(L, 2, 1, 0);
}

int
sp_pgettable(lua_State *L, int idx)
{
	if (idx < 0 && idx > LUA_REGISTRYINDEX)
		idx = lua_gettop(L) + idx + 1;
	if (sp_plain_table(L, idx)) {
		lua_rawget(L, idx);
		return 0;
	}
	sp_pushcached(L, gettable_f_ref);
	lua_pushvalue(L, idx);
	lua_pushvalue(L, -3);
	lua_remove(L, -4);
	return lua_pcall(L, 2, 1, 0);
}

/* sp_psetfield sets t[k] = top (popping it). */
int
sp_psetfield(lua_State *L, int idx, const char *k, size_t klen)
{
	if (idx < 0 && idx > LUA_REGISTRYINDEX)
		idx = lua_gettop(L) + idx + 1;
	if (sp_plain_table(L, idx)) {
		lua_pushlstring(L, k, klen);
		lua_insert(L, -2);
		lua_rawset(L, idx);
		return 0;
	}
	sp_pushcached(L, settable_f_ref);
	lua_pushvalue(L, idx);
	lua_pushlstring(L, k, klen);
	lua_pushvalue(L, -4);
	lua_remove(L, -5);
	return lua_pcall(L, 3, 0, 0);
}

/* sp_psettable sets t[key] = value with key and value on top. */
int
sp_psettable(lua_State *L, int idx)
{
	if (idx < 0 && idx > LUA_REGISTRYINDEX)
		idx = lua_gettop(L) + idx + 1;
	sp_pushcached(L, settable_f_ref);
	lua_pushvalue(L, idx);
	lua_pushvalue(L, -4);
	lua_pushvalue(L, -4);
	lua_remove(L, -6);
	lua_remove(L, -5);
	return lua_pcall(L, 3, 0, 0);
}

int
sp_ptostring(lua_State *L, int idx)
{
	if (idx < 0 && idx > LUA_REGISTRYINDEX)
		idx = lua_gettop(L) + idx + 1;
	int t = lua_type(L, idx);
	if (t == LUA_TSTRING) {
		lua_pushvalue(L, idx);
		return 0;
	}
	sp_pushcached(L, tostring_f_ref);
	lua_pushvalue(L, idx);
	return lua_pcall(L, 1, 1, 0);
}

int
sp_pconcat(lua_State *L, int n)
{
	sp_pushcached(L, concat_f_ref);
	lua_insert(L, -n - 1);
	return lua_pcall(L, n, 1, 0);
}

void
sp_rawgetfield(lua_State *L, int idx, const char *k, size_t klen)
{
	if (idx < 0 && idx > LUA_REGISTRYINDEX)
		idx = lua_gettop(L) + idx + 1;
	lua_pushlstring(L, k, klen);
	lua_rawget(L, idx);
}

void
sp_rawsetfield(lua_State *L, int idx, const char *k, size_t klen)
{
	if (idx < 0 && idx > LUA_REGISTRYINDEX)
		idx = lua_gettop(L) + idx + 1;
	lua_pushlstring(L, k, klen);
	lua_insert(L, -2);
	lua_rawset(L, idx);
}

void
sp_getglobal(lua_State *L, const char *k, size_t klen)
{
	lua_pushlstring(L, k, klen);
	lua_rawget(L, LUA_GLOBALSINDEX);
}

void
sp_setglobal(lua_State *L, const char *k, size_t klen)
{
	lua_pushlstring(L, k, klen);
	lua_insert(L, -2);
	lua_rawset(L, LUA_GLOBALSINDEX);
}

int
sp_load(lua_State *L, const char *buf, size_t len, const char *name)
{
	return luaL_loadbuffer(L, buf, len, name);
}

/* sp_where pushes "chunk:line: " of the function at level, as luaL_where. */
void
sp_where(lua_State *L, int level)
{
	luaL_where(L, level);
}

/* sp_argerror_msg pushes luaL_argerror's message without raising it. */
void
sp_argerror_msg(lua_State *L, int narg, const char *msg, size_t len)
{
	lua_Debug ar;
	luaL_where(L, 1);
	if (!lua_getstack(L, 0, &ar)) {
		lua_pushfstring(L, "bad argument #%d (", narg);
	} else {
		lua_getinfo(L, "n", &ar);
		if (ar.namewhat != NULL && strcmp(ar.namewhat, "method") == 0) {
			narg--;
			if (narg == 0) {
				lua_pushfstring(L, "calling " LUA_QS " on bad self (", ar.name);
				goto msg;
			}
		}
		if (ar.name == NULL)
			ar.name = "?";
		lua_pushfstring(L, "bad argument #%d to " LUA_QS " (", narg, ar.name);
	}
msg:
	lua_pushlstring(L, msg, len);
	lua_pushliteral(L, ")");
	lua_concat(L, 4);
}

/* ---------------------------------------------------------------------- */
/* cdata                                                                   */

/*
 * The public LuaJIT API can neither create nor type a cdata value. Types
 * are read from the GCcdata header, whose ctypeid field sits 6 bytes
 * before the payload that lua_topointer returns (GC64 layout: nextgc,
 * marked, gct, ctypeid, padding). sp_cdata_selftest proves that on the
 * library actually linked before anything relies on it. New values come
 * from the ctype constructors kept in the registry.
 */
uint32_t
sp_cdata_ctypeid(lua_State *L, int idx)
{
	if (lua_type(L, idx) != SP_TCDATA)
		return 0;
	const char *p = lua_topointer(L, idx);
	return *(const uint16_t *)(p - 6);
}

static int
sp_cdata_init_f(lua_State *L)
{
	struct sp_globals *g = sp_globals(L);
	const char *src =
		"local ffi = require('ffi')\n"
		"return ffi.cast('void *', 0), ffi.typeof('uint64_t'), "
		"ffi.typeof('int64_t')";
	if (luaL_loadstring(L, src) != 0)
		return lua_error(L);
	lua_call(L, 0, 3);
	g->i64_ctor_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	g->u64_ctor_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	g->null_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	return 0;
}

int
sp_cdata_init(lua_State *L)
{
	lua_pushcfunction(L, sp_cdata_init_f);
	if (lua_pcall(L, 0, 0, 0) != 0) {
		lua_pop(L, 1);
		return -1;
	}
	return sp_cdata_selftest(L);
}

int
sp_cdata_selftest(lua_State *L)
{
	int top = lua_gettop(L);
	int ok = 1;
	if (luaL_loadstring(L, "return 1ULL, -1LL, true, 1.5") != 0) {
		lua_settop(L, top);
		return -1;
	}
	lua_call(L, 0, 4);
	ok = ok && sp_cdata_ctypeid(L, top + 1) == SP_CTID_UINT64;
	ok = ok && sp_cdata_ctypeid(L, top + 2) == SP_CTID_INT64;
	ok = ok && *(const uint64_t *)lua_topointer(L, top + 1) == 1;
	ok = ok && *(const int64_t *)lua_topointer(L, top + 2) == -1;
	sp_pushnull(L);
	ok = ok && sp_cdata_ctypeid(L, -1) == SP_CTID_P_VOID;
	sp_pushuint64(L, 18446744073709551615ULL);
	ok = ok && sp_cdata_ctypeid(L, -1) == SP_CTID_UINT64 &&
	     *(const uint64_t *)lua_topointer(L, -1) == 18446744073709551615ULL;
	lua_settop(L, top);
	return ok ? 0 : -1;
}

void
sp_pushnull(lua_State *L)
{
	lua_rawgeti(L, LUA_REGISTRYINDEX, sp_globals(L)->null_ref);
}

int
sp_isnull(lua_State *L, int idx)
{
	if (lua_type(L, idx) != SP_TCDATA)
		return 0;
	uint32_t id = sp_cdata_ctypeid(L, idx);
	if (id != SP_CTID_P_VOID && id != SP_CTID_P_CVOID)
		return 0;
	return *(void *const *)lua_topointer(L, idx) == NULL;
}

/* Tarantool pushes integers as numbers below 1e14 in magnitude
 * (DBL_INT_MAX) and as 64-bit cdata from there on. */
#define SP_DBL_INT_MAX (100000000000000LL - 1)

static void
sp_pushcdata64(lua_State *L, int ref, uint64_t bits)
{
	lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
	lua_call(L, 0, 1);
	*(uint64_t *)lua_topointer(L, -1) = bits;
}

void
sp_pushuint64(lua_State *L, uint64_t v)
{
	if (v <= (uint64_t)SP_DBL_INT_MAX)
		lua_pushnumber(L, (double)v);
	else
		sp_pushcdata64(L, sp_globals(L)->u64_ctor_ref, v);
}

void
sp_pushint64(lua_State *L, int64_t v)
{
	if (v >= -SP_DBL_INT_MAX && v <= SP_DBL_INT_MAX)
		lua_pushnumber(L, (double)v);
	else
		sp_pushcdata64(L, sp_globals(L)->i64_ctor_ref, (uint64_t)v);
}

static const double sp_exp63 = 9223372036854775808.0;
static const double sp_exp64 = 18446744073709551616.0;

int
sp_tointeger(lua_State *L, int idx, uint64_t *u, int64_t *i)
{
	switch (lua_type(L, idx)) {
	case LUA_TNUMBER: {
		double d = lua_tonumber(L, idx);
		double ip;
		if (!isfinite(d) || modf(d, &ip) != 0.0)
			return 0;
		if (d >= 0 && d < sp_exp64) {
			*u = (uint64_t)d;
			return 1;
		}
		if (d >= -sp_exp63 && d < 0) {
			*i = (int64_t)d;
			return -1;
		}
		return 0;
	}
	case SP_TCDATA: {
		const void *p = lua_topointer(L, idx);
		int64_t v;
		switch (sp_cdata_ctypeid(L, idx)) {
		case SP_CTID_UINT64:
			*u = *(const uint64_t *)p;
			return 1;
		case SP_CTID_UINT32:
			*u = *(const uint32_t *)p;
			return 1;
		case SP_CTID_UINT16:
			*u = *(const uint16_t *)p;
			return 1;
		case SP_CTID_UINT8:
			*u = *(const uint8_t *)p;
			return 1;
		case SP_CTID_INT64:
			v = *(const int64_t *)p;
			break;
		case SP_CTID_INT32:
			v = *(const int32_t *)p;
			break;
		case SP_CTID_INT16:
			v = *(const int16_t *)p;
			break;
		case SP_CTID_INT8:
		case SP_CTID_CCHAR:
			v = *(const int8_t *)p;
			break;
		default:
			return 0;
		}
		if (v >= 0) {
			*u = (uint64_t)v;
			return 1;
		}
		*i = v;
		return -1;
	}
	}
	return 0;
}

/* sp_caller_position returns the short source (lua_Debug's short_src: a
 * file chunk's name without its '@', shortened to "...tail" past
 * LUA_IDSIZE) and line of the function at level (1: the Lua function
 * calling the running C function), as 2.6's luaT_error_create records
 * error traces. 0 when there is no such level. */
int
sp_caller_position(lua_State *L, int level, char *file, int *line)
{
	lua_Debug ar;
	if (!lua_getstack(L, level, &ar) || !lua_getinfo(L, "Sl", &ar))
		return 0;
	memcpy(file, ar.short_src, LUA_IDSIZE);
	file[LUA_IDSIZE - 1] = '\0';
	*line = ar.currentline;
	return 1;
}

/* sp_frame describes level of L's stack (0: the running function) for
 * fiber.info's backtrace: the function's name ("(unnamed)" when the
 * caller gives none), its chunk and current line. The strings are Lua's
 * own and live while the function does. 0 when there is no such level. */
int
sp_frame(lua_State *L, int level, const char **name, const char **source, int *line)
{
	lua_Debug ar;
	if (!lua_getstack(L, level, &ar) || !lua_getinfo(L, "nSl", &ar))
		return 0;
	*name = ar.name != NULL ? ar.name : "(unnamed)";
	*source = ar.source;
	*line = ar.currentline;
	return 1;
}
