package selfsigned

import (
	"crypto/x509"
	"testing"
	"time"
)

func TestNewVerifiesForLoopbackNamesAgainstItself(t *testing.T) {
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(c.Leaf)
	for _, name := range []string{"localhost", "127.0.0.1", "::1"} {
		if _, err := c.Leaf.Verify(x509.VerifyOptions{DNSName: name, Roots: pool}); err != nil {
			t.Errorf("certificate does not verify for %s: %v", name, err)
		}
	}
	if _, err := c.Leaf.Verify(x509.VerifyOptions{DNSName: "example.com", Roots: pool}); err == nil {
		t.Error("certificate verifies for example.com, want only loopback names")
	}
	if left := time.Until(c.Leaf.NotAfter); left > Validity || left < Validity-time.Minute {
		t.Errorf("certificate valid for %v more, want about %v", left, Validity)
	}
}

func TestNewMakesADifferentKeyEachTime(t *testing.T) {
	a, err := New()
	if err != nil {
		t.Fatal(err)
	}
	b, err := New()
	if err != nil {
		t.Fatal(err)
	}
	if a.Leaf.SerialNumber.Cmp(b.Leaf.SerialNumber) == 0 || string(a.Leaf.RawSubjectPublicKeyInfo) == string(b.Leaf.RawSubjectPublicKeyInfo) {
		t.Error("two certificates share a serial number or key")
	}
}
