package h2

// HTTP messaging checks on received field blocks (RFC 9113, Section 8),
// with nghttp2's semantics: pure functions over names and values, and a
// small per-stream httpState the session embeds in its stream. A violation
// makes the request or response malformed: "Malformed requests or responses
// that are detected MUST be treated as a stream error of type
// PROTOCOL_ERROR" (RFC 9113, Section 8.1.1). Each rule has its own name.

import "bytes"

var (
	errFieldName          = streamErr(ProtocolError, "http_field_name_invalid")
	errFieldNameUpper     = streamErr(ProtocolError, "http_field_name_uppercase")
	errFieldValue         = streamErr(ProtocolError, "http_field_value_invalid")
	errConnectionSpecific = streamErr(ProtocolError, "http_connection_specific_field")
	errTE                 = streamErr(ProtocolError, "http_te_not_trailers")
	errPseudoUnknown      = streamErr(ProtocolError, "http_pseudo_unknown")
	errPseudoAfterRegular = streamErr(ProtocolError, "http_pseudo_after_regular")
	errPseudoDuplicate    = streamErr(ProtocolError, "http_pseudo_duplicate")
	errPseudoInTrailers   = streamErr(ProtocolError, "http_pseudo_in_trailers")
	errPseudoValue        = streamErr(ProtocolError, "http_pseudo_value_invalid")
	errProtocolNotEnabled = streamErr(ProtocolError, "http_protocol_without_extended_connect")
	errHostDuplicate      = streamErr(ProtocolError, "http_host_duplicate")
	errContentLength      = streamErr(ProtocolError, "http_content_length_invalid")
	errContentLengthDup   = streamErr(ProtocolError, "http_content_length_duplicate")
	errContentLengthIn1xx = streamErr(ProtocolError, "http_content_length_in_1xx")
	errStatus             = streamErr(ProtocolError, "http_status_invalid")
	errRequestMissing     = streamErr(ProtocolError, "http_request_pseudo_missing")
	errConnectPseudo      = streamErr(ProtocolError, "http_connect_pseudo_invalid")
	errPathForm           = streamErr(ProtocolError, "http_path_form")
	errPushMethod         = streamErr(ProtocolError, "http_push_method_unsafe")
	errStatusMissing      = streamErr(ProtocolError, "http_status_missing")
	errTrailerNoEndStream = streamErr(ProtocolError, "http_trailers_without_end_stream")
	errDataBeforeFinal    = streamErr(ProtocolError, "http_data_before_final_response")
	errDataTooLong        = streamErr(ProtocolError, "http_data_exceeds_content_length")
	errDataTooShort       = streamErr(ProtocolError, "http_data_short_of_content_length")
)

// tchar per RFC 9110, Section 5.6.2, lowercase only: what nghttp2 accepts
// in a field name (RFC 9113, Section 8.2.1 forbids uppercase outright).
var lowerTchar = func() (t [256]bool) {
	for _, c := range []byte("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz") {
		t[c] = true
	}
	return
}()

// checkFieldName reports whether name is a valid field name as received:
// non-empty, lowercase token characters, or ':' followed by such for a
// pseudo-header. RFC 9113, Section 8.2.1: "A field name MUST NOT contain
// characters in the ranges 0x00-0x20, 0x41-0x5a, or 0x7f-0xff (all ranges
// inclusive)" and, "with the exception of pseudo-header fields", no colon.
func checkFieldName(name []byte) bool {
	if len(name) > 0 && name[0] == ':' {
		name = name[1:]
	}
	if len(name) == 0 {
		return false
	}
	for _, c := range name {
		if !lowerTchar[c] {
			return false
		}
	}
	return true
}

// checkFieldValue applies RFC 9113, Section 8.2.1: "A field value MUST NOT
// contain the zero value (ASCII NUL, 0x00), line feed (ASCII LF, 0x0a), or
// carriage return (ASCII CR, 0x0d) at any position. A field value MUST NOT
// start or end with an ASCII whitespace character (ASCII SP or HTAB, 0x20
// or 0x09)."
func checkFieldValue(value []byte) bool {
	if n := len(value); n > 0 && (isSPHT(value[0]) || isSPHT(value[n-1])) {
		return false
	}
	for _, c := range value {
		if c == 0 || c == '\n' || c == '\r' {
			return false
		}
	}
	return true
}

func isSPHT(c byte) bool { return c == ' ' || c == '\t' }

// isConnectionSpecific reports whether name is a connection-specific field.
// RFC 9113, Section 8.2.2: "An endpoint MUST NOT generate an HTTP/2
// message containing connection-specific header fields ... Any message
// containing connection-specific header fields MUST be treated as
// malformed". The list is RFC 9113's (Connection, Proxy-Connection,
// Keep-Alive, Transfer-Encoding, Upgrade).
func isConnectionSpecific(name []byte) bool {
	switch string(name) {
	case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade":
		return true
	}
	return false
}

// checkTE applies RFC 9113, Section 8.2.2: "The only exception to this is
// the TE header field, which MAY be present in an HTTP/2 request; when it
// is, it MUST NOT contain any value other than "trailers"." Compared
// without regard to case, as nghttp2 does.
func checkTE(value []byte) bool {
	return bytes.EqualFold(value, []byte("trailers"))
}

// parseContentLength parses a content-length value: one or more digits and
// nothing else (no sign, no list, no whitespace; RFC 9110, Section 8.6),
// fitting an int64. ok is false otherwise.
func parseContentLength(v []byte) (n int64, ok bool) {
	if len(v) == 0 {
		return 0, false
	}
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		if n > (1<<63-1-int64(c-'0'))/10 {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// checkToken reports whether v is a non-empty token (RFC 9110, Section
// 5.6.2) in either case: the form of a method.
func checkToken(v []byte) bool {
	if len(v) == 0 {
		return false
	}
	for _, c := range v {
		if !lowerTchar[c] && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}

// checkScheme: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) (RFC 3986,
// Section 3.1).
func checkScheme(v []byte) bool {
	if len(v) == 0 || !isAlpha(v[0]) {
		return false
	}
	for _, c := range v[1:] {
		if !isAlpha(c) && (c < '0' || c > '9') && c != '+' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

func isAlpha(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// checkVisible reports whether v is non-empty and made of visible
// characters (no controls, no space): the form of :path and :authority.
func checkVisible(v []byte) bool {
	if len(v) == 0 {
		return false
	}
	for _, c := range v {
		if c <= 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}

// httpFlags records what a stream's field blocks have shown so far.
type httpFlags uint32

const (
	hfAuthority httpFlags = 1 << iota
	hfMethod
	hfPath
	hfScheme
	hfProtocol
	hfStatus
	hfHost
	hfRegularSeen // a regular field was seen: pseudo-headers no longer allowed
	hfMethHead
	hfMethConnect
	hfMethOptions
	hfMethGetOrHead
	hfPathRegular  // :path starts with '/'
	hfPathAsterisk // :path is "*"
	hfSchemeHTTP   // :scheme is http or https
	hfExpectFinal  // a 1xx response came; the final one is still due

	hfRequestRequired = hfMethod | hfPath | hfScheme
	hfMethods         = hfMethHead | hfMethConnect | hfMethOptions | hfMethGetOrHead
)

// httpState is the per-stream state of the messaging checks. The zero
// value is not ready: call reset when the stream is created.
type httpState struct {
	flags             httpFlags
	status            int16
	contentLength     int64 // -1 when not given
	recvContentLength int64
}

// reset prepares st for a new stream.
func (st *httpState) reset() {
	*st = httpState{contentLength: -1, status: -1}
}

// recordRequestMethod notes the method of a request we send (client side),
// because the response rules depend on it: no content after HEAD, none of
// the content-length rules for CONNECT (RFC 9110, Sections 9.3.2, 9.3.6).
func (st *httpState) recordRequestMethod(nva []NV) {
	for i := range nva {
		if string(nva[i].Name) == ":method" {
			st.flags |= methodFlags(nva[i].Value)
			return
		}
	}
}

func methodFlags(m []byte) httpFlags {
	switch string(m) {
	case "HEAD":
		return hfMethHead | hfMethGetOrHead
	case "GET":
		return hfMethGetOrHead
	case "CONNECT":
		return hfMethConnect
	case "OPTIONS":
		return hfMethOptions
	}
	return 0
}

// isTrailer reports whether a HEADERS block of category cat is a trailer
// section; a HEADERS after a 1xx response is the next response instead.
func (st *httpState) isTrailer(cat HeadersCategory) bool {
	return cat == HCatHeaders && st.flags&hfExpectFinal == 0
}

// onField checks one received field of a block of category cat.
// extendedConnect says we sent SETTINGS_ENABLE_CONNECT_PROTOCOL=1 (RFC
// 8441), which alone allows :protocol. deliver is false for a valid field
// the application should not see (nghttp2 drops "content-length: 0" on a
// 204 and content-length on a 2xx answer to CONNECT).
//
// Returns nil on success, or a stream-scope *codecError with
// PROTOCOL_ERROR naming the rule the field breaks.
func (st *httpState) onField(cat HeadersCategory, name, value []byte, extendedConnect bool) (deliver bool, err error) {
	if !checkFieldName(name) {
		for _, c := range name {
			if c >= 'A' && c <= 'Z' {
				return false, errFieldNameUpper
			}
		}
		return false, errFieldName
	}
	if name[0] == ':' {
		if st.isTrailer(cat) {
			return false, errPseudoInTrailers
		}
		// RFC 9113, Section 8.3: "All pseudo-header fields MUST appear in a
		// field block before all regular field lines."
		if st.flags&hfRegularSeen != 0 {
			return false, errPseudoAfterRegular
		}
		if cat == HCatRequest {
			return true, st.onRequestPseudo(name, value, extendedConnect)
		}
		return true, st.onResponsePseudo(name, value)
	}
	st.flags |= hfRegularSeen
	if !checkFieldValue(value) {
		return false, errFieldValue
	}
	if isConnectionSpecific(name) {
		return false, errConnectionSpecific
	}
	switch string(name) {
	case "te":
		if !checkTE(value) {
			return false, errTE
		}
	case "host":
		if cat == HCatRequest {
			if st.flags&hfHost != 0 {
				return false, errHostDuplicate
			}
			st.flags |= hfHost
		}
	case "content-length":
		if st.isTrailer(cat) {
			break
		}
		return st.onContentLength(cat, value)
	}
	return true, nil
}

// onRequestPseudo: RFC 9113, Section 8.3.1. "The same pseudo-header field
// name MUST NOT appear more than once in a field block", and only the
// defined ones may appear.
func (st *httpState) onRequestPseudo(name, value []byte, extendedConnect bool) error {
	var bit httpFlags
	ok := true
	switch string(name) {
	case ":method":
		bit, ok = hfMethod, checkToken(value)
		st.flags |= methodFlags(value)
	case ":scheme":
		bit, ok = hfScheme, checkScheme(value)
		if string(value) == "http" || string(value) == "https" {
			st.flags |= hfSchemeHTTP
		}
	case ":authority":
		bit, ok = hfAuthority, checkVisible(value)
	case ":path":
		// "This pseudo-header field MUST NOT be empty for "http" or
		// "https" URIs"; nghttp2 refuses an empty :path for any scheme.
		bit, ok = hfPath, checkVisible(value)
		switch {
		case len(value) > 0 && value[0] == '/':
			st.flags |= hfPathRegular
		case string(value) == "*":
			st.flags |= hfPathAsterisk
		}
	case ":protocol":
		// RFC 8441, Section 4: only once the server sent
		// SETTINGS_ENABLE_CONNECT_PROTOCOL=1.
		if !extendedConnect {
			return errProtocolNotEnabled
		}
		bit, ok = hfProtocol, checkToken(value)
	default:
		return errPseudoUnknown
	}
	if st.flags&bit != 0 {
		return errPseudoDuplicate
	}
	st.flags |= bit
	if !ok {
		return errPseudoValue
	}
	return nil
}

// onResponsePseudo: RFC 9113, Section 8.3.2: a response has :status and no
// other pseudo-header.
func (st *httpState) onResponsePseudo(name, value []byte) error {
	if string(name) != ":status" {
		return errPseudoUnknown
	}
	if st.flags&hfStatus != 0 {
		return errPseudoDuplicate
	}
	st.flags |= hfStatus
	// RFC 9110, Section 15: a three-digit integer. RFC 9113, Section 8.6:
	// "HTTP/2 removes support for the 101 (Switching Protocols)
	// informational status code".
	if len(value) != 3 || value[0] < '1' || value[0] > '9' || value[1] < '0' || value[1] > '9' || value[2] < '0' || value[2] > '9' {
		return errStatus
	}
	st.status = int16(value[0]-'0')*100 + int16(value[1]-'0')*10 + int16(value[2]-'0')
	if st.status == 101 {
		return errStatus
	}
	return nil
}

// onContentLength: one value, digits only (RFC 9110, Section 8.6), with
// nghttp2's answers for responses that carry no content.
func (st *httpState) onContentLength(cat HeadersCategory, value []byte) (bool, error) {
	if cat != HCatRequest {
		switch {
		case st.status == 204:
			// RFC 9110, Section 8.6: "A server MUST NOT send a Content-Length
			// header field in any response with a status code of 1xx
			// (Informational) or 204 (No Content)." nghttp2 tolerates the
			// common "0" and hides it.
			if st.contentLength != -1 {
				return false, errContentLengthDup
			}
			if string(value) != "0" {
				return false, errContentLength
			}
			st.contentLength = 0
			return false, nil
		case st.status/100 == 1:
			return false, errContentLengthIn1xx
		case st.status/100 == 2 && st.flags&hfMethConnect != 0:
			// RFC 9110, Section 8.6: a 2xx to CONNECT has no content-length
			// meaning; nghttp2 drops the field.
			return false, nil
		}
	}
	if st.contentLength != -1 {
		return false, errContentLengthDup
	}
	n, ok := parseContentLength(value)
	if !ok {
		return false, errContentLength
	}
	st.contentLength = n
	return true, nil
}

// endHeaders checks a complete block of category cat once END_HEADERS has
// arrived; endStream is the END_STREAM flag of its HEADERS frame. For a
// PUSH_PROMISE pass HCatRequest and push=true.
//
// Returns nil on success, or a stream-scope *codecError with
// PROTOCOL_ERROR naming the missing or inconsistent part.
func (st *httpState) endHeaders(cat HeadersCategory, endStream, push bool) error {
	if st.isTrailer(cat) {
		// RFC 9113, Section 8.1: a trailer section ends the stream.
		if !endStream {
			return errTrailerNoEndStream
		}
		return nil
	}
	if cat == HCatRequest {
		return st.endRequestHeaders(push)
	}
	return st.endResponseHeaders()
}

func (st *httpState) endRequestHeaders(push bool) error {
	f := st.flags
	if f&hfMethConnect != 0 && f&hfProtocol == 0 {
		// RFC 9113, Section 8.5: "The :scheme and :path pseudo-header
		// fields MUST be omitted" and ":authority ... MUST" be present.
		if f&(hfScheme|hfPath) != 0 || f&hfAuthority == 0 {
			return errConnectPseudo
		}
		st.contentLength = -1
	} else {
		// RFC 9113, Section 8.3.1: "All HTTP/2 requests MUST include
		// exactly one valid value for the :method, :scheme, and :path
		// pseudo-header fields, unless they are CONNECT requests"; and
		// nghttp2 wants the authority, as :authority or host.
		if f&hfRequestRequired != hfRequestRequired || f&(hfAuthority|hfHost) == 0 {
			return errRequestMissing
		}
		// RFC 8441, Section 4: :protocol only with CONNECT, which then
		// carries :scheme, :path and :authority.
		if f&hfProtocol != 0 && (f&hfMethConnect == 0 || f&hfAuthority == 0) {
			return errConnectPseudo
		}
		// RFC 9113, Section 8.3.1: for http and https, :path starts with
		// '/', or is '*' for a server-wide OPTIONS request.
		if f&hfSchemeHTTP != 0 && f&hfPathRegular == 0 && (f&hfPathAsterisk == 0 || f&hfMethOptions == 0) {
			return errPathForm
		}
	}
	if push {
		// RFC 9113, Section 8.4: "Promised requests MUST be safe ... and
		// cacheable" and carry no content: GET or HEAD.
		if f&hfMethGetOrHead == 0 {
			return errPushMethod
		}
		// The stream's fields now describe the coming response: keep the
		// method, forget the request's pseudo-headers and length.
		st.flags &= hfMethods
		st.contentLength = -1
	}
	return nil
}

func (st *httpState) endResponseHeaders() error {
	if st.flags&hfStatus == 0 {
		return errStatusMissing
	}
	methods := st.flags & hfMethods
	if st.status/100 == 1 {
		// An informational response: the final one is still to come, with
		// a field block of its own (RFC 9113, Section 8.1).
		st.flags = methods | hfExpectFinal
		st.contentLength = -1
		st.status = -1
		return nil
	}
	st.flags &^= hfExpectFinal
	// RFC 9110, Sections 6.4.1, 15.3.5, 15.4.5: no content after HEAD, in a
	// 204 or in a 304 whatever content-length says; a 2xx to CONNECT turns
	// the stream into a tunnel of unknown length.
	switch {
	case methods&hfMethHead != 0 || st.status == 204 || st.status == 304:
		st.contentLength = 0
	case methods&hfMethConnect != 0:
		st.contentLength = -1
	}
	return nil
}

// onData accounts n octets of DATA payload (padding excluded). RFC 9113,
// Section 8.1.1: "A request or response is also malformed if the value of
// a content-length header field does not equal the sum of the DATA frame
// payload lengths that form the content". DATA before a final response is
// malformed too (nghttp2).
func (st *httpState) onData(n int) error {
	if st.flags&hfExpectFinal != 0 {
		return errDataBeforeFinal
	}
	st.recvContentLength += int64(n)
	if st.contentLength != -1 && st.recvContentLength > st.contentLength {
		return errDataTooLong
	}
	return nil
}

// onEndStream checks the end of the peer's message (END_STREAM on DATA or
// HEADERS) against content-length.
func (st *httpState) onEndStream() error {
	if st.flags&hfExpectFinal != 0 {
		return errDataBeforeFinal
	}
	if st.contentLength != -1 && st.contentLength != st.recvContentLength {
		return errDataTooShort
	}
	return nil
}
