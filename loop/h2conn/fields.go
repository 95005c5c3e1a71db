package h2conn

import "github.com/ngloop/ngloop/h2"

// fieldSet keeps the header and trailer fields of one message in one
// arena, reused from message to message, so receiving fields allocates
// nothing once the arena has grown to the connection's usual size (it
// never passes the session's MaxHeaderListSize).
type fieldSet struct {
	arena     []byte
	refs      []fieldRef
	trailerAt int // refs from here on are trailer fields
}

type fieldRef struct{ nOff, nLen, vOff, vLen int32 }

func newFieldSet() fieldSet {
	return fieldSet{arena: make([]byte, 0, 512), refs: make([]fieldRef, 0, 16)}
}

// store copies a field into the arena without listing it.
func (fs *fieldSet) store(name, value []byte) fieldRef {
	ref := fieldRef{nOff: int32(len(fs.arena)), nLen: int32(len(name))}
	fs.arena = append(fs.arena, name...)
	ref.vOff, ref.vLen = int32(len(fs.arena)), int32(len(value))
	fs.arena = append(fs.arena, value...)
	return ref
}

// add stores and lists a header (trailer false) or trailer field.
func (fs *fieldSet) add(name, value []byte, trailer bool) {
	fs.refs = append(fs.refs, fs.store(name, value))
	if !trailer {
		fs.trailerAt = len(fs.refs)
	}
}

func (fs *fieldSet) name(r fieldRef) []byte {
	return fs.arena[r.nOff : r.nOff+r.nLen : r.nOff+r.nLen]
}

func (fs *fieldSet) value(r fieldRef) []byte {
	return fs.arena[r.vOff : r.vOff+r.vLen : r.vOff+r.vLen]
}

func (fs *fieldSet) at(i int) (name, value []byte) {
	r := fs.refs[i]
	return fs.name(r), fs.value(r)
}

func (fs *fieldSet) find(refs []fieldRef, name string) []byte {
	for _, r := range refs {
		if string(fs.name(r)) == name {
			return fs.value(r)
		}
	}
	return nil
}

func (fs *fieldSet) header(name string) []byte  { return fs.find(fs.refs[:fs.trailerAt], name) }
func (fs *fieldSet) trailer(name string) []byte { return fs.find(fs.refs[fs.trailerAt:], name) }

func (fs *fieldSet) reset() {
	fs.arena = fs.arena[:0]
	fs.refs = fs.refs[:0]
	fs.trailerAt = 0
}

// copyFields copies nv into arena (both reused) and returns fields that
// point into it, flagged so the session does not copy them again; they
// stay valid until the next copyFields on the same buffers.
func copyFields(dst []h2.NV, arena []byte, nv []h2.NV) ([]h2.NV, []byte) {
	arena = arena[:0]
	for _, f := range nv {
		arena = append(arena, f.Name...)
		arena = append(arena, f.Value...)
	}
	dst = dst[:0]
	off := 0
	for _, f := range nv {
		n := arena[off : off+len(f.Name) : off+len(f.Name)]
		off += len(f.Name)
		v := arena[off : off+len(f.Value) : off+len(f.Value)]
		off += len(f.Value)
		dst = append(dst, h2.NV{Name: n, Value: v, Flags: f.Flags | h2.NVFlagNoCopyName | h2.NVFlagNoCopyValue})
	}
	return dst, arena
}
