package bench

// The modes. Adding one is one Register call here (or in the file that
// implements it); cmd/bench and the embedded default pick it up from Modes.
func init() {
	Register(ModeTCPEcho, newLoopEcho)
	unavailable(ModeH2C, "needs the HTTP/2 client glue on the engine (loop/h2conn), not merged yet")
	unavailable(ModeQUICEcho, "needs the QUIC client glue on the engine (loop/quicconn), not merged yet")
	unavailable(ModeHQInterop, "needs the QUIC client glue on the engine (loop/quicconn), not merged yet")
}
