// Command echo-client is rtipc-echo-client in Go, with the same command line
// and exit status: it offers one channel each way to an echo server, sends
// COUNT numbered messages with at most WINDOW in flight, and checks that
// every echo comes back in order and byte for byte. Message i holds the
// uint64 i at offset 0 and the byte uint8(i*7+j) at every offset j >= 8; the
// end marker has 0xFF in its first 8 bytes and 0xEE in the rest.
//
// Exit status: 0 ok, 1 usage, 2 connect failed or rejected, 3 timeout (no
// progress for TIMEOUT_S seconds, or the server exited), 4 mismatch or
// queue error.
package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"librtipc.dev/rtipc"
	"librtipc.dev/rtipc/internal/getopt"
)

const (
	exitUsage    = 1
	exitConnect  = 2
	exitTimeout  = 3
	exitMismatch = 4
	queueFull    = -1
)

var quiet bool

func say(format string, args ...any) {
	if !quiet {
		fmt.Fprintf(os.Stderr, "echo-client: "+format, args...)
	}
}

type options struct {
	path                         string
	count, size, addMsgs, window int64
	eventfd                      bool
	timeout                      time.Duration
	noMarker, noMarkerWait       bool
}

func fillMessage(msg []byte, i uint64) {
	binary.LittleEndian.PutUint64(msg, i)
	for j := 8; j < len(msg); j++ {
		msg[j] = uint8(i*7 + uint64(j))
	}
}

func fillEndMarker(msg []byte) {
	for j := range msg {
		if j < 8 {
			msg[j] = 0xFF
		} else {
			msg[j] = 0xEE
		}
	}
}

type session struct {
	out          *rtipc.Producer
	in           *rtipc.Consumer
	size         int
	timeout      time.Duration
	lastProgress time.Time
	expected     []byte
}

// send publishes the message already written to out.Msg(): 0, queueFull
// (the message stays in place), or an exit status.
func (s *session) send() int {
	r, err := s.out.Produce(rtipc.Try)
	switch {
	case err == nil && r == rtipc.Published:
		return 0
	case err == nil && r == rtipc.QueueFull:
		if time.Since(s.lastProgress) > s.timeout {
			return exitTimeout
		}
		return queueFull
	case err != nil:
		say("produce: %v\n", err)
	default:
		say("produce: discarded a message\n")
	}
	return exitMismatch
}

// receive waits for the next echo and checks it against s.expected.
func (s *session) receive(what string) int {
	idlePolls, serverGone := 0, false
	for {
		r, err := s.in.Consume(rtipc.Next)
		if err == nil && r == rtipc.New {
			if !bytes.Equal(s.in.Msg()[:s.size], s.expected) {
				say("echo of %s differs from what was sent\n", what)
				return exitMismatch
			}
			s.lastProgress = time.Now()
			return 0
		}
		if err != nil {
			say("consume: %v\n", err)
			return exitMismatch
		}
		if r == rtipc.NewAfterGap {
			say("consume: echoes were lost\n")
			return exitMismatch
		}
		if time.Since(s.lastProgress) > s.timeout {
			say("no echo of %s within %.0f s\n", what, s.timeout.Seconds())
			return exitTimeout
		}
		if s.in.Fd() < 0 {
			if serverGone { // gone before the consume above found nothing
				say("the server went away before the echo of %s\n", what)
				return exitTimeout
			}
			// A polling consumer cannot sleep on the peer's exit: look now
			// and then, then consume once more before giving up.
			if idlePolls++; idlePolls%4096 == 0 {
				alive, err := s.in.PeerAlive()
				serverGone = !alive && err == nil
			}
		} else {
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			err := s.in.Wait(ctx)
			cancel()
			switch {
			case err == nil, errors.Is(err, os.ErrDeadlineExceeded):
			case errors.Is(err, syscall.EPIPE):
				say("the server went away before the echo of %s\n", what)
				return exitTimeout
			default:
				say("wait: %v\n", err)
				return exitMismatch
			}
		}
	}
}

func (s *session) exchange(o options) int {
	var sent, echoed uint64
	count, window := uint64(o.count), uint64(o.window)
	for echoed < count {
		if sent < count && sent-echoed < window {
			fillMessage(s.out.Msg()[:s.size], sent)
			status := s.send()
			if status > 0 {
				return status
			}
			if status == 0 {
				sent++
				continue
			}
			if sent == echoed {
				continue // full with nothing in flight: the server is behind
			}
		}
		fillMessage(s.expected, echoed)
		if status := s.receive(fmt.Sprintf("message %d", echoed)); status != 0 {
			return status
		}
		echoed++
	}
	if o.noMarker {
		return 0
	}
	fillEndMarker(s.out.Msg()[:s.size])
	status := s.send()
	for status == queueFull {
		status = s.send()
	}
	if status != 0 || o.noMarkerWait {
		return status
	}
	fillEndMarker(s.expected)
	return s.receive("the end marker")
}

func run(o options) int {
	c2s := rtipc.ChannelConfig{MsgSize: uint32(o.size), AddMsgs: uint32(o.addMsgs),
		Eventfd: o.eventfd, Info: []byte("echo c2s")}
	s2c := c2s
	s2c.Info = []byte("echo s2c")
	config := rtipc.GroupConfig{
		Producers: []rtipc.ChannelConfig{c2s},
		Consumers: []rtipc.ChannelConfig{s2c},
		Info:      []byte("echo"),
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	group, err := rtipc.Connect(ctx, o.path, config)
	cancel()
	if err != nil {
		say("connect to %s: %v\n", o.path, err)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return exitTimeout
		}
		return exitConnect
	}
	out, err1 := group.TakeProducer(0)
	in, err2 := group.TakeConsumer(0)
	group.Close()
	if err1 != nil || err2 != nil {
		say("take channels: %v %v\n", err1, err2)
		return exitConnect
	}
	defer out.Close()
	defer in.Close()
	s := &session{out: out, in: in, size: int(o.size), timeout: o.timeout,
		expected: make([]byte, o.size)}
	start := time.Now()
	s.lastProgress = start
	status := s.exchange(o)
	elapsed := time.Since(start).Seconds()
	if status == 0 {
		each := 0.0
		if o.count > 0 {
			each = elapsed * 1e6 / float64(o.count)
		}
		fmt.Printf("echo-client: OK %d messages echoed (%.3f s, %.0f round trips/s, %.2f us each)\n",
			o.count, elapsed, float64(o.count)/elapsed, each)
	}
	return status
}

func usage() int {
	fmt.Fprintln(os.Stderr, "usage: rtipc-echo-client SOCKET [-k COUNT] [-s SIZE] [-a ADD_MSGS] "+
		"[-e 0|1] [-w WINDOW] [-t TIMEOUT_S] [-q] [-x] [-M]")
	return exitUsage
}

func main() {
	os.Exit(parseAndRun(os.Args[1:]))
}

func parseAndRun(args []string) int {
	o := options{count: 1000, size: 64, eventfd: true, window: 1, timeout: 10 * time.Second}
	opts, operands, err := getopt.Parse("k:s:a:e:w:t:qxMh", args)
	if err != nil {
		return usage()
	}
	for _, opt := range opts {
		ok := true
		var v int64
		switch opt.Letter {
		case 'k':
			o.count, ok = getopt.Int(opt.Value, 0, (1<<63-1)/2)
		case 's':
			o.size, ok = getopt.Int(opt.Value, 8, 64<<20)
		case 'a':
			o.addMsgs, ok = getopt.Int(opt.Value, 0, 1<<20)
		case 'e':
			v, ok = getopt.Int(opt.Value, 0, 1)
			o.eventfd = v == 1
		case 'w':
			o.window, ok = getopt.Int(opt.Value, 1, 1<<30)
		case 't':
			v, ok = getopt.Int(opt.Value, 1, 1<<20)
			o.timeout = time.Duration(v) * time.Second
		case 'q':
			quiet = true
		case 'x':
			o.noMarker = true
		case 'M':
			o.noMarkerWait = true
		default:
			ok = false
		}
		if !ok {
			return usage()
		}
	}
	if len(operands) != 1 {
		return usage()
	}
	o.path = operands[0]
	return run(o)
}
