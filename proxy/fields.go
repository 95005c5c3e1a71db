package proxy

import (
	"bytes"

	"github.com/ngloop/ngloop/h2"
)

// fields holds a header section copied out of a session callback (whose
// slices live only for the call) until it is submitted on the other
// session. Names and values sit in one arena; refs index it, so growing
// the arena moves nothing that is already referenced by offset.
type fields struct {
	arena []byte
	refs  []fieldRef
}

type fieldRef struct{ off, nlen, vlen uint32 }

func (fs *fields) reset() {
	fs.arena = fs.arena[:0]
	fs.refs = fs.refs[:0]
}

func (fs *fields) add(name, value []byte) {
	off := uint32(len(fs.arena))
	fs.arena = append(fs.arena, name...)
	fs.arena = append(fs.arena, value...)
	fs.refs = append(fs.refs, fieldRef{off, uint32(len(name)), uint32(len(value))})
}

func (fs *fields) at(i int) (name, value []byte) {
	r := fs.refs[i]
	n := fs.arena[r.off : r.off+r.nlen : r.off+r.nlen]
	v := fs.arena[r.off+r.nlen : r.off+r.nlen+r.vlen : r.off+r.nlen+r.vlen]
	return n, v
}

// get returns the value of the first field named name, or nil.
func (fs *fields) get(name string) []byte {
	for i := range fs.refs {
		if n, v := fs.at(i); string(n) == name {
			return v
		}
	}
	return nil
}

// appendNV appends the fields to nva as no-copy NVs: the arena is left
// untouched until the stream closes, so the session may keep views.
func (fs *fields) appendNV(nva []h2.NV) []h2.NV {
	for i := range fs.refs {
		n, v := fs.at(i)
		nva = append(nva, h2.NV{Name: n, Value: v, Flags: h2.NVFlagNoCopyName | h2.NVFlagNoCopyValue})
	}
	return nva
}

// forwardable says whether a received field is passed on to the other
// side. RFC 9113, Section 8.2.2: "An intermediary transforming an
// HTTP/1.x message to HTTP/2 MUST remove connection-specific header
// fields as discussed in Section 7.6.1 of [HTTP], or their messages will
// be treated by other HTTP/2 endpoints as malformed." The session already
// refuses such fields from a peer (they make the message malformed); the
// filter keeps the proxy from ever forwarding one, whatever the sessions'
// options. "te" passes only as "trailers", the one value HTTP/2 allows
// (gRPC depends on it).
func forwardable(name, value []byte) bool {
	switch string(name) {
	case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade":
		return false
	case "te":
		return bytes.EqualFold(value, []byte("trailers"))
	case "http2-settings":
		// RFC 7540, Section 3.2.1: a hop-by-hop field of the h2c upgrade.
		return false
	}
	return true
}
