package fiber

import "runtime"

func runtimeGosched() { runtime.Gosched() }
