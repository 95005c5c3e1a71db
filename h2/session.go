package h2

// Session: construction, settings bookkeeping, and the small queries
// (WantRead, WantWrite). Sending is in send.go, receiving in recv.go.

// ClientMagic is the client connection preface, RFC 9113, Section 3.4.
const ClientMagic = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

// settings are the values of the SETTINGS parameters in effect one way.
type settings struct {
	headerTableSize       uint32
	enablePush            uint32
	maxConcurrentStreams  uint32
	initialWindowSize     uint32
	maxFrameSize          uint32
	maxHeaderListSize     uint32
	enableConnectProtocol uint32
	noRFC7540Priorities   uint32
}

// initialSettings are the values RFC 9113, Section 6.5.2 prescribes until
// a SETTINGS frame says otherwise.
func initialSettings() settings {
	return settings{
		headerTableSize:      4096,
		enablePush:           1,
		maxConcurrentStreams: 1<<32 - 1,
		initialWindowSize:    defaultWindowSize,
		maxFrameSize:         defaultMaxFrameSize,
		maxHeaderListSize:    1<<32 - 1,
	}
}

// maxInflightSettings bounds SETTINGS frames we sent and the peer has not
// acknowledged; SubmitSettings returns ErrTooManyInflightSettings beyond.
const maxInflightSettings = 8

// maxSubmitSettings bounds the entries of one SubmitSettings call.
const maxSubmitSettings = 16

type inflightSettings struct {
	iv [maxSubmitSettings]SettingsEntry
	n  int
}

// goaway state bits.
const (
	goawayQueued     = 1 << iota // a GOAWAY is queued
	goawaySent                   // a GOAWAY went out
	goawayRecv                   // the peer sent GOAWAY
	goawayTermOnSend             // close the session once the GOAWAY is sent
	goawayTerminated             // the session is over (fatal error or terminate)
)

// Session is one HTTP/2 connection, client or server side. It never
// touches a socket, a clock or a goroutine: bytes come in through MemRecv,
// go out through Send (Callbacks.Send) or MemSend, and time comes in
// through HandleExpiry. A Session is not safe for concurrent use; one
// goroutine (the connection's event loop) owns it.
type Session struct {
	server bool
	cb     Callbacks
	opt    Options

	local        settings // acknowledged by the peer (or applied early)
	remote       settings // the peer's
	inflight     [maxInflightSettings]inflightSettings
	inflightHead int
	inflightN    int
	settingsDue  uint64 // deadline for the oldest unacknowledged SETTINGS; 0 if none
	settingsWait bool   // SETTINGS sent without a known time; the next HandleExpiry starts the clock
	// localMaxConcurrent is enforced as soon as it is submitted, as
	// nghttp2 does with pending_local_max_concurrent_stream.
	localMaxConcurrent uint32
	// pushEnabled is what we last advertised as SETTINGS_ENABLE_PUSH; a
	// PUSH_PROMISE is refused as soon as we said 0 (RFC 9113, 6.5.2).
	pushEnabled bool

	streams           streamTable
	streamPool        []*stream
	closed            closedRing
	nextStreamID      int32 // next stream ID we will use
	lastLocalStreamID int32 // highest stream ID we opened (sent HEADERS or PUSH_PROMISE for)
	lastRecvStreamID  int32 // highest stream ID the peer opened
	nextPushID        int32 // server: next promised stream ID
	numOutgoing       int
	numIncoming       int
	numReservedRemote int

	// Connection flow control (RFC 9113, Section 6.9.1).
	connSendWindow   int64
	connRecvWindow   int64
	connRecvConsumed int64
	connRecvLimit    int64
	connWU           *outItem // queued WINDOW_UPDATE for the connection

	goaway             uint8
	localLastStreamID  int32 // last_stream_id we sent in GOAWAY
	remoteLastStreamID int32 // last_stream_id the peer sent in GOAWAY

	// Outbound queues: control frames in order of submission, request
	// HEADERS waiting for a free stream slot, then DATA by RFC 9218
	// priority.
	ctrl       itemQueue
	syn        itemQueue
	itemPool   []*outItem
	numItems   int
	numAckWait int // peer-induced items not yet sent
	sched      scheduler
	aob        activeFrame
	wbuf       []byte
	sframe     Frame
	hdrbuf     []byte // encoded header block being sent
	dataFlags  DataFlags
	magicSent  bool

	// Receiving.
	r                recvMachine
	streamErr        StreamError
	streamErrPending bool
	paused           bool
	rframe           Frame
	settingsBuf      [defaultMaxSettingsEntries + 8]SettingsEntry

	enc hpackEncoder
	dec hpackDecoder

	// DoS accounting.
	resetTokens    int
	now            uint64 // last ts given to HandleExpiry
	tokenTs        uint64 // time up to which reset tokens were refilled
	settingsNoWork int
	pingsNoWork    int
	emptyFrames    int

	userData any
}

// NewServerSession returns a server session. It returns nil on success,
// or one of: ErrInvalidArgument — cb is nil or an option is out of the
// RFC's range.
func NewServerSession(cb *Callbacks, opt *Options) (*Session, error) {
	return newSession(true, cb, opt)
}

// NewClientSession returns a client session; the client connection
// preface goes out with the first Send or MemSend. It returns nil on
// success, or one of: ErrInvalidArgument — cb is nil or an option is out
// of the RFC's range.
func NewClientSession(cb *Callbacks, opt *Options) (*Session, error) {
	return newSession(false, cb, opt)
}

func newSession(server bool, cb *Callbacks, opt *Options) (*Session, error) {
	if cb == nil {
		return nil, ErrInvalidArgument
	}
	o, err := opt.resolve()
	if err != nil {
		return nil, err
	}
	s := &Session{
		server:             server,
		cb:                 *cb,
		opt:                o,
		local:              initialSettings(),
		remote:             initialSettings(),
		localMaxConcurrent: o.MaxConcurrentStreams,
		pushEnabled:        !server && o.EnablePush,
		// The table grows on demand; a huge limit must not allocate up front.
		streams:            newStreamTable(int(min(o.MaxConcurrentStreams, 256)) + 16),
		closed:             newClosedRing(o.MaxClosedStreams),
		connSendWindow:     defaultWindowSize,
		connRecvWindow:     defaultWindowSize,
		connRecvLimit:      defaultWindowSize,
		localLastStreamID:  maxStreamID,
		remoteLastStreamID: maxStreamID,
		resetTokens:        o.StreamResetBurst,
	}
	s.remote.maxConcurrentStreams = o.PeerMaxConcurrentStreams
	if server {
		s.nextStreamID = 2
		s.nextPushID = 2
		s.magicSent = true
		if !o.NoRecvClientMagic {
			s.r.state = rsMagic
		} else {
			s.r.state = rsFirstSettings
		}
	} else {
		s.nextStreamID = 1
		s.r.state = rsFirstSettings
	}
	// Enough for control frames; the first DATA frame grows it to its
	// final size (see prepareData).
	s.wbuf = make([]byte, 0, 512)
	s.sched.init()
	s.enc.init(o.MaxDeflateTableSize)
	s.dec.init(o.MaxHeaderListSize, s.onField)
	s.r.init(s)
	if !o.NoInitialSettings {
		iv := s.initialSettingsEntries()
		if err := s.SubmitSettings(FlagNone, iv[:]); err != nil {
			return nil, err
		}
		if o.ConnectionWindowSize > defaultWindowSize {
			if err := s.SetLocalWindowSize(FlagNone, 0, int32(o.ConnectionWindowSize)); err != nil {
				return nil, err
			}
		}
	}
	return s, nil
}

func (s *Session) initialSettingsEntries() [7]SettingsEntry {
	push := uint32(0)
	if !s.server && s.opt.EnablePush {
		push = 1
	}
	// RFC 9113, Section 8.4: a server must not send ENABLE_PUSH=1; a
	// server's 0 is allowed and says nothing.
	return [7]SettingsEntry{
		{SettingsMaxConcurrentStreams, s.opt.MaxConcurrentStreams},
		{SettingsInitialWindowSize, s.opt.InitialWindowSize},
		{SettingsMaxFrameSize, s.opt.MaxFrameSize},
		{SettingsHeaderTableSize, s.opt.HeaderTableSize},
		{SettingsMaxHeaderListSize, s.opt.MaxHeaderListSize},
		{SettingsEnablePush, push},
		// RFC 9218, Section 2.1: we use the extensible priorities.
		{SettingsNoRFC7540Priorities, 1},
	}
}

// maxStreamID is the largest stream identifier, 2^31-1.
const maxStreamID = 1<<31 - 1

// IsServer reports whether s is a server session.
func (s *Session) IsServer() bool { return s.server }

// UserData returns the value set with SetUserData.
func (s *Session) UserData() any { return s.userData }

// SetUserData attaches a value to the session for the callbacks' use.
func (s *Session) SetUserData(v any) { s.userData = v }

// WantRead reports whether the session wants to receive more data. It is
// false once the session is terminated, or once GOAWAY went both ways (or
// one way with nothing left to do) and no stream is active.
func (s *Session) WantRead() bool {
	// As nghttp2: a terminating GOAWAY stops reading once it is sent.
	if s.goaway&goawayTerminated != 0 {
		return false
	}
	if s.goaway&(goawaySent|goawayRecv) != 0 && s.streams.count == 0 {
		return false
	}
	return true
}

// WantWrite reports whether the session has something to send: queued
// frames, a partly written frame, or DATA that flow control lets out.
func (s *Session) WantWrite() bool {
	if s.goaway&goawayTerminated != 0 {
		return false
	}
	if s.aob.pending() || !s.ctrl.empty() || (!s.server && !s.magicSent) {
		return true
	}
	if !s.syn.empty() && (s.canOpenStream() || s.goaway&(goawaySent|goawayRecv) != 0) {
		// After GOAWAY, Send reports the waiting stream openers as not
		// sent.
		return true
	}
	if s.connSendWindow > 0 && s.sched.ready() {
		return true
	}
	if s.goaway&(goawaySent|goawayRecv) != 0 && s.streams.count == 0 {
		return false
	}
	return false
}

// canOpenStream reports whether a new local stream fits the peer's
// SETTINGS_MAX_CONCURRENT_STREAMS.
func (s *Session) canOpenStream() bool {
	return uint32(s.numOutgoing) < s.remote.maxConcurrentStreams
}

// LocalSetting returns the value of one of our SETTINGS in effect.
func (s *Session) LocalSetting(id SettingsID) uint32 { return s.local.get(id) }

// RemoteSetting returns the value of one of the peer's SETTINGS.
func (s *Session) RemoteSetting(id SettingsID) uint32 { return s.remote.get(id) }

func (st *settings) get(id SettingsID) uint32 {
	switch id {
	case SettingsHeaderTableSize:
		return st.headerTableSize
	case SettingsEnablePush:
		return st.enablePush
	case SettingsMaxConcurrentStreams:
		return st.maxConcurrentStreams
	case SettingsInitialWindowSize:
		return st.initialWindowSize
	case SettingsMaxFrameSize:
		return st.maxFrameSize
	case SettingsMaxHeaderListSize:
		return st.maxHeaderListSize
	case SettingsEnableConnectProtocol:
		return st.enableConnectProtocol
	case SettingsNoRFC7540Priorities:
		return st.noRFC7540Priorities
	}
	return 0
}

func (st *settings) set(e SettingsEntry) {
	switch e.ID {
	case SettingsHeaderTableSize:
		st.headerTableSize = e.Value
	case SettingsEnablePush:
		st.enablePush = e.Value
	case SettingsMaxConcurrentStreams:
		st.maxConcurrentStreams = e.Value
	case SettingsInitialWindowSize:
		st.initialWindowSize = e.Value
	case SettingsMaxFrameSize:
		st.maxFrameSize = e.Value
	case SettingsMaxHeaderListSize:
		st.maxHeaderListSize = e.Value
	case SettingsEnableConnectProtocol:
		st.enableConnectProtocol = e.Value
	case SettingsNoRFC7540Priorities:
		st.noRFC7540Priorities = e.Value
	}
}

// HandleExpiry tells the session the time (ts, in nanoseconds on any
// monotonic clock, the same one on every call). It refills the stream
// reset token bucket and checks the SETTINGS acknowledgement timeout: when
// the peer has not acknowledged our SETTINGS within
// Options.SettingsTimeout, the session queues GOAWAY SETTINGS_TIMEOUT
// (RFC 9113, Section 6.5.3) and returns a *ConnError. It returns nil
// otherwise.
func (s *Session) HandleExpiry(ts uint64) error {
	s.now = ts
	if s.tokenTs == 0 || ts < s.tokenTs {
		s.tokenTs = ts
	} else if rate := uint64(s.opt.StreamResetRate); rate > 0 {
		earned := (ts - s.tokenTs) * rate / 1_000_000_000
		if earned > 0 {
			s.resetTokens = int(min(uint64(s.opt.StreamResetBurst), uint64(s.resetTokens)+earned))
			s.tokenTs += earned * 1_000_000_000 / rate
		}
	}
	if s.settingsWait {
		s.settingsWait = false
		s.settingsDue = ts + s.opt.SettingsTimeout
	}
	return s.checkSettingsTimeout(ts)
}

func (s *Session) checkSettingsTimeout(ts uint64) error {
	if s.inflightN > 0 && s.settingsDue != 0 && ts >= s.settingsDue {
		return s.connError(SettingsTimeout, ErrProto, "settings_ack_timeout")
	}
	return nil
}

// Expiry returns when HandleExpiry should next be called (0: no timer).
func (s *Session) Expiry() uint64 {
	if s.inflightN > 0 && s.settingsDue != 0 {
		return s.settingsDue
	}
	return 0
}
