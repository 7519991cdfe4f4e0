//! rtipc-echo-server in Rust, with the same command line and exit status:
//! serves echo clients one after another, each offering exactly one channel
//! each way with messages of at least 8 bytes, and echoes every new message;
//! a message whose first 8 bytes are all 0xFF is echoed too and ends the
//! session.
//!
//! Exit status: 0 ok, 1 usage or setup, 2 accept failed or rejected, 3 idle
//! timeout (or the client exited without the end marker), 4 queue error.

mod common;

use std::os::unix::fs::FileTypeExt;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use librtipc::{ConsumeMode, Consumer, ProduceMode, Producer, Server, ServerConfig};

const EXIT_USAGE: u8 = 1;
const EXIT_ACCEPT: u8 = 2;
const EXIT_IDLE: u8 = 3;
const EXIT_QUEUE: u8 = 4;

static QUIET: AtomicBool = AtomicBool::new(false);

macro_rules! say {
    ($($arg:tt)*) => {
        if !QUIET.load(Ordering::Relaxed) {
            eprint!("echo-server: {}", format_args!($($arg)*));
        }
    };
}

struct Options {
    path: String,
    clients: i64,
    idle: Duration,
    reject_all: bool,
}

fn is_end_marker(head: &[u8; 8]) -> bool {
    head.iter().all(|&b| b == 0xFF)
}

/// Echoes until the end marker: 0 or an exit status.
fn serve(out: &mut Producer, input: &mut Consumer, idle: Duration, echoed: &mut u64) -> u8 {
    let has_eventfd = input.fd().is_some();
    let mut idle_since = Instant::now();
    let (mut idle_polls, mut client_gone) = (0u64, false);
    loop {
        let r = match input.consume(ConsumeMode::Next) {
            Ok(r) => r,
            Err(e) => {
                say!("consume failed: {e}\n");
                return EXIT_QUEUE;
            }
        };
        if r.is_new() {
            let msg = input.msg().expect("a message after a new one");
            out.msg().copy_from_msg(&msg);
            if let Err(e) = out.produce(ProduceMode::Force) {
                say!("produce failed: {e}\n");
                return EXIT_QUEUE;
            }
            *echoed += 1;
            if is_end_marker(&msg.read::<[u8; 8]>(0)) {
                return 0;
            }
            idle_since = Instant::now();
            continue;
        }
        if idle_since.elapsed() > idle {
            say!("no message for {} s\n", idle.as_secs());
            return EXIT_IDLE;
        }
        if !has_eventfd {
            if client_gone {
                // Gone before the consume above found nothing.
                say!("the client went away without the end marker\n");
                return EXIT_IDLE;
            }
            // A polling consumer cannot sleep on the peer's exit: look now
            // and then, then consume once more before giving up.
            idle_polls += 1;
            if idle_polls % 1024 == 0 {
                client_gone = input.peer_alive() == Ok(false);
            }
            std::thread::sleep(Duration::from_micros(20));
            continue;
        }
        match input.wait(Some(Duration::from_millis(100))) {
            Ok(_) => {}
            Err(e) if e.is_interrupted() => {}
            Err(e) if e.is_peer_gone() => {
                // No message can come any more: what the idle timeout would
                // find, only sooner.
                say!("the client went away without the end marker\n");
                return EXIT_IDLE;
            }
            Err(e) => {
                say!("wait failed: {e}\n");
                return EXIT_QUEUE;
            }
        }
    }
}

fn run(o: &Options) -> u8 {
    // Replace whatever socket file a previous server left behind.
    if std::fs::symlink_metadata(&o.path).is_ok_and(|m| m.file_type().is_socket()) {
        let _ = std::fs::remove_file(&o.path);
    }
    let reject_all = o.reject_all;
    // A test peer for other rtipc programs: take any group the protocol
    // allows, up to the library's hard limits, not the modest defaults.
    let limits = ServerConfig {
        max_channels: 1024,
        max_slots: 1 << 20,
        max_region_size: 16 << 30,
        max_private_size: u64::MAX,
        ..Default::default()
    };
    let config = limits.filter(move |p| {
        !reject_all
            && p.producer_count() == 1
            && p.consumer_count() == 1
            && p.producer(0).is_ok_and(|c| c.msg_size >= 8)
            && p.consumer(0).is_ok_and(|c| c.msg_size >= 8)
    });
    let mut server = match Server::bind(&o.path, config) {
        Ok(s) => s,
        Err(e) => {
            say!("cannot listen on {}: {e}\n", o.path);
            return EXIT_USAGE;
        }
    };
    for i in 1..=o.clients {
        let accepted = server.accept(Some(o.idle));
        if o.reject_all {
            match accepted {
                Err(e) if e.is_rejected() => {
                    say!("rejected client {i} as asked\n");
                    continue;
                }
                Err(e) => say!("accept: {e}\n"),
                Ok(_) => say!("accept: a client was accepted\n"),
            }
            return EXIT_ACCEPT;
        }
        let mut group = match accepted {
            Ok(g) => g,
            Err(e) => {
                say!("accept: {e}\n");
                return EXIT_ACCEPT;
            }
        };
        let (mut out, mut input) = match (group.take_producer(0), group.take_consumer(0)) {
            (Ok(p), Ok(c)) => (p, c),
            _ => return EXIT_ACCEPT,
        };
        drop(group);
        let mut echoed = 0;
        let status = serve(&mut out, &mut input, o.idle, &mut echoed);
        say!("client {i}: {echoed} messages echoed\n");
        if status != 0 {
            return status;
        }
    }
    0
}

fn usage() -> u8 {
    eprintln!("usage: rtipc-echo-server SOCKET [-n CLIENTS] [-t IDLE_S] [-r] [-q]");
    EXIT_USAGE
}

fn parse_and_run(args: &[String]) -> u8 {
    let mut o = Options {
        path: String::new(),
        clients: 1,
        idle: Duration::from_secs(30),
        reject_all: false,
    };
    let Some((opts, operands)) = common::getopt("n:t:rqh", args) else {
        return usage();
    };
    for (letter, value) in opts {
        let ok = match letter {
            'n' => common::int(&value, 1, 1 << 62).map(|v| o.clients = v).is_some(),
            't' => common::int(&value, 1, 1 << 30)
                .map(|v| o.idle = Duration::from_secs(v as u64))
                .is_some(),
            'r' => {
                o.reject_all = true;
                true
            }
            'q' => {
                QUIET.store(true, Ordering::Relaxed);
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
