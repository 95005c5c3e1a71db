package h2conn

import (
	"github.com/ngloop/ngloop/h2"
	"github.com/ngloop/ngloop/loop"
)

// The h2.Callbacks of server sessions. They are plain functions shared by
// every connection (the ServerConn is the session's user data), so a
// connection costs no closures.

func connOf(s *h2.Session) *ServerConn { return s.UserData().(*ServerConn) }

func streamOf(s *h2.Session, id int32) *Stream {
	st, _ := s.GetStreamUserData(id).(*Stream)
	return st
}

// blockStream returns the stream of the header block being received:
// the one OnBeginHeaders opened, without a table lookup per field.
func blockStream(s *h2.Session, id int32) *Stream {
	if st := connOf(s).cur; st != nil && st.id == id && st.flags&sfClosed == 0 {
		return st
	}
	return streamOf(s, id)
}

// serverSend copies a frame into the connection's output ring.
func serverSend(s *h2.Session, b []byte) (int, error) {
	sc := connOf(s)
	return writeFrame(sc.c, &sc.blocked, b)
}

// writeFrame is the Send callback of both sides. At the high-water mark
// the loop takes what fits and then the session gets h2.ErrWouldBlock;
// blocked is set, and the loop's OnWritable clears it and resumes Send.
func writeFrame(c *loop.Conn, blocked *bool, b []byte) (int, error) {
	n, err := c.Write(b)
	switch err {
	case nil:
		return n, nil
	case loop.ErrWouldBlock:
		*blocked = true
		if n > 0 {
			return n, nil
		}
		return 0, h2.ErrWouldBlock
	}
	return 0, err
}

func serverBeginHeaders(s *h2.Session, f *h2.Frame) error {
	if f.Cat != h2.HCatRequest {
		return nil
	}
	sc := connOf(s)
	st := sc.newStream(f.StreamID())
	sc.cur = st
	return s.SetStreamUserData(st.id, st)
}

func serverHeader(s *h2.Session, f *h2.Frame, name, value []byte, _ h2.NVFlag) error {
	if st := blockStream(s, f.StreamID()); st != nil {
		st.addField(name, value, f.Cat != h2.HCatRequest)
	}
	return nil
}

func serverFrameRecv(s *h2.Session, f *h2.Frame) error {
	switch f.Type() {
	case h2.FrameHeaders:
		st := blockStream(s, f.StreamID())
		if st == nil || st.flags&sfClosed != 0 {
			return nil
		}
		sc := st.sc
		if f.Cat == h2.HCatRequest {
			st.flags |= sfDelivered
			sc.srv.stats.Requests.Add(1)
			sc.srv.h.OnRequest(st)
		}
		if f.Flags().Has(h2.FlagEndStream) && st.flags&(sfEndRecv|sfClosed) == 0 {
			st.flags |= sfEndRecv
			sc.srv.h.OnEnd(st)
		}
	case h2.FrameData:
		if !f.Flags().Has(h2.FlagEndStream) {
			return nil
		}
		st := streamOf(s, f.StreamID())
		if st != nil && st.flags&(sfDelivered|sfEndRecv|sfClosed) == sfDelivered {
			st.flags |= sfEndRecv
			st.sc.srv.h.OnEnd(st)
		}
	case h2.FrameSettings:
		if sc := connOf(s); sc.upgraded != nil && !f.Flags().Has(h2.FlagAck) {
			sc.deliverUpgraded()
		}
	case h2.FramePing:
		sc := connOf(s)
		if f.Flags().Has(h2.FlagAck) && f.OpaqueData == shutdownPing && sc.shutdown == shutNotice {
			sc.finalGoaway()
		}
	}
	return nil
}

func serverDataChunk(s *h2.Session, _ h2.FrameFlags, id int32, data []byte) error {
	st := streamOf(s, id)
	if st == nil || st.flags&(sfDelivered|sfClosed) != sfDelivered {
		// Nobody reads it: credit it back at once.
		return s.Consume(id, len(data))
	}
	st.bodyRecv += int64(len(data))
	if st.flags&sfHold != 0 {
		st.held += int64(len(data))
		st.sc.srv.h.OnBody(st, data)
		return nil
	}
	st.sc.srv.h.OnBody(st, data)
	return s.Consume(id, len(data))
}

func serverStreamClose(s *h2.Session, id int32, code h2.ErrorCode) error {
	if st := streamOf(s, id); st != nil {
		st.sc.closeStream(st, code)
	}
	return nil
}

// readBody is the h2.DataProvider of every response body.
func readBody(s *h2.Session, id int32, buf []byte, flags *h2.DataFlags) (int, error) {
	return connOf(s).readBody(s, id, buf, flags)
}
