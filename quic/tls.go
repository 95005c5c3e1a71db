package quic

import (
	"context"
	"crypto/tls"
	"errors"
	"time"

	"github.com/ngloop/ngloop/quic/internal/protect"
	"github.com/ngloop/ngloop/quic/internal/wire"
)

// The TLS handshake runs in crypto/tls's QUICConn (RFC 9001, Section 4):
// CRYPTO frame payloads go in through HandleData per encryption level,
// and secrets, handshake bytes and the peer's transport parameters come
// out as events.

func levelSpace(l tls.QUICEncryptionLevel) (spaceID, bool) {
	switch l {
	case tls.QUICEncryptionLevelInitial:
		return spaceInitial, true
	case tls.QUICEncryptionLevelHandshake:
		return spaceHandshake, true
	case tls.QUICEncryptionLevelApplication:
		return spaceApp, true
	}
	return 0, false // 0-RTT is not supported
}

func spaceLevel(s spaceID) tls.QUICEncryptionLevel {
	switch s {
	case spaceInitial:
		return tls.QUICEncryptionLevelInitial
	case spaceHandshake:
		return tls.QUICEncryptionLevelHandshake
	}
	return tls.QUICEncryptionLevelApplication
}

func (c *Conn) startTLS() error {
	ctx, cancel := context.WithCancel(context.Background())
	c.tlsCancel = cancel
	if err := c.tls.Start(ctx); err != nil {
		cancel()
		return ErrCrypto
	}
	if err := c.tlsEvents(); err != nil {
		c.closeTLS()
		return err
	}
	return nil
}

// recvCrypto feeds in-order CRYPTO bytes of a space to TLS.
func (c *Conn) recvCrypto(s spaceID, data []byte) error {
	if err := c.tls.HandleData(spaceLevel(s), data); err != nil {
		return c.tlsError(err)
	}
	return c.tlsEvents()
}

// tlsError maps a TLS failure to CRYPTO_ERROR with the alert (RFC 9001,
// Section 4.8: "the one-byte alert description into a QUIC error code ...
// added to 0x0100").
func (c *Conn) tlsError(err error) error {
	var alert tls.AlertError
	code := CryptoErrorBase + 80 // internal_error
	if errors.As(err, &alert) {
		code = CryptoErrorBase + uint64(alert)
	}
	return c.violation(code, 0x06, "tls_handshake_failed", ErrCrypto)
}

func (c *Conn) tlsEvents() error {
	for {
		ev := c.tls.NextEvent()
		switch ev.Kind {
		case tls.QUICNoEvent:
			return nil
		case tls.QUICSetReadSecret, tls.QUICSetWriteSecret:
			s, ok := levelSpace(ev.Level)
			if !ok {
				continue
			}
			k, err := protect.NewKeys(c.version, ev.Suite, ev.Data)
			if err != nil {
				return c.violation(InternalError, 0, "tls_unsupported_suite", ErrCrypto)
			}
			sp := &c.spaces[s]
			if ev.Kind == tls.QUICSetReadSecret {
				sp.recvKeys, sp.hasRecv = k, true
			} else {
				sp.sendKeys, sp.hasSend = k, true
			}
			if s == spaceApp && ev.Kind == tls.QUICSetReadSecret {
				c.prepareNextRecvKeys()
			}
		case tls.QUICWriteData:
			s, ok := levelSpace(ev.Level)
			if !ok {
				continue
			}
			c.spaces[s].crypto.push(ev.Data)
		case tls.QUICTransportParameters:
			if err := c.recvTransportParams(ev.Data); err != nil {
				return err
			}
		case tls.QUICTransportParametersRequired:
			c.tls.SetTransportParameters(c.localParamsBytes())
		case tls.QUICHandshakeDone:
			if err := c.onHandshakeDone(); err != nil {
				return err
			}
		case tls.QUICErrorEvent:
			return c.tlsError(ev.Err)
		}
	}
}

func (c *Conn) onHandshakeDone() error {
	if !c.havePeer {
		// RFC 9000, Section 7.3: parameters are mandatory.
		return c.violation(TransportParameterError, 0, "tls_no_transport_params", ErrRequiredTransportParam)
	}
	c.handshakeCompleted = true
	if c.state == stateHandshake {
		c.state = stateEstablished
	}
	if c.cb.HandshakeCompleted != nil {
		if err := c.cb.HandshakeCompleted(c); err != nil {
			return cbErr(err)
		}
	}
	if c.server {
		// RFC 9001, Section 4.1.2: "the TLS handshake is considered
		// confirmed at the server when the handshake completes"; the
		// server sends HANDSHAKE_DONE and discards Handshake keys
		// (Section 4.9.2).
		c.needHandshakeDone = true
		// A session ticket lets the client resume later (RFC 8446,
		// Section 4.6.1; RFC 9001, Section 4.6). crypto/tls sends none
		// when the tls.Config disables tickets; the ticket travels in
		// 1-RTT CRYPTO frames.
		_ = c.tls.SendSessionTicket(tls.QUICSessionTicketOptions{})
		return c.confirmHandshake()
	}
	return nil
}

func (c *Conn) confirmHandshake() error {
	if c.handshakeConfirmed {
		return nil
	}
	c.handshakeConfirmed = true
	c.discardSpace(spaceInitial)
	c.discardSpace(spaceHandshake)
	if c.cb.HandshakeConfirmed != nil {
		if err := c.cb.HandshakeConfirmed(c); err != nil {
			return cbErr(err)
		}
	}
	return nil
}

// localParamsBytes encodes our transport parameters (RFC 9000, Section 18).
func (c *Conn) localParamsBytes() []byte {
	p := wire.TransportParams{
		InitialMaxData:                 c.local.InitialMaxData,
		InitialMaxStreamDataBidiLocal:  c.local.InitialMaxStreamDataBidiLocal,
		InitialMaxStreamDataBidiRemote: c.local.InitialMaxStreamDataBidiRemote,
		InitialMaxStreamDataUni:        c.local.InitialMaxStreamDataUni,
		InitialMaxStreamsBidi:          c.local.InitialMaxStreamsBidi,
		InitialMaxStreamsUni:           c.local.InitialMaxStreamsUni,
		MaxIdleTimeout:                 time.Duration(c.local.MaxIdleTimeout),
		MaxUDPPayloadSize:              c.local.MaxUDPPayloadSize,
		AckDelayExponent:               ackDelayExponent,
		MaxAckDelay:                    time.Duration(c.local.MaxAckDelay),
		ActiveConnectionIDLimit:        c.local.ActiveConnectionIDLimit,
		MaxDatagramFrameSize:           c.local.MaxDatagramFrameSize,
		DisableActiveMigration:         c.local.DisableActiveMigration,
		InitialSourceConnectionID:      c.scid,
		HasInitialSourceConnectionID:   true,
	}
	if c.server {
		p.OriginalDestinationConnectionID = c.odcid
		p.HasOriginalDestinationConnectionID = true
		p.StatelessResetToken = c.resetToken
		p.HasStatelessResetToken = true
		if c.rscid != nil {
			p.RetrySourceConnectionID = c.rscid
			p.HasRetrySourceConnectionID = true
		}
		if pa := c.settings.PreferredAddress; pa != nil && c.localCIDs.n > 1 {
			e := &c.localCIDs.ids[1]
			p.PreferredAddress = wire.PreferredAddress{IPv4: pa.IPv4, IPv6: pa.IPv6,
				ConnID: e.cid[:e.n], StatelessResetToken: e.token}
			p.HasPreferredAddress = true
		}
	}
	return p.Append(nil, c.server)
}

// ackDelayExponent is the exponent we advertise (RFC 9000, Section 18.2:
// default 3).
const ackDelayExponent = 3

// recvTransportParams validates and applies the peer's parameters (RFC
// 9000, Sections 7.3 and 18.2).
func (c *Conn) recvTransportParams(b []byte) error {
	p, err := wire.ParseTransportParams(b, !c.server)
	if err != nil {
		return c.violation(TransportParameterError, 0, "transport_params_malformed", ErrMalformedTransportParam)
	}
	// RFC 9000, Section 7.3: the connection IDs in the parameters must
	// match the ones used in the handshake packets.
	if !p.HasInitialSourceConnectionID || string(p.InitialSourceConnectionID) != string(c.peerSCID) {
		return c.violation(TransportParameterError, 0, "transport_params_initial_scid_mismatch", ErrTransportParam)
	}
	if !c.server {
		if !p.HasOriginalDestinationConnectionID || string(p.OriginalDestinationConnectionID) != string(c.odcid) {
			return c.violation(TransportParameterError, 0, "transport_params_odcid_mismatch", ErrTransportParam)
		}
		if c.rscid != nil && (!p.HasRetrySourceConnectionID || string(p.RetrySourceConnectionID) != string(c.rscid)) {
			return c.violation(TransportParameterError, 0, "transport_params_retry_scid_mismatch", ErrTransportParam)
		}
		if c.rscid == nil && p.HasRetrySourceConnectionID {
			return c.violation(TransportParameterError, 0, "transport_params_unexpected_retry_scid", ErrTransportParam)
		}
		if p.HasStatelessResetToken {
			c.peerCIDs.setInitialToken(p.StatelessResetToken)
		}
		if p.HasPreferredAddress {
			c.peerPreferredCID(&p.PreferredAddress)
		}
	}
	c.peer = p
	c.havePeer = true
	c.applyPeerParams()
	return nil
}

func (c *Conn) applyPeerParams() {
	p := &c.peer
	c.flow.sendMax = p.InitialMaxData
	c.localBidi.max = p.InitialMaxStreamsBidi
	c.localUni.max = p.InitialMaxStreamsUni
	// RFC 9000, Section 10.1: "each endpoint advertises a max_idle_timeout,
	// but the effective value at an endpoint is computed as the minimum of
	// the two advertised values".
	if pt := Duration(p.MaxIdleTimeout); pt > 0 && (c.idleTimeout == 0 || pt < c.idleTimeout) {
		c.idleTimeout = pt
	}
	if m := int(p.MaxUDPPayloadSize); m >= MaxUDPPayloadSize && m < c.maxDatagram {
		c.maxDatagram = m
	}
	// Streams opened before the parameters arrived get their limits now.
	for id, s := range c.streams {
		s.sendMax = c.peerInitialStreamLimit(id)
	}
}

// peerInitialStreamLimit is the peer's initial send limit for a stream
// (RFC 9000, Section 18.2: bidi_local applies to streams the peer opened,
// bidi_remote to ours).
func (c *Conn) peerInitialStreamLimit(id int64) uint64 {
	switch {
	case isUni(id):
		return c.peer.InitialMaxStreamDataUni
	case c.isLocal(id):
		return c.peer.InitialMaxStreamDataBidiRemote
	}
	return c.peer.InitialMaxStreamDataBidiLocal
}

// localInitialStreamLimit is our initial receive limit for a stream.
func (c *Conn) localInitialStreamLimit(id int64) uint64 {
	switch {
	case isUni(id):
		return c.local.InitialMaxStreamDataUni
	case c.isLocal(id):
		return c.local.InitialMaxStreamDataBidiLocal
	}
	return c.local.InitialMaxStreamDataBidiRemote
}
