package proxy

import (
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/ngloop/ngloop/loop"
)

// accessLog gathers one line per request in a loop-local buffer and hands
// it to the writer when 32 KiB gathered or each second, under a lock the
// loops share only then. Lines look like
//
//	2026-11-22T03:04:05.678Z 127.0.0.1 "GET /path" 200 0 13 127.0.0.1:7001 0.000412 0.000630
//
// time, client, method and path, status (0: no response), request and
// response body octets, backend ("none"), upstream and total seconds.
type accessLog struct {
	w     *worker
	out   io.Writer
	buf   []byte
	timer loop.Timer
}

const accessLogFlushAt = 32 << 10

// logMu serializes the writes of every loop's access log.
var logMu sync.Mutex

func (a *accessLog) init(w *worker, out io.Writer) {
	a.w, a.out = w, out
	if out == nil {
		return
	}
	a.buf = make([]byte, 0, accessLogFlushAt+1024)
	a.timer.Init(w.l, a.onTimer)
}

func (a *accessLog) add(p *pair, b *backend, class int) {
	if a.out == nil {
		return
	}
	now := loop.Now()
	buf := time.Now().UTC().AppendFormat(a.buf, "2006-01-02T15:04:05.000Z")
	buf = append(buf, ' ')
	if p.front != nil {
		buf = append(buf, p.front.xff...)
	}
	buf = append(buf, ' ', '"')
	buf = append(buf, p.hdr.get(":method")...)
	buf = append(buf, ' ')
	buf = append(buf, p.hdr.get(":path")...)
	buf = append(buf, '"', ' ')
	if class == 0 {
		buf = append(buf, '0')
	} else {
		buf = strconv.AppendInt(buf, int64(p.status), 10)
	}
	buf = append(buf, ' ')
	buf = strconv.AppendInt(buf, p.reqBody, 10)
	buf = append(buf, ' ')
	buf = strconv.AppendInt(buf, p.respBody, 10)
	buf = append(buf, ' ')
	buf = append(buf, b.addr...)
	if b.addr == "" {
		buf = append(buf, "none"...)
	}
	buf = append(buf, ' ')
	buf = strconv.AppendFloat(buf, float64(p.upstreamDur)/1e9, 'f', 6, 64)
	buf = append(buf, ' ')
	buf = strconv.AppendFloat(buf, float64(now-p.start)/1e9, 'f', 6, 64)
	buf = append(buf, '\n')
	a.buf = buf
	if len(a.buf) >= accessLogFlushAt {
		a.flush()
	} else if !a.timer.Armed() {
		a.timer.Reset(time.Second)
	}
}

func (a *accessLog) onTimer(*loop.Timer) { a.flush() }

func (a *accessLog) flush() {
	if len(a.buf) == 0 {
		return
	}
	logMu.Lock()
	_, _ = a.out.Write(a.buf)
	logMu.Unlock()
	a.buf = a.buf[:0]
}
