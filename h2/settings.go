package h2

// Receiving SETTINGS (RFC 9113, Section 6.5): the peer's values are
// applied in order and acknowledged; an ACK applies our oldest
// unacknowledged SETTINGS.

func (s *Session) onSettings(f *Frame, _ []byte) error {
	if f.Hd.Flags.Has(FlagAck) {
		return s.onSettingsAck(f)
	}
	s.settingsNoWork++
	if s.settingsNoWork > s.opt.SettingsFloodLimit {
		return s.connErrorLib(EnhanceYourCalm, ErrFlooded, "settings_flood")
	}
	for _, e := range f.Settings {
		switch e.ID {
		case SettingsEnablePush:
			// RFC 9113, Section 6.5.2: "A client MUST treat receipt of a
			// SETTINGS frame with SETTINGS_ENABLE_PUSH set to 1 as a
			// connection error of type PROTOCOL_ERROR."
			if !s.server && e.Value == 1 {
				return s.connError(ProtocolError, ErrProto, "settings_enable_push_from_server")
			}
		case SettingsHeaderTableSize:
			s.enc.SetPeerMaxTableSize(e.Value)
		case SettingsInitialWindowSize:
			if err := s.applyRemoteInitialWindow(e.Value); err != nil {
				return err
			}
		case SettingsEnableConnectProtocol:
			// RFC 8441, Section 3: "A sender MUST NOT send a
			// SETTINGS_ENABLE_CONNECT_PROTOCOL parameter with the value of
			// 0 after previously sending a value of 1."
			if e.Value == 0 && s.remote.enableConnectProtocol == 1 {
				return s.connError(ProtocolError, ErrProto, "settings_connect_protocol_withdrawn")
			}
		}
		s.remote.set(e)
	}
	// "Upon receiving a SETTINGS frame with the ACK flag set, ..." and
	// "the recipient MUST immediately emit a SETTINGS frame with the ACK
	// flag set" (RFC 9113, Section 6.5.3).
	it, err := s.newAckItem(FrameSettings)
	if err != nil {
		// RFC 9113, Section 10.5: a peer can make us queue answers
		// faster than it reads them.
		return s.connErrorLib(EnhanceYourCalm, ErrFlooded, "settings_ack_flood")
	}
	it.flags = FlagAck
	s.queueCtrl(it)
	// A larger window or a higher stream limit may let queued work out.
	return s.callFrameRecv(f)
}

func (s *Session) onSettingsAck(f *Frame) error {
	if s.inflightN == 0 {
		// nghttp2 answers an ACK for nothing with PROTOCOL_ERROR.
		return s.connError(ProtocolError, ErrProto, "settings_ack_unexpected")
	}
	in := &s.inflight[s.inflightHead]
	s.inflightHead = (s.inflightHead + 1) % maxInflightSettings
	s.inflightN--
	for _, e := range in.iv[:in.n] {
		switch e.ID {
		case SettingsInitialWindowSize:
			if e.Value < s.local.initialWindowSize {
				if err := s.applyLocalInitialWindow(e.Value); err != nil {
					return s.connError(FlowControlError, ErrFlowControl, "settings_local_window_overflow")
				}
			}
			continue // applied already when larger
		case SettingsHeaderTableSize:
			s.dec.SetMaxTableSize(e.Value)
		case SettingsMaxHeaderListSize:
			s.dec.SetMaxHeaderListSize(e.Value)
		}
		s.local.set(e)
	}
	s.settingsDue = 0
	if s.inflightN > 0 {
		if s.now != 0 {
			s.settingsDue = s.now + s.opt.SettingsTimeout
		} else {
			s.settingsWait = true
		}
	}
	return s.callFrameRecv(f)
}
