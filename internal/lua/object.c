/*
 * object.c: userdata handles of Go values (package lua, object.go).
 */
#include "sp.h"
#include "_cgo_export.h"

int
sp_object_gc(lua_State *L) {
	uint64_t *ids = lua_touserdata(L, 1);
	if (ids != NULL && ids[1] != 0) {
		spindleObjectRelease(ids[0], ids[1]);
		ids[1] = 0;
	}
	return 0;
}

uint64_t
sp_object_id(lua_State *L, int idx, int mt_ref) {
	uint64_t *ids = lua_touserdata(L, idx);
	if (ids == NULL || lua_type(L, idx) != LUA_TUSERDATA || !lua_getmetatable(L, idx))
		return 0;
	lua_rawgeti(L, LUA_REGISTRYINDEX, mt_ref);
	int same = lua_rawequal(L, -1, -2);
	lua_pop(L, 2);
	return same ? ids[1] : 0;
}

void
sp_object_push(lua_State *L, uint64_t vm, uint64_t id, int mt_ref) {
	uint64_t *ids = lua_newuserdata(L, 2 * sizeof(uint64_t));
	ids[0] = vm;
	ids[1] = id;
	lua_rawgeti(L, LUA_REGISTRYINDEX, mt_ref);
	lua_setmetatable(L, -2);
}
