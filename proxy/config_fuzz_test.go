package proxy

import (
	"strings"
	"testing"
)

// FuzzParseConfig: any input parses or returns an error, never panics,
// and what parses yields only non-empty backend entries.
func FuzzParseConfig(f *testing.F) {
	f.Add("backend 127.0.0.1:7001\nbalance rr\n")
	f.Add("backend a:1,b:2,,c:3 # comment\nhealth-interval -1s\nhealth-path /h\n")
	f.Add("max-conns-per-backend 0\n")
	f.Fuzz(func(t *testing.T, in string) {
		var opt Options
		if err := ParseConfig(strings.NewReader(in), &opt); err != nil {
			return
		}
		for _, b := range opt.Backends {
			if b == "" || strings.ContainsAny(b, ", \t") {
				t.Fatalf("backend entry %q from %q", b, in)
			}
		}
	})
}
