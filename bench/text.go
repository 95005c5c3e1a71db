package bench

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"time"
)

// WriteText writes the summary in h2load's shape, then a percentile table
// and, when there were any, the connection failures and error messages.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	if r.Interrupted {
		fmt.Fprintf(&b, "interrupted: partial report, %d requests were in flight\n", r.Requests.Started-r.Requests.Done)
	}
	fmt.Fprintf(&b, "finished in %s, %.2f req/s, %s/s\n",
		FormatDuration(r.Elapsed), r.RequestsPerSecond(), FormatBytes(r.BytesPerSecond()))
	q := r.Requests
	fmt.Fprintf(&b, "requests: %d total, %d started, %d done, %d succeeded, %d failed, %d errored, %d timeout\n",
		q.Total, q.Started, q.Done, q.Succeeded, q.Failed, q.Errored, q.TimedOut)
	var cls [6]int64
	for code, n := range r.Status {
		if c := code / 100; c >= 1 && c <= 5 {
			cls[c] += n
		}
	}
	if len(r.Status) > 0 || !r.Mode.echo() {
		fmt.Fprintf(&b, "status codes: %d 2xx, %d 3xx, %d 4xx, %d 5xx\n", cls[2], cls[3], cls[4], cls[5])
	}
	t := r.Traffic
	fmt.Fprintf(&b, "traffic: %s (%d) total, %s (%d) headers, %s (%d) data",
		FormatBytes(float64(t.In)), t.In, FormatBytes(float64(t.Header)), t.Header,
		FormatBytes(float64(t.Data)), t.Data)
	if t.Out > 0 { // h2c cannot see its bytes on the wire
		fmt.Fprintf(&b, ", %s (%d) sent", FormatBytes(float64(t.Out)), t.Out)
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "connections: %d attempted, %d failed\n", r.Connections.Attempted, r.Connections.Failed)

	rows := []struct {
		name string
		h    *Histogram
	}{{"time for request:", r.RequestTime}, {"time for connect:", r.ConnectTime}, {"time to 1st byte:", r.FirstByte}}
	fmt.Fprintf(&b, "%-17s %11s %11s %11s %11s %11s\n", "", "min", "max", "mean", "sd", "+/- sd")
	for _, row := range rows {
		h := orEmpty(row.h)
		fmt.Fprintf(&b, "%-17s %11s %11s %11s %11s %10.2f%%\n", row.name,
			FormatDuration(h.Min()), FormatDuration(h.Max()), FormatDuration(h.Mean()),
			FormatDuration(h.StdDev()), 100*h.WithinStdDev())
	}
	if len(r.ClientRates) > 0 {
		min, max, mean, sd, within := rateStats(r.ClientRates)
		fmt.Fprintf(&b, "%-17s %11.2f %11.2f %11.2f %11.2f %10.2f%%\n", "req/s           :", min, max, mean, sd, 100*within)
	}
	fmt.Fprintf(&b, "%-17s %11s %11s %11s %11s %11s\n", "", "p50", "p90", "p99", "p99.9", "max")
	for _, row := range rows {
		h := orEmpty(row.h)
		fmt.Fprintf(&b, "%-17s %11s %11s %11s %11s %11s\n", row.name,
			FormatDuration(h.Percentile(50)), FormatDuration(h.Percentile(90)),
			FormatDuration(h.Percentile(99)), FormatDuration(h.Percentile(99.9)), FormatDuration(h.Max()))
	}
	if len(r.Errors) > 0 {
		msgs := make([]string, 0, len(r.Errors))
		for m := range r.Errors {
			msgs = append(msgs, m)
		}
		sort.Strings(msgs)
		b.WriteString("errors:\n")
		for _, m := range msgs {
			fmt.Fprintf(&b, "  %8d  %s\n", r.Errors[m], m)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// rateStats is h2load's per-client req/s statistics: min, max, mean,
// standard deviation and the share of clients within one sd of the mean.
func rateStats(rates []float64) (lo, hi, mean, sd, within float64) {
	lo = math.Inf(1)
	for _, v := range rates {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
		mean += v
	}
	mean /= float64(len(rates))
	for _, v := range rates {
		sd += (v - mean) * (v - mean)
	}
	sd = math.Sqrt(sd / float64(len(rates)))
	var in int
	for _, v := range rates {
		if v >= mean-sd && v <= mean+sd {
			in++
		}
	}
	return lo, hi, mean, sd, float64(in) / float64(len(rates))
}

func orEmpty(h *Histogram) *Histogram {
	if h == nil {
		return NewHistogram()
	}
	return h
}

// FormatDuration prints a latency as h2load does: whole microseconds below 1 ms,
// two decimals of ms below 1 s, then two decimals of seconds.
func FormatDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%dus", d.Microseconds())
	case d < time.Second:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.2fs", d.Seconds())
	}
}

// FormatBytes prints a byte count with binary units as h2load does (1 KB = 1024 B).
func FormatBytes(n float64) string {
	units := []string{"B", "KB", "MB", "GB", "TB"}
	i := 0
	for n >= 1024 && i < len(units)-1 {
		n /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0fB", n)
	}
	return fmt.Sprintf("%.2f%s", n, units[i])
}
