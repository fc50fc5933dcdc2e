/*
 * errobj.c: the C memory behind box.error objects. Lua sees an error as
 * cdata pointing at a struct laid out as Tarantool 2.6's struct error
 * (src/lib/core/diag.h), so that ffi.istype('struct error', e) holds and
 * ffi code reading its fields (_errmsg, _file, _line, _type.name) reads
 * what 2.6 would show. The Go error it mirrors stays the source of truth;
 * this block is a copy of its immutable fields, freed when the last Lua
 * reference to it is collected (refs).
 */
#include <stdlib.h>
#include <string.h>
#include "sp.h"

/* 2.6's struct method_info is 80 bytes; a list of methods ends with an
 * entry whose name is NULL. Every class here lists none. */
static const char sp_no_methods[128];

static const struct sp_type_info sp_t_exception = {"Exception", NULL, sp_no_methods};
static const struct sp_type_info sp_t_client = {"ClientError", &sp_t_exception, sp_no_methods};
static const struct sp_type_info sp_t_system = {"SystemError", &sp_t_exception, sp_no_methods};
static const struct sp_type_info sp_t_xlog = {"XlogError", &sp_t_exception, sp_no_methods};

/* The classes of 2.6 (src/lib/core/exception.cc, src/box/error.cc). */
static const struct sp_type_info sp_types[] = {
	{"AccessDeniedError", &sp_t_client, sp_no_methods},
	{"CustomError", &sp_t_client, sp_no_methods},
	{"LoggedError", &sp_t_client, sp_no_methods},
	{"XlogGapError", &sp_t_xlog, sp_no_methods},
	{"SocketError", &sp_t_system, sp_no_methods},
	{"OutOfMemory", &sp_t_system, sp_no_methods},
	{"TimedOut", &sp_t_system, sp_no_methods},
	{"ChannelIsClosed", &sp_t_exception, sp_no_methods},
	{"FiberIsCancelled", &sp_t_exception, sp_no_methods},
	{"LuajitError", &sp_t_exception, sp_no_methods},
	{"IllegalParams", &sp_t_exception, sp_no_methods},
	{"CollationError", &sp_t_exception, sp_no_methods},
	{"SwimError", &sp_t_exception, sp_no_methods},
	{"CryptoError", &sp_t_exception, sp_no_methods},
};

static const struct sp_type_info *
sp_error_type(const char *name, size_t len)
{
	static const struct sp_type_info *roots[] = {
		&sp_t_exception, &sp_t_client, &sp_t_system, &sp_t_xlog,
	};
	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		if (strlen(roots[i]->name) == len && memcmp(roots[i]->name, name, len) == 0)
			return roots[i];
	}
	for (size_t i = 0; i < sizeof(sp_types) / sizeof(sp_types[0]); i++) {
		if (strlen(sp_types[i].name) == len && memcmp(sp_types[i].name, name, len) == 0)
			return &sp_types[i];
	}
	/* A class 2.6 does not have: its errors are client errors. */
	return &sp_t_client;
}

static void
sp_copy(char *dst, size_t cap, const char *src, size_t len)
{
	if (len > cap - 1)
		len = cap - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

uintptr_t
sp_error_new(const char *cls, size_t cls_len, const char *file, size_t file_len,
	     unsigned line, int saved_errno, const char *msg, size_t msg_len)
{
	struct sp_error *e = calloc(1, sizeof(*e));
	if (e == NULL)
		return 0;
	e->type = sp_error_type(cls, cls_len);
	e->saved_errno = saved_errno;
	sp_copy(e->file, sizeof(e->file), file, file_len);
	e->line = file_len > 0 ? line : 0;
	sp_copy(e->errmsg, sizeof(e->errmsg), msg, msg_len);
	return (uintptr_t)e;
}

void
sp_error_ref(uintptr_t p)
{
	((struct sp_error *)p)->refs++;
}

int
sp_error_unref(uintptr_t p)
{
	struct sp_error *e = (struct sp_error *)p;
	if (--e->refs > 0)
		return 0;
	free(e);
	return 1;
}

uintptr_t
sp_cdata_pointee(lua_State *L, int idx)
{
	if (lua_type(L, idx) != SP_TCDATA)
		return 0;
	return (uintptr_t)*(void *const *)lua_topointer(L, idx);
}

void
sp_pushaddress(lua_State *L, uintptr_t p)
{
	lua_pushlightuserdata(L, (void *)p);
}

uint32_t
sp_ctype_of(lua_State *L, int idx)
{
	if (sp_cdata_ctypeid(L, idx) != SP_CTID_CTYPEID)
		return 0;
	return *(const uint32_t *)lua_topointer(L, idx);
}

uintptr_t
sp_block_alloc(size_t size)
{
	return (uintptr_t)calloc(1, size);
}

void
sp_block_free(uintptr_t p)
{
	free((void *)p);
}
