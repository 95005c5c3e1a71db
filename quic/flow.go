package quic

import "github.com/ngloop/ngloop/quic/internal/wire"

// Receive windows grow when the application consumes data quickly, so a
// fast peer is not stuck at the initial credit (the "auto-tuning" of
// quic-go and Chromium): if a window's worth of credit is given back in
// less than two round trips, the window doubles, up to
// Settings.MaxStreamWindow (per stream) and Settings.MaxWindow (per
// connection).

// maybeUpdateStreamWindow sends MAX_STREAM_DATA once half the window
// has been consumed (RFC 9000, Section 4.2: "send MAX_STREAM_DATA ...
// when the amount of data consumed crosses a threshold").
func (c *Conn) maybeUpdateStreamWindow(s *stream, ts Tstamp) {
	if s.recvFinished || s.hasFinal {
		return // RFC 9000, Section 4.2: no updates after the final size is known
	}
	if s.recvMax-s.consumed > s.recvWindow/2 && s.consumed <= s.recvMax {
		return
	}
	if w := c.grownWindow(s.recvWindow, c.settings.MaxStreamWindow, s.lastWinUpdate, ts); w > s.recvWindow {
		s.recvWindow = w
		// Keep the connection window ahead of any stream's (as quic-go
		// does), or it becomes the bottleneck.
		if cw := min(w+w/2, c.settings.MaxWindow); cw > c.flow.recvWindow {
			c.flow.recvWindow = cw
		}
	}
	s.lastWinUpdate = ts
	if m := min(s.consumed+s.recvWindow, wire.MaxVarint); m > s.recvMax {
		s.recvMax = m
		s.needMaxData = true
		c.queueCtrl(s)
	}
}

// maybeUpdateConnWindow is maybeUpdateStreamWindow for MAX_DATA.
func (c *Conn) maybeUpdateConnWindow(ts Tstamp) {
	f := &c.flow
	if f.recvMax-f.consumed > f.recvWindow/2 && f.consumed <= f.recvMax {
		return
	}
	f.recvWindow = c.grownWindow(f.recvWindow, c.settings.MaxWindow, f.lastUpdate, ts)
	f.lastUpdate = ts
	if m := min(f.consumed+f.recvWindow, wire.MaxVarint); m > f.recvMax {
		f.recvMax = m
		f.needMax = true
	}
}

// grownWindow doubles a window (up to max) when the previous update was
// less than two round trips ago: the application drains faster than the
// window lets the peer send.
func (c *Conn) grownWindow(w, max uint64, last, ts Tstamp) uint64 {
	if ts == 0 || last == 0 || Duration(ts-last) >= 2*c.rtt.Smoothed {
		return w
	}
	if n := w * 2; n <= max {
		return n
	}
	if max > w {
		return max
	}
	return w
}
