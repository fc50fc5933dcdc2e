package luabox

// openNetBox registers net.box.
func (rt *Runtime) openNetBox() {}
