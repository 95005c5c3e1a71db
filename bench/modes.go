package bench

// The modes. Adding one is one Register call here (or in the file that
// implements it); cmd/bench and the embedded default pick it up from Modes.
func init() {
	Register(ModeTCPEcho, newLoopEcho)
	Register(ModeH2C, newH2C)
	Register(ModeQUICEcho, newQUIC)
	Register(ModeHQInterop, newQUIC)
}
