package quic

import "github.com/ngloop/ngloop/quic/internal/wire"

// Stream IDs (RFC 9000, Section 2.1): the least significant bit is the
// initiator (0 client, 1 server), the second bit the direction (0 bidi,
// 1 uni).
func isUni(id int64) bool          { return id&2 != 0 }
func isServerStream(id int64) bool { return id&1 != 0 }
func (c *Conn) isLocal(id int64) bool {
	return isServerStream(id) == c.server
}

// stream is one QUIC stream's state, both directions.
type stream struct {
	id       int64
	userData any

	// send side (RFC 9000, Section 3.1)
	hasSend      bool
	send         sendBuf
	sendMax      uint64 // peer's MAX_STREAM_DATA
	blockedAt    uint64 // sendMax+1 when STREAM_DATA_BLOCKED was last queued
	needBlocked  bool
	needReset    bool // RESET_STREAM to (re)send
	resetSent    bool
	resetAcked   bool
	resetCode    uint64
	stopRecv     bool // the peer sent STOP_SENDING
	sendFinished bool // all data and FIN acknowledged, or reset acknowledged

	// receive side (RFC 9000, Section 3.2)
	hasRecv       bool
	recv          recvBuf
	recvMax       uint64 // our MAX_STREAM_DATA
	recvWindow    uint64
	consumed      uint64 // delivered to and consumed by the application
	finalSize     uint64
	hasFinal      bool
	resetRecv     bool
	recvFinished  bool // everything delivered up to the final size, or reset
	needMaxData   bool
	needStop      bool // STOP_SENDING to (re)send
	stopSent      bool
	stopCode      uint64
	lastWinUpdate Tstamp

	appErrorCode uint64 // reported in StreamClose
	inCtrl       bool   // listed in Conn.ctrlStreams
	inLost       bool   // listed in Conn.lostStreams
}

func (c *Conn) newStream(id int64) *stream {
	s := &stream{id: id}
	uni := isUni(id)
	local := c.isLocal(id)
	s.hasSend = !uni || local
	s.hasRecv = !uni || !local
	if s.hasSend && c.havePeer {
		s.sendMax = c.peerInitialStreamLimit(id)
	}
	if s.hasRecv {
		s.recvMax = c.localInitialStreamLimit(id)
		s.recvWindow = s.recvMax
	}
	if !s.hasSend {
		s.sendFinished = true
	}
	if !s.hasRecv {
		s.recvFinished = true
	}
	c.streams[id] = s
	return s
}

// OpenBidiStream opens a bidirectional stream and returns its ID.
// streamData is kept as the stream's user data.
//
// Returns the ID, or one of: ErrStreamIDBlocked — the peer's
// MAX_STREAMS does not allow another stream (a STREAMS_BLOCKED frame is
// queued; Callbacks.ExtendMaxLocalStreamsBidi reports new credit);
// ErrInvalidState — the connection is closing or draining; ErrNoMem —
// Settings.MaxStreams streams are alive.
func (c *Conn) OpenBidiStream(streamData any) (int64, error) {
	return c.openStream(&c.localBidi, 0, streamData, &c.needStreamsBlockedBidi)
}

// OpenUniStream opens a unidirectional stream; see OpenBidiStream.
func (c *Conn) OpenUniStream(streamData any) (int64, error) {
	return c.openStream(&c.localUni, 2, streamData, &c.needStreamsBlockedUni)
}

func (c *Conn) openStream(l *streamLimits, kind int64, data any, blocked *bool) (int64, error) {
	if c.state >= stateClosing {
		return -1, ErrInvalidState
	}
	if l.opened >= l.max {
		*blocked = true
		return -1, ErrStreamIDBlocked
	}
	if len(c.streams) >= c.settings.MaxStreams {
		return -1, ErrNoMem
	}
	id := int64(l.opened)<<2 | kind
	if c.server {
		id |= 1
	}
	l.opened++
	s := c.newStream(id)
	s.userData = data
	return id, nil
}

// SetStreamUserData replaces a stream's user data.
//
// Returns nil on success, or ErrStreamNotFound — no such stream.
func (c *Conn) SetStreamUserData(streamID int64, data any) error {
	s := c.streams[streamID]
	if s == nil {
		return ErrStreamNotFound
	}
	s.userData = data
	return nil
}

// StreamUserData returns a stream's user data, nil if there is no such stream.
func (c *Conn) StreamUserData(streamID int64) any {
	if s := c.streams[streamID]; s != nil {
		return s.userData
	}
	return nil
}

// ShutdownStream closes both directions of a stream abruptly: it sends
// RESET_STREAM (if the send side is open) and STOP_SENDING (if the
// receive side is open) with appErrorCode.
//
// Returns nil on success, or one of: ErrStreamNotFound — no such stream;
// ErrInvalidState — the connection is closing or draining;
// ErrInvalidArgument — appErrorCode is above 2^62-1.
func (c *Conn) ShutdownStream(streamID int64, appErrorCode uint64) error {
	if err := c.ShutdownStreamWrite(streamID, appErrorCode); err != nil {
		return err
	}
	return c.ShutdownStreamRead(streamID, appErrorCode)
}

// ShutdownStreamWrite resets the send side with RESET_STREAM (RFC 9000,
// Section 3.1). Unsent and unacknowledged data is dropped.
//
// Returns nil on success, or one of: ErrStreamNotFound; ErrInvalidState.
func (c *Conn) ShutdownStreamWrite(streamID int64, appErrorCode uint64) error {
	s, err := c.streamToShut(streamID, appErrorCode)
	if err != nil {
		return err
	}
	c.resetSend(s, appErrorCode)
	return nil
}

// streamToShut checks the arguments of the Shutdown calls.
func (c *Conn) streamToShut(streamID int64, appErrorCode uint64) (*stream, error) {
	if c.state >= stateClosing {
		return nil, ErrInvalidState
	}
	if appErrorCode > wire.MaxVarint {
		return nil, ErrInvalidArgument
	}
	s := c.streams[streamID]
	if s == nil {
		return nil, ErrStreamNotFound
	}
	return s, nil
}

// ShutdownStreamRead asks the peer to stop sending with STOP_SENDING
// (RFC 9000, Section 3.5). Data arriving later is discarded.
//
// Returns nil on success, or one of: ErrStreamNotFound; ErrInvalidState.
func (c *Conn) ShutdownStreamRead(streamID int64, appErrorCode uint64) error {
	s, err := c.streamToShut(streamID, appErrorCode)
	if err != nil {
		return err
	}
	if !s.hasRecv || s.recvFinished || s.stopSent || s.needStop {
		return nil
	}
	if s.hasFinal && s.recv.maxEnd() >= s.finalSize {
		return nil // everything arrived: nothing to stop
	}
	s.needStop = true
	s.stopCode = appErrorCode
	if s.appErrorCode == 0 {
		s.appErrorCode = appErrorCode
	}
	c.queueCtrl(s)
	return nil
}

// resetSend abandons the send side (RFC 9000, Section 19.4).
func (c *Conn) resetSend(s *stream, code uint64) {
	if !s.hasSend || s.sendFinished || s.resetSent || s.needReset {
		return
	}
	if s.send.fin && s.send.allAcked() {
		return
	}
	s.needReset = true
	s.resetCode = code
	if s.appErrorCode == 0 {
		s.appErrorCode = code
	}
	// The final size is what was sent; nothing more goes out.
	s.send.lost.clear()
	s.send.finLost = false
	c.queueCtrl(s)
}

func (c *Conn) queueCtrl(s *stream) {
	if !s.inCtrl {
		s.inCtrl = true
		c.ctrlStreams = append(c.ctrlStreams, s.id)
	}
}

func (c *Conn) queueLost(s *stream) {
	if !s.inLost {
		s.inLost = true
		c.lostStreams = append(c.lostStreams, s.id)
	}
}

// maybeCloseStream forgets a stream whose both sides are finished and
// extends the peer's stream credit (RFC 9000, Section 4.6).
func (c *Conn) maybeCloseStream(s *stream) error {
	if !s.sendFinished || !s.recvFinished || s.inCtrl && (s.needStop || s.needMaxData || s.needBlocked) {
		return nil
	}
	if s.needReset {
		return nil
	}
	delete(c.streams, s.id)
	s.recv.release()
	if !c.isLocal(s.id) {
		l := &c.remoteBidi
		need := &c.needMaxStreamsBidi
		if isUni(s.id) {
			l, need = &c.remoteUni, &c.needMaxStreamsUni
		}
		l.closed++
		l.max++
		// Send MAX_STREAMS once a batch of credit accumulated, so a busy
		// peer is not sent one frame per stream.
		if l.max-l.sentMax >= 1+l.sentMax/8 || l.max-l.sentMax >= 16 {
			*need = true
		}
	}
	if c.cb.StreamClose != nil {
		if err := c.cb.StreamClose(c, s.id, s.appErrorCode); err != nil {
			return cbErr(err)
		}
	}
	return nil
}

// ExtendMaxStreamOffset gives n bytes of receive credit back to the peer
// on a stream (with Settings.ManualFlowControl; otherwise it is done
// automatically and extra credit just widens the window).
//
// Returns nil on success, or one of: ErrStreamNotFound — no such stream
// or no receive side.
func (c *Conn) ExtendMaxStreamOffset(streamID int64, n uint64) error {
	s := c.streams[streamID]
	if s == nil || !s.hasRecv {
		return ErrStreamNotFound
	}
	s.consumed += min(n, wire.MaxVarint-min(s.consumed, wire.MaxVarint))
	// The ngtcp2 signature carries no timestamp; the time of the last
	// packet sent or received stands in, so window auto-tuning (which
	// compares update times with the RTT) still works for manual credit.
	c.maybeUpdateStreamWindow(s, c.lastActivity)
	return nil
}

// ExtendMaxOffset gives n bytes of connection-level receive credit back.
func (c *Conn) ExtendMaxOffset(n uint64) {
	c.flow.consumed += min(n, wire.MaxVarint-min(c.flow.consumed, wire.MaxVarint))
	c.maybeUpdateConnWindow(c.lastActivity) // see ExtendMaxStreamOffset
}

// StreamWindows returns a stream's current send limit and receive limit
// (the MAX_STREAM_DATA values of the peer and ours).
func (c *Conn) StreamWindows(streamID int64) (sendMax, recvMax uint64, err error) {
	s := c.streams[streamID]
	if s == nil {
		return 0, 0, ErrStreamNotFound
	}
	return s.sendMax, s.recvMax, nil
}

// ConnWindows returns the connection's send limit (peer's MAX_DATA) and
// receive limit (ours).
func (c *Conn) ConnWindows() (sendMax, recvMax uint64) {
	return c.flow.sendMax, c.flow.recvMax
}

// StreamCount is the number of open streams.
func (c *Conn) StreamCount() int { return len(c.streams) }
