package rtipc

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// voluntarySwitches reads this thread's count; the caller has locked its
// goroutine to the thread.
func voluntarySwitches(t *testing.T) int {
	t.Helper()
	status, err := os.ReadFile("/proc/thread-self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(line, "voluntary_ctxt_switches:") {
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "voluntary_ctxt_switches:")))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no voluntary_ctxt_switches in /proc/thread-self/status")
	return 0
}

// untilSleeping returns once thread tid of this process sleeps (state S).
func untilSleeping(tid int) {
	for {
		stat, err := os.ReadFile("/proc/self/task/" + strconv.Itoa(tid) + "/stat")
		if err != nil {
			return
		}
		s := string(stat)
		if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) && s[i+2] == 'S' {
			return
		}
		runtime.Gosched()
	}
}

func TestWaitsetMillionPushesThroughANotifierLoseNoWakeUp(t *testing.T) {
	const count = 1000000
	client, server := pair(t, oneWay(8, 61, true), nil)
	out, _ := client.TakeProducer(0)
	in, _ := server.TakeConsumer(0)
	defer out.Close()
	defer in.Close()
	n, err := NewNotifier(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	ws, err := NewWaitset(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if err := ws.AddConsumer(in, 7); err != nil {
		t.Fatal(err)
	}
	pushed := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // the notifier is attached from the pushing thread
		defer runtime.UnlockOSThread()
		if err := out.SetNotifier(n); err != nil {
			pushed <- err
			return
		}
		if m, err := out.NotifyMode(); err != nil || m != n.Mode() {
			pushed <- errors.New("notify mode differs from the notifier's")
			return
		}
		for i := uint64(1); i <= count; {
			binary.LittleEndian.PutUint64(out.Msg(), i)
			r, err := out.Produce(Try)
			if err != nil {
				pushed <- err
				return
			}
			if r == QueueFull {
				runtime.Gosched()
			} else {
				i++
			}
		}
		pushed <- nil
	}()
	ctx := context.Background()
	for last := uint64(0); last < count; {
		r, err := in.Consume(Next)
		if err != nil {
			t.Fatal(err)
		}
		if r.IsNew() {
			if v := binary.LittleEndian.Uint64(in.Msg()); v != last+1 {
				t.Fatalf("message %d after %d", v, last)
			}
			last++
			continue
		}
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		events, err := ws.Wait(wctx)
		cancel()
		if err != nil {
			t.Fatalf("lost wake-up after message %d: %v", last, err)
		}
		if len(events) != 1 || events[0].Key != 7 || events[0].Ready&ReadyMessage == 0 {
			t.Fatalf("events %+v", events)
		}
	}
	if err := <-pushed; err != nil {
		t.Fatal(err)
	}
}

// The peer of TestWaitsetPeerKilledWhileWaiting, run in a child process:
// connects and sleeps until killed.
func init() {
	path := os.Getenv("RTIPC_GO_TEST_SLEEPER")
	if path == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := Connect(ctx, path, oneWay(8, 0, true)); err != nil {
		os.Exit(10)
	}
	select {}
}

func TestWaitsetPeerKilledWhileWaiting(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.sock")
	srv, err := Listen(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), "RTIPC_GO_TEST_SLEEPER="+path)
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	group, err := srv.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer group.Close()
	in, _ := group.TakeConsumer(0)
	defer in.Close()
	ws, _ := NewWaitset(nil)
	defer ws.Close()
	if err := ws.AddConsumer(in, 1); err != nil {
		t.Fatal(err)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	tid := syscall.Gettid()
	go func() {
		untilSleeping(tid)
		child.Process.Kill()
	}()
	events, err := ws.Wait(ctx)
	child.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].Key != 1 || events[0].Ready != ReadyPeerGone {
		t.Fatalf("events %+v", events)
	}
	// Consumer.Wait says the same through its own waitset.
	if err := in.Wait(ctx); !errors.Is(err, syscall.EPIPE) {
		t.Fatalf("consumer wait: %v", err)
	}
}

// A cancel reaches a sleeping wait through the waitset's eventfd, in
// Waitset.Wait, Consumer.Wait and Server.Accept alike.
func TestWaitsetCancelEndsASleepingWait(t *testing.T) {
	client, server := pair(t, oneWay(8, 0, true), nil)
	out, _ := client.TakeProducer(0)
	in, _ := server.TakeConsumer(0)
	defer out.Close()
	defer in.Close()
	ws, _ := NewWaitset(nil)
	defer ws.Close()
	if err := ws.AddConsumer(in, 1); err != nil {
		t.Fatal(err)
	}
	srv, err := Listen(filepath.Join(t.TempDir(), "c.sock"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	tid := syscall.Gettid()
	for name, wait := range map[string]func(context.Context) error{
		"waitset":  func(ctx context.Context) error { _, err := ws.Wait(ctx); return err },
		"consumer": in.Wait,
		"accept":   func(ctx context.Context) error { _, err := srv.Accept(ctx); return err },
	} {
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			untilSleeping(tid)
			cancel()
		}()
		if err := wait(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("%s: %v, want context.Canceled", name, err)
		}
		// The next wait is not ended by the stale cancel: a deadline ends it.
		ctx2, cancel2 := context.WithTimeout(context.Background(), 20*time.Millisecond)
		if err := wait(ctx2); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s after a cancel: %v, want a deadline error", name, err)
		}
		cancel2()
	}
	if err := ws.AddFd(0, 1, ^uint64(0)); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("the reserved key: %v", err)
	}
}

// A one-second wait with a cancellable context sleeps through: at most two
// voluntary context switches of the waiting thread (a count, not a timing).
func TestWaitsetBlockedSecondCostsAtMostTwoSwitches(t *testing.T) {
	client, server := pair(t, oneWay(8, 0, true), nil)
	out, _ := client.TakeProducer(0)
	in, _ := server.TakeConsumer(0)
	defer out.Close()
	defer in.Close()
	ws, _ := NewWaitset(nil)
	defer ws.Close()
	if err := ws.AddConsumer(in, 1); err != nil {
		t.Fatal(err)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for name, wait := range map[string]func(context.Context) error{
		"waitset":  func(ctx context.Context) error { _, err := ws.Wait(ctx); return err },
		"consumer": in.Wait,
	} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		before := voluntarySwitches(t)
		err := wait(ctx)
		after := voluntarySwitches(t)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("%s: %v", name, err)
		}
		if after-before > 2 {
			t.Errorf("%s: %d voluntary context switches in a one-second wait", name, after-before)
		}
	}
}

func TestNotifierAttachAndDetach(t *testing.T) {
	client, _ := pair(t, oneWay(8, 0, true), nil)
	out, _ := client.TakeProducer(0)
	defer out.Close()
	n, err := NewNotifier(&NotifierConfig{IdleMs: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := out.SetNotifier(n); err != nil {
		t.Fatal(err)
	}
	if m, _ := out.NotifyMode(); m != n.Mode() {
		t.Errorf("mode %d, notifier's %d", m, n.Mode())
	}
	if err := out.SetNotifier(nil); err != nil {
		t.Fatal(err)
	}
	if m, _ := out.NotifyMode(); m != NotifyDirect {
		t.Errorf("detached mode %d", m)
	}
}
