package luamod

import (
	"errors"

	"github.com/spindledb/spindle/internal/gopherlua/luaconv"
	lua "github.com/yuin/gopher-lua"
)

// PreloadYAML registers the yaml module: encode (lua-yaml's dumper over
// libyaml's emitter, reproduced byte for byte by yaml_dump.go and
// yaml_emit.go), decode (yaml.v3 with Tarantool's scalar rules), new,
// cfg, NULL.
func PreloadYAML(L *lua.LState) {
	register(L, "yaml", func(L *lua.LState) int {
		L.Push(newYAMLModule(L))
		return 1
	})
}

const yamlUsage = "Usage: encode(object, {tag_prefix = <string>, tag_handle = <string>})"

func newYAMLModule(L *lua.LState) *lua.LTable {
	cfg := luaconv.DefaultConfig()
	mod := newSerializerModule(L, &cfg)
	setFuncs(L, mod, map[string]lua.LGFunction{
		"encode": func(L *lua.LState) int {
			if L.GetTop() < 1 {
				raise(L, yamlUsage)
			}
			var tags []tagDirective
			if opt := L.Get(2); opt != lua.LNil {
				t, ok := opt.(*lua.LTable)
				if !ok {
					raise(L, yamlUsage)
				}
				p, h := t.RawGetString("tag_prefix"), t.RawGetString("tag_handle")
				if (p != lua.LNil && p.Type() != lua.LTString && p.Type() != lua.LTNumber) ||
					(h != lua.LNil && h.Type() != lua.LTString && h.Type() != lua.LTNumber) ||
					(p == lua.LNil) != (h == lua.LNil) {
					raise(L, yamlUsage)
				}
				if p != lua.LNil {
					tags = []tagDirective{{handle: lua.LVAsString(h), prefix: lua.LVAsString(p)}}
				}
			}
			out, err := encodeYAML(L, &cfg, L.Get(1), tags)
			var emitErr *YAMLEmitterError
			switch {
			case errors.As(err, &emitErr):
				// lua_yaml_encode returns nil and libyaml's problem.
				L.Push(lua.LNil)
				L.Push(lua.LString(emitErr.Problem))
				return 2
			case err != nil:
				raise(L, err.Error())
			}
			L.Push(lua.LString(out))
			return 1
		},
		"decode": func(L *lua.LState) int {
			v, err := yamlDecode(L, &cfg, L.CheckString(1))
			if err != nil {
				raise(L, err.Error())
			}
			L.Push(v)
			return 1
		},
		"new": func(L *lua.LState) int {
			L.Push(newYAMLModule(L))
			return 1
		},
	})
	return mod
}
