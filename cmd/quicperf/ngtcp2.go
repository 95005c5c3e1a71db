package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// runNgtcp2 runs Debian's ngtcp2 examples: gtlsserver serving a file of
// n bytes and gtlsclient fetching it with an HTTP/3 GET. CPU is the sum
// of the two processes.
func runNgtcp2(n int64) (result, error) {
	srvBin, err1 := exec.LookPath("gtlsserver")
	cliBin, err2 := exec.LookPath("gtlsclient")
	if err1 != nil || err2 != nil {
		return result{}, errors.New("skipped: gtlsserver/gtlsclient not installed (apt-get install ngtcp2-server ngtcp2-client)")
	}
	dir, err := os.MkdirTemp("", "quicperf")
	if err != nil {
		return result{}, err
	}
	defer os.RemoveAll(dir)
	f, err := os.Create(filepath.Join(dir, "blob"))
	if err != nil {
		return result{}, err
	}
	if err := f.Truncate(n); err != nil {
		return result{}, err
	}
	f.Close()
	if err := os.Mkdir(filepath.Join(dir, "dl"), 0o700); err != nil {
		return result{}, err
	}
	certFile, keyFile, err := writePEM(dir)
	if err != nil {
		return result{}, err
	}
	// A free port: bind, read it back, release (gtlsserver takes a port
	// number, not 0).
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return result{}, err
	}
	port := pc.LocalAddr().(*net.UDPAddr).Port
	pc.Close()
	srv := exec.Command(srvBin, "--quiet", "-d", dir, "127.0.0.1", fmt.Sprint(port), keyFile, certFile)
	if err := srv.Start(); err != nil {
		return result{}, err
	}
	defer func() { srv.Process.Kill(); srv.Wait() }()
	time.Sleep(200 * time.Millisecond)
	url := fmt.Sprintf("https://127.0.0.1:%d/blob", port)
	cli := exec.Command(cliBin, "--quiet", "--exit-on-all-streams-close", "--download", dir+"/dl",
		"--max-stream-data-bidi-local=16M", "--max-data=32M", "127.0.0.1", fmt.Sprint(port), url)
	var out strings.Builder
	cli.Stderr = &out
	srvCPU0 := procCPU(srv.Process.Pid)
	t0 := time.Now()
	if err := cli.Run(); err != nil {
		return result{}, fmt.Errorf("gtlsclient: %v: %s", err, out.String())
	}
	wall := time.Since(t0)
	srvCPU := procCPU(srv.Process.Pid) - srvCPU0
	ru := cli.ProcessState.SysUsage().(*syscall.Rusage)
	cpu := time.Duration(ru.Utime.Nano()+ru.Stime.Nano()) + srvCPU
	st, err := os.Stat(filepath.Join(dir, "dl", "blob"))
	if err != nil || st.Size() != n {
		return result{}, fmt.Errorf("gtlsclient downloaded %v bytes, want %d (%v)", sizeOf(st), n, err)
	}
	return result{impl: "ngtcp2", bytes: n, wall: wall, cpu: cpu}, nil
}

func sizeOf(st os.FileInfo) any {
	if st == nil {
		return "no file"
	}
	return st.Size()
}

// procCPU reads a live process's user+system time from /proc.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		s = s[i+2:]
	}
	var f []string = strings.Fields(s)
	if len(f) < 13 {
		return 0
	}
	var ut, st int64
	fmt.Sscan(f[11], &ut)
	fmt.Sscan(f[12], &st)
	return time.Duration(ut+st) * (time.Second / 100) // USER_HZ
}
