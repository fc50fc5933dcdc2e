package lua

/*
#include "sp.h"
*/
import "C"

// ObjectType is a kind of Go value exposed to Lua as userdata: each
// object is a userdata holding an id into the VM's object table, with the
// type's metatable. The Go value stays reachable while Lua holds the
// userdata; the metatable's __gc releases it.
type ObjectType struct {
	mtRef int
	Name  string
	// Finalize, when set, runs when Lua collects an object of the type
	// (with the baton held, inside whatever Lua call triggered the
	// collection): it may release registry references, not call Lua.
	Finalize func(L State, v any)
}

// object is an entry of the VM's object table.
type object struct {
	v any
	t *ObjectType
}

// NewObjectType creates a type whose metatable is the table on top of
// the stack (popped); its __gc is set here. name is what errors call the
// type.
func (L State) NewObjectType(name string) *ObjectType {
	L.PushCFunction(CFunction(C.sp_object_gc), 0)
	L.RawSetField(-2, "__gc")
	return &ObjectType{mtRef: L.Ref(), Name: name}
}

// PushMetatable pushes the type's metatable.
func (t *ObjectType) PushMetatable(L State) { L.PushRef(t.mtRef) }

//export spindleObjectRelease
func spindleObjectRelease(vmID, id C.uint64_t) {
	vm := vmByID(uint64(vmID))
	o, ok := vm.objects[uint64(id)]
	if !ok {
		return
	}
	delete(vm.objects, uint64(id))
	if o.t.Finalize != nil {
		o.t.Finalize(vm.main, o.v)
	}
}

// PushObject pushes a new userdata for v.
func (L State) PushObject(t *ObjectType, v any) {
	vm := L.vm
	if vm.objects == nil {
		vm.objects = make(map[uint64]object)
	}
	vm.nextObject++
	vm.objects[vm.nextObject] = object{v: v, t: t}
	C.sp_object_push(L.p, C.uint64_t(vm.id), C.uint64_t(vm.nextObject), C.int(t.mtRef))
}

// ToObject returns the Go value of an object of type t at idx.
func (L State) ToObject(idx int, t *ObjectType) (any, bool) {
	id := uint64(C.sp_object_id(L.p, C.int(idx), C.int(t.mtRef)))
	if id == 0 {
		return nil, false
	}
	o, ok := L.vm.objects[id]
	return o.v, ok
}

// CheckObject is ToObject raising luaL_checkudata's error.
func (L State) CheckObject(n int, t *ObjectType) any {
	v, ok := L.ToObject(n, t)
	if !ok {
		L.TypeError(n, t.Name)
	}
	return v
}
