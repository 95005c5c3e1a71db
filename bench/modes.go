package bench

// The modes. Adding one is one Register call here (or in the file that
// implements it); cmd/bench and the embedded default pick it up from Modes.
func init() {
	Register(ModeTCPEcho, newLoopEcho)
	Register(ModeH2C, newH2C)
	unavailable(ModeQUICEcho, "needs the QUIC client glue on the engine (loop/quicconn), not merged yet")
	unavailable(ModeHQInterop, "needs the QUIC client glue on the engine (loop/quicconn), not merged yet")
}
