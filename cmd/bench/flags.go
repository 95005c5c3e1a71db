package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/ngloop/ngloop/bench"
)

// options is everything the command line says.
type options struct {
	cfg bench.Config

	jsonOut  bool
	csvFile  string
	plotFile string
	progress bool
	merge    bool
	files    []string        // --merge inputs
	embedded bool            // no target: benchmark the in-process echo engine
	changed  map[string]bool // flags given on the command line, by long name
}

// errHelp is returned for -h/--help after the usage was printed.
var errHelp = pflag.ErrHelp

// parseFlags reads h2load's common flags and ours. args excludes the
// program name. Usage and errors go to stderr.
func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := pflag.NewFlagSet("bench", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.SortFlags = false
	var (
		mode           string
		duration       = durationValue{}
		warmUp         = durationValue{}
		headers        []string
		data           string
		connectTimeout = durationValue{d: bench.DefaultConnectTimeout}
		requestTimeout = durationValue{d: bench.DefaultRequestTimeout}
	)
	fs.Int64VarP(&o.cfg.Requests, "requests", "n", 1, "number of requests (split over the clients); ignored with -D")
	fs.IntVarP(&o.cfg.Clients, "clients", "c", 1, "number of concurrent clients (connections)")
	fs.IntVarP(&o.cfg.StreamsPerClient, "max-concurrent-streams", "m", 1, "requests in flight per client")
	fs.IntVarP(&o.cfg.Threads, "threads", "t", 1, "number of workers (event loops)")
	fs.VarP(&duration, "duration", "D", "measure for this long (10, 10s, 1m); overrides -n")
	fs.Var(&warmUp, "warm-up-time", "load without measuring before -D starts (needs -D)")
	fs.StringVarP(&data, "data", "d", "", "request body: a FILE to send (as h2load), or a size such as 64, 4k, 1m;\n"+
		"in the echo modes, the message echoed (default 64 bytes)")
	fs.StringArrayVarP(&headers, "header", "H", nil, `extra request header "name: value" (repeatable)`)
	fs.StringVar(&mode, "mode", "", "h2c, quic-echo, hq-interop or tcp-echo (default: h2c for URLs, tcp-echo for host:port)")
	fs.BoolVarP(&o.cfg.Insecure, "insecure", "k", false, "QUIC modes: do not verify the server's certificate (self-signed servers such as cmd/echo's);\n"+
		"the embedded default always uses it with its own self-signed certificate")
	fs.Float64Var(&o.cfg.Rate, "rate", 0, "cap on requests per second over all clients (0: none); not h2load's -r")
	fs.Var(&connectTimeout, "connect-timeout", "give up a dial after this long")
	fs.Var(&requestTimeout, "request-timeout", "fail a request without a complete response after this long")
	fs.BoolVar(&o.jsonOut, "json", false, "print the report as JSON (with histograms) instead of text")
	fs.StringVar(&o.csvFile, "csv", "", "write the per-second timeline to FILE as CSV")
	fs.StringVar(&o.plotFile, "plot", "", "write latency percentiles and throughput over time to FILE.svg")
	fs.BoolVar(&o.progress, "progress", isTerminal(os.Stderr), "live progress line on stderr (default: when stderr is a terminal)")
	fs.BoolVar(&o.merge, "merge", false, "merge the JSON reports named as arguments and print the result")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: bench [flags] [URL | host:port]\n"+
			"       bench --merge [--json] report.json...\n"+
			"With no target, benchmarks an in-process echo engine over every available mode\n"+
			"(load not given defaults to -c %d -m %d -D %s --warm-up-time %s).\n\n",
			embeddedClients, embeddedStreams, embeddedDuration, embeddedWarmUp)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}

	o.cfg.Mode = bench.Mode(mode)
	o.cfg.Duration, o.cfg.WarmUp = duration.d, warmUp.d
	o.cfg.ConnectTimeout, o.cfg.RequestTimeout = connectTimeout.d, requestTimeout.d
	if o.cfg.Duration > 0 {
		o.cfg.Requests = 0 // h2load: -D makes the run timing-based
	}
	o.changed = map[string]bool{}
	fs.Visit(func(f *pflag.Flag) { o.changed[f.Name] = true })
	for _, h := range headers {
		hd, err := parseHeader(h)
		if err != nil {
			return nil, err
		}
		o.cfg.Headers = append(o.cfg.Headers, hd)
	}
	if data != "" {
		body, err := loadBody(data)
		if err != nil {
			return nil, err
		}
		o.cfg.Body = body
	}
	rest := fs.Args()
	switch {
	case o.merge:
		if len(rest) == 0 {
			return nil, errors.New("--merge needs JSON report files")
		}
		o.files = rest
	case len(rest) == 0:
		o.embedded = true
	case len(rest) == 1:
		o.cfg.Target = rest[0]
	default:
		return nil, fmt.Errorf("one target, got %d (%s)", len(rest), strings.Join(rest, " "))
	}
	return o, nil
}

// parseHeader splits "name: value" at the first colon after the name,
// keeping a leading colon of a pseudo-header (":authority: x"), as h2load does.
func parseHeader(s string) (bench.Header, error) {
	i := strings.IndexByte(s[min(1, len(s)):], ':')
	if i < 0 {
		return bench.Header{}, fmt.Errorf("-H %q: want \"name: value\"", s)
	}
	i += min(1, len(s))
	name := strings.ToLower(strings.TrimSpace(s[:i]))
	if name == "" || name == ":" {
		return bench.Header{}, fmt.Errorf("-H %q: empty name", s)
	}
	return bench.Header{Name: name, Value: strings.TrimSpace(s[i+1:])}, nil
}

// maxBody bounds -d: a body is held in memory once and shared by all requests.
const maxBody = 64 << 20

// loadBody reads -d: a file if one exists at that path, else a size.
func loadBody(arg string) ([]byte, error) {
	if st, err := os.Stat(arg); err == nil {
		if st.Size() > maxBody {
			return nil, fmt.Errorf("-d %s: %d bytes, at most %d", arg, st.Size(), maxBody)
		}
		return os.ReadFile(arg)
	}
	n, err := parseSize(arg)
	if err != nil {
		return nil, fmt.Errorf("-d %q: neither a file nor a size", arg)
	}
	if n <= 0 || n > maxBody {
		return nil, fmt.Errorf("-d %q: size must be 1 to %d bytes", arg, maxBody)
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + i%26)
	}
	return b, nil
}

// parseSize reads 64, 4k, 4K, 1m (binary units).
func parseSize(s string) (int64, error) {
	mult := int64(1)
	switch {
	case strings.HasSuffix(strings.ToLower(s), "k"):
		mult, s = 1<<10, s[:len(s)-1]
	case strings.HasSuffix(strings.ToLower(s), "m"):
		mult, s = 1<<20, s[:len(s)-1]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > maxBody/mult {
		return 0, errors.New("bad size")
	}
	return n * mult, nil
}

// durationValue parses h2load's durations: a bare number is seconds,
// otherwise Go's units (500ms, 10s, 1m).
type durationValue struct{ d time.Duration }

func (v *durationValue) String() string {
	if v.d == 0 {
		return ""
	}
	return v.d.String()
}
func (v *durationValue) Type() string { return "duration" }
func (v *durationValue) Set(s string) error {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if f < 0 || f > 1e9 {
			return fmt.Errorf("duration %q out of range", s)
		}
		v.d = time.Duration(f * float64(time.Second))
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return fmt.Errorf("duration %q: want seconds or a Go duration such as 500ms", s)
	}
	v.d = d
	return nil
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
