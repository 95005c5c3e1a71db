package wire

import (
	"bytes"
	"errors"
	"math"
	"net/netip"
	"reflect"
	"testing"
	"time"
)

const token16Hex = "00112233445566778899aabbccddeeff"

// tpTests: one parameter each, byte by byte. The parameter is parsed
// together with the mandatory ones (initial_source_connection_id, and
// original_destination_connection_id from a server), both empty, unless
// it is itself one of them.
var tpTests = []struct {
	name       string
	id         uint64
	hex        string
	fromServer bool
	set        func(p *TransportParams)
}{
	{"original_destination_connection_id", 0x00, "00 04 01020304", true,
		func(p *TransportParams) { p.OriginalDestinationConnectionID = []byte{1, 2, 3, 4} }},
	{"max_idle_timeout", 0x01, "01 04 80007530", false,
		func(p *TransportParams) { p.MaxIdleTimeout = 30 * time.Second }},
	{"stateless_reset_token", 0x02, "02 10 " + token16Hex, true,
		func(p *TransportParams) { p.StatelessResetToken, p.HasStatelessResetToken = token16, true }},
	{"max_udp_payload_size", 0x03, "03 02 44b0", false,
		func(p *TransportParams) { p.MaxUDPPayloadSize = 1200 }},
	{"initial_max_data", 0x04, "04 04 80100000", false,
		func(p *TransportParams) { p.InitialMaxData = 1 << 20 }},
	{"initial_max_stream_data_bidi_local", 0x05, "05 04 80040000", false,
		func(p *TransportParams) { p.InitialMaxStreamDataBidiLocal = 256 << 10 }},
	{"initial_max_stream_data_bidi_remote", 0x06, "06 02 4400", false,
		func(p *TransportParams) { p.InitialMaxStreamDataBidiRemote = 1024 }},
	{"initial_max_stream_data_uni", 0x07, "07 01 3f", false,
		func(p *TransportParams) { p.InitialMaxStreamDataUni = 63 }},
	{"initial_max_streams_bidi", 0x08, "08 02 4064", false,
		func(p *TransportParams) { p.InitialMaxStreamsBidi = 100 }},
	{"initial_max_streams_uni at 2^60", 0x09, "09 08 d000000000000000", false,
		func(p *TransportParams) { p.InitialMaxStreamsUni = 1 << 60 }},
	{"ack_delay_exponent 20", 0x0a, "0a 01 14", false,
		func(p *TransportParams) { p.AckDelayExponent = 20 }},
	{"max_ack_delay 2^14-1", 0x0b, "0b 02 7fff", false,
		func(p *TransportParams) { p.MaxAckDelay = 16383 * time.Millisecond }},
	{"disable_active_migration", 0x0c, "0c 00", false,
		func(p *TransportParams) { p.DisableActiveMigration = true }},
	{"preferred_address", 0x0d,
		"0d 2d c0000201 01bb 20010db8000000000000000000000001 01bc 04 aabbccdd " + token16Hex, true,
		func(p *TransportParams) {
			p.PreferredAddress = PreferredAddress{
				IPv4:                netip.MustParseAddrPort("192.0.2.1:443"),
				IPv6:                netip.MustParseAddrPort("[2001:db8::1]:444"),
				ConnID:              []byte{0xaa, 0xbb, 0xcc, 0xdd},
				StatelessResetToken: token16,
			}
			p.HasPreferredAddress = true
		}},
	{"preferred_address IPv6 only", 0x0d,
		"0d 2d 00000000 0000 20010db8000000000000000000000001 01bc 04 aabbccdd " + token16Hex, true,
		func(p *TransportParams) {
			p.PreferredAddress = PreferredAddress{
				IPv6:                netip.MustParseAddrPort("[2001:db8::1]:444"),
				ConnID:              []byte{0xaa, 0xbb, 0xcc, 0xdd},
				StatelessResetToken: token16,
			}
			p.HasPreferredAddress = true
		}},
	{"active_connection_id_limit", 0x0e, "0e 01 08", false,
		func(p *TransportParams) { p.ActiveConnectionIDLimit = 8 }},
	{"initial_source_connection_id", 0x0f, "0f 04 05060708", false,
		func(p *TransportParams) { p.InitialSourceConnectionID = []byte{5, 6, 7, 8} }},
	{"retry_source_connection_id", 0x10, "10 04 090a0b0c", true,
		func(p *TransportParams) {
			p.RetrySourceConnectionID, p.HasRetrySourceConnectionID = []byte{9, 10, 11, 12}, true
		}},
	{"version_information", 0x11, "11 0c 00000001 6b3343cf 00000001", false,
		func(p *TransportParams) {
			p.VersionInformation = VersionInformation{Chosen: Version1, Available: []Version{Version2, Version1}}
			p.HasVersionInformation = true
		}},
	{"max_datagram_frame_size", 0x20, "20 04 8000ffff", false,
		func(p *TransportParams) { p.MaxDatagramFrameSize = 65535 }},
	{"grease_quic_bit", 0x2ab2, "6ab2 00", false,
		func(p *TransportParams) { p.GreaseQUICBit = true }},
}

// mandatory returns the parameters wrapped around a test parameter, in ID
// order: before (ID < id) and after.
func tpFrame(id uint64, param string, fromServer bool) (before, after string) {
	if fromServer && id != 0x00 {
		before = "0000 "
	}
	if id != 0x0f {
		if id < 0x0f {
			after = " 0f00"
		} else {
			before += "0f00 "
		}
	}
	return before, after
}

func baseParams(fromServer bool) TransportParams {
	p := DefaultTransportParams()
	p.InitialSourceConnectionID, p.HasInitialSourceConnectionID = []byte{}, true
	if fromServer {
		p.OriginalDestinationConnectionID, p.HasOriginalDestinationConnectionID = []byte{}, true
	}
	return p
}

func TestParseTransportParamsEach(t *testing.T) {
	for _, tt := range tpTests {
		before, after := tpFrame(tt.id, tt.hex, tt.fromServer)
		in := unhex(before + tt.hex + after)
		got, err := ParseTransportParams(in, tt.fromServer)
		if err != nil {
			t.Errorf("%s: ParseTransportParams(%x): %v", tt.name, in, err)
			continue
		}
		want := baseParams(tt.fromServer)
		tt.set(&want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: parsed\n  %+v\nwant\n  %+v", tt.name, got, want)
		}
		// Append writes the same bytes back, in ID order.
		if out := want.Append([]byte{0xee}, tt.fromServer); !bytes.Equal(out[1:], in) {
			t.Errorf("%s: Append wrote\n  %x\nwant\n  %x", tt.name, out[1:], in)
		}
	}
}

func TestTransportParamsAppendClientOmitsServerOnly(t *testing.T) {
	p := baseParams(true)
	p.StatelessResetToken, p.HasStatelessResetToken = token16, true
	p.RetrySourceConnectionID, p.HasRetrySourceConnectionID = []byte{1}, true
	p.HasPreferredAddress = true
	p.PreferredAddress.ConnID = []byte{1}
	if got := p.Append(nil, false); !bytes.Equal(got, unhex("0f00")) {
		t.Errorf("client Append wrote %x, want only initial_source_connection_id", got)
	}
}

func TestTransportParamsRoundTripAll(t *testing.T) {
	p := baseParams(true)
	for _, tt := range tpTests {
		if tt.name != "preferred_address IPv6 only" {
			tt.set(&p)
		}
	}
	b := p.Append(nil, true)
	got, err := ParseTransportParams(b, true)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, p) {
		t.Errorf("round trip\n  %+v\nwant\n  %+v", got, p)
	}
	// Parsing copies: the result does not alias the input.
	for i := range b {
		b[i] = 0xff
	}
	if !reflect.DeepEqual(got, p) {
		t.Error("parsed parameters alias the input buffer")
	}
}

func TestParseTransportParamsDefaultsAndUnknown(t *testing.T) {
	// GREASE IDs (31*N+27) and other unknown IDs are skipped, even when
	// repeated; absent parameters keep their defaults.
	in := unhex("1b 03 aabbcc  40ff 00  0f00  1b 00  c0000000deadbeef 01 ff")
	p, err := ParseTransportParams(in, false)
	if err != nil {
		t.Fatal(err)
	}
	if want := baseParams(false); !reflect.DeepEqual(p, want) {
		t.Errorf("parsed %+v, want defaults %+v", p, want)
	}
	if p.MaxUDPPayloadSize != 65527 || p.AckDelayExponent != 3 || p.MaxAckDelay != 25*time.Millisecond || p.ActiveConnectionIDLimit != 2 {
		t.Errorf("defaults wrong: %+v", p)
	}
	p, err = ParseTransportParams(unhex("01 08 ffffffffffffffff 0f00"), false)
	if err != nil || p.MaxIdleTimeout != time.Duration(math.MaxInt64/int64(time.Millisecond))*time.Millisecond {
		t.Errorf("huge max_idle_timeout: %v, %v; want saturation", p.MaxIdleTimeout, err)
	}
}

func TestParseTransportParamsErrors(t *testing.T) {
	pa := func(cidLen string, cid string) string {
		return "00000000 0000 00000000000000000000000000000000 0000 " + cidLen + " " + cid + " " + token16Hex
	}
	tests := []struct {
		name       string
		hex        string
		fromServer bool
		reason     string
	}{
		{"truncated ID", "0f00 40", false, "truncated"},
		{"truncated length", "0f00 01", false, "truncated"},
		{"value past end", "0f00 01 04 8000", false, "truncated"},
		{"duplicate", "0f00 01 01 05 01 01 05", false, "duplicate"},
		{"duplicate initial_source_connection_id", "0f00 0f00", false, "duplicate"},
		{"original_destination_connection_id from client", "0000 0f00", false, "server_only_from_client"},
		{"stateless_reset_token from client", "02 10 " + token16Hex + " 0f00", false, "server_only_from_client"},
		{"preferred_address from client", "0d 2d " + pa("04", "aabbccdd") + " 0f00", false, "server_only_from_client"},
		{"retry_source_connection_id from client", "0f00 10 00", false, "server_only_from_client"},
		{"varint shorter than length", "01 02 05 00 0f00", false, "bad_length"},
		{"varint longer than length", "01 01 40 0f00", false, "bad_length"},
		{"empty varint", "04 00 0f00", false, "bad_length"},
		{"stateless_reset_token of 15 bytes", "0000 02 0f 00112233445566778899aabbccddee 0f00", true, "bad_length"},
		{"connection ID of 21 bytes", "0f 15 000102030405060708090a0b0c0d0e0f1011121314", false, "bad_length"},
		{"disable_active_migration with a value", "0c 01 00 0f00", false, "bad_length"},
		{"grease_quic_bit with a value", "0f00 6ab2 01 00", false, "bad_length"},
		{"max_udp_payload_size 1199", "03 02 44af 0f00", false, "max_udp_payload_size_too_small"},
		{"max_udp_payload_size 0", "03 01 00 0f00", false, "max_udp_payload_size_too_small"},
		{"ack_delay_exponent 21", "0a 01 15 0f00", false, "ack_delay_exponent_too_large"},
		{"max_ack_delay 2^14", "0b 04 80004000 0f00", false, "max_ack_delay_too_large"},
		{"active_connection_id_limit 1", "0e 01 01 0f00", false, "active_connection_id_limit_too_small"},
		{"active_connection_id_limit 0", "0e 01 00 0f00", false, "active_connection_id_limit_too_small"},
		{"initial_max_streams_bidi 2^60+1", "08 08 d000000000000001 0f00", false, "max_streams_too_large"},
		{"initial_max_streams_uni 2^60+1", "09 08 d000000000000001 0f00", false, "max_streams_too_large"},
		{"preferred_address zero-length CID", "0000 0d 29 " + pa("00", "") + " 0f00", true, "preferred_address_bad"},
		{"preferred_address CID of 21", "0000 0d 3e " + pa("15", "000102030405060708090a0b0c0d0e0f1011121314") + " 0f00", true, "preferred_address_bad"},
		{"preferred_address too short", "0000 0d 04 00000000 0f00", true, "preferred_address_bad"},
		{"preferred_address trailing byte", "0000 0d 2e " + pa("04", "aabbccdd") + "ff 0f00", true, "preferred_address_bad"},
		{"version_information empty", "0f00 11 00", false, "version_information_bad"},
		{"version_information not multiple of 4", "0f00 11 05 0000000100", false, "version_information_bad"},
		{"version_information chosen 0", "0f00 11 04 00000000", false, "version_information_bad"},
		{"version_information available 0", "0f00 11 08 00000001 00000000", false, "version_information_bad"},
		{"missing initial_source_connection_id", "01 01 05", false, "missing_initial_source_connection_id"},
		{"empty from client", "", false, "missing_initial_source_connection_id"},
		{"missing original_destination_connection_id", "0f00", true, "missing_original_destination_connection_id"},
	}
	for _, tt := range tests {
		_, err := ParseTransportParams(unhex(tt.hex), tt.fromServer)
		var te *TransportError
		if !errors.As(err, &te) || te.Code != TransportParameterError || te.Reason != tt.reason {
			t.Errorf("%s: err = %v, want TRANSPORT_PARAMETER_ERROR %s", tt.name, err, tt.reason)
		}
	}
}
