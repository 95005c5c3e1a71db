package quic

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"io"
	"net/netip"

	"github.com/ngloop/ngloop/quic/internal/protect"
	"github.com/ngloop/ngloop/quic/internal/wire"
)

// Address validation tokens for Retry and NEW_TOKEN (RFC 9000, Section
// 8.1), and the server's Retry packet.

// Token kinds, the first byte of a token (in the clear, so a server can
// tell which lifetime applies before opening it).
const (
	tokenRetry    = 0x5a
	tokenNewToken = 0xa5
)

// Errors of token validation.
var (
	// ErrTokenInvalid: the token was not made with this key, was
	// altered, or is for another client address.
	ErrTokenInvalid = errors.New("quic: invalid token")
	// ErrTokenExpired: the token is older than its lifetime.
	ErrTokenExpired = errors.New("quic: token expired")
)

// TokenProtector makes and checks address validation tokens: AES-GCM
// sealed (so clients can neither read nor forge them) over the time of
// issue and, for Retry tokens, the client's original Destination
// Connection ID, with the client's address as associated data. RFC 9000,
// Section 8.1.4: "tokens ... MUST be difficult to guess" and the server
// must be able to check that they came from it. A TokenProtector is
// safe for concurrent use.
type TokenProtector struct {
	aead cipher.AEAD
}

// NewTokenProtector returns a TokenProtector keyed by key (16 or 32
// bytes, kept secret; servers that share it accept each other's tokens).
//
// Returns the protector, or ErrInvalidArgument — the key length is wrong.
func NewTokenProtector(key []byte) (*TokenProtector, error) {
	b, err := aes.NewCipher(key)
	if err != nil || len(key) != 16 && len(key) != 32 {
		return nil, ErrInvalidArgument
	}
	a, err := cipher.NewGCM(b)
	if err != nil {
		return nil, ErrInvalidArgument
	}
	return &TokenProtector{aead: a}, nil
}

// MaxTokenLen is the length of the longest token a TokenProtector makes.
const MaxTokenLen = 1 + 12 + 8 + 1 + 20 + 16

// tokenAAD binds a token to the client address: the IP and port for a
// Retry token (the client answers at once from the same socket), the IP
// only for a NEW_TOKEN token (a later connection comes from another
// port).
func tokenAAD(kind byte, remote netip.AddrPort) []byte {
	var b [1 + 16 + 2]byte
	b[0] = kind
	a := remote.Addr().Unmap().As16()
	copy(b[1:], a[:])
	if kind == tokenRetry {
		binary.BigEndian.PutUint16(b[17:], remote.Port())
	}
	return b[:]
}

func (p *TokenProtector) seal(dst []byte, kind byte, remote netip.AddrPort, odcid []byte, now Tstamp, rand io.Reader) ([]byte, error) {
	if len(odcid) > 20 {
		return dst, ErrInvalidArgument
	}
	dst = append(dst, kind)
	nonceAt := len(dst)
	dst = append(dst, make([]byte, 12)...)
	if _, err := io.ReadFull(rand, dst[nonceAt:]); err != nil {
		return dst[:nonceAt-1], ErrNoMem
	}
	var pt [8 + 1 + 20]byte
	binary.BigEndian.PutUint64(pt[:], uint64(now))
	pt[8] = byte(len(odcid))
	n := 9 + copy(pt[9:], odcid)
	return p.aead.Seal(dst, dst[nonceAt:nonceAt+12], pt[:n], tokenAAD(kind, remote)), nil
}

// NewRetryToken appends a token for a Retry packet (RFC 9000, Section
// 8.1.2) to dst: it proves the client at remote got our Retry at now,
// and remembers odcid, the Destination Connection ID of its first
// Initial, which the connection needs (Settings.OriginalDCID).
//
// Returns dst with the token, or one of: ErrInvalidArgument — odcid is
// longer than 20 bytes; ErrNoMem — rand failed.
func (p *TokenProtector) NewRetryToken(dst []byte, remote netip.AddrPort, odcid []byte, now Tstamp, rand io.Reader) ([]byte, error) {
	return p.seal(dst, tokenRetry, remote, odcid, now, rand)
}

// NewToken appends a token for a NEW_TOKEN frame (RFC 9000, Section
// 8.1.3) to dst, valid for later connections from remote's IP address.
//
// Returns dst with the token, or ErrNoMem — rand failed.
func (p *TokenProtector) NewToken(dst []byte, remote netip.AddrPort, now Tstamp, rand io.Reader) ([]byte, error) {
	return p.seal(dst, tokenNewToken, remote, nil, now, rand)
}

// ValidatedToken is what Validate learned from a token.
type ValidatedToken struct {
	Retry        bool   // from a Retry (else from NEW_TOKEN)
	OriginalDCID []byte // Retry tokens: the client's first Destination Connection ID
}

// Validate opens a token from a client Initial received from remote at
// now. Retry tokens live retryLifetime (a few seconds are plenty: the
// client answers a Retry at once), NEW_TOKEN tokens tokenLifetime. RFC
// 9000, Section 8.1.3: a server "SHOULD ... include an expiration time"
// and may reject a token from a different address.
//
// Returns the token's content, or one of: ErrTokenInvalid — not ours,
// altered, or for another address; ErrTokenExpired — too old.
func (p *TokenProtector) Validate(token []byte, remote netip.AddrPort, now Tstamp, retryLifetime, tokenLifetime Duration) (ValidatedToken, error) {
	var v ValidatedToken
	if len(token) < 1+12+9+16 || len(token) > MaxTokenLen || token[0] != tokenRetry && token[0] != tokenNewToken {
		return v, ErrTokenInvalid
	}
	var buf [8 + 1 + 20]byte
	pt, err := p.aead.Open(buf[:0], token[1:13], token[13:], tokenAAD(token[0], remote))
	if err != nil || len(pt) < 9 || int(pt[8]) != len(pt)-9 {
		return v, ErrTokenInvalid
	}
	issued := Tstamp(binary.BigEndian.Uint64(pt))
	v.Retry = token[0] == tokenRetry
	life := tokenLifetime
	if v.Retry {
		life = retryLifetime
		v.OriginalDCID = append([]byte(nil), pt[9:]...)
	}
	if issued > now || now-issued > Tstamp(life) {
		return v, ErrTokenExpired
	}
	return v, nil
}

// InitialToken returns the token of a datagram's first packet when it is
// an Initial (a view into datagram; nil when it has none).
//
// Returns the token, or ErrInvalidArgument — the first packet is not a
// well-formed Initial.
func InitialToken(datagram []byte) ([]byte, error) {
	hdr, err := wire.ParseHeader(datagram, 0)
	if err != nil || hdr.Type != wire.PacketInitial {
		return nil, ErrInvalidArgument
	}
	return hdr.Token, nil
}

// WriteRetry writes a Retry packet (RFC 9000, Section 17.2.5) answering a
// client Initial whose version, Destination Connection ID (clientDCID)
// and Source Connection ID (clientSCID) are given (DecodeVersionCID):
// newSCID is the connection ID the client must use next, token its
// Retry token. The integrity tag is computed over clientDCID (RFC 9001,
// Section 5.8).
//
// Returns the packet length, or one of: ErrNoBuf — dest is too small;
// ErrInvalidArgument — an unsupported version, a connection ID longer
// than 20 bytes, or newSCID equal to clientDCID (Section 17.2.5: the
// client must see a new ID).
func WriteRetry(dest []byte, version uint32, clientDCID, clientSCID, newSCID, token []byte) (int, error) {
	v := wire.Version(version)
	if !wire.IsSupportedVersion(v) || len(clientDCID) > 20 || len(clientSCID) > 20 || len(newSCID) > 20 ||
		string(newSCID) == string(clientDCID) || len(token) == 0 {
		return 0, ErrInvalidArgument
	}
	need := 7 + len(clientSCID) + len(newSCID) + len(token) + wire.RetryIntegrityTagLen
	if len(dest) < need {
		return 0, ErrNoBuf
	}
	b := wire.AppendRetry(dest[:0], v, clientSCID, newSCID, token)
	tag := protect.RetryIntegrityTag(v, clientDCID, b)
	b = append(b, tag[:]...)
	return len(b), nil
}

// fkNewToken marks a NEW_TOKEN frame in a sent packet (resent if lost).
const fkNewToken frameKind = 0x80

// makeNewToken prepares the server's NEW_TOKEN once the handshake is
// confirmed (RFC 9000, Section 8.1.3: "A server MAY provide clients with
// an address validation token during one connection that can be used on
// a subsequent connection"; NEW_TOKEN travels in 1-RTT packets).
func (c *Conn) makeNewToken(ts Tstamp) {
	tp := c.settings.TokenProtector
	if !c.server || tp == nil || c.newTokenState != 0 || !c.handshakeConfirmed {
		return
	}
	t, err := tp.NewToken(nil, c.path.Remote, ts, c.settings.Rand)
	if err != nil {
		c.newTokenState = 2
		return
	}
	c.newToken, c.newTokenState = t, 1
}

func (c *Conn) writeNewToken(d *dgram) {
	if c.newTokenState != 1 || d.room() < 3+len(c.newToken) {
		return
	}
	d.buf = wire.AppendNewToken(d.buf, c.newToken)
	c.record(d, frameRec{kind: fkNewToken})
	c.newTokenState = 2
}

// IsRetryToken reports whether token claims to come from a Retry (its
// kind byte; Validate decides whether it is genuine).
func IsRetryToken(token []byte) bool { return len(token) > 0 && token[0] == tokenRetry }
