package lua

/*
#include "sp.h"
*/
import "C"

// JSONModule is the loader of require('json'), written in C (json.c):
// Tarantool 2.6's lua-cjson with encode, decode, new, cfg, NULL, null,
// array_mt and map_mt. The module has a configuration of its own.
var JSONModule = CFunction(C.sp_json_module)
