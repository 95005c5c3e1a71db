package quic_test

import (
	"crypto/tls"
	"errors"
	"testing"

	"github.com/ngloop/ngloop/quic"
)

// The Go API in DESIGN.md is a contract that code outside the package
// compiles against; these assignments break the build if a name or a
// signature drifts.
var (
	_ func(*quic.Config, *quic.Path, quic.Tstamp) (*quic.Conn, error)                                                          = quic.NewClientConn
	_ func(*quic.Config, *quic.Path, []byte, quic.Tstamp) (*quic.Conn, error)                                                  = quic.NewServerConn
	_ func(*quic.Conn, *quic.Path, *quic.PktInfo, []byte, quic.Tstamp) error                                                   = (*quic.Conn).ReadPkt
	_ func(*quic.Conn, *quic.Path, *quic.PktInfo, []byte, quic.Tstamp) (int, error)                                            = (*quic.Conn).WritePkt
	_ func(*quic.Conn, *quic.Path, *quic.PktInfo, []byte, quic.WriteStreamFlags, int64, []byte, quic.Tstamp) (int, int, error) = (*quic.Conn).WriteStream
	_ func(*quic.Conn, *quic.Path, *quic.PktInfo, []byte, *quic.CCErr, quic.Tstamp) (int, error)                               = (*quic.Conn).WriteConnectionClose
	_ func(*quic.Conn, quic.Tstamp) error                                                                                      = (*quic.Conn).HandleExpiry
	_ func(*quic.Conn) quic.Tstamp                                                                                             = (*quic.Conn).Expiry
	_ func(*quic.Conn, any) (int64, error)                                                                                     = (*quic.Conn).OpenBidiStream
	_ func(*quic.Conn, any) (int64, error)                                                                                     = (*quic.Conn).OpenUniStream
	_ func(*quic.Conn, int64, uint64) error                                                                                    = (*quic.Conn).ShutdownStream
	_ func(*quic.Conn, int64, uint64) error                                                                                    = (*quic.Conn).ExtendMaxStreamOffset
	_ func(*quic.Conn, uint64)                                                                                                 = (*quic.Conn).ExtendMaxOffset
	_ func(*quic.Conn) *quic.CCErr                                                                                             = (*quic.Conn).CloseError

	_ = quic.Config{TLS: (*tls.Config)(nil), Callbacks: quic.Callbacks{}, Settings: quic.Settings{}, Params: quic.TransportParams{}}
	_ = quic.Callbacks{
		HandshakeCompleted: func(c *quic.Conn) error { return nil },
		RecvStreamData: func(c *quic.Conn, flags quic.StreamDataFlags, streamID int64, offset uint64, data []byte) error {
			return nil
		},
		StreamClose: func(c *quic.Conn, streamID int64, appErrorCode uint64) error { return nil },
	}
	_             = quic.CCErr{Type: quic.CCErrTypeTransport, ErrorCode: 0, FrameType: 0, Reason: nil}
	_             = []quic.CCErrType{quic.CCErrTypeTransport, quic.CCErrTypeApplication, quic.CCErrTypeVersionNegotiation, quic.CCErrTypeIdleClose}
	_             = quic.PktInfo{ECN: 0}
	_ quic.Tstamp = quic.Tstamp(uint64(0))
)

func TestContractConstantsAndErrors(t *testing.T) {
	if quic.MaxUDPPayloadSize != 1200 {
		t.Errorf("MaxUDPPayloadSize = %d", quic.MaxUDPPayloadSize)
	}
	// The errors keep ngtcp2's names and values.
	for _, tc := range []struct {
		err  quic.Error
		code int
		name string
	}{
		{quic.ErrNoBuf, -202, "ERR_NOBUF"},
		{quic.ErrInvalidState, -206, "ERR_INVALID_STATE"},
		{quic.ErrStreamDataBlocked, -210, "ERR_STREAM_DATA_BLOCKED"},
		{quic.ErrPktNumExhausted, -216, "ERR_PKT_NUM_EXHAUSTED"},
		{quic.ErrStreamNotFound, -222, "ERR_STREAM_NOT_FOUND"},
		{quic.ErrClosing, -230, "ERR_CLOSING"},
		{quic.ErrDraining, -231, "ERR_DRAINING"},
		{quic.ErrWriteMore, -240, "ERR_WRITE_MORE"},
		{quic.ErrNoMem, -501, "ERR_NOMEM"},
		{quic.ErrCallbackFailure, -502, "ERR_CALLBACK_FAILURE"},
	} {
		if int(tc.err) != tc.code || tc.err.Error() != "quic: "+tc.name {
			t.Errorf("%v = %d, want %s = %d", tc.err, int(tc.err), tc.name, tc.code)
		}
		if !errors.Is(tc.err, tc.err) {
			t.Errorf("errors.Is fails on %v", tc.err)
		}
	}
}
