//! Waitset and Notifier: a million pushes through a notifier without a lost
//! wake-up, a peer process killed while the waitset sleeps, a wait ended by
//! a cancel descriptor and one ended by a signal (EINTR, returned to the
//! caller: the crate's policy), and a blocked second that costs at most two
//! voluntary context switches of the waiting thread.

use std::ffi::{c_int, c_ulong};
use std::io::Write;
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use librtipc::*;

const T: Option<Duration> = Some(Duration::from_secs(10));
const POLLIN: u32 = 0x1;

fn sock(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("librtipc-ws-{}-{name}.sock", std::process::id()))
}

fn one_way(add: u32) -> GroupConfig {
    GroupConfig {
        producers: vec![ChannelConfig::new(8).add_msgs(add).eventfd(true)],
        ..Default::default()
    }
}

fn pair(name: &str, config: &GroupConfig) -> (Group, Group) {
    let path = sock(name);
    let mut server = Server::bind(&path, ServerConfig::default()).unwrap();
    let accepted = std::thread::spawn(move || server.accept(T));
    let client = Group::connect(&path, config, T).unwrap();
    (client, accepted.join().unwrap().unwrap())
}

/// This thread's id, as /proc/thread-self names it.
fn tid() -> String {
    let link = std::fs::read_link("/proc/thread-self").unwrap();
    link.file_name().unwrap().to_string_lossy().into_owned()
}

/// Returns once thread tid of this process sleeps in the kernel (state S).
fn until_sleeping(tid: &str) {
    loop {
        let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).unwrap();
        if stat[stat.rfind(')').unwrap() + 2..].starts_with('S') {
            return;
        }
        std::thread::yield_now();
    }
}

fn voluntary_switches() -> i64 {
    let status = std::fs::read_to_string("/proc/thread-self/status").unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with("voluntary_ctxt_switches:"))
        .unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn a_million_pushes_through_a_notifier_lose_no_wake_up() {
    const COUNT: u64 = 1_000_000;
    let (mut client, mut server) = pair("million", &one_way(61));
    let mut producer = client.take_producer(0).unwrap();
    let mut consumer = server.take_consumer(0).unwrap();
    let notifier = std::sync::Arc::new(Notifier::new(false, None, None).unwrap());
    let n = notifier.clone();
    let push = std::thread::spawn(move || {
        producer.set_notifier(Some(&n)).unwrap();
        assert_eq!(producer.notify_mode().unwrap(), n.mode());
        let mut i: u64 = 1;
        while i <= COUNT {
            producer.msg().copy_from_slice(&i.to_ne_bytes());
            if producer.produce(ProduceMode::Try).unwrap() == Produced::QueueFull {
                std::thread::yield_now();
            } else {
                i += 1;
            }
        }
    });
    let mut ws = Waitset::new(Backend::Epoll, None).unwrap();
    let mut last = 0u64;
    ws.add_consumer(&mut consumer, 7).unwrap();
    while last < COUNT {
        let c = ws.consumer(7).unwrap();
        if c.consume(ConsumeMode::Next).unwrap().is_new() {
            let v: u64 = c.msg().unwrap().read(0);
            assert_eq!(v, last + 1);
            last = v;
            continue;
        }
        let mut ready = ws.wait(T).unwrap();
        assert!(!ready.is_empty(), "lost wake-up after message {last}");
        while let Some((event, consumer)) = ready.next() {
            assert_eq!(event.key, 7);
            assert_ne!(event.ready & ready::MESSAGE, 0);
            assert!(consumer.is_some());
        }
    }
    push.join().unwrap();
    assert!(ws.remove_consumer(7).is_some());
}

/// Run as a child process by a_peer_killed_while_waiting_is_reported.
#[test]
fn peer_child() {
    let Ok(path) = std::env::var("RTIPC_WS_PEER_PATH") else {
        return;
    };
    let _group = Group::connect(path, &one_way(0), T).unwrap();
    loop {
        std::thread::park();
    }
}

#[test]
fn a_peer_killed_while_waiting_is_reported() {
    let path = sock("peer");
    let mut server = Server::bind(&path, ServerConfig::default()).unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "peer_child", "--nocapture"])
        .env("RTIPC_WS_PEER_PATH", &path)
        .spawn()
        .unwrap();
    let mut group = server.accept(T).unwrap();
    let mut consumer = group.take_consumer(0).unwrap();
    let mut ws = Waitset::new(Backend::Epoll, None).unwrap();
    ws.add_consumer(&mut consumer, 1).unwrap();
    let me = tid();
    let killer = std::thread::spawn(move || {
        until_sleeping(&me);
        child.kill().unwrap();
        child.wait().unwrap();
    });
    let ready = ws.wait(T).unwrap();
    killer.join().unwrap();
    let events: Vec<Event> = ready.events().collect();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].key, 1);
    assert_eq!(events[0].ready, ready::PEER_GONE);
}

#[test]
fn a_cancel_descriptor_ends_the_wait() {
    let (mut client, mut server) = pair("cancel", &one_way(0));
    let _producer = client.take_producer(0).unwrap();
    let mut consumer = server.take_consumer(0).unwrap();
    let (mut cancel, watched) = UnixStream::pair().unwrap();
    let mut ws = Waitset::new(Backend::Epoll, None).unwrap();
    ws.add_consumer(&mut consumer, 1).unwrap();
    ws.add_fd(watched.as_fd(), POLLIN, 2).unwrap();
    let me = tid();
    let canceller = std::thread::spawn(move || {
        until_sleeping(&me);
        cancel.write_all(b"x").unwrap();
        cancel
    });
    let ready = ws.wait(T).unwrap();
    let events: Vec<Event> = ready.events().collect();
    drop(canceller.join().unwrap());
    assert_eq!(
        events,
        vec![Event {
            key: 2,
            ready: ready::FD,
            revents: POLLIN
        }]
    );
}

extern "C" {
    fn signal(sig: c_int, handler: extern "C" fn(c_int)) -> usize;
    fn pthread_self() -> c_ulong;
    fn pthread_kill(thread: c_ulong, sig: c_int) -> c_int;
}
const SIGUSR1: c_int = 10;
extern "C" fn on_signal(_: c_int) {}

#[test]
fn a_signal_ends_the_wait_with_eintr() {
    // epoll_wait is never restarted after a handler, whatever SA_RESTART says.
    // SAFETY: an async-signal-safe handler that does nothing.
    unsafe { signal(SIGUSR1, on_signal) };
    let mut ws = Waitset::new(Backend::Epoll, None).unwrap();
    // SAFETY: no arguments.
    let me_thread = unsafe { pthread_self() };
    let me = tid();
    let signaller = std::thread::spawn(move || {
        until_sleeping(&me);
        // SAFETY: this process's thread, alive: it waits for this.
        unsafe { pthread_kill(me_thread, SIGUSR1) };
    });
    let r = ws.wait(T).map(|r| r.len());
    signaller.join().unwrap();
    let e = r.unwrap_err();
    assert!(e.is_interrupted(), "{e}");
}

#[test]
fn a_blocked_second_costs_at_most_two_voluntary_switches() {
    let (mut client, mut server) = pair("switches", &one_way(0));
    let _producer = client.take_producer(0).unwrap();
    let mut consumer = server.take_consumer(0).unwrap();
    let mut ws = Waitset::new(Backend::Epoll, None).unwrap();
    ws.add_consumer(&mut consumer, 1).unwrap();
    let before = voluntary_switches();
    let empty = ws.wait(Some(Duration::from_secs(1))).unwrap().is_empty();
    let after = voluntary_switches();
    assert!(empty);
    assert!(after - before <= 2, "{} voluntary switches", after - before);
}

#[test]
fn notifier_attach_and_detach() {
    let (mut client, _server) = pair("notifier", &one_way(0));
    let mut producer = client.take_producer(0).unwrap();
    let n = Notifier::new(false, None, None).unwrap();
    producer.set_notifier(Some(&n)).unwrap();
    assert_eq!(producer.notify_mode().unwrap(), n.mode());
    producer.set_notifier(None).unwrap();
    assert_eq!(producer.notify_mode().unwrap(), NotifyMode::Direct);
}
