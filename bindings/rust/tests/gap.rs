//! The producer and consumer against tests/echo/gap_peer.c (RTIPC_GAP_PEER
//! names the program; Meson sets it), which checks what this side reports:
//! every gap in NEXT and LATEST mode, and discards equal to what it missed.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use librtipc::{ChannelConfig, ConsumeMode, Consumer, Group, GroupConfig, ProduceMode, Produced, Producer};

const MESSAGES: u64 = 20000;

fn start_peer(mode: &str, name: &str) -> Option<(Child, PathBuf)> {
    let Ok(program) = std::env::var("RTIPC_GAP_PEER") else {
        eprintln!("skipped: RTIPC_GAP_PEER is not set (meson test sets it)");
        return None;
    };
    let path = std::env::temp_dir().join(format!("librtipc-gap-{}-{name}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let child = Command::new(program)
        .arg(&path)
        .arg(mode)
        .arg(MESSAGES.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !path.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the gap peer did not listen"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    Some((child, path))
}

fn connect(path: &PathBuf, info: &[u8]) -> (Producer, Consumer) {
    let ch = ChannelConfig::new(16);
    let config = GroupConfig {
        producers: vec![ch.clone()],
        consumers: vec![ch],
        info: info.to_vec(),
        ..Default::default()
    };
    let mut group = Group::connect(path, &config, Some(Duration::from_secs(10))).unwrap();
    (group.take_producer(0).unwrap(), group.take_consumer(0).unwrap())
}

fn finish(child: Child) {
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "gap peer: {}: {text}", out.status);
    println!("{text}");
}

fn word(m: librtipc::Msg<'_>, i: usize) -> u64 {
    u64::from_le_bytes(m.read(8 * i))
}

fn set_word(mut m: librtipc::MsgMut<'_>, i: usize, v: u64) {
    m.write(8 * i, v.to_le_bytes());
}

fn produce_all_try(out: &mut Producer) {
    while out.produce(ProduceMode::Try).unwrap() != Produced::Published {}
}

/// Consumes the peer's numbers in mode and reports each with its result.
fn consume_reporting(mode: ConsumeMode, info: &[u8], name: &str) {
    let Some((child, path)) = start_peer("gaps", name) else {
        return;
    };
    let (mut out, mut input) = connect(&path, info);
    let start = Instant::now();
    loop {
        assert!(start.elapsed() < Duration::from_secs(20), "timed out");
        let r = input.consume(mode).unwrap();
        if !r.is_new() {
            continue;
        }
        let seq = word(input.msg().unwrap(), 0);
        set_word(out.msg(), 0, seq);
        set_word(out.msg(), 1, if r == librtipc::Consumed::New { 2 } else { 3 });
        produce_all_try(&mut out);
        if seq == MESSAGES {
            break;
        }
    }
    finish(child);
}

#[test]
fn gaps_next() {
    consume_reporting(ConsumeMode::Next, b"next", "next");
}

#[test]
fn gaps_latest() {
    consume_reporting(ConsumeMode::Latest, b"latest", "latest");
}

#[test]
fn discards() {
    let Some((child, path)) = start_peer("discards", "discards") else {
        return;
    };
    let (mut out, _input) = connect(&path, b"discards");
    let mut discards = 0;
    for i in 1..=MESSAGES {
        set_word(out.msg(), 0, i);
        discards += (out.produce(ProduceMode::Force).unwrap() == Produced::PublishedDiscarded) as u64;
        if i % 16 == 0 {
            std::thread::sleep(Duration::from_micros(50)); // let the peer see some of each burst
        }
    }
    // The end marker must not discard, or its count would be off by one.
    set_word(out.msg(), 0, u64::MAX);
    set_word(out.msg(), 1, discards);
    produce_all_try(&mut out);
    finish(child);
}
