package wal

import (
	"fmt"
	"sync"
	"testing"

	"github.com/spindledb/spindle/internal/vfs"
	"github.com/spindledb/spindle/internal/xrow"
)

// BenchmarkWrite measures WAL throughput on the real file system: b.N
// one-row transactions from 1, 8 and 64 concurrent submitters, each
// holding a shared "baton" for Submit and waiting outside it.
func BenchmarkWrite(b *testing.B) {
	for _, mode := range []Mode{ModeNone, ModeWrite, ModeFsync} {
		for _, workers := range []int{1, 8, 64} {
			b.Run(fmt.Sprintf("%s/submitters=%d", mode, workers), func(b *testing.B) {
				fs := vfs.OS{}
				dir := b.TempDir()
				w, err := Open(fs, dir, Options{Mode: mode, InstanceUUID: testUUID, InstanceID: 1})
				if err != nil {
					b.Fatal(err)
				}
				body := replace(1).Body
				var baton sync.Mutex
				var wg sync.WaitGroup
				b.ReportAllocs()
				b.ResetTimer()
				per := b.N / workers
				for g := 0; g < workers; g++ {
					n := per
					if g == 0 {
						n += b.N % workers
					}
					wg.Add(1)
					go func() {
						defer wg.Done()
						for i := 0; i < n; i++ {
							row := &xrow.Row{Type: 3, Body: body}
							baton.Lock()
							e := w.Submit([]*xrow.Row{row})
							baton.Unlock()
							if err := e.Wait(); err != nil {
								b.Error(err)
								return
							}
						}
					}()
				}
				wg.Wait()
				b.StopTimer()
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
				w.Close()
			})
		}
	}
}
