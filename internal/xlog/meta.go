package xlog

import (
	"bytes"
	"strings"

	"github.com/spindledb/spindle/internal/vclock"
)

// FileType is the first line of the meta header.
type FileType string

// File types.
const (
	TypeXlog  FileType = "XLOG"
	TypeSnap  FileType = "SNAP"
	TypeVylog FileType = "VYLOG"
)

// Ext returns the file name extension for t: ".xlog", ".snap", ".vylog".
func (t FileType) Ext() string { return "." + strings.ToLower(string(t)) }

// DefaultVersion is written in the Version line when Meta.Version is empty:
// Tarantool's own PACKAGE_VERSION, so files match Tarantool's byte for byte.
// Readers ignore the line.
const DefaultVersion = "2.6.0-0-g47aa4e01e"

const (
	formatV13 = "0.13"
	formatV12 = "0.12"

	// metaLenMax is XLOG_META_LEN_MAX: a meta header must end within this
	// many bytes of the start of the file.
	metaLenMax = 1024 + vclockStrLenMax
	// vclockStrLenMax is VCLOCK_STR_LEN_MAX.
	vclockStrLenMax = 1 + vclock.Max*(2+2+20+2) + 1
	uuidStrLen      = 36
)

// Meta is the text header of an .xlog/.snap file.
type Meta struct {
	Type FileType
	// Version is the writer's version string; DefaultVersion when empty on
	// write.
	Version string
	// InstanceUUID is the writer's instance UUID, canonical lowercase;
	// empty for none (no key, or the all-zero UUID).
	InstanceUUID string
	// VClock is the vclock before the first row (xlog) or of the
	// checkpoint (snap); nil when the header has no VClock line.
	VClock *vclock.VClock
	// PrevVClock is the VClock of the previous xlog in the directory; nil
	// when absent (the first xlog, and every snapshot).
	PrevVClock *vclock.VClock
	// UnknownKeys lists meta keys the parser skipped; Tarantool logs a
	// warning ("Unknown meta item") for each.
	UnknownKeys []string
}

// AppendMeta appends the text form of m, ending with the empty line, as
// xlog_meta_format writes it.
func AppendMeta(dst []byte, m *Meta) []byte {
	version := m.Version
	if version == "" {
		version = DefaultVersion
	}
	dst = append(dst, m.Type...)
	dst = append(dst, '\n')
	dst = append(dst, formatV13+"\n"...)
	dst = append(dst, "Version: "...)
	dst = append(dst, version...)
	dst = append(dst, "\nInstance: "...)
	if m.InstanceUUID == "" {
		dst = append(dst, nilUUID...) // as Tarantool formats its nil tt_uuid
	} else {
		dst = append(dst, m.InstanceUUID...)
	}
	dst = append(dst, '\n')
	if m.VClock != nil {
		dst = append(dst, "VClock: "...)
		dst = m.VClock.AppendText(dst)
		dst = append(dst, '\n')
	}
	if m.PrevVClock != nil {
		dst = append(dst, "PrevVClock: "...)
		dst = m.PrevVClock.AppendText(dst)
		dst = append(dst, '\n')
	}
	return append(dst, '\n')
}

// errMetaIncomplete means the buffer holds no "\n\n" yet.
var errMetaIncomplete = &MetaError{Reason: "Unexpected end of file, run with 'force_recovery = true'"}

// ParseMeta parses the meta header at the start of b and returns it with
// its length (including the terminating empty line). It accepts what
// xlog_meta_parse accepts: format 0.12 or 0.13, "Instance" or the 0.12
// "Server" key, any order of "key: value" lines, unknown keys (collected
// in UnknownKeys). Errors are *MetaError with Tarantool's message.
func ParseMeta(b []byte) (Meta, int, error) {
	var m Meta
	end := bytes.Index(b, []byte("\n\n"))
	if end < 0 {
		return m, 0, errMetaIncomplete
	}
	end++ // include the first '\n' so every line ends with one
	fail := func(reason string) (Meta, int, error) { return Meta{}, 0, &MetaError{Reason: reason} }
	head := b[:end]
	line := func() ([]byte, bool) {
		i := bytes.IndexByte(head, '\n')
		if i < 0 {
			return nil, false
		}
		l := head[:i]
		head = head[i+1:]
		return l, true
	}

	typ, ok := line()
	if !ok || len(typ) >= 10 { // char filetype[10]
		return fail("failed to parse xlog type string")
	}
	m.Type = FileType(typ)
	ver, ok := line()
	if !ok || len(ver) >= 10 {
		return fail("failed to parse xlog version string")
	}
	if string(ver) != formatV12 && string(ver) != formatV13 {
		return fail("unsupported file format version " + string(ver))
	}
	for len(head) > 0 {
		l, _ := line()
		colon := bytes.IndexByte(l, ':')
		if colon < 0 {
			return fail("can't extract meta value")
		}
		key := string(l[:colon])
		val := l[colon+1:]
		for len(val) > 0 && (val[0] == ' ' || val[0] == '\t') {
			val = val[1:]
		}
		switch key {
		case "Instance", "Server":
			uuid, ok := parseUUID(val)
			if !ok {
				return fail("can't parse instance UUID")
			}
			if uuid == nilUUID {
				uuid = "" // no instance, as when the key is absent
			}
			m.InstanceUUID = uuid
		case "VClock", "PrevVClock":
			if len(val) > vclockStrLenMax {
				return fail("can't parse vclock")
			}
			vc, err := vclock.Parse(string(val))
			if err != nil {
				return fail(err.Error())
			}
			if key == "VClock" {
				m.VClock = &vc
			} else {
				m.PrevVClock = &vc
			}
		case "Version":
			m.Version = string(val)
		default:
			m.UnknownKeys = append(m.UnknownKeys, key)
		}
	}
	return m, end + 1, nil
}

// nilUUID is the text of the all-zero UUID, which Tarantool writes for
// (and reads as) no instance.
const nilUUID = "00000000-0000-0000-0000-000000000000"

// parseUUID validates a 36-character UUID in 8-4-4-4-12 hex form and
// returns it in canonical lowercase.
func parseUUID(s []byte) (string, bool) {
	if len(s) != uuidStrLen {
		return "", false
	}
	out := make([]byte, uuidStrLen)
	for i, c := range s {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return "", false
			}
			out[i] = c
			continue
		}
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f':
			out[i] = c
		case c >= 'A' && c <= 'F':
			out[i] = c + 'a' - 'A'
		default:
			return "", false
		}
	}
	return string(out), true
}
