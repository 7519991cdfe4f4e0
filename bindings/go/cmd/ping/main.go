// Command ping is the Go client of the language benchmark (scripts/bench-lang):
// against rtipc-pong it measures the per-call cost of Consume (finding
// nothing) and Produce(Force), then busy-poll round trips, then, in a
// second session whose echo channel has an eventfd, wake-up round trips
// that sleep in Waitset.Wait, and prints one JSON line with the fields of
// the C reference (bench/lang/ping.c), plus cgo_empty_ns: the cost of a cgo
// call into an empty C function, measured in the same run, which is Go's
// share of every call.
//
// usage: ping SOCKET [-n ROUNDTRIPS] [-s SIZE] [-c CALLS] [-w WAKEUPS]
package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"sort"
	"time"

	"librtipc.dev/rtipc"
	"librtipc.dev/rtipc/internal/cgocost"
	"librtipc.dev/rtipc/internal/getopt"
)

const warmup = 1000

func usage() {
	fmt.Fprintln(os.Stderr, "usage: ping SOCKET [-n ROUNDTRIPS] [-s SIZE] [-c CALLS] [-w WAKEUPS]")
	os.Exit(2)
}

func fail(what string, err error) {
	fmt.Fprintf(os.Stderr, "ping: %s: %v\n", what, err)
	os.Exit(1)
}

type pinger struct {
	out *rtipc.Producer
	in  *rtipc.Consumer
}

// roundtrip sends seq and busy-polls for its echo.
func (p *pinger) roundtrip(seq uint64) {
	binary.LittleEndian.PutUint64(p.out.Msg(), seq)
	if _, err := p.out.Produce(rtipc.Force); err != nil {
		fail("produce", err)
	}
	for {
		r, err := p.in.Consume(rtipc.Next)
		if err != nil {
			fail("consume", err)
		}
		if r.IsNew() && binary.LittleEndian.Uint64(p.in.Msg()) == seq {
			return
		}
	}
}

// drain takes every echo that is there (pong may still be sending some).
func (p *pinger) drain() {
	for idle := 0; idle < 1000000; idle++ {
		if r, _ := p.in.Consume(rtipc.Next); r.IsNew() {
			idle = 0
		}
	}
}

// wakeRoundtrip sends seq and sleeps in the waitset until its echo is there.
// context.Background(): no deadline, so no goroutine arms a cancel per wait.
func (p *pinger) wakeRoundtrip(ws *rtipc.Waitset, seq uint64) {
	binary.LittleEndian.PutUint64(p.out.Msg(), seq)
	if _, err := p.out.Produce(rtipc.Force); err != nil {
		fail("produce", err)
	}
	for {
		if _, err := ws.Wait(context.Background()); err != nil {
			fail("wait", err)
		}
		for {
			r, err := p.in.Consume(rtipc.Next)
			if err != nil {
				fail("consume", err)
			}
			if !r.IsNew() {
				break
			}
			if binary.LittleEndian.Uint64(p.in.Msg()) == seq {
				return
			}
		}
	}
}

// end sends the end marker.
func (p *pinger) end() {
	msg := p.out.Msg()
	for i := 0; i < 8; i++ {
		msg[i] = 0xFF
	}
	if _, err := p.out.Produce(rtipc.Force); err != nil {
		fail("produce", err)
	}
}

// connect opens a session with one channel each way and takes both.
func connect(path string, out, in rtipc.ChannelConfig) *pinger {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	group, err := rtipc.Connect(ctx, path,
		rtipc.GroupConfig{Producers: []rtipc.ChannelConfig{out}, Consumers: []rtipc.ChannelConfig{in}})
	cancel()
	if err != nil {
		fail("connect", err)
	}
	p := &pinger{}
	if p.out, err = group.TakeProducer(0); err != nil {
		fail("take producer", err)
	}
	if p.in, err = group.TakeConsumer(0); err != nil {
		fail("take consumer", err)
	}
	group.Close()
	return p
}

// wakeSession is the second session, its echo channel with an eventfd
// (pong's Produce signals it): wakeups round trips, sorted.
func wakeSession(path string, size uint32, wakeups int64) []int64 {
	p := connect(path, rtipc.ChannelConfig{MsgSize: size}, rtipc.ChannelConfig{MsgSize: size, Eventfd: true})
	ws, err := rtipc.NewWaitset(nil)
	if err != nil {
		fail("waitset", err)
	}
	if err := ws.AddConsumer(p.in, 0); err != nil {
		fail("waitset add", err)
	}
	for i := uint64(0); i < 100; i++ { // warm up
		p.wakeRoundtrip(ws, i)
	}
	rtt := make([]int64, wakeups)
	for i := range rtt {
		t0 := time.Now()
		p.wakeRoundtrip(ws, uint64(i)+100)
		rtt[i] = time.Since(t0).Nanoseconds()
	}
	p.end()
	_ = ws.RemoveConsumer(p.in)
	ws.Close()
	p.out.Close()
	p.in.Close()
	sort.Slice(rtt, func(a, b int) bool { return rtt[a] < rtt[b] })
	return rtt
}

func main() {
	opts, operands, err := getopt.Parse("n:s:c:w:", os.Args[1:])
	if err != nil || len(operands) != 1 {
		usage()
	}
	roundtrips, size, calls, wakeups := int64(100000), int64(16), int64(1000000), int64(2000)
	for _, o := range opts {
		var ok bool
		switch o.Letter {
		case 'n':
			roundtrips, ok = getopt.Int(o.Value, 1, 1<<40)
		case 's':
			size, ok = getopt.Int(o.Value, 8, 64<<20)
		case 'c':
			calls, ok = getopt.Int(o.Value, 1, 1<<40)
		case 'w':
			wakeups, ok = getopt.Int(o.Value, 1, 1<<40)
		}
		if !ok {
			usage()
		}
	}

	ch := rtipc.ChannelConfig{MsgSize: uint32(size)}
	p := connect(operands[0], ch, ch)
	out, in := p.out, p.in
	for i := uint64(0); i < warmup; i++ { // warm up both sides
		p.roundtrip(i)
	}

	// (1) per-call cost, against an empty cgo call in the same run.
	start := time.Now()
	sink := 0
	for i := int64(0); i < calls; i++ {
		sink += cgocost.Empty(int(i))
	}
	cgoNs := float64(time.Since(start).Nanoseconds()) / float64(calls)
	start = time.Now()
	for i := int64(0); i < calls; i++ {
		if _, err := in.Consume(rtipc.Next); err != nil {
			fail("consume", err)
		}
	}
	consumeNs := float64(time.Since(start).Nanoseconds()) / float64(calls)
	seq := uint64(1) << 40 // apart from the round trips' numbers
	start = time.Now()
	for i := int64(0); i < calls; i++ {
		binary.LittleEndian.PutUint64(out.Msg(), seq)
		if _, err := out.Produce(rtipc.Force); err != nil {
			fail("produce", err)
		}
	}
	produceNs := float64(time.Since(start).Nanoseconds()) / float64(calls)
	p.drain()

	// (2) round trips.
	rtt := make([]int64, roundtrips)
	for i := range rtt {
		t0 := time.Now()
		p.roundtrip(uint64(i) + warmup)
		rtt[i] = time.Since(t0).Nanoseconds()
	}
	sort.Slice(rtt, func(a, b int) bool { return rtt[a] < rtt[b] })
	n := len(rtt)
	p50 := rtt[n/2]

	// (3) the end marker.
	p.end()
	out.Close()
	in.Close()

	// (4) wake-up round trips in a second session.
	wake := wakeSession(operands[0], uint32(size), wakeups)

	fmt.Printf("{\"lang\":\"go\",\"size\":%d,\"calls\":%d,\"consume_empty_ns\":%.2f,"+
		"\"produce_ns\":%.2f,\"roundtrips\":%d,\"rtt_p50_ns\":%d,\"rtt_p99_ns\":%d,"+
		"\"rtt_p999_ns\":%d,\"oneway_p50_ns\":%.1f,\"wakeups\":%d,\"wakeup_rtt_p50_ns\":%d,"+
		"\"wakeup_rtt_p99_ns\":%d,\"cgo_empty_ns\":%.2f}\n",
		size, calls, consumeNs, produceNs, roundtrips, p50, rtt[n*99/100], rtt[n*999/1000],
		float64(p50)/2, wakeups, wake[wakeups/2], wake[wakeups*99/100], cgoNs)
	if sink == -1 {
		fmt.Println()
	}
}
