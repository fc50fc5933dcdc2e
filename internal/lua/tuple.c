/*
 * tuple.c: box.tuple objects. A tuple is a userdata holding a copy of the
 * tuple's MessagePack array, so field access, unpacking and serializing
 * never leave C. Its environment table maps field names to 1-based field
 * numbers (the space format), shared by every tuple of a space.
 */
#include <string.h>
#include "sp.h"

struct sp_tuple {
	uint64_t ident; /* identity of the stored tuple, for __eq */
	uint32_t len;
	uint32_t count; /* fields */
	char data[];
};

/* sp_mp_next moves past one value of checked msgpack. */
const char *
sp_mp_next(const char *p)
{
	uint64_t pending = 1;
	while (pending > 0) {
		pending--;
		uint8_t c = (uint8_t)*p++;
		if (c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3)
			continue;
		if (c >= 0x80 && c <= 0x8f) {
			pending += 2 * (uint64_t)(c & 0x0f);
			continue;
		}
		if (c >= 0x90 && c <= 0x9f) {
			pending += c & 0x0f;
			continue;
		}
		if (c >= 0xa0 && c <= 0xbf) {
			p += c & 0x1f;
			continue;
		}
		const uint8_t *u = (const uint8_t *)p;
		switch (c) {
		case 0xc4: case 0xd9: p += 1 + u[0]; break;
		case 0xc5: case 0xda: p += 2 + ((u[0] << 8) | u[1]); break;
		case 0xc6: case 0xdb:
			p += 4 + (((uint32_t)u[0] << 24) | ((uint32_t)u[1] << 16) | (u[2] << 8) | u[3]);
			break;
		case 0xc7: p += 2 + u[0]; break;
		case 0xc8: p += 3 + ((u[0] << 8) | u[1]); break;
		case 0xc9:
			p += 5 + (((uint32_t)u[0] << 24) | ((uint32_t)u[1] << 16) | (u[2] << 8) | u[3]);
			break;
		case 0xca: case 0xce: case 0xd2: p += 4; break;
		case 0xcb: case 0xcf: case 0xd3: p += 8; break;
		case 0xcc: case 0xd0: p += 1; break;
		case 0xcd: case 0xd1: p += 2; break;
		case 0xd4: p += 2; break;
		case 0xd5: p += 3; break;
		case 0xd6: p += 5; break;
		case 0xd7: p += 9; break;
		case 0xd8: p += 17; break;
		case 0xdc: pending += (u[0] << 8) | u[1]; p += 2; break;
		case 0xdd:
			pending += ((uint32_t)u[0] << 24) | ((uint32_t)u[1] << 16) | (u[2] << 8) | u[3];
			p += 4;
			break;
		case 0xde: pending += 2 * (uint64_t)((u[0] << 8) | u[1]); p += 2; break;
		case 0xdf:
			pending += 2 * (uint64_t)(((uint32_t)u[0] << 24) | ((uint32_t)u[1] << 16) | (u[2] << 8) | u[3]);
			p += 4;
			break;
		}
	}
	return p;
}

/* sp_mp_arraylen reads an array header, returning the count and moving
 * *p past it; -1 if *p is not an array. */
static int64_t
sp_mp_arraylen(const char **pp)
{
	const uint8_t *p = (const uint8_t *)*pp;
	if (p[0] >= 0x90 && p[0] <= 0x9f) {
		*pp += 1;
		return p[0] & 0x0f;
	}
	if (p[0] == 0xdc) {
		*pp += 3;
		return (p[1] << 8) | p[2];
	}
	if (p[0] == 0xdd) {
		*pp += 5;
		return ((uint32_t)p[1] << 24) | ((uint32_t)p[2] << 16) | (p[3] << 8) | p[4];
	}
	return -1;
}

void
sp_tuple_setmt(lua_State *L, int tuple_mt_ref)
{
	struct sp_globals *g = sp_globals(L);
	g->tuple_mt_ref = tuple_mt_ref;
	lua_rawgeti(L, LUA_REGISTRYINDEX, tuple_mt_ref);
	g->tuple_mt = lua_topointer(L, -1);
	lua_pop(L, 1);
}

/*
 * sp_tuple_push pushes a tuple of the msgpack array data (checked by the
 * caller). fmt_ref is the registry reference of the format table
 * (name -> fieldno, [0] = list of names), or 0 for none.
 */
void
sp_tuple_push(lua_State *L, const char *data, size_t len, uint64_t ident, int fmt_ref)
{
	struct sp_globals *g = sp_globals(L);
	struct sp_tuple *t = lua_newuserdata(L, sizeof(*t) + len);
	t->ident = ident;
	t->len = (uint32_t)len;
	const char *p = data;
	int64_t n = sp_mp_arraylen(&p);
	t->count = n < 0 ? 0 : (uint32_t)n;
	memcpy(t->data, data, len);
	lua_rawgeti(L, LUA_REGISTRYINDEX, g->tuple_mt_ref);
	lua_setmetatable(L, -2);
	if (fmt_ref > 0) {
		lua_rawgeti(L, LUA_REGISTRYINDEX, fmt_ref);
		lua_setfenv(L, -2);
	}
}

static struct sp_tuple *
sp_totuple(lua_State *L, int idx)
{
	struct sp_globals *g = sp_globals(L);
	if (g->tuple_mt == NULL || lua_type(L, idx) != LUA_TUSERDATA)
		return NULL;
	if (!lua_getmetatable(L, idx))
		return NULL;
	int ok = lua_topointer(L, -1) == g->tuple_mt;
	lua_pop(L, 1);
	return ok ? lua_touserdata(L, idx) : NULL;
}

const char *
sp_tuple_data(lua_State *L, int idx, size_t *len)
{
	struct sp_tuple *t = sp_totuple(L, idx);
	if (t == NULL)
		return NULL;
	*len = t->len;
	return t->data;
}

uint64_t
sp_tuple_ident(lua_State *L, int idx)
{
	struct sp_tuple *t = sp_totuple(L, idx);
	return t ? t->ident : 0;
}

static struct sp_tuple *
sp_checktuple(lua_State *L, int idx, const char *usage)
{
	struct sp_tuple *t = sp_totuple(L, idx);
	if (t == NULL)
		luaL_error(L, "Usage: %s", usage);
	return t;
}

/* sp_tuple_field returns 0-based field i, or NULL. */
static const char *
sp_tuple_field(struct sp_tuple *t, uint32_t i)
{
	if (i >= t->count)
		return NULL;
	const char *p = t->data;
	sp_mp_arraylen(&p);
	while (i-- > 0)
		p = sp_mp_next(p);
	return p;
}

static void
sp_push_field(lua_State *L, const char *p)
{
	sp_mp_decode(L, sp_globals(L)->mp_cfg, &p);
}

/* Field names: the environment table maps names to 1-based numbers. */
static int
sp_tuple_fieldno(lua_State *L, int idx, int key)
{
	lua_getfenv(L, idx);
	if (!lua_istable(L, -1)) {
		lua_pop(L, 1);
		return 0;
	}
	lua_pushvalue(L, key);
	lua_rawget(L, -2);
	int no = lua_isnumber(L, -1) ? (int)lua_tonumber(L, -1) : 0;
	lua_pop(L, 2);
	return no;
}

/* sp_map_find returns the value of string key k in the map at p, or NULL. */
static const char *
sp_map_find(const char *p, const char *k, size_t klen)
{
	const uint8_t *u = (const uint8_t *)p;
	uint32_t n;
	if (u[0] >= 0x80 && u[0] <= 0x8f) {
		n = u[0] & 0x0f;
		p += 1;
	} else if (u[0] == 0xde) {
		n = (u[1] << 8) | u[2];
		p += 3;
	} else if (u[0] == 0xdf) {
		n = ((uint32_t)u[1] << 24) | ((uint32_t)u[2] << 16) | (u[3] << 8) | u[4];
		p += 5;
	} else {
		return NULL;
	}
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *kp = (const uint8_t *)p;
		const char *ks = NULL;
		uint32_t kl = 0;
		if (kp[0] >= 0xa0 && kp[0] <= 0xbf) {
			kl = kp[0] & 0x1f;
			ks = p + 1;
		} else if (kp[0] == 0xd9) {
			kl = kp[1];
			ks = p + 2;
		} else if (kp[0] == 0xda) {
			kl = (kp[1] << 8) | kp[2];
			ks = p + 3;
		} else if (kp[0] == 0xdb) {
			kl = ((uint32_t)kp[1] << 24) | ((uint32_t)kp[2] << 16) | (kp[3] << 8) | kp[4];
			ks = p + 5;
		}
		p = sp_mp_next(p);
		if (ks != NULL && kl == klen && memcmp(ks, k, klen) == 0)
			return p;
		p = sp_mp_next(p);
	}
	return NULL;
}

/*
 * sp_path_step follows one JSON path step (".name", "[N]", "['name']" or
 * "[\"name\"]") from the value at p, advancing *path. NULL when the step
 * is malformed or leads nowhere.
 */
static const char *
sp_path_step(const char *p, const char **path, const char *end)
{
	const char *s = *path;
	if (s >= end)
		return NULL;
	if (*s == '.') {
		const char *k = ++s;
		while (s < end && *s != '.' && *s != '[')
			s++;
		if (s == k)
			return NULL;
		*path = s;
		return sp_map_find(p, k, (size_t)(s - k));
	}
	if (*s != '[')
		return NULL;
	s++;
	if (s < end && (*s == '"' || *s == '\'')) {
		char q = *s++;
		const char *k = s;
		while (s < end && *s != q)
			s++;
		if (s + 1 >= end || s[1] != ']')
			return NULL;
		*path = s + 2;
		return sp_map_find(p, k, (size_t)(s - k));
	}
	uint64_t idx = 0;
	const char *d = s;
	while (s < end && *s >= '0' && *s <= '9' && idx < 4294967296ULL)
		idx = idx * 10 + (uint64_t)(*s++ - '0');
	if (s == d || s >= end || *s != ']' || idx == 0)
		return NULL;
	*path = s + 1;
	int64_t n = sp_mp_arraylen(&p);
	if (n < 0 || idx > (uint64_t)n)
		return NULL;
	for (uint64_t i = 1; i < idx; i++)
		p = sp_mp_next(p);
	return p;
}

/* sp_tuple_by_path resolves a field name or JSON path; NULL if absent. */
static const char *
sp_tuple_by_path(lua_State *L, struct sp_tuple *t, int tidx, int kidx)
{
	size_t len;
	const char *path = lua_tolstring(L, kidx, &len);
	const char *end = path + len;
	if (len == 0)
		return NULL;
	/* A whole name first: formats may name fields with dots. */
	int no = sp_tuple_fieldno(L, tidx, kidx);
	if (no > 0)
		return sp_tuple_field(t, (uint32_t)(no - 1));
	const char *s = path;
	const char *field;
	if (*s == '[') {
		s++;
		if (s < end && *s >= '0' && *s <= '9') {
			uint64_t idx = 0;
			while (s < end && *s >= '0' && *s <= '9' && idx < 4294967296ULL)
				idx = idx * 10 + (uint64_t)(*s++ - '0');
			if (s >= end || *s != ']' || idx == 0 || idx > 4294967295ULL)
				return NULL;
			s++;
			field = sp_tuple_field(t, (uint32_t)(idx - 1));
		} else if (s < end && (*s == '"' || *s == '\'')) {
			char q = *s++;
			const char *k = s;
			while (s < end && *s != q)
				s++;
			if (s + 1 >= end || s[1] != ']')
				return NULL;
			lua_pushlstring(L, k, (size_t)(s - k));
			no = sp_tuple_fieldno(L, tidx, lua_gettop(L));
			lua_pop(L, 1);
			s += 2;
			if (no <= 0)
				return NULL;
			field = sp_tuple_field(t, (uint32_t)(no - 1));
		} else {
			return NULL;
		}
	} else {
		const char *k = s;
		while (s < end && *s != '.' && *s != '[')
			s++;
		if (s == end)
			return NULL;
		lua_pushlstring(L, k, (size_t)(s - k));
		no = sp_tuple_fieldno(L, tidx, lua_gettop(L));
		lua_pop(L, 1);
		if (no <= 0)
			return NULL;
		field = sp_tuple_field(t, (uint32_t)(no - 1));
	}
	while (field != NULL && s < end)
		field = sp_path_step(field, &s, end);
	return field;
}

/* __index(tuple, key): upvalue 1 is the methods table. */
int
sp_tuple_index(lua_State *L)
{
	struct sp_tuple *t = sp_checktuple(L, 1, "tuple[key]");
	switch (lua_type(L, 2)) {
	case LUA_TNUMBER: {
		double d = lua_tonumber(L, 2);
		if (d < 1 || d > 4294967295.0 || d != (double)(uint32_t)d)
			return 0;
		const char *f = sp_tuple_field(t, (uint32_t)d - 1);
		if (f == NULL)
			return 0;
		sp_push_field(L, f);
		return 1;
	}
	case LUA_TSTRING: {
		const char *f = sp_tuple_by_path(L, t, 1, 2);
		if (f != NULL) {
			sp_push_field(L, f);
			if (!lua_isnil(L, -1))
				return 1;
			lua_pop(L, 1);
		}
		break;
	}
	}
	lua_pushvalue(L, 2);
	lua_rawget(L, lua_upvalueindex(1));
	return 1;
}

int
sp_tuple_len(lua_State *L)
{
	struct sp_tuple *t = sp_checktuple(L, 1, "#tuple");
	lua_pushnumber(L, t->count);
	return 1;
}

int
sp_tuple_eq(lua_State *L)
{
	struct sp_tuple *a = sp_totuple(L, 1), *b = sp_totuple(L, 2);
	lua_pushboolean(L, a != NULL && b != NULL &&
			   (a == b || (a->ident != 0 && a->ident == b->ident)));
	return 1;
}

int
sp_tuple_bsize(lua_State *L)
{
	struct sp_tuple *t = sp_checktuple(L, 1, "tuple:bsize()");
	lua_pushnumber(L, t->len);
	return 1;
}

/* totable(tuple, from, to) as 2.6's tuple_totable. */
static int
sp_tuple_range(lua_State *L, struct sp_tuple *t, const char *what, uint32_t *from, uint32_t *to)
{
	uint32_t i = 1, j = 4294967295u;
	if (!lua_isnoneornil(L, 2)) {
		double d = luaL_checknumber(L, 2);
		/* 2.6 raises these in builtin/box/tuple.lua, whose
		 * position the message carries wherever it is called from. */
		if (d < 1) {
			lua_pushfstring(L, "builtin/box/tuple.lua:178: tuple.%s: invalid second argument", what);
			lua_error(L);
		}
		i = d > 4294967295.0 ? 4294967295u : (uint32_t)d;
	}
	if (!lua_isnoneornil(L, 3)) {
		double d = luaL_checknumber(L, 3);
		if (d <= 0) {
			lua_pushfstring(L, "builtin/box/tuple.lua:187: tuple.%s: invalid third argument", what);
			lua_error(L);
		}
		j = d > 4294967295.0 ? 4294967295u : (uint32_t)d;
	}
	if (j > t->count)
		j = t->count;
	*from = i;
	*to = j;
	return i <= j ? (int)(j - i + 1) : 0;
}

int
sp_tuple_totable(lua_State *L)
{
	struct sp_tuple *t = sp_checktuple(L, 1, "tuple:totable([from[, to]])");
	uint32_t i, j;
	int n = sp_tuple_range(L, t, "totable", &i, &j);
	lua_createtable(L, n, 0);
	if (n > 0) {
		const char *p = sp_tuple_field(t, i - 1);
		for (int k = 0; k < n; k++) {
			sp_push_field(L, p);
			lua_rawseti(L, -2, k + 1);
			p = sp_mp_next(p);
		}
	}
	lua_rawgeti(L, LUA_REGISTRYINDEX, sp_globals(L)->array_mt_ref);
	lua_setmetatable(L, -2);
	return 1;
}

int
sp_tuple_unpack(lua_State *L)
{
	struct sp_tuple *t = sp_checktuple(L, 1, "tuple:unpack([from[, to]])");
	uint32_t i, j;
	int n = sp_tuple_range(L, t, "totable", &i, &j);
	if (n <= 0)
		return 0;
	luaL_checkstack(L, n, "too many results to unpack");
	const char *p = sp_tuple_field(t, i - 1);
	for (int k = 0; k < n; k++) {
		sp_push_field(L, p);
		p = sp_mp_next(p);
	}
	return n;
}

/* tomap(tuple, opts): names from the format, plus numbers unless
 * opts.names_only. Upvalue 1 is the format's name list (fieldno -> name)
 * taken from the environment's [0] slot. */
int
sp_tuple_tomap(lua_State *L)
{
	struct sp_tuple *t = sp_checktuple(L, 1, "tuple:tomap(opts)");
	int names_only = 0;
	if (lua_istable(L, 2)) {
		lua_getfield(L, 2, "names_only");
		names_only = lua_toboolean(L, -1);
		lua_pop(L, 1);
	}
	lua_getfenv(L, 1);
	int env = lua_gettop(L);
	int names = 0;
	if (lua_istable(L, env)) {
		lua_rawgeti(L, env, 0);
		if (lua_istable(L, -1))
			names = lua_gettop(L);
		else
			lua_pop(L, 1);
	}
	lua_createtable(L, names_only ? 0 : (int)t->count, 4);
	int res = lua_gettop(L);
	const char *p = t->data;
	sp_mp_arraylen(&p);
	for (uint32_t i = 0; i < t->count; i++) {
		sp_push_field(L, p);
		p = sp_mp_next(p);
		if (names) {
			lua_rawgeti(L, names, (int)i + 1);
			if (!lua_isnil(L, -1)) {
				lua_pushvalue(L, -2);
				lua_rawset(L, res);
			} else {
				lua_pop(L, 1);
			}
		}
		if (!names_only)
			lua_rawseti(L, res, (int)i + 1);
		else
			lua_pop(L, 1);
	}
	return 1;
}

/* next(tuple, pos) -> pos + 1, field */
int
sp_tuple_next(lua_State *L)
{
	struct sp_tuple *t = sp_checktuple(L, 1, "tuple:next(tuple[, pos])");
	/* 2.6 passes pos to box_tuple_field through ffi, whose conversion
	 * to an unsigned int refuses what is not a number. */
	double pos = 0;
	uint64_t u = 0;
	int64_t i = 0;
	int sign;
	if (lua_type(L, 2) == LUA_TNUMBER) {
		pos = lua_tonumber(L, 2);
	} else if (lua_type(L, 2) == SP_TCDATA && (sign = sp_tointeger(L, 2, &u, &i)) != 0) {
		/* Beyond every field: negative, or past UINT32_MAX. */
		pos = sign < 0 || u > 4294967295u ? -1 : (double)u;
	} else if (!lua_isnoneornil(L, 2)) {
		lua_pushfstring(L, "builtin/box/tuple.lua:157: bad argument #2 to 'box_tuple_field' "
				"(cannot convert '%s' to 'unsigned int')", luaL_typename(L, 2));
		lua_error(L);
	}
	if (pos < 0 || pos >= t->count) {
		lua_pushnil(L);
		return 1;
	}
	const char *f = sp_tuple_field(t, (uint32_t)pos);
	if (f == NULL) {
		lua_pushnil(L);
		return 1;
	}
	lua_pushnumber(L, pos + 1);
	sp_push_field(L, f);
	return 2;
}

int
sp_tuple_is(lua_State *L)
{
	lua_pushboolean(L, sp_totuple(L, 1) != NULL);
	return 1;
}

/* sp_tuple_new_f: box.tuple.new(...) body, the encoding of its
 * arguments, used by luabox: returns the tuple data via the buffer. */
int
sp_tuple_count(lua_State *L, int idx)
{
	struct sp_tuple *t = sp_totuple(L, idx);
	return t ? (int)t->count : -1;
}
