package rmean

import (
	"testing"
	"time"
)

// TestRollingMean drives a counter with a fake clock: the rate is the
// mean of the last four completed seconds, the current one left out,
// and idle seconds roll the window as the timer of 2.6 would.
func TestRollingMean(t *testing.T) {
	now := time.Unix(1000, 0)
	r := newAt(func() time.Time { return now }, "A", "", "B")
	item := func(name string) Item {
		for _, it := range r.Items() {
			if it.Name == name {
				return it
			}
		}
		t.Fatalf("no item %s", name)
		return Item{}
	}
	if n := len(r.Items()); n != 2 {
		t.Fatalf("%d items, the empty name must be hidden", n)
	}
	r.Collect(0, 40)
	if it := item("A"); it.Total != 40 || it.Rps != 0 {
		t.Fatalf("within the first second: %+v", it)
	}
	now = now.Add(time.Second)
	if it := item("A"); it.Rps != 10 {
		t.Fatalf("after one second: %+v, want rps 10", it)
	}
	r.Collect(0, 8)
	now = now.Add(1500 * time.Millisecond)
	if it := item("A"); it.Rps != 12 || it.Total != 48 {
		t.Fatalf("after 2.5 s: %+v, want rps (40+8)/4", it)
	}
	now = now.Add(10 * time.Second)
	if it := item("A"); it.Rps != 0 || it.Total != 48 {
		t.Fatalf("after an idle window: %+v", it)
	}
	r.Collect(2, 3)
	r.Reset()
	if a, b := item("A"), item("B"); a.Total != 0 || b.Total != 0 {
		t.Fatalf("after reset: %+v %+v", a, b)
	}
}
