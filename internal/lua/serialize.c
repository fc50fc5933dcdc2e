/*
 * serialize.c: Lua values to and from MessagePack, following Tarantool
 * 2.6's luaL_tofield / luamp_encode / luamp_decode rules, so that every
 * serializer (msgpack, tuples, CALL results, json, yaml) classifies a
 * Lua value the same way.
 */
#include <string.h>
#include <stdlib.h>
#include <math.h>
#include "sp.h"

void
sp_serializer_defaults(struct sp_serializer *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->encode_sparse_convert = 1;
	cfg->encode_sparse_ratio = 2;
	cfg->encode_sparse_safe = 10;
	cfg->encode_max_depth = 128;
	cfg->encode_deep_as_nil = 0;
	cfg->encode_invalid_numbers = 1;
	cfg->encode_number_precision = 14;
	cfg->encode_load_metatables = 1;
	cfg->encode_use_tostring = 0;
	cfg->encode_invalid_as_nil = 0;
	cfg->decode_invalid_numbers = 1;
	cfg->decode_save_metatables = 1;
	cfg->decode_max_depth = 128;
}

/* ---------------------------------------------------------------------- */
/* Buffer                                                                  */

void
sp_buf_reserve(struct sp_buf *b, size_t n)
{
	if (b->cap - b->len >= n)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap - b->len < n)
		cap *= 2;
	char *p = realloc(b->data, cap);
	if (p == NULL)
		abort();
	b->data = p;
	b->cap = cap;
}

void
sp_buf_free(struct sp_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

static inline void
put1(struct sp_buf *b, uint8_t c)
{
	sp_buf_reserve(b, 1);
	b->data[b->len++] = (char)c;
}

static inline void
putbe(struct sp_buf *b, uint8_t tag, uint64_t v, int n)
{
	sp_buf_reserve(b, 1 + n);
	char *p = b->data + b->len;
	*p++ = (char)tag;
	for (int i = n - 1; i >= 0; i--)
		*p++ = (char)(v >> (8 * i));
	b->len += 1 + n;
}

void
sp_mp_uint(struct sp_buf *b, uint64_t v)
{
	if (v < 128)
		put1(b, (uint8_t)v);
	else if (v <= 0xff)
		putbe(b, 0xcc, v, 1);
	else if (v <= 0xffff)
		putbe(b, 0xcd, v, 2);
	else if (v <= 0xffffffffULL)
		putbe(b, 0xce, v, 4);
	else
		putbe(b, 0xcf, v, 8);
}

void
sp_mp_int(struct sp_buf *b, int64_t v)
{
	if (v >= 0) {
		sp_mp_uint(b, (uint64_t)v);
	} else if (v >= -32) {
		put1(b, (uint8_t)(int8_t)v);
	} else if (v >= -128) {
		putbe(b, 0xd0, (uint64_t)v & 0xff, 1);
	} else if (v >= -32768) {
		putbe(b, 0xd1, (uint64_t)v & 0xffff, 2);
	} else if (v >= -2147483648LL) {
		putbe(b, 0xd2, (uint64_t)v & 0xffffffffULL, 4);
	} else {
		putbe(b, 0xd3, (uint64_t)v, 8);
	}
}

void
sp_mp_double(struct sp_buf *b, double d)
{
	uint64_t bits;
	memcpy(&bits, &d, 8);
	putbe(b, 0xcb, bits, 8);
}

void
sp_mp_float(struct sp_buf *b, float f)
{
	uint32_t bits;
	memcpy(&bits, &f, 4);
	putbe(b, 0xca, bits, 4);
}

void
sp_mp_strhdr(struct sp_buf *b, size_t n)
{
	if (n < 32)
		put1(b, 0xa0 | (uint8_t)n);
	else if (n <= 0xff)
		putbe(b, 0xd9, n, 1);
	else if (n <= 0xffff)
		putbe(b, 0xda, n, 2);
	else
		putbe(b, 0xdb, n, 4);
}

void
sp_mp_str(struct sp_buf *b, const char *s, size_t n)
{
	sp_mp_strhdr(b, n);
	sp_buf_reserve(b, n);
	memcpy(b->data + b->len, s, n);
	b->len += n;
}

void
sp_mp_arrayhdr(struct sp_buf *b, uint32_t n)
{
	if (n < 16)
		put1(b, 0x90 | (uint8_t)n);
	else if (n <= 0xffff)
		putbe(b, 0xdc, n, 2);
	else
		putbe(b, 0xdd, n, 4);
}

void
sp_mp_maphdr(struct sp_buf *b, uint32_t n)
{
	if (n < 16)
		put1(b, 0x80 | (uint8_t)n);
	else if (n <= 0xffff)
		putbe(b, 0xde, n, 2);
	else
		putbe(b, 0xdf, n, 4);
}

void
sp_mp_raw(struct sp_buf *b, const char *p, size_t n)
{
	sp_buf_reserve(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

/* sp_mp_exthdr writes the header of an extension of len bytes. */
void
sp_mp_exthdr(struct sp_buf *b, int8_t type, uint32_t len)
{
	switch (len) {
	case 1: put1(b, 0xd4); break;
	case 2: put1(b, 0xd5); break;
	case 4: put1(b, 0xd6); break;
	case 8: put1(b, 0xd7); break;
	case 16: put1(b, 0xd8); break;
	default:
		if (len <= 0xff)
			putbe(b, 0xc7, len, 1);
		else if (len <= 0xffff)
			putbe(b, 0xc8, len, 2);
		else
			putbe(b, 0xc9, len, 4);
	}
	put1(b, (uint8_t)type);
}

/* ---------------------------------------------------------------------- */
/* Classification (luaL_tofield)                                           */


static void
sp_check_number(lua_State *L, struct sp_serializer *cfg, struct sp_field *f, double d)
{
	if (!isfinite(d) && !cfg->encode_invalid_numbers) {
		if (!cfg->encode_invalid_as_nil)
			luaL_error(L, "number must not be NaN or Inf");
		f->type = SPF_NIL;
	}
}

static uint32_t
sp_arrlen(lua_State *L, int idx)
{
	double max = 0;
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		lua_pop(L, 1);
		if (lua_type(L, -1) == LUA_TNUMBER) {
			double k = lua_tonumber(L, -1);
			if (k > max && floor(k) == k)
				max = k;
		}
	}
	if (max > 4294967295.0)
		max = 4294967295.0;
	return (uint32_t)max;
}

static uint32_t
sp_maplen(lua_State *L, int idx)
{
	uint32_t n = 0;
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		n++;
		lua_pop(L, 1);
	}
	return n;
}

/* Returns 1 when __serialize decided the field, 0 when absent. */
static int
sp_try_serialize(lua_State *L, struct sp_serializer *cfg, int idx, struct sp_field *f)
{
	if (luaL_getmetafield(L, idx, "__serialize") == 0)
		return 0;
	if (lua_isfunction(L, -1)) {
		lua_pushvalue(L, idx);
		lua_call(L, 1, 1);
		sp_tofield(L, cfg, lua_gettop(L), f);
		lua_replace(L, idx);
		return 1;
	}
	if (!lua_isstring(L, -1))
		luaL_error(L, "invalid __serialize value");
	const char *type = lua_tostring(L, -1);
	if (strcmp(type, "array") == 0 || strcmp(type, "seq") == 0 ||
	    strcmp(type, "sequence") == 0) {
		f->type = SPF_ARRAY;
		f->size = sp_arrlen(L, idx);
		f->compact = type[3] == '\0';
	} else if (strcmp(type, "map") == 0 || strcmp(type, "mapping") == 0) {
		f->type = SPF_MAP;
		f->size = sp_maplen(L, idx);
		f->compact = type[3] == '\0';
	} else {
		luaL_error(L, "invalid __serialize value");
	}
	lua_pop(L, 1);
	return 1;
}

static void
sp_inspect_table(lua_State *L, struct sp_serializer *cfg, int idx, struct sp_field *f)
{
	f->compact = 0;
	if (cfg->encode_load_metatables && sp_try_serialize(L, cfg, idx, f))
		return;
	uint32_t size = 0;
	double max = 0;
	f->type = SPF_ARRAY;
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		size++;
		lua_pop(L, 1);
		double k;
		if (lua_type(L, -1) != LUA_TNUMBER ||
		    ((k = lua_tonumber(L, -1)) != size && (k < 1 || floor(k) != k))) {
			while (lua_next(L, idx)) {
				size++;
				lua_pop(L, 1);
			}
			f->type = SPF_MAP;
			f->size = size;
			return;
		}
		if (k > max)
			max = k;
	}
	if (cfg->encode_sparse_ratio > 0 &&
	    max > (double)size * (uint32_t)cfg->encode_sparse_ratio &&
	    max > (uint32_t)cfg->encode_sparse_safe) {
		if (!cfg->encode_sparse_convert)
			luaL_error(L, "excessively sparse array");
		f->type = SPF_MAP;
		f->size = size;
		return;
	}
	if (max > 4294967295.0)
		luaL_error(L, "excessively sparse array");
	f->size = (uint32_t)max;
}

/* sp_is_tuple reports whether idx is a box.tuple userdata. */
static int
sp_is_tuple(lua_State *L, int idx)
{
	const void *mt = sp_globals(L)->tuple_mt;
	if (mt == NULL || lua_type(L, idx) != LUA_TUSERDATA)
		return 0;
	if (!lua_getmetatable(L, idx))
		return 0;
	int ok = lua_topointer(L, -1) == mt;
	lua_pop(L, 1);
	return ok;
}


int
sp_tofield(lua_State *L, struct sp_serializer *cfg, int idx, struct sp_field *f)
{
	double num, ip;
	size_t len;
	f->compact = 0;
	switch (lua_type(L, idx)) {
	case LUA_TNUMBER:
		num = lua_tonumber(L, idx);
		if (isfinite(num) && modf(num, &ip) != 0.0) {
			f->type = SPF_DOUBLE;
			f->d = num;
		} else if (num >= 0 && num < 18446744073709551616.0) {
			f->type = SPF_UINT;
			f->u = (uint64_t)num;
		} else if (num >= -9223372036854775808.0 && num < 9223372036854775808.0) {
			f->type = SPF_INT;
			f->i = (int64_t)num;
		} else {
			f->type = SPF_DOUBLE;
			f->d = num;
			sp_check_number(L, cfg, f, num);
		}
		return 0;
	case SP_TCDATA: {
		const void *p = lua_topointer(L, idx);
		uint32_t id = sp_cdata_ctypeid(L, idx);
		int64_t iv;
		switch (id) {
		case SP_CTID_BOOL:
			f->type = SPF_BOOL;
			f->b = *(const uint8_t *)p != 0;
			return 0;
		case SP_CTID_CCHAR:
		case SP_CTID_INT8:
			iv = *(const int8_t *)p;
			goto sint;
		case SP_CTID_INT16:
			iv = *(const int16_t *)p;
			goto sint;
		case SP_CTID_INT32:
			iv = *(const int32_t *)p;
			goto sint;
		case SP_CTID_INT64:
			iv = *(const int64_t *)p;
		sint:
			if (iv >= 0) {
				f->type = SPF_UINT;
				f->u = (uint64_t)iv;
			} else {
				f->type = SPF_INT;
				f->i = iv;
			}
			return 0;
		case SP_CTID_UINT8:
			f->type = SPF_UINT;
			f->u = *(const uint8_t *)p;
			return 0;
		case SP_CTID_UINT16:
			f->type = SPF_UINT;
			f->u = *(const uint16_t *)p;
			return 0;
		case SP_CTID_UINT32:
			f->type = SPF_UINT;
			f->u = *(const uint32_t *)p;
			return 0;
		case SP_CTID_UINT64:
			f->type = SPF_UINT;
			f->u = *(const uint64_t *)p;
			return 0;
		case SP_CTID_FLOAT:
			f->type = SPF_FLOAT;
			f->f = *(const float *)p;
			sp_check_number(L, cfg, f, f->f);
			return 0;
		case SP_CTID_DOUBLE:
			f->type = SPF_DOUBLE;
			f->d = *(const double *)p;
			sp_check_number(L, cfg, f, f->d);
			return 0;
		case SP_CTID_P_VOID:
		case SP_CTID_P_CVOID:
			if (*(void *const *)p == NULL) {
				f->type = SPF_NIL;
				return 0;
			}
			break;
		default:
			if (id != 0 && (int)id == sp_globals(L)->uuid_ctid) {
				f->type = SPF_UUID;
				f->s = p;
				return 0;
			}
			if (id != 0 && (int)id == sp_globals(L)->decimal_ctid) {
				f->type = SPF_DECIMAL;
				f->s = p;
				return 0;
			}
		}
		f->type = SPF_UNKNOWN;
		return 0;
	}
	case LUA_TBOOLEAN:
		f->type = SPF_BOOL;
		f->b = lua_toboolean(L, idx);
		return 0;
	case LUA_TNIL:
		f->type = SPF_NIL;
		return 0;
	case LUA_TSTRING:
		f->s = lua_tolstring(L, idx, &len);
		f->len = len;
		f->type = SPF_STR;
		return 0;
	case LUA_TTABLE:
		sp_inspect_table(L, cfg, idx, f);
		return 0;
	case LUA_TLIGHTUSERDATA:
		if (lua_touserdata(L, idx) == NULL) {
			f->type = SPF_NIL;
			return 0;
		}
		break;
	case LUA_TUSERDATA:
		if (sp_is_tuple(L, idx)) {
			f->type = SPF_RAW;
			f->s = sp_tuple_data(L, idx, &f->len);
			f->compact = 1;
			return 0;
		}
		break;
	}
	f->type = SPF_UNKNOWN;
	return 0;
}

static int
sp_gettable_wrapper(lua_State *L)
{
	lua_gettable(L, -2);
	return 1;
}

/* sp_inspect_ucdata calls __serialize of a userdata or cdata, found
 * through its __index (errors of the lookup are ignored, as Tarantool). */
static void
sp_inspect_ucdata(lua_State *L, struct sp_serializer *cfg, int idx, struct sp_field *f)
{
	int top = lua_gettop(L);
	lua_pushcfunction(L, sp_gettable_wrapper);
	lua_pushvalue(L, idx);
	lua_pushliteral(L, "__serialize");
	if (lua_pcall(L, 2, 1, 0) == 0 && !lua_isnil(L, -1)) {
		if (!lua_isfunction(L, -1))
			luaL_error(L, "invalid __serialize value");
		lua_pushvalue(L, idx);
		lua_call(L, 1, 1);
		lua_replace(L, idx);
		sp_tofield(L, cfg, idx, f);
	}
	lua_settop(L, top);
}

/* sp_convertfield is luaL_convertfield: __serialize of userdata and
 * non-primitive cdata, then tostring(), then nil or an error. */
void
sp_convertfield(lua_State *L, struct sp_serializer *cfg, int idx, struct sp_field *f)
{
	if (cfg->encode_load_metatables) {
		int t = lua_type(L, idx);
		if ((t == SP_TCDATA && sp_cdata_ctypeid(L, idx) > SP_CTID_CTYPEID) ||
		    t == LUA_TUSERDATA)
			sp_inspect_ucdata(L, cfg, idx, f);
	}
	if (f->type == SPF_UNKNOWN && cfg->encode_use_tostring) {
		int top = lua_gettop(L);
		lua_getglobal(L, "tostring");
		lua_pushvalue(L, idx);
		lua_call(L, 1, 1);
		lua_replace(L, idx);
		lua_settop(L, top);
		sp_tofield(L, cfg, idx, f);
	}
	if (f->type != SPF_UNKNOWN)
		return;
	if (cfg->encode_invalid_as_nil) {
		f->type = SPF_NIL;
		return;
	}
	luaL_error(L, "unsupported Lua type '%s'", lua_typename(L, lua_type(L, idx)));
}

/* ---------------------------------------------------------------------- */
/* Encoding                                                                */

void
sp_uuid_pack(struct sp_buf *b, const unsigned char *u)
{
	/* struct tt_uuid { uint32 time_low; uint16 time_mid;
	 * uint16 time_hi_and_version; uint8 csh, csl; uint8 node[6]; }
	 * in host order; MP_UUID is big-endian. */
	sp_mp_exthdr(b, 2, 16);
	sp_buf_reserve(b, 16);
	char *p = b->data + b->len;
	p[0] = u[3]; p[1] = u[2]; p[2] = u[1]; p[3] = u[0];
	p[4] = u[5]; p[5] = u[4];
	p[6] = u[7]; p[7] = u[6];
	memcpy(p + 8, u + 8, 8);
	b->len += 16;
}

/*
 * Anchors of hinted encodings: lua-yaml's anchor table. refs is the
 * stack index of a table mapping each table reachable from the value to
 * false (seen once), true (seen more than once, not written yet) or its
 * anchor number (written).
 */
struct sp_refs {
	int idx;
	uint32_t next;
};

/* sp_find_refs is lua-yaml's find_references for the value on top:
 * every table reachable through raw keys and values (before any
 * __serialize), counted up to twice. */
static void
sp_find_refs(lua_State *L, int refs, int level)
{
	if (lua_type(L, -1) != LUA_TTABLE)
		return;
	if (level >= SP_HINTS_MAX_DEPTH)
		luaL_error(L, "Too high nest level - %d", level + 1);
	luaL_checkstack(L, 4, "serializer");
	lua_pushvalue(L, -1);
	lua_rawget(L, refs);
	int seen = !lua_isnil(L, -1);
	int more = seen && lua_toboolean(L, -1);
	lua_pop(L, 1);
	if (more)
		return;
	lua_pushvalue(L, -1);
	lua_pushboolean(L, seen);
	lua_rawset(L, refs);
	if (seen)
		return;
	lua_pushnil(L);
	while (lua_next(L, -2) != 0) {
		sp_find_refs(L, refs, level + 1);
		lua_pop(L, 1);
		sp_find_refs(L, refs, level + 1);
	}
}

static void
sp_put_hint32(struct sp_buf *b, int8_t type, uint32_t v)
{
	sp_mp_exthdr(b, type, 4);
	sp_buf_reserve(b, 4);
	char *p = b->data + b->len;
	p[0] = (char)(v >> 24);
	p[1] = (char)(v >> 16);
	p[2] = (char)(v >> 8);
	p[3] = (char)v;
	b->len += 4;
}

/* sp_anchor is lua-yaml's get_yaml_anchor for the table at idx (after
 * __serialize): it writes an anchor hint for a multiply referenced table
 * met for the first time, or an alias for one already written, and
 * returns 1 when the alias replaces the table. */
static int
sp_anchor(lua_State *L, struct sp_refs *refs, struct sp_buf *b, int idx)
{
	lua_pushvalue(L, idx);
	lua_rawget(L, refs->idx);
	if (!lua_toboolean(L, -1)) {
		lua_pop(L, 1);
		return 0;
	}
	if (lua_isboolean(L, -1)) {
		lua_pop(L, 1);
		uint32_t n = refs->next++;
		lua_pushvalue(L, idx);
		lua_pushnumber(L, n);
		lua_rawset(L, refs->idx);
		sp_put_hint32(b, SP_EXT_ANCHOR, n);
		return 0;
	}
	uint32_t n = (uint32_t)lua_tonumber(L, -1);
	lua_pop(L, 1);
	sp_put_hint32(b, SP_EXT_ALIAS, n);
	return 1;
}

/* sp_too_deep applies the nesting limit at level: encode_max_depth, or
 * SP_HINTS_MAX_DEPTH for hinted encodings (lua-yaml has no limit).
 * Returns 1 when the container is replaced by nil. */
static int
sp_too_deep(lua_State *L, struct sp_serializer *cfg, struct sp_buf *b, int level)
{
	int max = cfg->hints ? SP_HINTS_MAX_DEPTH : cfg->encode_max_depth;
	if (level < max)
		return 0;
	if (cfg->hints || !cfg->encode_deep_as_nil)
		luaL_error(L, "Too high nest level - %d", level + 1);
	put1(b, 0xc0);
	return 1;
}

/* The value to encode is at the top of the stack and f describes it.
 * refs is NULL unless cfg->hints. */
static void
sp_encode_r(lua_State *L, struct sp_serializer *cfg, struct sp_buf *b,
	    struct sp_field *f, int level, struct sp_refs *refs)
{
	int top = lua_gettop(L);
restart:
	switch (f->type) {
	case SPF_NIL:
		put1(b, 0xc0);
		return;
	case SPF_BOOL:
		put1(b, f->b ? 0xc3 : 0xc2);
		return;
	case SPF_UINT:
		sp_mp_uint(b, f->u);
		return;
	case SPF_INT:
		sp_mp_int(b, f->i);
		return;
	case SPF_FLOAT:
		sp_mp_float(b, f->f);
		return;
	case SPF_DOUBLE:
		sp_mp_double(b, f->d);
		return;
	case SPF_STR:
		sp_mp_str(b, f->s, f->len);
		return;
	case SPF_RAW:
		if (cfg->hints) {
			sp_mp_exthdr(b, SP_EXT_COMPACT, 1);
			put1(b, SP_COMPACT_TUPLE);
		}
		sp_mp_raw(b, f->s, f->len);
		return;
	case SPF_UUID:
		sp_uuid_pack(b, (const unsigned char *)f->s);
		return;
	case SPF_DECIMAL:
		sp_decimal_pack(L, b, (const struct sp_decimal *)f->s);
		return;
	case SPF_MAP: {
		if (sp_too_deep(L, cfg, b, level))
			return;
		if (refs != NULL && sp_anchor(L, refs, b, top))
			return;
		if (cfg->hints && f->compact)
			sp_mp_exthdr(b, SP_EXT_COMPACT, 0);
		uint32_t size = f->size, written = 0;
		sp_mp_maphdr(b, size);
		luaL_checkstack(L, 6, "serializer");
		lua_pushnil(L);
		while (lua_next(L, top) != 0) {
			if (written == size) {
				/* A __serialize function grew the table. */
				lua_pop(L, 2);
				break;
			}
			lua_pushvalue(L, -2);
			sp_tofield(L, cfg, lua_gettop(L), f);
			sp_encode_r(L, cfg, b, f, level + 1, refs);
			lua_pop(L, 1);
			sp_tofield(L, cfg, lua_gettop(L), f);
			sp_encode_r(L, cfg, b, f, level + 1, refs);
			lua_pop(L, 1);
			written++;
		}
		for (; written < size; written++) {
			put1(b, 0xc0);
			put1(b, 0xc0);
		}
		return;
	}
	case SPF_ARRAY: {
		if (sp_too_deep(L, cfg, b, level))
			return;
		if (refs != NULL && sp_anchor(L, refs, b, top))
			return;
		if (cfg->hints && f->compact)
			sp_mp_exthdr(b, SP_EXT_COMPACT, 0);
		uint32_t size = f->size;
		sp_mp_arrayhdr(b, size);
		luaL_checkstack(L, 4, "serializer");
		for (uint32_t i = 0; i < size; i++) {
			lua_rawgeti(L, top, i + 1);
			sp_tofield(L, cfg, top + 1, f);
			sp_encode_r(L, cfg, b, f, level + 1, refs);
			lua_pop(L, 1);
		}
		return;
	}
	case SPF_UNKNOWN:
		sp_convertfield(L, cfg, top, f);
		goto restart;
	}
}

void
sp_mp_encode(lua_State *L, struct sp_serializer *cfg, struct sp_buf *b, int idx)
{
	struct sp_field f;
	struct sp_refs refs = {0, 0};
	luaL_checkstack(L, 8, "serializer");
	if (idx < 0 && idx > LUA_REGISTRYINDEX)
		idx = lua_gettop(L) + idx + 1;
	if (cfg->hints) {
		lua_newtable(L);
		refs.idx = lua_gettop(L);
		lua_pushvalue(L, idx);
		sp_find_refs(L, refs.idx, 0);
		lua_pop(L, 1);
	}
	lua_pushvalue(L, idx);
	sp_tofield(L, cfg, lua_gettop(L), &f);
	sp_encode_r(L, cfg, b, &f, 0, cfg->hints ? &refs : NULL);
	lua_pop(L, cfg->hints ? 2 : 1);
}

struct sp_encode_args {
	struct sp_serializer *cfg;
	struct sp_buf *b;
	int multi;
};

/* Arguments: the args block, then the value(s) to encode. */
int
sp_encode_f(lua_State *L)
{
	struct sp_encode_args *a = lua_touserdata(L, 1);
	if (a->multi) {
		int top = lua_gettop(L);
		sp_mp_arrayhdr(a->b, (uint32_t)(top - 1));
		for (int i = 2; i <= top; i++)
			sp_mp_encode(L, a->cfg, a->b, i);
		return 0;
	}
	sp_mp_encode(L, a->cfg, a->b, 2);
	return 0;
}

/*
 * The encoders run in lua_pcall with the value copied as an argument: a
 * C function's frame cannot see its caller's stack slots. Any error (a
 * raising __serialize, an unsupported type) is returned instead of
 * unwinding into Go.
 */
int
sp_pencode(lua_State *L, struct sp_serializer *cfg, struct sp_buf *b, int idx)
{
	if (idx < 0 && idx > LUA_REGISTRYINDEX)
		idx = lua_gettop(L) + idx + 1;
	struct sp_encode_args a = {cfg, b, 0};
	size_t len = b->len;
	sp_pushcached(L, encode_f_ref);
	lua_pushlightuserdata(L, &a);
	lua_pushvalue(L, idx);
	int rc = lua_pcall(L, 2, 0, 0);
	if (rc != 0)
		b->len = len;
	return rc;
}

/* sp_pencode_multi encodes the values from..top as one array and pops
 * them. */
int
sp_pencode_multi(lua_State *L, struct sp_serializer *cfg, struct sp_buf *b, int from)
{
	struct sp_encode_args a = {cfg, b, 1};
	size_t len = b->len;
	int n = lua_gettop(L) - from + 1;
	if (n < 0)
		n = 0;
	sp_pushcached(L, encode_f_ref);
	lua_insert(L, from);
	lua_pushlightuserdata(L, &a);
	lua_insert(L, from + 1);
	int rc = lua_pcall(L, n + 1, 0, 0);
	if (rc != 0)
		b->len = len;
	return rc;
}

/* ---------------------------------------------------------------------- */
/* Validation and decoding                                                 */

static inline uint64_t
getbe(const char *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = (v << 8) | (uint8_t)p[i];
	return v;
}

/*
 * sp_mp_check validates one complete value at *data before end, moving
 * *data past it. Returns 0, or -1 for truncated or invalid input
 * (0xc1, nesting deeper than depth). Containers are counted with an
 * explicit counter, so hostile nesting uses no C stack.
 */
int
sp_mp_check(const char **data, const char *end, int depth)
{
	const char *p = *data;
	/* pending[i]: values still to read at nesting level i */
	uint64_t pending[256];
	int lvl = 0;
	if (depth > 255)
		depth = 255;
	pending[0] = 1;
	while (lvl >= 0) {
		if (pending[lvl] == 0) {
			lvl--;
			continue;
		}
		pending[lvl]--;
		if (p >= end)
			return -1;
		uint8_t c = (uint8_t)*p++;
		uint64_t n = 0, skip = 0;
		int kind = 0; /* 1 array, 2 map */
		if (c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3) {
			continue;
		} else if (c >= 0x80 && c <= 0x8f) {
			n = c & 0x0f;
			kind = 2;
		} else if (c >= 0x90 && c <= 0x9f) {
			n = c & 0x0f;
			kind = 1;
		} else if (c >= 0xa0 && c <= 0xbf) {
			skip = c & 0x1f;
		} else {
			int w;
			switch (c) {
			case 0xc4: case 0xd9: w = 1; goto lenstr;
			case 0xc5: case 0xda: w = 2; goto lenstr;
			case 0xc6: case 0xdb: w = 4;
			lenstr:
				if (end - p < w)
					return -1;
				skip = getbe(p, w);
				p += w;
				break;
			case 0xc7: w = 1; goto lenext;
			case 0xc8: w = 2; goto lenext;
			case 0xc9: w = 4;
			lenext:
				if (end - p < w)
					return -1;
				skip = getbe(p, w) + 1;
				p += w;
				break;
			case 0xca: skip = 4; break;
			case 0xcb: skip = 8; break;
			case 0xcc: case 0xd0: skip = 1; break;
			case 0xcd: case 0xd1: skip = 2; break;
			case 0xce: case 0xd2: skip = 4; break;
			case 0xcf: case 0xd3: skip = 8; break;
			case 0xd4: skip = 2; break;
			case 0xd5: skip = 3; break;
			case 0xd6: skip = 5; break;
			case 0xd7: skip = 9; break;
			case 0xd8: skip = 17; break;
			case 0xdc:
				if (end - p < 2)
					return -1;
				n = getbe(p, 2);
				p += 2;
				kind = 1;
				break;
			case 0xdd:
				if (end - p < 4)
					return -1;
				n = getbe(p, 4);
				p += 4;
				kind = 1;
				break;
			case 0xde:
				if (end - p < 2)
					return -1;
				n = getbe(p, 2);
				p += 2;
				kind = 2;
				break;
			case 0xdf:
				if (end - p < 4)
					return -1;
				n = getbe(p, 4);
				p += 4;
				kind = 2;
				break;
			default: /* 0xc1 */
				return -1;
			}
		}
		if (kind) {
			if (kind == 2)
				n *= 2;
			if (n == 0)
				continue;
			/* Every element takes at least one byte. */
			if (n > (uint64_t)(end - p))
				return -1;
			if (lvl + 1 >= depth)
				return -1;
			pending[++lvl] = n;
			continue;
		}
		if (skip > (uint64_t)(end - p))
			return -1;
		p += skip;
	}
	*data = p;
	return 0;
}

static void sp_decode_ext(lua_State *L, struct sp_serializer *cfg, int8_t type,
			  const char *p, uint32_t len);

/* sp_mp_decode pushes the value at *data, which sp_mp_check accepted. */
void
sp_mp_decode(lua_State *L, struct sp_serializer *cfg, const char **data)
{
	const char *p = *data;
	uint8_t c = (uint8_t)*p++;
	uint32_t n = 0, i;
	double d;
	if (c <= 0x7f) {
		lua_pushnumber(L, c);
		goto out;
	}
	if (c >= 0xe0) {
		lua_pushnumber(L, (int8_t)c);
		goto out;
	}
	if (c >= 0xa0 && c <= 0xbf) {
		n = c & 0x1f;
		lua_pushlstring(L, p, n);
		p += n;
		goto out;
	}
	if (c >= 0x90 && c <= 0x9f) {
		n = c & 0x0f;
		goto array;
	}
	if (c >= 0x80 && c <= 0x8f) {
		n = c & 0x0f;
		goto map;
	}
	switch (c) {
	case 0xc0:
		sp_pushnull(L);
		goto out;
	case 0xc2:
		lua_pushboolean(L, 0);
		goto out;
	case 0xc3:
		lua_pushboolean(L, 1);
		goto out;
	case 0xc4: case 0xd9:
		n = (uint32_t)getbe(p, 1);
		p += 1;
		goto str;
	case 0xc5: case 0xda:
		n = (uint32_t)getbe(p, 2);
		p += 2;
		goto str;
	case 0xc6: case 0xdb:
		n = (uint32_t)getbe(p, 4);
		p += 4;
	str:
		lua_pushlstring(L, p, n);
		p += n;
		goto out;
	case 0xca: {
		uint32_t bits = (uint32_t)getbe(p, 4);
		float fl;
		memcpy(&fl, &bits, 4);
		d = fl;
		p += 4;
		goto dbl;
	}
	case 0xcb: {
		uint64_t bits = getbe(p, 8);
		memcpy(&d, &bits, 8);
		p += 8;
	dbl:
		if (!isfinite(d) && !cfg->decode_invalid_numbers)
			luaL_error(L, "number must not be NaN or Inf");
		lua_pushnumber(L, d);
		goto out;
	}
	case 0xcc:
		sp_pushuint64(L, getbe(p, 1));
		p += 1;
		goto out;
	case 0xcd:
		sp_pushuint64(L, getbe(p, 2));
		p += 2;
		goto out;
	case 0xce:
		sp_pushuint64(L, getbe(p, 4));
		p += 4;
		goto out;
	case 0xcf:
		sp_pushuint64(L, getbe(p, 8));
		p += 8;
		goto out;
	case 0xd0:
		sp_pushint64(L, (int8_t)getbe(p, 1));
		p += 1;
		goto out;
	case 0xd1:
		sp_pushint64(L, (int16_t)getbe(p, 2));
		p += 2;
		goto out;
	case 0xd2:
		sp_pushint64(L, (int32_t)getbe(p, 4));
		p += 4;
		goto out;
	case 0xd3:
		sp_pushint64(L, (int64_t)getbe(p, 8));
		p += 8;
		goto out;
	case 0xd4: n = 1; goto fixext;
	case 0xd5: n = 2; goto fixext;
	case 0xd6: n = 4; goto fixext;
	case 0xd7: n = 8; goto fixext;
	case 0xd8: n = 16;
	fixext: {
		int8_t type = (int8_t)*p++;
		sp_decode_ext(L, cfg, type, p, n);
		p += n;
		goto out;
	}
	case 0xc7: n = (uint32_t)getbe(p, 1); p += 1; goto ext;
	case 0xc8: n = (uint32_t)getbe(p, 2); p += 2; goto ext;
	case 0xc9: n = (uint32_t)getbe(p, 4); p += 4;
	ext: {
		int8_t type = (int8_t)*p++;
		sp_decode_ext(L, cfg, type, p, n);
		p += n;
		goto out;
	}
	case 0xdc:
		n = (uint32_t)getbe(p, 2);
		p += 2;
		goto array;
	case 0xdd:
		n = (uint32_t)getbe(p, 4);
		p += 4;
		goto array;
	case 0xde:
		n = (uint32_t)getbe(p, 2);
		p += 2;
		goto map;
	case 0xdf:
		n = (uint32_t)getbe(p, 4);
		p += 4;
		goto map;
	}
	luaL_error(L, "msgpack.decode: invalid MsgPack");
array:
	luaL_checkstack(L, 2, "msgpack.decode");
	lua_createtable(L, (int)n, 0);
	for (i = 0; i < n; i++) {
		sp_mp_decode(L, cfg, &p);
		lua_rawseti(L, -2, (int)(i + 1));
	}
	if (cfg->decode_save_metatables) {
		lua_rawgeti(L, LUA_REGISTRYINDEX, sp_globals(L)->array_mt_ref);
		lua_setmetatable(L, -2);
	}
	goto out;
map:
	luaL_checkstack(L, 3, "msgpack.decode");
	lua_createtable(L, 0, (int)n);
	for (i = 0; i < n; i++) {
		sp_mp_decode(L, cfg, &p);
		sp_mp_decode(L, cfg, &p);
		/* A nil or NaN key cannot be stored: Tarantool's lua_settable
		 * raises, and so does this. */
		lua_settable(L, -3);
	}
	if (cfg->decode_save_metatables) {
		lua_rawgeti(L, LUA_REGISTRYINDEX, sp_globals(L)->map_mt_ref);
		lua_setmetatable(L, -2);
	}
out:
	*data = p;
}

static void
sp_decode_ext(lua_State *L, struct sp_serializer *cfg, int8_t type,
	      const char *p, uint32_t len)
{
	(void)cfg;
	lua_rawgeti(L, LUA_REGISTRYINDEX, sp_globals(L)->ext_decode_ref);
	lua_rawgeti(L, -1, type);
	lua_remove(L, -2);
	if (!lua_isfunction(L, -1)) {
		lua_pop(L, 1);
		/* Tarantool's box handler's message (box is always loaded
		 * there), typo and unsigned type included. */
		luaL_error(L, "Unsuported MsgPack extension type: %u", (unsigned)(int)type);
	}
	lua_pushlstring(L, p, len);
	lua_call(L, 1, 1);
}

struct sp_decode_args {
	struct sp_serializer *cfg;
	const char *data;
	const char *end;
	int n;
	int multi;
};

int
sp_decode_f(lua_State *L)
{
	struct sp_decode_args *a = lua_touserdata(L, 1);
	lua_pop(L, 1);
	const char *p = a->data;
	if (a->multi) {
		/* The array header was checked by sp_pdecode_args. */
		uint8_t c = (uint8_t)*p++;
		uint32_t n;
		if (c >= 0x90 && c <= 0x9f) {
			n = c & 0x0f;
		} else if (c == 0xdc) {
			n = (uint32_t)getbe(p, 2);
			p += 2;
		} else {
			n = (uint32_t)getbe(p, 4);
			p += 4;
		}
		luaL_checkstack(L, (int)n + 4, "too many arguments");
		for (uint32_t i = 0; i < n; i++)
			sp_mp_decode(L, a->cfg, &p);
		a->n = (int)n;
		return (int)n;
	}
	sp_mp_decode(L, a->cfg, &p);
	a->data = p;
	return 1;
}

/*
 * The decoders run in lua_pcall (not lua_cpcall) because they leave
 * their results on the caller's stack.
 */
int
sp_pdecode(lua_State *L, struct sp_serializer *cfg, const char *data, size_t len, size_t *used)
{
	const char *p = data, *end = data + len;
	if (sp_mp_check(&p, end, cfg->decode_max_depth > 0 ? cfg->decode_max_depth + 1 : 256) != 0) {
		lua_pushliteral(L, "msgpack.decode: invalid MsgPack");
		return -1;
	}
	struct sp_decode_args a = {cfg, data, end, 0, 0};
	sp_pushcached(L, decode_f_ref);
	lua_pushlightuserdata(L, &a);
	int rc = lua_pcall(L, 1, 1, 0);
	if (rc == 0)
		*used = (size_t)(a.data - data);
	return rc;
}

/* sp_mp_checklen is sp_mp_check for Go: the length of the value at data,
 * or -1. */
long
sp_mp_checklen(const char *data, size_t len, int depth)
{
	const char *p = data;
	if (sp_mp_check(&p, data + len, depth) != 0)
		return -1;
	return (long)(p - data);
}

int
sp_pdecode_args(lua_State *L, struct sp_serializer *cfg, const char *data, size_t len, int *n)
{
	const char *p = data, *end = data + len;
	*n = 0;
	if (len == 0)
		return 0;
	uint8_t c = (uint8_t)*p;
	if (!((c >= 0x90 && c <= 0x9f) || c == 0xdc || c == 0xdd) ||
	    sp_mp_check(&p, end, 256) != 0) {
		lua_pushliteral(L, "msgpack.decode: invalid MsgPack");
		return -1;
	}
	struct sp_decode_args a = {cfg, data, end, 0, 1};
	int top = lua_gettop(L);
	sp_pushcached(L, decode_f_ref);
	lua_pushlightuserdata(L, &a);
	int rc = lua_pcall(L, 1, LUA_MULTRET, 0);
	if (rc == 0)
		*n = lua_gettop(L) - top;
	return rc;
}
