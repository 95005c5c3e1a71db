package quicserve

import (
	"errors"

	"github.com/ngloop/ngloop/loop/quicconn"
)

// Echo echoes each bidirectional stream's bytes back on the same
// stream, FIN included. Flow control is manual: credit for received
// bytes goes back to the client only once they were queued for the echo,
// so a client that sends without reading is held to the stream and
// connection windows and the server's memory stays bounded. Use it on a
// listener with quic.Settings.ManualFlowControl (Listen sets it); the
// zero value is ready.
type Echo struct {
	quicconn.BaseHandler
	// pending holds what could not be queued yet, per stream; streams
	// that keep up never appear here.
	pending map[int64]*echoPending
}

type echoPending struct {
	buf []byte
	fin bool
}

func (h *Echo) OnStreamData(c *quicconn.Conn, id int64, data []byte, fin bool) {
	if id&2 != 0 {
		c.Consume(id, len(data)) // unidirectional: nothing to echo on
		return
	}
	if p := h.pending[id]; p != nil {
		p.buf = append(p.buf, data...)
		p.fin = p.fin || fin
		return
	}
	n, err := c.Write(id, data, fin)
	c.Consume(id, n)
	if errors.Is(err, quicconn.ErrWouldBlock) {
		if h.pending == nil {
			h.pending = make(map[int64]*echoPending)
		}
		h.pending[id] = &echoPending{buf: append([]byte(nil), data[n:]...), fin: fin}
	}
}

func (h *Echo) OnStreamWritable(c *quicconn.Conn, id int64) {
	p := h.pending[id]
	if p == nil {
		return
	}
	n, err := c.Write(id, p.buf, p.fin)
	c.Consume(id, n)
	p.buf = p.buf[n:]
	if err == nil || !errors.Is(err, quicconn.ErrWouldBlock) {
		delete(h.pending, id)
	}
}

func (h *Echo) OnStreamClose(_ *quicconn.Conn, id int64, _ uint64) {
	delete(h.pending, id)
}
