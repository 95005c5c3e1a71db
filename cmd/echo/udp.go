package main

import "github.com/ngloop/ngloop/loop"

func init() {
	servers = append(servers, &server{
		name:        "udp",
		defaultAddr: "",
		usage:       "raw UDP datagram echo address, e.g. 127.0.0.1:7000",
		listen:      listenUDP,
	})
}

func listenUDP(e *loop.Engine, addr string) (func() string, error) {
	ul, err := e.ListenUDP(addr, udpEcho{}, loop.UDPConfig{})
	if err != nil {
		return nil, err
	}
	return func() string { return ul.Addr().String() }, nil
}

// udpEcho sends each datagram back to its sender with the same ECN
// codepoint. A full send queue drops the echo, as UDP may.
type udpEcho struct {
	loop.BaseUDPHandler
}

func (udpEcho) OnDatagram(s *loop.UDPSocket, d *loop.Datagram) {
	_ = s.WriteTo(d.Data, d.Remote, d.ECN)
}
