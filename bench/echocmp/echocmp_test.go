package echocmp

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary double as the server child.
func TestMain(m *testing.M) {
	if impl := os.Getenv("ECHOCMP_TEST_SERVE"); impl != "" {
		loops := 1
		if err := ServeChild(impl, loops, os.Stdin, os.Stdout); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestCompareSmoke runs a tiny comparison end to end: three child servers,
// alternating windows, a table with every implementation.
func TestCompareSmoke(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// startChild appends -impl=..., which the test binary's flag parser
	// would reject; route the child through the environment instead.
	rs, err := compareWithEnv(t, exe, Options{Conns: []int{4}, Sizes: []int{64, 4096}, Rounds: 1,
		Window: 100 * time.Millisecond, Warmup: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2*len(Impls) {
		t.Fatalf("%d results, want %d", len(rs), 2*len(Impls))
	}
	for _, r := range rs {
		if r.MsgsPerSec <= 0 || r.CPUPerMsg <= 0 {
			t.Fatalf("%s conns=%d size=%d: empty measurement %+v", r.Impl, r.Conns, r.Size, r)
		}
	}
	var buf bytes.Buffer
	WriteTable(&buf, rs)
	for _, impl := range Impls {
		if !strings.Contains(buf.String(), impl) {
			t.Fatalf("table lacks %s:\n%s", impl, buf.String())
		}
	}
	t.Logf("\n%s", buf.String())
}

func compareWithEnv(t *testing.T, exe string, o Options) ([]Result, error) {
	t.Helper()
	wrapper := t.TempDir() + "/serve.sh"
	script := "#!/bin/sh\nfor a in \"$@\"; do case $a in -impl=*) impl=${a#-impl=};; esac; done\n" +
		"ECHOCMP_TEST_SERVE=$impl exec \"" + exe + "\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return Compare(wrapper, nil, o, testLog{t})
}

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
