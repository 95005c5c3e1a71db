package proxy

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"
)

// ParseConfig reads a small configuration file into opt: one directive
// per line, "#" starts a comment.
//
//	backend 127.0.0.1:7001      # repeatable; also "backend a:1,b:2"
//	balance round-robin         # or least-outstanding
//	health-interval 2s          # negative turns checks off
//	health-timeout 1s
//	health-path /healthz
//	max-conns-per-backend 4
//
// Returns nil on success, or an error naming the line that is wrong.
func ParseConfig(r io.Reader, opt *Options) error {
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 2 {
			return fmt.Errorf("proxy: config line %d: want \"directive value\"", n)
		}
		if err := applyDirective(opt, f[0], f[1]); err != nil {
			return fmt.Errorf("proxy: config line %d: %w", n, err)
		}
	}
	return sc.Err()
}

func applyDirective(opt *Options, key, val string) error {
	switch key {
	case "backend":
		opt.Backends = append(opt.Backends, SplitBackends(val)...)
	case "balance":
		b, err := ParseBalance(val)
		if err != nil {
			return err
		}
		opt.Balance = b
	case "health-interval", "health-timeout":
		d, err := time.ParseDuration(val)
		if err != nil {
			return err
		}
		if key == "health-interval" {
			opt.HealthInterval = d
		} else {
			opt.HealthTimeout = d
		}
	case "health-path":
		opt.HealthPath = val
	case "max-conns-per-backend":
		var n int
		if _, err := fmt.Sscan(val, &n); err != nil || n <= 0 {
			return fmt.Errorf("bad max-conns-per-backend %q", val)
		}
		opt.MaxConnsPerBackend = n
	default:
		return fmt.Errorf("unknown directive %q", key)
	}
	return nil
}

// SplitBackends splits a comma-separated backend list, dropping empty
// entries.
func SplitBackends(s string) []string {
	var out []string
	for _, a := range strings.Split(s, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// ParseBalance parses "round-robin" (or "rr") and "least-outstanding"
// (or "lor").
func ParseBalance(s string) (Balance, error) {
	switch s {
	case "round-robin", "rr":
		return RoundRobin, nil
	case "least-outstanding", "lor":
		return LeastOutstanding, nil
	}
	return 0, fmt.Errorf("unknown balance %q", s)
}
