// Command echo-server is rtipc-echo-server in Go, with the same command
// line and exit status: it serves echo clients one after another, each
// offering exactly one channel each way with messages of at least 8 bytes,
// and echoes every new message; a message whose first 8 bytes are all 0xFF
// is echoed too and ends the session.
//
// Exit status: 0 ok, 1 usage or setup, 2 accept failed or rejected, 3 idle
// timeout (or the client exited without the end marker), 4 queue error.
package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"syscall"
	"time"

	"librtipc.dev/rtipc"
	"librtipc.dev/rtipc/internal/getopt"
)

const (
	exitUsage  = 1
	exitAccept = 2
	exitIdle   = 3
	exitQueue  = 4
)

var quiet bool

func say(format string, args ...any) {
	if !quiet {
		fmt.Fprintf(os.Stderr, "echo-server: "+format, args...)
	}
}

type options struct {
	path      string
	clients   int64
	idle      time.Duration
	rejectAll bool
}

func isEndMarker(msg []byte) bool {
	for _, b := range msg[:8] {
		if b != 0xFF {
			return false
		}
	}
	return true
}

func acceptEchoGroup(rejectAll bool) func(*rtipc.Proposal) bool {
	return func(p *rtipc.Proposal) bool {
		if rejectAll || p.ProducerCount() != 1 || p.ConsumerCount() != 1 {
			return false
		}
		out, err1 := p.Producer(0)
		in, err2 := p.Consumer(0)
		return err1 == nil && err2 == nil && out.MsgSize >= 8 && in.MsgSize >= 8
	}
}

// serve echoes until the end marker; it returns 0 or an exit status.
func serve(out *rtipc.Producer, in *rtipc.Consumer, idle time.Duration, echoed *uint64) int {
	size := in.MsgSize()
	if out.MsgSize() < size {
		size = out.MsgSize()
	}
	hasEventfd := in.Fd() >= 0
	idleSince := time.Now()
	idlePolls, clientGone := 0, false
	for {
		r, err := in.Consume(rtipc.Next)
		if err != nil {
			say("consume failed: %v\n", err)
			return exitQueue
		}
		if r.IsNew() {
			msg := in.Msg()
			copy(out.Msg()[:size], msg[:size])
			if _, err := out.Produce(rtipc.Force); err != nil {
				say("produce failed: %v\n", err)
				return exitQueue
			}
			*echoed++
			if isEndMarker(msg) {
				return 0
			}
			idleSince = time.Now()
			continue
		}
		if time.Since(idleSince) > idle {
			say("no message for %.0f s\n", idle.Seconds())
			return exitIdle
		}
		if !hasEventfd {
			if clientGone { // gone before the consume above found nothing
				say("the client went away without the end marker\n")
				return exitIdle
			}
			// A polling consumer cannot sleep on the peer's exit: look now
			// and then, then consume once more before giving up.
			if idlePolls++; idlePolls%1024 == 0 {
				alive, err := in.PeerAlive()
				clientGone = !alive && err == nil
			}
			time.Sleep(20 * time.Microsecond)
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		err = in.Wait(ctx)
		cancel()
		switch {
		case err == nil, errors.Is(err, os.ErrDeadlineExceeded):
		case errors.Is(err, syscall.EPIPE):
			// No message can come any more: what the idle timeout would
			// find, only sooner.
			say("the client went away without the end marker\n")
			return exitIdle
		default:
			say("wait failed: %v\n", err)
			return exitQueue
		}
	}
}

func run(o options) int {
	// Replace whatever socket file a previous server left behind.
	if st, err := os.Lstat(o.path); err == nil && st.Mode()&os.ModeSocket != 0 {
		os.Remove(o.path)
	}
	// A test peer for other rtipc programs: take any group the protocol
	// allows, up to the library's hard limits, not the modest defaults.
	server, err := rtipc.Listen(o.path, &rtipc.ServerConfig{
		Filter:         acceptEchoGroup(o.rejectAll),
		MaxChannels:    1024,
		MaxSlots:       1 << 20,
		MaxRegionSize:  16 << 30,
		MaxPrivateSize: math.MaxUint64,
	})
	if err != nil {
		say("cannot listen on %s: %v\n", o.path, err)
		return exitUsage
	}
	defer server.Close()

	for i := int64(1); i <= o.clients; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), o.idle)
		group, err := server.Accept(ctx)
		cancel()
		if o.rejectAll {
			if errors.Is(err, rtipc.ErrRejected) {
				say("rejected client %d as asked\n", i)
				continue
			}
			say("accept: %v\n", err)
			if err == nil {
				group.Close()
			}
			return exitAccept
		}
		if err != nil {
			say("accept: %v\n", err)
			return exitAccept
		}
		out, err1 := group.TakeProducer(0)
		in, err2 := group.TakeConsumer(0)
		group.Close()
		if err1 != nil || err2 != nil {
			say("take channels: %v %v\n", err1, err2)
			return exitAccept
		}
		var echoed uint64
		status := serve(out, in, o.idle, &echoed)
		say("client %d: %d messages echoed\n", i, echoed)
		out.Close()
		in.Close()
		if status != 0 {
			return status
		}
	}
	return 0
}

func usage() int {
	fmt.Fprintln(os.Stderr, "usage: rtipc-echo-server SOCKET [-n CLIENTS] [-t IDLE_S] [-r] [-q]")
	return exitUsage
}

func main() {
	os.Exit(parseAndRun(os.Args[1:]))
}

func parseAndRun(args []string) int {
	o := options{clients: 1, idle: 30 * time.Second}
	opts, operands, err := getopt.Parse("n:t:rqh", args)
	if err != nil {
		return usage()
	}
	for _, opt := range opts {
		ok := true
		switch opt.Letter {
		case 'n':
			o.clients, ok = getopt.Int(opt.Value, 1, 1<<62)
		case 't':
			var s int64
			s, ok = getopt.Int(opt.Value, 1, 1<<30)
			o.idle = time.Duration(s) * time.Second
		case 'r':
			o.rejectAll = true
		case 'q':
			quiet = true
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
