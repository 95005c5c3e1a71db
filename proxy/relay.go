package proxy

import (
	"github.com/ngloop/ngloop/buffers"
	"github.com/ngloop/ngloop/h2"
	"github.com/ngloop/ngloop/loop"
)

// pair is one proxied request: a stream of a client connection (front)
// and the stream of a backend connection it is relayed to (back). Body
// octets wait in two rings, each bounded by the window its sender got:
// request DATA is credited back to the client (Session.Consume) only when
// the backend session has taken it from req, and response DATA is
// credited back to the backend only when the client session has taken it
// from resp. A slow reader on either side therefore stops its sender
// after one window, and nothing grows.
//
// A pair lives until both streams closed; then it returns to its
// worker's free list.
type pair struct {
	w     *worker
	front *frontConn
	fid   int32
	fidx  int // position in front.pairs

	be   *backend
	back *backConn
	bid  int32
	bidx int // position in back.pairs

	hdr      fields // request header section, pseudo-headers first, as forwarded
	reqTr    fields // request trailers
	resHdr   fields // final response header section
	resTr    fields // response trailers
	req      *buffers.Ring
	resp     *buffers.Ring
	status   int
	excluded int // backend index a retry must avoid, -1 for none
	retries  uint8

	flags       pairFlag
	reqBody     int64 // request body octets received from the client
	respBody    int64 // response body octets handed to the client session
	start       int64 // loop.Now when the request headers completed
	upstreamAt  int64 // loop.Now when the request was submitted to a backend
	upstreamDur int64 // submit to response headers
	nextPending *pair // the backend pool's wait queue
}

type pairFlag uint16

const (
	pfReqEnd      pairFlag = 1 << iota // the client's END_STREAM arrived
	pfNoBody                           // END_STREAM came with the request headers
	pfReqDeferred                      // the backend's provider returned ErrDeferred
	pfRespFinal                        // the final response headers arrived
	pfRespSent                         // the response was submitted to the client
	pfRespEnd                          // the backend's END_STREAM arrived
	pfResDeferred                      // the client's provider returned ErrDeferred
	pfFrontClosed                      // the client stream closed
	pfBackClosed                       // the backend stream closed (or never opened)
	pfQueued                           // waiting in a backend pool's queue
	pfProbe                            // a health check request, no client
	pfLocal                            // the response was made by the proxy (502, 503)
	pfPulled                           // the backend session asked for request body: no retry
)

func (w *worker) newPair() *pair {
	var p *pair
	if n := len(w.free); n > 0 {
		p = w.free[n-1]
		w.free = w.free[:n-1]
	} else {
		p = &pair{w: w}
	}
	p.excluded = -1
	p.start = loop.Now()
	return p
}

func (w *worker) freePair(p *pair) {
	if p.req != nil {
		w.l.Pool().PutRing(p.req)
	}
	if p.resp != nil {
		w.l.Pool().PutRing(p.resp)
	}
	*p = pair{w: w, hdr: p.hdr, reqTr: p.reqTr, resHdr: p.resHdr, resTr: p.resTr}
	p.hdr.reset()
	p.reqTr.reset()
	p.resHdr.reset()
	p.resTr.reset()
	w.free = append(w.free, p)
}

// done frees p once both of its streams are closed.
func (p *pair) done() {
	if p.flags&(pfFrontClosed|pfBackClosed) == pfFrontClosed|pfBackClosed && p.flags&pfQueued == 0 {
		p.w.freePair(p)
	}
}

// creditBack gives n response octets back to the backend once the client
// session took them (RFC 9113, Section 6.9: the receiver decides when to
// open the window). After the backend stream closed, only the connection
// window is owed.
func (p *pair) creditBack(n int) {
	bc := p.back
	if n == 0 || bc == nil || bc.closed {
		return
	}
	if p.flags&pfBackClosed == 0 {
		_ = bc.s.Consume(p.bid, n)
	} else {
		_ = bc.s.ConsumeConnection(n)
	}
	bc.mark()
}

// creditFront gives n request octets back to the client once the backend
// session took them.
func (p *pair) creditFront(n int) {
	fc := p.front
	if n == 0 || fc == nil || fc.closed {
		return
	}
	if p.flags&pfFrontClosed == 0 {
		_ = fc.s.Consume(p.fid, n)
	} else {
		_ = fc.s.ConsumeConnection(n)
	}
	fc.mark()
}

// readRequestBody is the DataProvider of every backend request: it moves
// request octets from the pair's ring into the backend's DATA frame.
func readRequestBody(s *h2.Session, id int32, buf []byte, flags *h2.DataFlags) (int, error) {
	p, _ := s.GetStreamUserData(id).(*pair)
	if p == nil || p.flags&pfFrontClosed != 0 && p.req == nil {
		*flags |= h2.DataFlagEOF
		return 0, nil
	}
	p.flags |= pfPulled
	n := 0
	if p.req != nil {
		n = p.req.Read(buf)
		p.creditFront(n)
		if p.req.Len() == 0 {
			// An idle stream holds no buffer.
			p.w.l.Pool().PutRing(p.req)
			p.req = nil
		}
	}
	if p.req == nil {
		if p.flags&pfReqEnd != 0 {
			*flags |= h2.DataFlagEOF
			if len(p.reqTr.refs) > 0 {
				*flags |= h2.DataFlagNoEndStream
				nva := p.reqTr.appendNV(p.w.nva[:0])
				if err := s.SubmitTrailer(id, nva); err != nil {
					return 0, h2.ErrTemporalCallbackFailure
				}
			}
			return n, nil
		}
		if n == 0 {
			p.flags |= pfReqDeferred
			return 0, h2.ErrDeferred
		}
	}
	return n, nil
}

// readResponseBody is the DataProvider of every client response.
func readResponseBody(s *h2.Session, id int32, buf []byte, flags *h2.DataFlags) (int, error) {
	p, _ := s.GetStreamUserData(id).(*pair)
	if p == nil {
		*flags |= h2.DataFlagEOF
		return 0, nil
	}
	n := 0
	if p.resp != nil {
		n = p.resp.Read(buf)
		p.respBody += int64(n)
		p.creditBack(n)
		if p.resp.Len() == 0 {
			p.w.l.Pool().PutRing(p.resp)
			p.resp = nil
		}
	}
	if p.resp == nil {
		if p.flags&pfRespEnd != 0 {
			*flags |= h2.DataFlagEOF
			if len(p.resTr.refs) > 0 {
				*flags |= h2.DataFlagNoEndStream
				nva := p.resTr.appendNV(p.w.nva[:0])
				if err := s.SubmitTrailer(id, nva); err != nil {
					return 0, h2.ErrTemporalCallbackFailure
				}
			}
			return n, nil
		}
		if n == 0 {
			p.flags |= pfResDeferred
			return 0, h2.ErrDeferred
		}
	}
	return n, nil
}

// requestData stores request body octets from the client until the
// backend session takes them.
func (p *pair) requestData(data []byte) bool {
	var ok bool
	if p.req, ok = p.w.put(p.req, data, int(p.w.px.opt.Front.InitialWindowSize)); !ok {
		return false // more than the window we gave: the session should have refused it
	}
	p.reqBody += int64(len(data))
	p.resumeBack()
	return true
}

// responseData stores response body octets from the backend until the
// client session takes them.
func (p *pair) responseData(data []byte) bool {
	var ok bool
	if p.resp, ok = p.w.put(p.resp, data, int(p.w.px.opt.Back.InitialWindowSize)); !ok {
		return false
	}
	p.resumeFront()
	return true
}

// resumeBack wakes the backend stream's provider after new request
// octets or the request's end arrived.
func (p *pair) resumeBack() {
	if p.flags&pfReqDeferred == 0 || p.back == nil || p.flags&pfBackClosed != 0 {
		return
	}
	p.flags &^= pfReqDeferred
	_ = p.back.s.ResumeData(p.bid)
	p.back.mark()
}

// resumeFront wakes the client stream's provider.
func (p *pair) resumeFront() {
	if p.flags&pfResDeferred == 0 || p.front == nil || p.flags&pfFrontClosed != 0 {
		return
	}
	p.flags &^= pfResDeferred
	_ = p.front.s.ResumeData(p.fid)
	p.front.mark()
}

// put appends data to r, a ring from the loop's pool that starts at the
// size of what it must hold and doubles (moving its contents) up to limit,
// the window that bounds it: most bodies are small, and a window-sized
// ring per stream would make the pool miss under many streams.
func (w *worker) put(r *buffers.Ring, data []byte, limit int) (*buffers.Ring, bool) {
	pool := w.l.Pool()
	if r == nil {
		r = pool.GetRing(len(data))
	}
	if r.Free() < len(data) {
		need := r.Len() + len(data)
		if need > max(limit, buffers.MinClassSize) {
			return r, false
		}
		nr := pool.GetRing(need)
		a, b := r.Peek()
		nr.Write(a)
		nr.Write(b)
		pool.PutRing(r)
		r = nr
	}
	r.Write(data)
	return r, true
}
