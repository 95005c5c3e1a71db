package h2

import (
	"bytes"
	"strconv"
	"testing"
)

// FuzzHTTPFields runs arbitrary field blocks through the messaging checks.
// The input is "name\x00value" lines separated by '\n'; the first byte
// picks the category and flags. Properties: no panic; an accepted request
// has the pseudo-headers RFC 9113 Section 8.3.1 requires, checked here
// independently; every accepted name and value obeys Section 8.2.1; an
// accepted content-length parses as a decimal number.
func FuzzHTTPFields(f *testing.F) {
	f.Add([]byte("\x00:method\x00GET\n:scheme\x00https\n:authority\x00a\n:path\x00/\ncontent-length\x0012"))
	f.Add([]byte("\x01:status\x00200\ncontent-length\x000"))
	f.Add([]byte("\x00:method\x00CONNECT\n:authority\x00a:443"))
	f.Add([]byte("\x04:method\x00CONNECT\n:protocol\x00websocket\n:scheme\x00https\n:path\x00/\n:authority\x00a"))
	f.Add([]byte("\x03te\x00trailers\nx\x00y"))
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		mode := in[0]
		cat := HeadersCategory(mode % 4)
		extended := mode&4 != 0
		var st httpState
		st.reset()
		seen := map[string]string{}
		for _, line := range bytes.Split(in[1:], []byte("\n")) {
			name, value, _ := bytes.Cut(line, []byte{0})
			deliver, err := st.onField(cat, name, value, extended)
			if err != nil {
				if _, ok := err.(*codecError); !ok {
					t.Fatalf("onField returned %T", err)
				}
				return
			}
			if !checkFieldName(name) {
				t.Fatalf("accepted field name %q", name)
			}
			if name[0] != ':' && !checkFieldValue(value) {
				t.Fatalf("accepted field value %q", value)
			}
			if string(name) == "content-length" && deliver && !st.isTrailer(cat) {
				if _, err := strconv.ParseUint(string(value), 10, 63); err != nil {
					t.Fatalf("accepted content-length %q", value)
				}
			}
			seen[string(name)] = string(value)
		}
		if err := st.endHeaders(cat, true, false); err != nil {
			return
		}
		if cat == HCatRequest {
			_, auth := seen[":authority"]
			_, host := seen["host"]
			if seen[":method"] == "CONNECT" && seen[":protocol"] == "" {
				if !auth || seen[":path"] != "" || seen[":scheme"] != "" {
					t.Fatalf("accepted a CONNECT request %v", seen)
				}
			} else if seen[":method"] == "" || seen[":scheme"] == "" || seen[":path"] == "" || !auth && !host {
				t.Fatalf("accepted a request without its pseudo-headers %v", seen)
			}
		}
		if cat == HCatResponse && len(seen[":status"]) != 3 {
			t.Fatalf("accepted a response without a valid :status %v", seen)
		}
	})
}
