package h2

import "encoding/binary"

// The HTTP/1.1 Upgrade to h2c (RFC 7540, Section 3.2), as
// nghttp2_session_upgrade2. RFC 9113 deprecates the mechanism, but
// clients (curl --http2, nghttp -u) still use it on cleartext.

// Upgrade2 opens stream 1 for the HTTP/1.1 request that carried
// "Upgrade: h2c" and applies the client's HTTP2-Settings.
//
// settingsPayload is the decoded HTTP2-Settings value: the payload of a
// SETTINGS frame. RFC 7540, Section 3.2.1: the server decodes and
// interprets these values "as it would any other SETTINGS frame", and
// "explicit acknowledgement of these settings is not necessary, since a
// 101 response serves as implicit acknowledgment", so no ACK is queued.
//
// On a server session (created with Options.NoRecvClientMagic unset: the
// client still sends the connection preface after the 101), stream 1
// opens half-closed (remote): "The HTTP/1.1 request that is sent prior to
// upgrade is assigned a stream identifier of 1 ... with default priority
// values" and the request is complete (RFC 7540, Section 3.2). The
// response is then submitted with SubmitResponse(1, ...). On a client
// session stream 1 opens half-closed (local), gets streamData as its user
// data, and the next request uses stream 3; settingsPayload must be what
// the client sent in HTTP2-Settings (its own SETTINGS are still sent, as
// RFC 7540 requires). headRequest says the request was HEAD, so the
// response has no content.
//
// Returns nil on success, or one of: ErrInvalidArgument — settingsPayload
// is not a valid SETTINGS payload (length not a multiple of 6, or a value
// out of range); ErrProto — a stream was already opened on the session,
// or Upgrade2 was called before.
func (s *Session) Upgrade2(settingsPayload []byte, headRequest bool, streamData any) error {
	if s.lastRecvStreamID != 0 || s.lastLocalStreamID != 0 || s.streams.count != 0 {
		return ErrProto
	}
	if !s.server && s.nextStreamID != 1 {
		return ErrProto
	}
	if len(settingsPayload)%6 != 0 || len(settingsPayload)/6 > s.opt.MaxSettingsEntries {
		return ErrInvalidArgument
	}
	for p := settingsPayload; len(p) > 0; p = p[6:] {
		e := SettingsEntry{ID: SettingsID(binary.BigEndian.Uint16(p)), Value: binary.BigEndian.Uint32(p[2:])}
		if checkSetting(e) != nil {
			return ErrInvalidArgument
		}
	}
	if s.server {
		for p := settingsPayload; len(p) > 0; p = p[6:] {
			e := SettingsEntry{ID: SettingsID(binary.BigEndian.Uint16(p)), Value: binary.BigEndian.Uint32(p[2:])}
			switch e.ID {
			case SettingsHeaderTableSize:
				s.enc.SetPeerMaxTableSize(e.Value)
			case SettingsInitialWindowSize:
				if err := s.applyRemoteInitialWindow(e.Value); err != nil {
					return ErrInvalidArgument
				}
			}
			s.remote.set(e)
		}
		st := s.newStream(1, stateHalfClosedRemote, streamData)
		s.lastRecvStreamID = 1
		st.recvHeaders = true
		if headRequest {
			st.http.flags |= hfMethHead | hfMethGetOrHead
		}
		return nil
	}
	st := s.newStream(1, stateHalfClosedLocal, streamData)
	st.sentHeaders = true
	if headRequest {
		st.http.flags |= hfMethHead | hfMethGetOrHead
	}
	s.nextStreamID = 3
	return nil
}
