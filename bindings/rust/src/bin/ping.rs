//! The Rust client of the language benchmark (scripts/bench-lang): against
//! rtipc-pong it measures the per-call cost of consume (finding nothing) and
//! produce(Force), then busy-poll round trips, then, in a second session
//! whose echo channel has an eventfd, wake-up round trips that sleep in a
//! Waitset, and prints one JSON line with the fields of the C reference
//! (bench/lang/ping.c).
//!
//! usage: ping SOCKET [-n ROUNDTRIPS] [-s SIZE] [-c CALLS] [-w WAKEUPS]

mod common;

use std::hint::black_box;
use std::process::exit;
use std::time::{Duration, Instant};

use librtipc::{
    Backend, ChannelConfig, ConsumeMode, Consumer, Group, GroupConfig, ProduceMode, Producer, Waitset,
};

const WARMUP: u64 = 1000;

fn usage() -> ! {
    eprintln!("usage: ping SOCKET [-n ROUNDTRIPS] [-s SIZE] [-c CALLS] [-w WAKEUPS]");
    exit(2)
}

fn fail(what: &str, e: librtipc::Error) -> ! {
    eprintln!("ping: {what}: {e}");
    exit(1)
}

struct Pinger {
    out: Producer,
    input: Consumer,
}

impl Pinger {
    /// Sends seq and busy-polls for its echo.
    fn roundtrip(&mut self, seq: u64) {
        self.out.msg().write(0, seq.to_le_bytes());
        self.out
            .produce(ProduceMode::Force)
            .unwrap_or_else(|e| fail("produce", e));
        loop {
            let r = self
                .input
                .consume(ConsumeMode::Next)
                .unwrap_or_else(|e| fail("consume", e));
            if r.is_new()
                && self
                    .input
                    .msg()
                    .is_some_and(|m| m.read::<[u8; 8]>(0) == seq.to_le_bytes())
            {
                return;
            }
        }
    }

    /// Takes every echo that is there (pong may still be sending some).
    fn drain(&mut self) {
        let mut idle = 0;
        while idle < 1_000_000 {
            idle = if self.input.consume(ConsumeMode::Next).is_ok_and(|r| r.is_new()) {
                0
            } else {
                idle + 1
            };
        }
    }
}

/// Sends the end marker.
fn end(out: &mut Producer) {
    out.msg().write(0, [0xFFu8; 8]);
    out.produce(ProduceMode::Force)
        .unwrap_or_else(|e| fail("produce", e));
}

/// Opens a session with one channel each way and takes both.
fn connect(path: &str, out: ChannelConfig, input: ChannelConfig) -> Pinger {
    let config = GroupConfig {
        producers: vec![out],
        consumers: vec![input],
        ..Default::default()
    };
    let mut group =
        Group::connect(path, &config, Some(Duration::from_secs(10))).unwrap_or_else(|e| fail("connect", e));
    let out = group
        .take_producer(0)
        .unwrap_or_else(|e| fail("take producer", e));
    let input = group
        .take_consumer(0)
        .unwrap_or_else(|e| fail("take consumer", e));
    Pinger { out, input }
}

/// Sends seq and sleeps in the waitset until its echo is there.
fn wake_roundtrip(out: &mut Producer, ws: &mut Waitset, seq: u64) {
    out.msg().write(0, seq.to_le_bytes());
    out.produce(ProduceMode::Force)
        .unwrap_or_else(|e| fail("produce", e));
    loop {
        let mut ready = ws
            .wait(Some(Duration::from_secs(5)))
            .unwrap_or_else(|e| fail("wait", e));
        if ready.is_empty() {
            eprintln!("ping: no echo within 5 s");
            exit(1);
        }
        while let Some((_, Some(input))) = ready.next() {
            while input
                .consume(ConsumeMode::Next)
                .unwrap_or_else(|e| fail("consume", e))
                .is_new()
            {
                if input
                    .msg()
                    .is_some_and(|m| m.read::<[u8; 8]>(0) == seq.to_le_bytes())
                {
                    return;
                }
            }
        }
    }
}

/// The second session, its echo channel with an eventfd (pong's produce
/// signals it): wakeups round trips, sorted.
fn wake_session(path: &str, size: u32, wakeups: u64) -> Vec<u64> {
    let Pinger { mut out, mut input } = connect(
        path,
        ChannelConfig::new(size),
        ChannelConfig::new(size).eventfd(true),
    );
    let mut rtt: Vec<u64>;
    {
        let mut ws = Waitset::new(Backend::Epoll, None).unwrap_or_else(|e| fail("waitset", e));
        ws.add_consumer(&mut input, 0)
            .unwrap_or_else(|e| fail("waitset add", e));
        for i in 0..100 {
            wake_roundtrip(&mut out, &mut ws, i); // warm up
        }
        rtt = (0..wakeups)
            .map(|i| {
                let t0 = Instant::now();
                wake_roundtrip(&mut out, &mut ws, i + 100);
                t0.elapsed().as_nanos() as u64
            })
            .collect();
    }
    end(&mut out);
    rtt.sort_unstable();
    rtt
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((opts, operands)) = common::getopt("n:s:c:w:", &args) else {
        usage()
    };
    let [path] = operands.as_slice() else { usage() };
    let (mut roundtrips, mut size, mut calls, mut wakeups) = (100_000u64, 16u32, 1_000_000u64, 2000u64);
    for (letter, value) in opts {
        let ok = match letter {
            'n' => common::int(&value, 1, 1 << 40).map(|v| roundtrips = v as u64),
            's' => common::int(&value, 8, 64 << 20).map(|v| size = v as u32),
            'c' => common::int(&value, 1, 1 << 40).map(|v| calls = v as u64),
            'w' => common::int(&value, 1, 1 << 40).map(|v| wakeups = v as u64),
            _ => None,
        };
        if ok.is_none() {
            usage();
        }
    }

    let ch = ChannelConfig::new(size);
    let mut p = connect(path, ch.clone(), ch);
    for i in 0..WARMUP {
        p.roundtrip(i); // warm up both sides
    }

    // (1) per-call cost.
    let start = Instant::now();
    for _ in 0..calls {
        black_box(
            p.input
                .consume(ConsumeMode::Next)
                .unwrap_or_else(|e| fail("consume", e)),
        );
    }
    let consume_ns = start.elapsed().as_nanos() as f64 / calls as f64;
    let seq = 1u64 << 40; // apart from the round trips' numbers
    let start = Instant::now();
    for _ in 0..calls {
        p.out.msg().write(0, seq.to_le_bytes());
        black_box(
            p.out
                .produce(ProduceMode::Force)
                .unwrap_or_else(|e| fail("produce", e)),
        );
    }
    let produce_ns = start.elapsed().as_nanos() as f64 / calls as f64;
    p.drain();

    // (2) round trips.
    let mut rtt: Vec<u64> = (0..roundtrips)
        .map(|i| {
            let t0 = Instant::now();
            p.roundtrip(i + WARMUP);
            t0.elapsed().as_nanos() as u64
        })
        .collect();
    rtt.sort_unstable();
    let n = rtt.len();

    // (3) the end marker.
    end(&mut p.out);
    drop(p);

    // (4) wake-up round trips in a second session.
    let wake = wake_session(path, size, wakeups);
    let w = wake.len();

    println!(
        "{{\"lang\":\"rust\",\"size\":{size},\"calls\":{calls},\"consume_empty_ns\":{consume_ns:.2},\
         \"produce_ns\":{produce_ns:.2},\"roundtrips\":{roundtrips},\"rtt_p50_ns\":{},\"rtt_p99_ns\":{},\
         \"rtt_p999_ns\":{},\"oneway_p50_ns\":{:.1},\"wakeups\":{wakeups},\"wakeup_rtt_p50_ns\":{},\
         \"wakeup_rtt_p99_ns\":{}}}",
        rtt[n / 2],
        rtt[n * 99 / 100],
        rtt[n * 999 / 1000],
        rtt[n / 2] as f64 / 2.0,
        wake[w / 2],
        wake[w * 99 / 100]
    );
}
