//! rtipc-echo-client in Rust, with the same command line and exit status:
//! offers one channel each way to an echo server, sends COUNT numbered
//! messages with at most WINDOW in flight, and checks that every echo comes
//! back in order and byte for byte. Message i holds the uint64 i at offset
//! 0 and the byte (i * 7 + j) as u8 at every offset j >= 8; the end marker
//! has 0xFF in its first 8 bytes and 0xEE in the rest.
//!
//! Exit status: 0 ok, 1 usage, 2 connect failed or rejected, 3 timeout (no
//! progress for TIMEOUT_S seconds, or the server exited), 4 mismatch or
//! queue error.

mod common;

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use librtipc::{
    ChannelConfig, ConsumeMode, Consumed, Consumer, Group, GroupConfig, ProduceMode, Produced, Producer,
};

const EXIT_USAGE: u8 = 1;
const EXIT_CONNECT: u8 = 2;
const EXIT_TIMEOUT: u8 = 3;
const EXIT_MISMATCH: u8 = 4;

static QUIET: AtomicBool = AtomicBool::new(false);

macro_rules! say {
    ($($arg:tt)*) => {
        if !QUIET.load(Ordering::Relaxed) {
            eprint!("echo-client: {}", format_args!($($arg)*));
        }
    };
}

struct Options {
    path: String,
    count: u64,
    size: usize,
    add_msgs: u32,
    eventfd: bool,
    window: u64,
    timeout: Duration,
    no_marker: bool,
    no_marker_wait: bool,
}

fn fill_message(msg: &mut [u8], i: u64) {
    msg[..8].copy_from_slice(&i.to_le_bytes());
    for (j, b) in msg.iter_mut().enumerate().skip(8) {
        *b = (i.wrapping_mul(7).wrapping_add(j as u64)) as u8;
    }
}

fn fill_end_marker(msg: &mut [u8]) {
    msg[..8].fill(0xFF);
    msg[8..].fill(0xEE);
}

struct Session {
    out: Producer,
    input: Consumer,
    size: usize,
    timeout: Duration,
    last_progress: Instant,
    expected: Vec<u8>,
    got: Vec<u8>, // a message on its way in or out (the slots take copies)
}

/// What sending found when it did not publish.
enum Sent {
    Full,
    Exit(u8),
}

impl Session {
    /// Publishes the message already written to the slot.
    fn send(&mut self) -> Result<(), Sent> {
        match self.out.produce(ProduceMode::Try) {
            Ok(Produced::Published) => Ok(()),
            Ok(Produced::QueueFull) if self.last_progress.elapsed() > self.timeout => {
                Err(Sent::Exit(EXIT_TIMEOUT))
            }
            Ok(Produced::QueueFull) => Err(Sent::Full),
            Ok(Produced::PublishedDiscarded) => {
                say!("produce: discarded a message\n");
                Err(Sent::Exit(EXIT_MISMATCH))
            }
            Err(e) => {
                say!("produce: {e}\n");
                Err(Sent::Exit(EXIT_MISMATCH))
            }
        }
    }

    /// Waits for the next echo and checks it against self.expected.
    fn receive(&mut self, what: &str) -> u8 {
        let (mut idle_polls, mut server_gone) = (0u64, false);
        loop {
            match self.input.consume(ConsumeMode::Next) {
                Ok(Consumed::New) => {
                    let got = &mut self.got[..self.size];
                    self.input.msg().expect("a new message").copy_to_slice(got);
                    if got[..] != self.expected[..] {
                        say!("echo of {what} differs from what was sent\n");
                        return EXIT_MISMATCH;
                    }
                    self.last_progress = Instant::now();
                    return 0;
                }
                Ok(Consumed::NewAfterGap) => {
                    say!("consume: echoes were lost\n");
                    return EXIT_MISMATCH;
                }
                Ok(_) => {}
                Err(e) => {
                    say!("consume: {e}\n");
                    return EXIT_MISMATCH;
                }
            }
            if self.last_progress.elapsed() > self.timeout {
                say!("no echo of {what} within {} s\n", self.timeout.as_secs());
                return EXIT_TIMEOUT;
            }
            if self.input.fd().is_none() {
                if server_gone {
                    // Gone before the consume above found nothing.
                    say!("the server went away before the echo of {what}\n");
                    return EXIT_TIMEOUT;
                }
                // A polling consumer cannot sleep on the peer's exit: look
                // now and then, then consume once more before giving up.
                idle_polls += 1;
                if idle_polls % 4096 == 0 {
                    server_gone = self.input.peer_alive() == Ok(false);
                }
            } else {
                match self.input.wait(Some(Duration::from_millis(100))) {
                    Ok(_) => {}
                    Err(e) if e.is_interrupted() => {}
                    Err(e) if e.is_peer_gone() => {
                        say!("the server went away before the echo of {what}\n");
                        return EXIT_TIMEOUT;
                    }
                    Err(e) => {
                        say!("wait: {e}\n");
                        return EXIT_MISMATCH;
                    }
                }
            }
        }
    }

    fn exchange(&mut self, o: &Options) -> u8 {
        let (mut sent, mut echoed) = (0u64, 0u64);
        while echoed < o.count {
            if sent < o.count && sent - echoed < o.window {
                fill_message(&mut self.got, sent);
                self.out.msg().copy_from_slice(&self.got);
                match self.send() {
                    Ok(()) => {
                        sent += 1;
                        continue;
                    }
                    Err(Sent::Exit(status)) => return status,
                    Err(Sent::Full) if sent == echoed => continue, // the server is behind
                    Err(Sent::Full) => {}
                }
            }
            let mut expected = std::mem::take(&mut self.expected);
            fill_message(&mut expected, echoed);
            self.expected = expected;
            let status = self.receive(&format!("message {echoed}"));
            if status != 0 {
                return status;
            }
            echoed += 1;
        }
        if o.no_marker {
            return 0;
        }
        let size = self.size;
        fill_end_marker(&mut self.got[..size]);
        self.out.msg().copy_from_slice(&self.got[..size]);
        loop {
            match self.send() {
                Ok(()) => break,
                Err(Sent::Full) => {}
                Err(Sent::Exit(status)) => return status,
            }
        }
        if o.no_marker_wait {
            return 0;
        }
        fill_end_marker(&mut self.expected);
        self.receive("the end marker")
    }
}

fn run(o: &Options) -> u8 {
    let c2s = ChannelConfig::new(o.size as u32)
        .add_msgs(o.add_msgs)
        .eventfd(o.eventfd)
        .info(b"echo c2s");
    let s2c = c2s.clone().info(b"echo s2c");
    let config = GroupConfig {
        producers: vec![c2s],
        consumers: vec![s2c],
        info: b"echo".to_vec(),
        ..Default::default()
    };
    let mut group = match Group::connect(&o.path, &config, Some(o.timeout)) {
        Ok(g) => g,
        Err(e) => {
            say!("connect to {}: {e}\n", o.path);
            return if e.is_timeout() {
                EXIT_TIMEOUT
            } else {
                EXIT_CONNECT
            };
        }
    };
    let (out, input) = match (group.take_producer(0), group.take_consumer(0)) {
        (Ok(p), Ok(c)) => (p, c),
        _ => return EXIT_CONNECT,
    };
    drop(group);
    let start = Instant::now();
    let mut s = Session {
        out,
        input,
        size: o.size,
        timeout: o.timeout,
        last_progress: start,
        expected: vec![0; o.size],
        got: vec![0; o.size],
    };
    let status = s.exchange(o);
    let elapsed = start.elapsed().as_secs_f64();
    if status == 0 {
        let each = if o.count > 0 {
            elapsed * 1e6 / o.count as f64
        } else {
            0.0
        };
        println!(
            "echo-client: OK {} messages echoed ({:.3} s, {:.0} round trips/s, {:.2} us each)",
            o.count,
            elapsed,
            o.count as f64 / elapsed,
            each
        );
    }
    status
}

fn usage() -> u8 {
    eprintln!(
        "usage: rtipc-echo-client SOCKET [-k COUNT] [-s SIZE] [-a ADD_MSGS] [-e 0|1] [-w WINDOW] [-t TIMEOUT_S] [-q] [-x] [-M]"
    );
    EXIT_USAGE
}

fn parse_and_run(args: &[String]) -> u8 {
    let mut o = Options {
        path: String::new(),
        count: 1000,
        size: 64,
        add_msgs: 0,
        eventfd: true,
        window: 1,
        timeout: Duration::from_secs(10),
        no_marker: false,
        no_marker_wait: false,
    };
    let Some((opts, operands)) = common::getopt("k:s:a:e:w:t:qxMh", args) else {
        return usage();
    };
    for (letter, value) in opts {
        let v = |min, max| common::int(&value, min, max);
        let ok = match letter {
            'k' => v(0, i64::MAX / 2).map(|v| o.count = v as u64).is_some(),
            's' => v(8, 64 << 20).map(|v| o.size = v as usize).is_some(),
            'a' => v(0, 1 << 20).map(|v| o.add_msgs = v as u32).is_some(),
            'e' => v(0, 1).map(|v| o.eventfd = v == 1).is_some(),
            'w' => v(1, 1 << 30).map(|v| o.window = v as u64).is_some(),
            't' => v(1, 1 << 20)
                .map(|v| o.timeout = Duration::from_secs(v as u64))
                .is_some(),
            'q' => {
                QUIET.store(true, Ordering::Relaxed);
                true
            }
            'x' => {
                o.no_marker = true;
                true
            }
            'M' => {
                o.no_marker_wait = true;
                true
            }
            _ => false,
        };
        if !ok {
            return usage();
        }
    }
    let [path] = operands.as_slice() else {
        return usage();
    };
    o.path = path.clone();
    run(&o)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    ExitCode::from(parse_and_run(&args))
}
