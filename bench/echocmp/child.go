package echocmp

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ServeChild runs one echo server and talks to the parent over in/out:
// it prints "addr HOST:PORT" once listening, answers each "stats" line with
// "stats CPU_NS MALLOCS" (its own user+system CPU time and heap allocation
// count so far), and stops when in closes.
func ServeChild(impl string, loops int, in io.Reader, out io.Writer) error {
	s, err := startServer(impl, loops)
	if err != nil {
		return err
	}
	defer s.Stop()
	fmt.Fprintf(out, "addr %s\n", s.Addr())
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		if sc.Text() != "stats" {
			continue
		}
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			return err
		}
		cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		fmt.Fprintf(out, "stats %d %d\n", cpu.Nanoseconds(), ms.Mallocs)
	}
	return nil
}

// child is a server running in a child process.
type child struct {
	impl string
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Scanner
	addr string

	statsMallocs uint64 // allocations one stats request costs the child
}

// calibrate measures the allocations of a stats request on an idle child:
// the smallest difference over a few back-to-back requests.
func (c *child) calibrate() error {
	prev, err := c.stats()
	if err != nil {
		return err
	}
	best := ^uint64(0)
	for i := 0; i < 5; i++ {
		cur, err := c.stats()
		if err != nil {
			return err
		}
		best = min(best, cur.mallocs-prev.mallocs)
		prev = cur
	}
	c.statsMallocs = best
	return nil
}

// childStats is one reading of a child's counters.
type childStats struct {
	cpu     time.Duration
	mallocs uint64
}

// startChild runs exe with args plus -impl and -loops, env GOMAXPROCS set
// when procs > 0.
func startChild(exe string, args []string, impl string, loops, procs int) (*child, error) {
	cmd := exec.Command(exe, append(args, "-impl="+impl, "-loops="+strconv.Itoa(loops))...)
	cmd.Env = os.Environ()
	if procs > 0 {
		cmd.Env = append(cmd.Env, "GOMAXPROCS="+strconv.Itoa(procs))
	}
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{impl: impl, cmd: cmd, in: in, out: bufio.NewScanner(outPipe)}
	line, err := c.line()
	if err != nil || !strings.HasPrefix(line, "addr ") {
		c.stop()
		return nil, fmt.Errorf("echocmp: %s server did not start: %q %v", impl, line, err)
	}
	c.addr = strings.TrimPrefix(line, "addr ")
	return c, nil
}

func (c *child) line() (string, error) {
	if !c.out.Scan() {
		if err := c.out.Err(); err != nil {
			return "", err
		}
		return "", io.ErrUnexpectedEOF
	}
	return c.out.Text(), nil
}

func (c *child) stats() (childStats, error) {
	if _, err := io.WriteString(c.in, "stats\n"); err != nil {
		return childStats{}, err
	}
	line, err := c.line()
	if err != nil {
		return childStats{}, err
	}
	var cpu int64
	var st childStats
	if _, err := fmt.Sscanf(line, "stats %d %d", &cpu, &st.mallocs); err != nil {
		return childStats{}, fmt.Errorf("echocmp: bad stats line %q", line)
	}
	st.cpu = time.Duration(cpu)
	return st, nil
}

func (c *child) stop() {
	c.in.Close()
	done := make(chan struct{})
	go func() { c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		c.cmd.Process.Kill()
		<-done
	}
}
