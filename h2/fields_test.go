package h2

import (
	"strings"
	"testing"
)

func TestCheckFieldName(t *testing.T) {
	for _, tt := range []struct {
		name string
		ok   bool
	}{
		{"content-type", true}, {"x-custom_1.2~", true}, {":path", true}, {"a", true},
		{"", false}, {":", false}, {"::path", false}, {"Content-Type", false}, {"x y", false},
		{"x:y", false}, {"x\x00", false}, {"x\x7f", false}, {"caf\xc3\xa9", false}, {"x\"", false},
	} {
		if got := checkFieldName([]byte(tt.name)); got != tt.ok {
			t.Errorf("checkFieldName(%q) = %v, want %v", tt.name, got, tt.ok)
		}
	}
}

func TestCheckFieldValue(t *testing.T) {
	for _, tt := range []struct {
		value string
		ok    bool
	}{
		{"", true}, {"text/html; q=0.9", true}, {"a b\tc", true}, {"caf\xc3\xa9", true}, {"\x01\x7f", true},
		{" lead", false}, {"trail ", false}, {"\tlead", false}, {"trail\t", false}, {" ", false},
		{"a\x00b", false}, {"a\nb", false}, {"a\rb", false},
	} {
		if got := checkFieldValue([]byte(tt.value)); got != tt.ok {
			t.Errorf("checkFieldValue(%q) = %v, want %v", tt.value, got, tt.ok)
		}
	}
}

func TestIsConnectionSpecific(t *testing.T) {
	for _, n := range []string{"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"} {
		if !isConnectionSpecific([]byte(n)) {
			t.Errorf("%s is connection-specific (RFC 9113, Section 8.2.2)", n)
		}
	}
	for _, n := range []string{"te", "content-length", "connections", "upgrade-insecure-requests"} {
		if isConnectionSpecific([]byte(n)) {
			t.Errorf("%s is not connection-specific", n)
		}
	}
}

func TestParseContentLength(t *testing.T) {
	for _, tt := range []struct {
		in string
		n  int64
		ok bool
	}{
		{"0", 0, true}, {"1234", 1234, true}, {"9223372036854775807", 1<<63 - 1, true}, {"007", 7, true},
		{"", 0, false}, {"9223372036854775808", 0, false}, {"+1", 0, false}, {"-1", 0, false},
		{"1,1", 0, false}, {" 1", 0, false}, {"1 ", 0, false}, {"0x10", 0, false},
	} {
		n, ok := parseContentLength([]byte(tt.in))
		if n != tt.n || ok != tt.ok {
			t.Errorf("parseContentLength(%q) = %d, %v; want %d, %v", tt.in, n, ok, tt.n, tt.ok)
		}
	}
}

// block is a field block written as "name: value" lines; a name that
// starts with ':' keeps it.
func block(lines ...string) [][2]string {
	var b [][2]string
	for _, l := range lines {
		i := strings.Index(l[1:], ":") + 1
		b = append(b, [2]string{l[:i], strings.TrimPrefix(l[i+1:], " ")})
	}
	return b
}

type blockRun struct {
	cat       HeadersCategory
	fields    [][2]string
	endStream bool
	push      bool
}

// runBlocks feeds blocks through one stream's httpState and returns the
// first error and the names of the fields not delivered.
func runBlocks(extendedConnect bool, method string, blocks ...blockRun) ([]string, error) {
	var st httpState
	st.reset()
	if method != "" {
		st.recordRequestMethod([]NV{nv(":method", method)})
	}
	var dropped []string
	for _, b := range blocks {
		for _, f := range b.fields {
			deliver, err := st.onField(b.cat, []byte(f[0]), []byte(f[1]), extendedConnect)
			if err != nil {
				return dropped, err
			}
			if !deliver {
				dropped = append(dropped, f[0])
			}
		}
		if err := st.endHeaders(b.cat, b.endStream, b.push); err != nil {
			return dropped, err
		}
	}
	return dropped, nil
}

var getReq = []string{":method: GET", ":scheme: https", ":authority: example.com", ":path: /"}

func req(extra ...string) blockRun {
	return blockRun{cat: HCatRequest, fields: block(append(append([]string{}, getReq...), extra...)...), endStream: true}
}

func TestHTTPRequestRules(t *testing.T) {
	tests := []struct {
		name string
		b    blockRun
		ext  bool
		want error
	}{
		{"valid GET", req("accept: */*", "te: trailers"), false, nil},
		{"TE trailers any case", req("te: Trailers"), false, nil},
		{"uppercase name", req("Accept: */*"), false, errFieldNameUpper},
		{"invalid name char", req("acc ept: */*"), false, errFieldName},
		{"value with leading space", blockRun{cat: HCatRequest, fields: append(block(getReq...), [2]string{"accept", " x"})}, false, errFieldValue},
		{"value with NUL", req("accept: a\x00b"), false, errFieldValue},
		{"value with CR", req("accept: a\rb"), false, errFieldValue},
		{"connection", req("connection: close"), false, errConnectionSpecific},
		{"keep-alive", req("keep-alive: 1"), false, errConnectionSpecific},
		{"proxy-connection", req("proxy-connection: x"), false, errConnectionSpecific},
		{"transfer-encoding", req("transfer-encoding: chunked"), false, errConnectionSpecific},
		{"upgrade", req("upgrade: h2c"), false, errConnectionSpecific},
		{"TE gzip", req("te: gzip"), false, errTE},
		{"unknown pseudo", req(":foo: bar"), false, errPseudoUnknown},
		{"pseudo after regular field", req("accept: x", ":foo: bar"), false, errPseudoAfterRegular},
		{"unknown pseudo first", blockRun{cat: HCatRequest, fields: block(":foo: bar")}, false, errPseudoUnknown},
		{"status in request", blockRun{cat: HCatRequest, fields: block(":status: 200")}, false, errPseudoUnknown},
		{"pseudo after regular", blockRun{cat: HCatRequest, fields: block(":method: GET", "accept: x", ":path: /")}, false, errPseudoAfterRegular},
		{"duplicate :path", blockRun{cat: HCatRequest, fields: block(":path: /", ":path: /")}, false, errPseudoDuplicate},
		{"duplicate :method", blockRun{cat: HCatRequest, fields: block(":method: GET", ":method: GET")}, false, errPseudoDuplicate},
		{"empty :path", blockRun{cat: HCatRequest, fields: block(":method: GET", ":scheme: https", ":authority: a", ":path: ")}, false, errPseudoValue},
		{"bad method", blockRun{cat: HCatRequest, fields: block(":method: G T")}, false, errPseudoValue},
		{"bad scheme", blockRun{cat: HCatRequest, fields: block(":scheme: 1http")}, false, errPseudoValue},
		{"missing :method", blockRun{cat: HCatRequest, fields: block(":scheme: https", ":authority: a", ":path: /")}, false, errRequestMissing},
		{"missing :scheme", blockRun{cat: HCatRequest, fields: block(":method: GET", ":authority: a", ":path: /")}, false, errRequestMissing},
		{"missing :path", blockRun{cat: HCatRequest, fields: block(":method: GET", ":scheme: https", ":authority: a")}, false, errRequestMissing},
		{"missing authority and host", blockRun{cat: HCatRequest, fields: block(":method: GET", ":scheme: https", ":path: /")}, false, errRequestMissing},
		{"host instead of :authority", blockRun{cat: HCatRequest, fields: block(":method: GET", ":scheme: https", ":path: /", "host: a")}, false, nil},
		{"duplicate host", blockRun{cat: HCatRequest, fields: block(":method: GET", ":scheme: https", ":path: /", "host: a", "host: b")}, false, errHostDuplicate},
		{"path without slash", blockRun{cat: HCatRequest, fields: block(":method: GET", ":scheme: https", ":authority: a", ":path: x")}, false, errPathForm},
		{"asterisk for GET", blockRun{cat: HCatRequest, fields: block(":method: GET", ":scheme: https", ":authority: a", ":path: *")}, false, errPathForm},
		{"asterisk for OPTIONS", blockRun{cat: HCatRequest, fields: block(":method: OPTIONS", ":scheme: https", ":authority: a", ":path: *")}, false, nil},
		{"non-http scheme any path", blockRun{cat: HCatRequest, fields: block(":method: GET", ":scheme: foo", ":authority: a", ":path: x")}, false, nil},
		{"CONNECT", blockRun{cat: HCatRequest, fields: block(":method: CONNECT", ":authority: a:443")}, false, nil},
		{"CONNECT with :path", blockRun{cat: HCatRequest, fields: block(":method: CONNECT", ":authority: a:443", ":path: /")}, false, errConnectPseudo},
		{"CONNECT with :scheme", blockRun{cat: HCatRequest, fields: block(":method: CONNECT", ":authority: a:443", ":scheme: https")}, false, errConnectPseudo},
		{"CONNECT without :authority", blockRun{cat: HCatRequest, fields: block(":method: CONNECT", "host: a")}, false, errConnectPseudo},
		{"extended CONNECT", blockRun{cat: HCatRequest, fields: block(":method: CONNECT", ":protocol: websocket", ":scheme: https", ":path: /chat", ":authority: a")}, true, nil},
		{":protocol not enabled", blockRun{cat: HCatRequest, fields: block(":method: CONNECT", ":protocol: websocket")}, false, errProtocolNotEnabled},
		{":protocol with GET", blockRun{cat: HCatRequest, fields: block(":method: GET", ":protocol: websocket", ":scheme: https", ":path: /", ":authority: a")}, true, errConnectPseudo},
		{"extended CONNECT without :path", blockRun{cat: HCatRequest, fields: block(":method: CONNECT", ":protocol: websocket", ":scheme: https", ":authority: a")}, true, errRequestMissing},
		{"content-length", req("content-length: 10"), false, nil},
		{"content-length twice", req("content-length: 10", "content-length: 10"), false, errContentLengthDup},
		{"content-length list", req("content-length: 10, 10"), false, errContentLength},
		{"content-length sign", req("content-length: +10"), false, errContentLength},
		{"push promise GET", blockRun{cat: HCatRequest, fields: block(getReq...), push: true}, false, nil},
		{"push promise POST", blockRun{cat: HCatRequest, fields: block(":method: POST", ":scheme: https", ":authority: a", ":path: /"), push: true}, false, errPushMethod},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := runBlocks(tt.ext, "", tt.b)
			if err != tt.want {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if ce, ok := err.(*codecError); ok && (!ce.Stream || ce.Code != ProtocolError) {
				t.Fatalf("a malformed message is a stream error of type PROTOCOL_ERROR (RFC 9113, Section 8.1.1): %+v", ce)
			}
		})
	}
}

func resp(fields ...string) blockRun { return blockRun{cat: HCatResponse, fields: block(fields...)} }
func trailers(endStream bool, fields ...string) blockRun {
	return blockRun{cat: HCatHeaders, fields: block(fields...), endStream: endStream}
}

func TestHTTPResponseRules(t *testing.T) {
	tests := []struct {
		name    string
		method  string
		blocks  []blockRun
		want    error
		dropped string
	}{
		{"200", "GET", []blockRun{resp(":status: 200", "content-length: 3")}, nil, ""},
		{"missing :status", "GET", []blockRun{resp("content-length: 3")}, errStatusMissing, ""},
		{"duplicate :status", "GET", []blockRun{resp(":status: 200", ":status: 200")}, errPseudoDuplicate, ""},
		{":path in response", "GET", []blockRun{resp(":status: 200", ":path: /")}, errPseudoUnknown, ""},
		{"status two digits", "GET", []blockRun{resp(":status: 20")}, errStatus, ""},
		{"status letters", "GET", []blockRun{resp(":status: 2x0")}, errStatus, ""},
		{"status 101", "GET", []blockRun{resp(":status: 101")}, errStatus, ""},
		{"status 099", "GET", []blockRun{resp(":status: 099")}, errStatus, ""},
		{"1xx then final", "GET", []blockRun{resp(":status: 103", "link: </a>"), trailers(false, ":status: 200")}, nil, ""},
		{"content-length in 1xx", "GET", []blockRun{resp(":status: 100", "content-length: 0")}, errContentLengthIn1xx, ""},
		{"204 with content-length 0 dropped", "GET", []blockRun{resp(":status: 204", "content-length: 0")}, nil, "content-length"},
		{"204 with content-length 5", "GET", []blockRun{resp(":status: 204", "content-length: 5")}, errContentLength, ""},
		{"2xx to CONNECT drops content-length", "CONNECT", []blockRun{resp(":status: 200", "content-length: 5")}, nil, "content-length"},
		{"trailers", "GET", []blockRun{resp(":status: 200"), trailers(true, "grpc-status: 0")}, nil, ""},
		{"trailers without END_STREAM", "GET", []blockRun{resp(":status: 200"), trailers(false, "grpc-status: 0")}, errTrailerNoEndStream, ""},
		{"pseudo in trailers", "GET", []blockRun{resp(":status: 200"), trailers(true, ":status: 200")}, errPseudoInTrailers, ""},
		{"connection field in trailers", "GET", []blockRun{resp(":status: 200"), trailers(true, "connection: close")}, errConnectionSpecific, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dropped, err := runBlocks(false, tt.method, tt.blocks...)
			if err != tt.want {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if got := strings.Join(dropped, ","); got != tt.dropped {
				t.Fatalf("fields held back from the application: %q, want %q", got, tt.dropped)
			}
		})
	}
}

func TestHTTPContentLengthAgainstData(t *testing.T) {
	tests := []struct {
		name    string
		method  string
		blocks  []blockRun
		data    []int
		wantErr error // from onData or onEndStream
	}{
		{"exact", "", []blockRun{req("content-length: 10")}, []int{4, 6}, nil},
		{"too much", "", []blockRun{req("content-length: 10")}, []int{4, 7}, errDataTooLong},
		{"too little", "", []blockRun{req("content-length: 10")}, []int{4, 5}, errDataTooShort},
		{"none given", "", []blockRun{req()}, []int{1 << 20}, nil},
		{"HEAD response carries no content", "HEAD", []blockRun{resp(":status: 200", "content-length: 100")}, []int{1}, errDataTooLong},
		{"HEAD response ends with no content", "HEAD", []blockRun{resp(":status: 200", "content-length: 100")}, nil, nil},
		{"304 carries no content", "GET", []blockRun{resp(":status: 304")}, []int{1}, errDataTooLong},
		{"CONNECT tunnel any length", "CONNECT", []blockRun{resp(":status: 200")}, []int{1 << 20}, nil},
		{"DATA after 1xx", "GET", []blockRun{resp(":status: 100")}, []int{1}, errDataBeforeFinal},
		{"END_STREAM after 1xx", "GET", []blockRun{resp(":status: 100")}, nil, errDataBeforeFinal},
		{"response body as declared", "GET", []blockRun{resp(":status: 200", "content-length: 3")}, []int{3}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var st httpState
			st.reset()
			st.recordRequestMethod([]NV{nv(":method", tt.method)})
			for _, b := range tt.blocks {
				for _, f := range b.fields {
					if _, err := st.onField(b.cat, []byte(f[0]), []byte(f[1]), false); err != nil {
						t.Fatal(err)
					}
				}
				if err := st.endHeaders(b.cat, false, false); err != nil {
					t.Fatal(err)
				}
			}
			var err error
			for _, n := range tt.data {
				if err = st.onData(n); err != nil {
					break
				}
			}
			if err == nil {
				err = st.onEndStream()
			}
			if err != tt.wantErr {
				t.Fatalf("got %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestHTTPChecksDoNotAllocate(t *testing.T) {
	b := req("accept: */*", "content-length: 5", "te: trailers", "user-agent: x")
	n := testing.AllocsPerRun(100, func() {
		var st httpState
		st.reset()
		for _, f := range b.fields {
			_, _ = st.onField(HCatRequest, []byte(f[0]), []byte(f[1]), false)
		}
		_ = st.endHeaders(HCatRequest, false, false)
		_ = st.onData(5)
		_ = st.onEndStream()
	})
	// The []byte conversions above are the test's own; measure them apart.
	base := testing.AllocsPerRun(100, func() {
		for _, f := range b.fields {
			_, _ = []byte(f[0]), []byte(f[1])
		}
	})
	if n != base {
		t.Fatalf("the checks must not allocate: %v allocs beyond the test's %v", n-base, base)
	}
}
