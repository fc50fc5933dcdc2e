// Package luafun embeds luafun, the functional programming library
// Tarantool ships as require('fun'). fun.lua is the exact source that
// Debian's tarantool 2.6.0 package embeds in /usr/bin/tarantool,
// unmodified; LICENSE is its licence as that package's copyright file
// states it.
package luafun

import _ "embed"

// Source is fun.lua.
//
//go:embed fun.lua
var Source string
