package h2

// Options configures a Session. The zero value (or a nil *Options) gives
// safe defaults: every limit below has one, chosen like nghttp2's, so a
// session exposed to the Internet is bounded without tuning.
type Options struct {
	// NoAutoWindowUpdate turns off automatic WINDOW_UPDATE. The
	// application then reports processed DATA with Consume,
	// ConsumeConnection or ConsumeStream (nghttp2's no_auto_window_update).
	NoAutoWindowUpdate bool
	// NoAutoPingAck turns off the automatic PING ACK; the application
	// answers with SubmitPing(FlagAck, ...).
	NoAutoPingAck bool
	// NoHTTPMessaging turns off the HTTP messaging checks of RFC 9113,
	// Section 8 (pseudo-headers, field names and values, content-length).
	NoHTTPMessaging bool
	// NoRecvClientMagic makes a server session not expect the 24-octet
	// client connection preface (for example after an h2c upgrade).
	NoRecvClientMagic bool
	// NoInitialSettings stops the session from queueing its SETTINGS
	// frame (built from the fields below) at creation; the application
	// must then call SubmitSettings before anything else, as with nghttp2.
	NoInitialSettings bool
	// EnablePush lets a client accept PUSH_PROMISE (it advertises
	// SETTINGS_ENABLE_PUSH=1). Off by default: RFC 9113, Section 8.4.
	EnablePush bool

	// MaxConcurrentStreams is advertised as SETTINGS_MAX_CONCURRENT_STREAMS
	// and enforced on streams the peer opens (REFUSED_STREAM beyond it).
	// Default 100.
	MaxConcurrentStreams uint32
	// PeerMaxConcurrentStreams is the limit assumed for streams we open
	// until the peer's SETTINGS arrives. Default 100, like nghttp2.
	PeerMaxConcurrentStreams uint32
	// InitialWindowSize is advertised as SETTINGS_INITIAL_WINDOW_SIZE.
	// Default 65535 (RFC 9113, Section 6.9.2).
	InitialWindowSize uint32
	// ConnectionWindowSize is the receive window of the connection; when
	// larger than 65535 a WINDOW_UPDATE on stream 0 follows the SETTINGS.
	// Default 65535.
	ConnectionWindowSize uint32
	// MaxFrameSize is advertised as SETTINGS_MAX_FRAME_SIZE; larger frames
	// draw FRAME_SIZE_ERROR. Default 16384.
	MaxFrameSize uint32
	// HeaderTableSize is advertised as SETTINGS_HEADER_TABLE_SIZE (the
	// decoder's dynamic table). Default 4096.
	HeaderTableSize uint32
	// MaxDeflateTableSize caps the encoder's dynamic table whatever the
	// peer allows. Default 4096.
	MaxDeflateTableSize uint32
	// MaxHeaderListSize is advertised as SETTINGS_MAX_HEADER_LIST_SIZE and
	// enforced on received header sections (name + value + 32 per field,
	// RFC 9113, Section 6.5.2); beyond it the connection ends with
	// COMPRESSION_ERROR, since decoding stops and the HPACK state is lost.
	// Default 65536.
	MaxHeaderListSize uint32
	// MaxHeaderBlockSize bounds the encoded size of one received header
	// block (HEADERS plus CONTINUATIONs); beyond it the connection ends
	// with ENHANCE_YOUR_CALM. Default 65536.
	MaxHeaderBlockSize int
	// MaxContinuations bounds the CONTINUATION frames in one header block
	// (CVE-2024-27316 and friends). Default 8, like nghttp2.
	MaxContinuations int
	// MaxSettingsEntries bounds the entries of one received SETTINGS
	// frame. Default 32, like nghttp2.
	MaxSettingsEntries int
	// MaxOutboundAck bounds the frames the peer makes us queue (SETTINGS
	// and PING ACKs, RST_STREAM answers) that are not yet sent; beyond it
	// the peer floods us. Default 1000, like nghttp2.
	MaxOutboundAck int
	// MaxOutboundQueue bounds all queued frames. Submit functions return
	// ErrNoMem beyond it. Default 10000.
	MaxOutboundQueue int
	// MaxClosedStreams is how many recently closed streams are remembered
	// to tell "closed" from "idle" (RFC 9113, Section 5.1). Default 128.
	MaxClosedStreams int
	// MaxReservedRemoteStreams bounds pushed streams waiting for their
	// response (client). Default 200.
	MaxReservedRemoteStreams int
	// StreamResetBurst and StreamResetRate form a token bucket on streams
	// reset by the peer or by us in answer to the peer; when it is empty
	// the session sends GOAWAY ENHANCE_YOUR_CALM (rapid reset,
	// CVE-2023-44487). Tokens come back at StreamResetRate per second of
	// the time passed to HandleExpiry and one per stream that completes
	// normally. Defaults 1000 and 33, like nghttp2.
	StreamResetBurst int
	StreamResetRate  int
	// SettingsFloodLimit and PingFloodLimit bound the SETTINGS and PING
	// frames the peer may send while it sends no HEADERS and no DATA: a
	// peer doing no work with us but making us answer is flooding
	// (CVE-2019-9512, CVE-2019-9515). Beyond the limit the session sends
	// GOAWAY ENHANCE_YOUR_CALM. Defaults 1000 each.
	SettingsFloodLimit int
	PingFloodLimit     int
	// MaxEmptyFrames bounds consecutive empty DATA frames without
	// END_STREAM and empty CONTINUATION frames (CVE-2019-9518).
	// Default 100.
	MaxEmptyFrames int
	// SettingsTimeout is how long, in the nanoseconds of the ts passed to
	// HandleExpiry, the peer may take to acknowledge our SETTINGS before
	// the session sends GOAWAY SETTINGS_TIMEOUT (RFC 9113, Section 6.5.3).
	// Default 10 seconds.
	SettingsTimeout uint64
	// ExtensionTypes are extension frame types handed to
	// Callbacks.OnExtensionFrame; other unknown types are ignored
	// (RFC 9113, Section 5.5).
	ExtensionTypes []FrameType
}

// The defaults for zero Options fields.
const (
	defaultMaxConcurrentStreams     = 100
	defaultWindowSize               = 65535
	defaultMaxFrameSize             = 16384
	defaultHeaderTableSize          = 4096
	defaultMaxHeaderListSize        = 65536
	defaultMaxHeaderBlockSize       = 65536
	defaultMaxContinuations         = 8
	defaultMaxSettingsEntries       = 32
	defaultMaxOutboundAck           = 1000
	defaultMaxOutboundQueue         = 10000
	defaultMaxClosedStreams         = 128
	defaultMaxReservedRemoteStreams = 200
	defaultStreamResetBurst         = 1000
	defaultStreamResetRate          = 33
	defaultMaxControlPerWindow      = 1000
	defaultMaxEmptyFrames           = 100
	defaultSettingsTimeout          = 10_000_000_000
	maxWindowSize                   = 1<<31 - 1
	minMaxFrameSize                 = 16384
	maxMaxFrameSize                 = 1<<24 - 1
)

// resolve returns a copy of o with defaults filled in, or ErrInvalidArgument
// when a value is out of the RFC's range.
func (o *Options) resolve() (Options, error) {
	var r Options
	if o != nil {
		r = *o
		r.ExtensionTypes = append([]FrameType(nil), o.ExtensionTypes...)
	}
	def32 := func(v *uint32, d uint32) {
		if *v == 0 {
			*v = d
		}
	}
	defInt := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def32(&r.MaxConcurrentStreams, defaultMaxConcurrentStreams)
	def32(&r.PeerMaxConcurrentStreams, defaultMaxConcurrentStreams)
	def32(&r.InitialWindowSize, defaultWindowSize)
	def32(&r.ConnectionWindowSize, defaultWindowSize)
	def32(&r.MaxFrameSize, defaultMaxFrameSize)
	def32(&r.MaxDeflateTableSize, defaultHeaderTableSize)
	def32(&r.MaxHeaderListSize, defaultMaxHeaderListSize)
	if o == nil || o.HeaderTableSize == 0 {
		r.HeaderTableSize = defaultHeaderTableSize
	}
	defInt(&r.MaxHeaderBlockSize, defaultMaxHeaderBlockSize)
	defInt(&r.MaxContinuations, defaultMaxContinuations)
	defInt(&r.MaxSettingsEntries, defaultMaxSettingsEntries)
	defInt(&r.MaxOutboundAck, defaultMaxOutboundAck)
	defInt(&r.MaxOutboundQueue, defaultMaxOutboundQueue)
	defInt(&r.MaxClosedStreams, defaultMaxClosedStreams)
	defInt(&r.MaxReservedRemoteStreams, defaultMaxReservedRemoteStreams)
	defInt(&r.StreamResetBurst, defaultStreamResetBurst)
	defInt(&r.StreamResetRate, defaultStreamResetRate)
	defInt(&r.SettingsFloodLimit, defaultMaxControlPerWindow)
	defInt(&r.PingFloodLimit, defaultMaxControlPerWindow)
	defInt(&r.MaxEmptyFrames, defaultMaxEmptyFrames)
	if r.SettingsTimeout == 0 {
		r.SettingsTimeout = defaultSettingsTimeout
	}
	// RFC 9113, Section 6.5.2: values above 2^31-1 for
	// SETTINGS_INITIAL_WINDOW_SIZE are a FLOW_CONTROL_ERROR, and
	// SETTINGS_MAX_FRAME_SIZE must lie between 2^14 and 2^24-1.
	if r.InitialWindowSize > maxWindowSize || r.ConnectionWindowSize > maxWindowSize {
		return r, ErrInvalidArgument
	}
	if r.MaxFrameSize < minMaxFrameSize || r.MaxFrameSize > maxMaxFrameSize {
		return r, ErrInvalidArgument
	}
	return r, nil
}
