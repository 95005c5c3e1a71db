package loop

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// minRing is the smallest output ring a connection takes from the pool.
const minRing = 4 << 10

// Write appends p to the connection's output. The bytes go to the socket
// when the current event ends (one writev for everything written during
// it), or at once if the buffer fills up.
//
// Returns len(p), nil on success, or one of: n < len(p) and ErrWouldBlock —
// pending output reached Options.HighWater, the first n bytes were taken
// and OnWritable follows once it drains; 0 and ErrClosed — the connection
// is closing or closed.
func (c *Conn) Write(p []byte) (int, error) {
	if c.flags&(fClosing|fShutWr|fAbort|fClosed|fCloseNow) != 0 {
		return 0, ErrClosed
	}
	if c.layer != nil {
		return c.writeLayer(p)
	}
	total := 0
	for len(p) > 0 {
		room := c.room(len(p))
		if room == 0 {
			if c.flags&fBlocked == 0 && c.Buffered() > 0 {
				c.flush()
				if c.flags&fAbort != 0 {
					return total, ErrClosed
				}
				if c.room(len(p)) > 0 {
					continue
				}
			}
			c.flags |= fWantWritable
			c.markDirty()
			return total, ErrWouldBlock
		}
		n := c.out.Write(p[:min(room, len(p))])
		total += n
		p = p[n:]
	}
	c.markDirty()
	return total, nil
}

// Writev is Write for several slices, in order, as one batch.
func (c *Conn) Writev(bufs [][]byte) (int, error) {
	total := 0
	for _, b := range bufs {
		n, err := c.Write(b)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// room makes sure the output ring can take up to want more bytes without
// passing HighWater, swapping in a larger pooled ring if needed, and
// returns how many it can take now.
func (c *Conn) room(want int) int {
	hw := c.e.opts.HighWater
	have := c.Buffered()
	if have >= hw {
		return 0
	}
	c.grow(min(have+want, hw))
	return min(hw-have, c.out.Free())
}

// grow makes the output ring hold at least need bytes, moving pending
// output into a larger pooled ring if needed.
func (c *Conn) grow(need int) {
	if c.out == nil {
		c.out = c.l.pool.GetRing(max(need, minRing))
	} else if c.out.Cap() < need {
		bigger := c.l.pool.GetRing(need)
		a, b := c.out.Peek()
		bigger.Write(a)
		bigger.Write(b)
		c.l.pool.PutRing(c.out)
		c.out = bigger
	}
}

// flush writes pending output with writev until it is gone or the socket
// would block; then the watcher waits for EPOLLOUT.
func (c *Conn) flush() {
	for c.out != nil && c.out.Len() > 0 {
		a, b := c.out.Peek()
		n, errno := writev2(c.fd, &c.l.iov, a, b)
		if n > 0 {
			c.out.Discard(n)
		}
		switch {
		case errno == unix.EINTR:
			continue
		case errno == unix.EAGAIN || (errno == 0 && n < len(a)+len(b)):
			// A short write means the socket buffer is full; epoll
			// reports EPOLLOUT at once if it drained meanwhile.
			c.flags |= fBlocked
			c.e.watch.arm(c)
			return
		case errno != 0:
			c.fail(os.NewSyscallError("writev", errno))
			return
		}
	}
	c.releaseOut()
}

func (c *Conn) releaseOut() {
	if c.out != nil && c.out.Len() == 0 {
		c.l.pool.PutRing(c.out)
		c.out = nil
	}
}

// settle runs at the end of an event for each touched connection: flush,
// owed OnWritable, and close or half-close once output is gone.
func (c *Conn) settle() {
	if c.flags&fClosed != 0 {
		return
	}
	if c.layer != nil && c.flags&fAbort == 0 {
		c.layer.Flush(c)
	}
	if c.flags&(fBlocked|fAbort) == 0 {
		c.flush()
	}
	if c.flags&(fWantWritable|fBlocked|fAbort) == fWantWritable && c.Buffered() <= c.e.opts.LowWater {
		c.flags &^= fWantWritable
		if c.flags&fClosing == 0 {
			c.h.OnWritable(c)
			c.resumeRead(fPauseBlocked)
		}
	}
	empty := c.Buffered() == 0
	if c.flags&(fShutWr|fShutWrDone) == fShutWr && empty && c.flags&fAbort == 0 {
		c.flags |= fShutWrDone
		_ = unix.Shutdown(c.fd, unix.SHUT_WR)
	}
	if c.flags&fAbort != 0 || (c.flags&fClosing != 0 && empty) {
		c.releaseOut()
		c.flags |= fCloseNow
		if c != c.l.cur && c.flags&fCloseSent == 0 {
			c.flags |= fCloseSent
			_ = c.gc.Close()
		}
	}
}

// iovec mirrors struct iovec; the loop keeps two so writev allocates
// nothing.
type iovec = unix.Iovec

func writev2(fd int, iov *[2]iovec, a, b []byte) (int, unix.Errno) {
	if len(b) == 0 { // plain write(2) is a little cheaper for one slice
		n, _, errno := unix.Syscall(unix.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(a))), uintptr(len(a)))
		if errno != 0 {
			return 0, errno
		}
		return int(n), 0
	}
	cnt := 1
	iov[0].Base = unsafe.SliceData(a)
	iov[0].SetLen(len(a))
	if len(b) > 0 {
		iov[1].Base = unsafe.SliceData(b)
		iov[1].SetLen(len(b))
		cnt = 2
	}
	n, _, errno := unix.Syscall(unix.SYS_WRITEV, uintptr(fd), uintptr(unsafe.Pointer(&iov[0])), uintptr(cnt))
	iov[0].Base, iov[1].Base = nil, nil
	if errno != 0 {
		return 0, errno
	}
	return int(n), 0
}
