package luamod

/*
#include <stdlib.h>
#include "title.h"
*/
import "C"

import (
	"os"
	"strings"
	"sync"
	"unsafe"

	"github.com/spindledb/spindle/internal/lua"
)

func init() { addModule("title", 0, preloadTitle) }

// procTitle is the process title as 2.6's src/title.c keeps it: four
// parts, each unset or a non-empty string, and the title made of them by
// the last update, which is also written over the process's command line
// (title.c). It is process-wide; the mutex lets the server set the status
// from other goroutines.
var procTitle = struct {
	sync.Mutex
	interpretor, script, status, custom *string
	// title is nil when the process has no title area (title_init
	// failed in Tarantool's terms): title.get() then returns nil.
	title *string
}{}

func init() {
	if C.sp_title_max() == 0 {
		return
	}
	empty := ""
	procTitle.title = &empty
	setTitlePart(&procTitle.interpretor, os.Args[0])
}

// setTitlePart sets a part as a C string: up to its first zero byte, and
// unset when that leaves it empty.
func setTitlePart(part **string, v string) {
	if i := strings.IndexByte(v, 0); i >= 0 {
		v = v[:i]
	}
	if v == "" {
		*part = nil
		return
	}
	*part = &v
}

// SetTitleScriptName, SetTitleStatus and SetTitleCustom set parts of the
// process title as Tarantool's main and box do (the script being run, the
// box status, box.cfg.custom_proc_title); "" unsets a part. UpdateTitle
// shows the result.
func SetTitleScriptName(name string) { setTitle(&procTitle.script, name) }

// SetTitleStatus sets the status part of the process title ("running",
// "loading", ...).
func SetTitleStatus(status string) { setTitle(&procTitle.status, status) }

// SetTitleCustom sets the custom part of the process title.
func SetTitleCustom(custom string) { setTitle(&procTitle.custom, custom) }

func setTitle(part **string, v string) {
	procTitle.Lock()
	defer procTitle.Unlock()
	setTitlePart(part, v)
}

// UpdateTitle composes the title from its parts and shows it.
func UpdateTitle() {
	procTitle.Lock()
	defer procTitle.Unlock()
	updateTitleLocked()
}

// titleBase is the name without the directories before it; nil for a
// name ending in '/' (title.c's my_basename).
func titleBase(name *string) *string {
	if name == nil {
		return nil
	}
	i := strings.LastIndexByte(*name, '/')
	if i < 0 {
		return name
	}
	if i == len(*name)-1 {
		return nil
	}
	b := (*name)[i+1:]
	return &b
}

// updateTitleLocked is title_update: "<interpreter> <script> <status>:
// <custom>" with the script (or interpreter) alone when the other is
// missing, the interpreter left out when the script's name begins with
// it (tarantool/tarantoolctl), status in angle brackets, and the whole
// cut to what the title area holds.
func updateTitleLocked() {
	max := int(C.sp_title_max())
	if procTitle.title == nil || max == 0 {
		return
	}
	script, interp := titleBase(procTitle.script), titleBase(procTitle.interpretor)
	part1, part2 := "tarantool", ""
	switch {
	case script == nil:
		if interp != nil {
			part1 = *interp
		}
	case interp == nil || strings.HasPrefix(*script, *interp):
		part1 = *script
	default:
		part1, part2 = *interp, *script
	}
	var b strings.Builder
	b.WriteString(part1)
	if part2 != "" {
		b.WriteString(" " + part2)
	}
	if procTitle.status != nil {
		b.WriteString(" <" + *procTitle.status + ">")
	}
	if procTitle.custom != nil {
		b.WriteString(": " + *procTitle.custom)
	}
	title := b.String()
	if len(title) > max-1 {
		title = title[:max-1]
	}
	procTitle.title = &title
	cs := C.CString(title)
	defer C.free(unsafe.Pointer(cs))
	C.sp_title_write(cs, C.size_t(len(title)))
}

// preloadTitle registers require('title'): update(kv) sets the parts
// given (interpretor_name, script_name, status, custom_title; a string
// sets custom_title) and shows the title unless kv.__defer_update; get()
// returns the title and a table of the parts.
func preloadTitle(L lua.State, _ *Options) {
	registerLua(L, "title", "title.lua", func(L lua.State) {
		L.NewTable()
		L.SetFuncs(-1, map[string]lua.Function{
			"set": func(L lua.State) int {
				name := L.CheckString(1)
				v := L.CheckString(2)
				procTitle.Lock()
				defer procTitle.Unlock()
				switch name {
				case "interpretor_name":
					setTitlePart(&procTitle.interpretor, v)
				case "script_name":
					setTitlePart(&procTitle.script, v)
				case "status":
					setTitlePart(&procTitle.status, v)
				case "custom_title":
					setTitlePart(&procTitle.custom, v)
				}
				return 0
			},
			"update": func(L lua.State) int {
				UpdateTitle()
				return 0
			},
			"get": func(L lua.State) int {
				procTitle.Lock()
				defer procTitle.Unlock()
				for _, p := range []*string{procTitle.title, procTitle.interpretor,
					procTitle.script, procTitle.status, procTitle.custom} {
					if p == nil {
						L.PushNil()
					} else {
						L.PushString(*p)
					}
				}
				return 5
			},
		})
	})
}
