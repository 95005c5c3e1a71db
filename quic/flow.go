package quic

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
	if ts != 0 && s.lastWinUpdate != 0 && Duration(ts-s.lastWinUpdate) < 2*c.rtt.Smoothed {
		w := s.recvWindow * 2
		if w > c.settings.MaxStreamWindow {
			w = c.settings.MaxStreamWindow
		}
		if w > s.recvWindow {
			s.recvWindow = w
			// Keep the connection window ahead of any stream's (as
			// quic-go does), or it becomes the bottleneck.
			if cw := w + w/2; cw > c.flow.recvWindow {
				c.flow.recvWindow = cw
				if c.flow.recvWindow > c.settings.MaxWindow {
					c.flow.recvWindow = c.settings.MaxWindow
				}
			}
		}
	}
	s.lastWinUpdate = ts
	if m := s.consumed + s.recvWindow; m > s.recvMax {
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
	if ts != 0 && f.lastUpdate != 0 && Duration(ts-f.lastUpdate) < 2*c.rtt.Smoothed {
		w := f.recvWindow * 2
		if w > c.settings.MaxWindow {
			w = c.settings.MaxWindow
		}
		if w > f.recvWindow {
			f.recvWindow = w
		}
	}
	f.lastUpdate = ts
	if m := f.consumed + f.recvWindow; m > f.recvMax {
		f.recvMax = m
		f.needMax = true
	}
}
