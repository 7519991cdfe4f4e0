package rtipc

import (
	"bytes"
	"context"
	"encoding/binary"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// The gap tests run against tests/echo/gap_peer.c (RTIPC_GAP_PEER names the
// program; Meson sets it), which checks what this side reports.
const gapMessages = 20000

func startGapPeer(t *testing.T, mode string) (path string, peer *exec.Cmd, output *bytes.Buffer) {
	program := os.Getenv("RTIPC_GAP_PEER")
	if program == "" {
		t.Skip("RTIPC_GAP_PEER is not set (meson test sets it)")
	}
	path = filepath.Join(t.TempDir(), "gap.sock")
	output = &bytes.Buffer{}
	peer = exec.Command(program, path, mode, "20000")
	peer.Stdout, peer.Stderr = output, output
	if err := peer.Start(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 1000; i++ {
		if _, err := os.Stat(path); err == nil {
			return path, peer, output
		}
		time.Sleep(10 * time.Millisecond)
	}
	peer.Process.Kill()
	t.Fatalf("gap peer did not listen: %s", output)
	return
}

func connectGapPeer(t *testing.T, path, info string) (*Producer, *Consumer) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ch := ChannelConfig{MsgSize: 16}
	group, err := Connect(ctx, path, GroupConfig{
		Producers: []ChannelConfig{ch}, Consumers: []ChannelConfig{ch}, Info: []byte(info),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer group.Close()
	out, err := group.TakeProducer(0)
	if err != nil {
		t.Fatal(err)
	}
	in, err := group.TakeConsumer(0)
	if err != nil {
		t.Fatal(err)
	}
	return out, in
}

func finishGapPeer(t *testing.T, peer *exec.Cmd, output *bytes.Buffer) {
	if err := peer.Wait(); err != nil {
		t.Fatalf("gap peer: %v: %s", err, output)
	}
	t.Log(output.String())
}

// consumeReporting consumes the peer's numbers in mode and reports each with
// the result, never dropping a report.
func consumeReporting(t *testing.T, mode ConsumeMode, info string) {
	path, peer, output := startGapPeer(t, "gaps")
	out, in := connectGapPeer(t, path, info)
	defer out.Close()
	defer in.Close()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		r, err := in.Consume(mode)
		if err != nil {
			t.Fatal(err)
		}
		if !r.IsNew() {
			continue
		}
		seq := binary.LittleEndian.Uint64(in.Msg())
		binary.LittleEndian.PutUint64(out.Msg(), seq)
		binary.LittleEndian.PutUint64(out.Msg()[8:], uint64(r))
		for {
			if p, err := out.Produce(Try); err != nil {
				t.Fatal(err)
			} else if p == Published {
				break
			}
		}
		if seq == gapMessages {
			finishGapPeer(t, peer, output)
			return
		}
	}
	peer.Process.Kill()
	t.Fatalf("timed out: %s", output)
}

func TestGapNext(t *testing.T)   { consumeReporting(t, Next, "next") }
func TestGapLatest(t *testing.T) { consumeReporting(t, Latest, "latest") }

// TestGapDiscards produces faster than the peer consumes; the peer checks
// that it missed exactly the messages Produce reported discarded.
func TestGapDiscards(t *testing.T) {
	path, peer, output := startGapPeer(t, "discards")
	out, in := connectGapPeer(t, path, "discards")
	defer out.Close()
	defer in.Close()
	var discards uint64
	for i := uint64(1); i <= gapMessages; i++ {
		binary.LittleEndian.PutUint64(out.Msg(), i)
		r, err := out.Produce(Force)
		if err != nil {
			t.Fatal(err)
		}
		if r == PublishedDiscarded {
			discards++
		}
		if i%16 == 0 {
			time.Sleep(50 * time.Microsecond) // let the peer see some of each burst
		}
	}
	// The end marker must not discard, or its count would be off by one.
	binary.LittleEndian.PutUint64(out.Msg(), math.MaxUint64)
	binary.LittleEndian.PutUint64(out.Msg()[8:], discards)
	for {
		if r, err := out.Produce(Try); err != nil {
			t.Fatal(err)
		} else if r == Published {
			break
		}
	}
	finishGapPeer(t, peer, output)
	t.Logf("%d discards reported", discards)
}
