package box

import (
	_ "embed"
	"fmt"

	"github.com/spindledb/spindle/internal/boxerr"
	"github.com/spindledb/spindle/internal/msgpack"
)

// bootstrapData is the content of every system space of a fresh Tarantool
// 2.6.0 instance except _schema 'cluster' and _cluster: a stream of
// msgpack arrays [space_id, tuple] in ascending space id and primary key
// order. Regenerate with `go generate` (needs tarantool 2.6.0 in PATH).
//
//go:embed bootstrap.mp
var bootstrapData []byte

// bootstrapRow is one row of bootstrapData.
type bootstrapRow struct {
	spaceID uint32
	tuple   []byte
}

// bootstrapRows decodes bootstrapData.
func bootstrapRows(data []byte) ([]bootstrapRow, error) {
	var rows []bootstrapRow
	for pos := 0; pos < len(data); {
		n, sz, err := msgpack.ReadArrayHeader(data[pos:])
		if err != nil || n != 2 {
			return nil, fmt.Errorf("box: bootstrap data: bad row at offset %d", pos)
		}
		pos += sz
		id, sz, err := msgpack.ReadUint(data[pos:])
		if err != nil || id > 0xffffffff {
			return nil, fmt.Errorf("box: bootstrap data: bad space id at offset %d", pos)
		}
		pos += sz
		sz, err = msgpack.Skip(data[pos:])
		if err != nil {
			return nil, fmt.Errorf("box: bootstrap data: bad tuple at offset %d", pos)
		}
		rows = append(rows, bootstrapRow{uint32(id), data[pos : pos+sz : pos+sz]})
		pos += sz
	}
	return rows, nil
}

// Bootstrap fills the system spaces with exactly what a fresh Tarantool
// 2.6.0 instance has, plus _schema 'cluster' = replicasetUUID and
// _cluster [selfID, InstanceUUID] when selfID != 0. Bootstrap rows are not
// sent to the Journal.
func (b *Box) Bootstrap(replicasetUUID string, selfID uint32) error {
	rows, err := bootstrapRows(bootstrapData)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := b.ApplySnapshotRow(r.spaceID, r.tuple); err != nil {
			return fmt.Errorf("box: bootstrap row of space %d: %w", r.spaceID, err)
		}
	}
	if replicasetUUID != "" {
		t := msgpack.AppendArrayHeader(nil, 2)
		t = msgpack.AppendString(t, "cluster")
		t = msgpack.AppendString(t, replicasetUUID)
		if err := b.ApplySnapshotRow(schemaSpaceID, t); err != nil {
			return err
		}
	}
	if selfID != 0 {
		if b.opts.InstanceUUID == "" {
			return boxerr.New(boxerr.ER_INVALID_UUID, "")
		}
		t := msgpack.AppendArrayHeader(nil, 2)
		t = msgpack.AppendUint(t, uint64(selfID))
		t = msgpack.AppendString(t, b.opts.InstanceUUID)
		if err := b.ApplySnapshotRow(clusterSpaceID, t); err != nil {
			return err
		}
	}
	return nil
}
