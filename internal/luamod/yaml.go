package luamod

import (
	"errors"

	"github.com/spindledb/spindle/internal/lua"
)

func init() { addModule("yaml", 0, preloadYAML) }

// preloadYAML registers the yaml module: encode (lua-yaml's dumper over
// libyaml's emitter, reproduced byte for byte by yaml_dump.go and
// yaml_emit.go), decode (yaml.v3 with lua-yaml's scalar rules), new,
// cfg, NULL, array_mt, map_mt.
func preloadYAML(L lua.State, _ *Options) {
	register(L, "yaml", func(L lua.State) int {
		pushYAMLModule(L)
		return 1
	})
}

const yamlEncodeUsage = "Usage: encode(object, {tag_prefix = <string>, tag_handle = <string>})"

// newYAMLSerializer returns a serializer with 2.6's defaults and the
// hints the dumper reads.
func newYAMLSerializer() *lua.Serializer {
	s := lua.NewSerializer()
	o := s.Options()
	o.Hints = true
	s.SetOptions(o)
	return s
}

// pushYAMLModule pushes a yaml module table with a configuration of its
// own (require('yaml') and yaml.new()).
func pushYAMLModule(L lua.State) {
	m := newSerializerModule(L, newYAMLSerializer())
	L.SetFuncs(-1, map[string]lua.Function{
		"encode": m.yamlEncode,
		"decode": m.yamlDecode,
		"new": func(L lua.State) int {
			pushYAMLModule(L)
			return 1
		},
	})
}

// yamlEncode is l_dump: yaml.encode(object[, {tag_prefix, tag_handle}]).
// The second argument names one %TAG directive, never serializer
// options; a directive libyaml refuses gives nil and its problem.
func (m *serializerModule) yamlEncode(L lua.State) int {
	if L.IsNone(1) {
		raise(L, yamlEncodeUsage)
	}
	var tags []yamlTagDirective
	if !L.IsNoneOrNil(2) {
		if !L.IsTable(2) {
			raise(L, yamlEncodeUsage)
		}
		prefix, hasPrefix := yamlTagOption(L, "tag_prefix")
		handle, hasHandle := yamlTagOption(L, "tag_handle")
		if hasPrefix != hasHandle {
			raise(L, yamlEncodeUsage)
		}
		if hasPrefix {
			tags = []yamlTagDirective{{handle: handle, prefix: prefix}}
		}
	}
	out, err := yamlEncode(L, m.cfg, 1, tags, m.call)
	var emitErr *yamlEmitterError
	switch {
	case errors.As(err, &emitErr):
		L.PushNil()
		L.PushString(emitErr.problem)
		return 2
	case err != nil:
		raise(L, err.Error())
	}
	L.PushString(out)
	return 1
}

// yamlTagOption reads options[name] (lua_getfield): a string or number,
// absent when nil; any other value is a usage error.
func yamlTagOption(L lua.State, name string) (string, bool) {
	if err := L.GetField(2, name); err != nil {
		L.RaiseString(err.Error())
	}
	defer L.Pop(1)
	switch L.Type(-1) {
	case lua.TypeNil:
		return "", false
	case lua.TypeString, lua.TypeNumber:
		s, _ := L.ToString(-1)
		return s, true
	}
	raise(L, yamlEncodeUsage)
	return "", false
}

// yamlDecode is l_load: yaml.decode(document[, {tag_only = boolean}]).
func (m *serializerModule) yamlDecode(L lua.State) int {
	if !L.IsString(1) {
		raise(L, yamlDecodeUsage)
	}
	doc, _ := L.ToString(1)
	tagOnly := false
	if !L.IsNoneOrNil(2) {
		if !L.IsTable(2) {
			raise(L, yamlDecodeUsage)
		}
		if err := L.GetField(2, "tag_only"); err != nil {
			L.RaiseString(err.Error())
		}
		tagOnly = L.Type(-1) == lua.TypeBoolean && L.ToBool(-1)
		L.Pop(1)
	}
	if tagOnly {
		return yamlDecodeTag(L, doc)
	}
	return yamlDecode(L, m.cfg.Options(), doc)
}
