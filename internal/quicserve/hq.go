package quicserve

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path"
	"strings"

	"github.com/ngloop/ngloop/loop/quicconn"
	"github.com/ngloop/ngloop/quic"
)

// hq-interop is HTTP/0.9 over QUIC as the QUIC interop runner uses it:
// the client sends "GET /path\r\n" on a bidirectional stream, the server
// answers with the file's bytes and FIN. Files come from one directory
// through os.Root, which refuses paths that leave it (".." or symlinks
// pointing out).

// maxRequestLine bounds a request; longer ones get the stream reset.
const maxRequestLine = 4096

// hqErrorCode resets a stream with a bad or unanswerable request
// (H3_REQUEST_REJECTED's value; hq-interop defines no codes of its own).
const hqErrorCode = 0x10b

type hqServer struct {
	quicconn.BaseHandler
	root *os.Root // nil: nothing is served
}

func newHQServer(dir string) (*hqServer, error) {
	if dir == "" {
		return &hqServer{}, nil
	}
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return &hqServer{root: r}, nil
}

// hqStream is one request in progress: the request line being read, then
// the file being sent.
type hqStream struct {
	req  []byte
	file *os.File
	buf  []byte
	out  []byte // read from the file, not yet queued
	// answered: the request was read (and answered or refused); the
	// state stays until the stream closes so late bytes are ignored.
	answered bool
}

func (h *hqServer) state(c *quicconn.Conn) map[int64]*hqStream {
	m, _ := c.Context().(map[int64]*hqStream)
	if m == nil {
		m = make(map[int64]*hqStream)
		c.SetContext(m)
	}
	return m
}

func (h *hqServer) OnStreamData(c *quicconn.Conn, id int64, data []byte, fin bool) {
	c.Consume(id, len(data))
	if id&2 != 0 {
		return
	}
	m := h.state(c)
	st := m[id]
	if st == nil {
		st = &hqStream{}
		m[id] = st
	}
	if st.answered {
		return // the request was read; anything after it is ignored
	}
	st.req = append(st.req, data...)
	i := bytes.IndexByte(st.req, '\n')
	switch {
	case i < 0 && len(st.req) > maxRequestLine:
		st.answered, st.req = true, nil
		_ = c.ResetStream(id, hqErrorCode)
		return
	case i < 0 && !fin:
		return
	case i < 0:
		i = len(st.req)
	}
	line := strings.TrimRight(string(st.req[:i]), "\r ")
	st.req = nil
	st.answered = true
	name, ok := strings.CutPrefix(line, "GET ")
	if !ok || h.root == nil {
		_ = c.ResetStream(id, hqErrorCode)
		return
	}
	f, size, err := h.open(name)
	if err != nil {
		_ = c.ResetStream(id, hqErrorCode)
		return
	}
	st.file = f
	// A read buffer no larger than the file (plus one byte, so the read
	// after the last one sees EOF), at most maxReadBuf: small files are
	// the common case under load.
	st.buf = make([]byte, min(size+1, maxReadBuf))
	h.send(c, id, st)
}

// maxReadBuf bounds the per-stream buffer files are read through.
const maxReadBuf = 64 << 10

// open resolves a request path inside the root and returns the file and
// its size.
func (h *hqServer) open(name string) (*os.File, int64, error) {
	name = strings.TrimSpace(name)
	if !strings.HasPrefix(name, "/") {
		return nil, 0, os.ErrNotExist
	}
	clean := path.Clean(name)[1:]
	if clean == "" || clean != name[1:] && strings.Contains(name, "..") {
		return nil, 0, os.ErrNotExist
	}
	f, err := h.root.Open(clean)
	if err != nil {
		return nil, 0, err
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, 0, os.ErrNotExist
	}
	return f, fi.Size(), nil
}

// send queues file data until the stream's queue is full or the file
// ends (then FIN).
func (h *hqServer) send(c *quicconn.Conn, id int64, st *hqStream) {
	for st.file != nil {
		if len(st.out) == 0 {
			n, err := st.file.Read(st.buf)
			st.out = st.buf[:n]
			if err != nil && !errors.Is(err, io.EOF) {
				_ = c.ResetStream(id, hqErrorCode)
				h.done(c, id)
				return
			}
			if n == 0 {
				_ = c.CloseStream(id)
				h.done(c, id)
				return
			}
		}
		n, err := c.Write(id, st.out, false)
		st.out = st.out[n:]
		if err != nil {
			if !errors.Is(err, quicconn.ErrWouldBlock) {
				h.done(c, id)
			}
			return
		}
	}
}

func (h *hqServer) OnStreamWritable(c *quicconn.Conn, id int64) {
	if st := h.state(c)[id]; st != nil {
		h.send(c, id, st)
	}
}

// done closes the stream's file; the state stays until OnStreamClose.
func (h *hqServer) done(c *quicconn.Conn, id int64) {
	if st := h.state(c)[id]; st != nil && st.file != nil {
		st.file.Close()
		st.file, st.buf, st.out = nil, nil, nil
	}
}

func (h *hqServer) OnStreamClose(c *quicconn.Conn, id int64, _ uint64) {
	h.done(c, id)
	delete(h.state(c), id)
}

func (h *hqServer) OnStreamStopSending(c *quicconn.Conn, id int64, _ uint64) { h.done(c, id) }

func (h *hqServer) OnClose(c *quicconn.Conn, _ *quic.CCErr) {
	for id := range h.state(c) {
		h.done(c, id)
	}
}
