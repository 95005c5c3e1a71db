// Command bench is ngloop's load generator: h2load's common flags over
// the project's own client connections, with HDR percentiles, JSON reports
// that merge across machines, a per-second CSV timeline and an SVG plot.
//
//	bench -n 100000 -c 100 -m 10 http://127.0.0.1:8080/   # h2c, like h2load
//	bench --mode tcp-echo -D 10 -c 50 127.0.0.1:7000        # raw TCP echo
//	bench --mode quic-echo -k -D 10 -c 8 -m 16 127.0.0.1:7443  # QUIC stream echo (-k: self-signed server)
//	bench --mode hq-interop -k -n 1000 https://127.0.0.1:7443/file  # HTTP/0.9 over QUIC
//	bench                                                   # in-process echo engine, every mode, one table
//	bench --json ... > a.json; bench --merge a.json b.json  # add up machines
//
// Ctrl-C stops the run and prints the partial report; a second Ctrl-C exits.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/ngloop/ngloop/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second Ctrl-C kills the process the usual way
	}()
	os.Exit(realMain(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// Exit codes.
const (
	exitOK          = 0
	exitFail        = 1 // the run could not be made, or an output failed
	exitUsage       = 2
	exitInterrupted = 130 // the partial report was printed
)

func realMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, pflag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		printErr(stderr, err)
		return exitUsage
	}
	if o.progress {
		o.cfg.Progress = stderr
	}
	switch {
	case o.merge:
		return mergeFiles(o, stdout, stderr)
	case o.embedded:
		return runEmbedded(ctx, o, stdout, stderr)
	}
	rep, err := bench.Run(ctx, o.cfg)
	if rep == nil {
		printErr(stderr, err)
		if isConfigError(err) {
			return exitUsage
		}
		return exitFail
	}
	code := writeOutputs(o, rep, "", stdout, stderr)
	if err != nil {
		printErr(stderr, err)
		code = exitFail
	}
	if rep.Interrupted && code == exitOK {
		code = exitInterrupted
	}
	return code
}

// writeOutputs prints the report (text or JSON) and writes the CSV and the
// plot if asked. suffix is inserted before the file extensions (the
// embedded default writes one file per mode).
func writeOutputs(o *options, rep *bench.Report, suffix string, stdout, stderr io.Writer) int {
	code := exitOK
	fail := func(err error) {
		printErr(stderr, err)
		code = exitFail
	}
	if suffix == "" {
		var err error
		if o.jsonOut {
			err = rep.WriteJSON(stdout)
		} else {
			err = rep.WriteText(stdout)
		}
		if err != nil {
			fail(err)
		}
	}
	if o.csvFile != "" {
		if err := writeFile(withSuffix(o.csvFile, suffix), rep.WriteCSV); err != nil {
			fail(err)
		}
	}
	if o.plotFile != "" {
		if err := writeFile(withSuffix(o.plotFile, suffix), rep.WritePlot); err != nil {
			fail(err)
		}
	}
	return code
}

// printErr prints err once prefixed with the command's name (the
// library's errors already carry "bench: ").
func printErr(w io.Writer, err error) {
	fmt.Fprintln(w, "bench:", strings.TrimPrefix(err.Error(), "bench: "))
}

// isConfigError reports errors that mean the command line asked for
// something impossible (exit status 2, as for bad flags).
func isConfigError(err error) bool {
	for _, e := range []error{bench.ErrNoTarget, bench.ErrBadTarget, bench.ErrBadCount, bench.ErrNoEnd,
		bench.ErrTooFew, bench.ErrTooMany, bench.ErrUnknownMode, bench.ErrWarmUpWithout, bench.ErrNotAvailable} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func withSuffix(name, suffix string) string {
	if suffix == "" {
		return name
	}
	ext := filepath.Ext(name)
	return strings.TrimSuffix(name, ext) + "-" + suffix + ext
}

func writeFile(name string, write func(io.Writer) error) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", name, err)
	}
	return f.Close()
}

// mergeFiles reads JSON reports and prints their merge.
func mergeFiles(o *options, stdout, stderr io.Writer) int {
	var merged *bench.Report
	for _, name := range o.files {
		f, err := os.Open(name)
		if err != nil {
			printErr(stderr, err)
			return exitFail
		}
		rep, err := bench.DecodeReport(f, 0)
		f.Close()
		if err != nil {
			fmt.Fprintf(stderr, "bench: %s: %v\n", name, err)
			return exitFail
		}
		if merged == nil {
			merged = rep
			continue
		}
		if err := merged.Merge(rep); err != nil {
			fmt.Fprintf(stderr, "bench: %s: %v\n", name, err)
			return exitFail
		}
	}
	return writeOutputs(o, merged, "", stdout, stderr)
}
