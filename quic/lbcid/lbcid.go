package lbcid

import (
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"io"
)

// Errors returned by this package.
var (
	// ErrConfig: a Config is out of range (see Config).
	ErrConfig = errors.New("lbcid: invalid config")
	// ErrUnknownConfig: the connection ID's config rotation bits name no
	// configuration the Decoder has (or the reserved value 7).
	ErrUnknownConfig = errors.New("lbcid: unknown config rotation")
	// ErrLength: the connection ID or a buffer has the wrong length.
	ErrLength = errors.New("lbcid: wrong length")
)

// Config is one load-balancer configuration, shared by the balancer and
// the servers.
type Config struct {
	// ID is the config rotation value, 0..6.
	ID uint8
	// ServerIDLen is the length of server IDs, 1..15.
	ServerIDLen int
	// NonceLen is the length of the per-connection-ID random part, 4..18
	// (the draft asks for at least 4). 1+ServerIDLen+NonceLen is the
	// connection ID length, at most 20.
	NonceLen int
	// Key, when set, is a 16-byte AES-128 key; then ServerIDLen+NonceLen
	// must be 16 (single-pass encryption). Nil means plaintext.
	Key []byte
}

// Len is the length of the connection IDs of c.
func (c *Config) Len() int { return 1 + c.ServerIDLen + c.NonceLen }

func (c *Config) check() error {
	if c.ID > 6 || c.ServerIDLen < 1 || c.ServerIDLen > 15 || c.NonceLen < 4 || c.Len() > 20 {
		return ErrConfig
	}
	if c.Key != nil && (len(c.Key) != 16 || c.ServerIDLen+c.NonceLen != 16) {
		return ErrConfig
	}
	return nil
}

func (c *Config) block() (cipher.Block, error) {
	if c.Key == nil {
		return nil, nil
	}
	return aes.NewCipher(c.Key)
}

// Encoder makes connection IDs carrying one server's ID.
type Encoder struct {
	cfg      Config
	serverID [15]byte
	blk      cipher.Block
}

// NewEncoder returns an Encoder for serverID under cfg.
//
// Returns the Encoder, or one of: ErrConfig — cfg is out of range;
// ErrLength — len(serverID) is not cfg.ServerIDLen.
func NewEncoder(cfg Config, serverID []byte) (*Encoder, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if len(serverID) != cfg.ServerIDLen {
		return nil, ErrLength
	}
	blk, err := cfg.block()
	if err != nil {
		return nil, ErrConfig
	}
	e := &Encoder{cfg: cfg, blk: blk}
	copy(e.serverID[:], serverID)
	return e, nil
}

// Len is the length of the connection IDs the Encoder makes.
func (e *Encoder) Len() int { return e.cfg.Len() }

// Generate fills cid (Len bytes) with a new connection ID: the first
// octet, the server ID and a nonce from rand, encrypted when the config
// has a key.
//
// Returns nil on success, or one of: ErrLength — len(cid) is not Len;
// the error of rand.
func (e *Encoder) Generate(cid []byte, rand io.Reader) error {
	if len(cid) != e.Len() {
		return ErrLength
	}
	cid[0] = e.cfg.ID<<5 | byte(len(cid)-1)&0x1f
	n := copy(cid[1:], e.serverID[:e.cfg.ServerIDLen])
	if _, err := io.ReadFull(rand, cid[1+n:]); err != nil {
		return err
	}
	if e.blk != nil {
		e.blk.Encrypt(cid[1:17], cid[1:17])
	}
	return nil
}

// Decoder reads server IDs out of connection IDs, for up to two
// configurations at a time (rotation) or more.
type Decoder struct {
	cfgs [7]Config
	blks [7]cipher.Block
	have [7]bool
}

// NewDecoder returns a Decoder knowing cfgs (distinct IDs).
//
// Returns the Decoder, or ErrConfig — a config is out of range or two
// share an ID.
func NewDecoder(cfgs ...Config) (*Decoder, error) {
	d := &Decoder{}
	for _, c := range cfgs {
		if err := c.check(); err != nil || d.have[c.ID] {
			return nil, ErrConfig
		}
		blk, err := c.block()
		if err != nil {
			return nil, ErrConfig
		}
		d.cfgs[c.ID], d.blks[c.ID], d.have[c.ID] = c, blk, true
	}
	return d, nil
}

// ServerID copies the server ID of cid into dst and returns its length
// and the config rotation value. cid may be a longer slice (the bytes
// after a short header's first octet): only the configuration's length
// is read. With an encrypted configuration, a dst of 16 bytes or more
// avoids an allocation (the whole block is decrypted into it; bytes past
// the server ID are then overwritten).
//
// Returns nil on success, or one of: ErrUnknownConfig — no such
// configuration; ErrLength — cid is too short or dst shorter than the
// server ID.
func (d *Decoder) ServerID(cid []byte, dst []byte) (n int, configID uint8, err error) {
	if len(cid) == 0 {
		return 0, 0, ErrLength
	}
	id := cid[0] >> 5
	if id > 6 || !d.have[id] {
		return 0, id, ErrUnknownConfig
	}
	c := &d.cfgs[id]
	if len(cid) < c.Len() || len(dst) < c.ServerIDLen {
		return 0, id, ErrLength
	}
	if blk := d.blks[id]; blk != nil {
		if len(dst) >= 16 {
			// Decrypting straight into dst keeps the block off the heap.
			blk.Decrypt(dst[:16], cid[1:17])
			return c.ServerIDLen, id, nil
		}
		var b [16]byte
		blk.Decrypt(b[:], cid[1:17])
		return copy(dst, b[:c.ServerIDLen]), id, nil
	}
	return copy(dst, cid[1:1+c.ServerIDLen]), id, nil
}
