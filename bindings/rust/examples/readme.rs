use std::time::Duration;

use librtipc::{ChannelConfig, ConsumeMode, Group, GroupConfig, ProduceMode, Server, ServerConfig};

fn main() -> Result<(), librtipc::Error> {
    let path = std::env::temp_dir().join(format!("rtipc-example-{}.sock", std::process::id()));
    let timeout = Some(Duration::from_secs(5));

    // The server accepts clients whose group has one channel each way.
    let config = ServerConfig::default().filter(|p| p.producer_count() == 1 && p.consumer_count() == 1);
    let mut server = Server::bind(&path, config)?;
    let echo = std::thread::spawn(move || -> Result<(), librtipc::Error> {
        // Here in this process; usually another one.
        let mut group = server.accept(timeout)?;
        let (mut input, mut out) = (group.take_consumer(0)?, group.take_producer(0)?);
        drop(group); // the channels live on
        input.wait(timeout)?;
        if input.consume(ConsumeMode::Next)?.is_new() {
            // Echo it, slot to slot: no buffer of ours.
            out.msg().copy_from_msg(&input.msg().unwrap());
            out.produce(ProduceMode::Force)?;
        }
        Ok(())
    });

    // The client offers one channel each way: 64-byte messages, an eventfd.
    let channel = ChannelConfig::new(64).add_msgs(4).eventfd(true);
    let config = GroupConfig {
        producers: vec![channel.clone()],
        consumers: vec![channel],
        ..Default::default()
    };
    let mut group = Group::connect(&path, &config, timeout)?;
    let (mut out, mut input) = (group.take_producer(0)?, group.take_consumer(0)?);
    drop(group);

    let text = b"hello through shared memory";
    out.msg().copy_from_slice(text);
    out.produce(ProduceMode::Try)?;
    input.wait(timeout)?;
    input.consume(ConsumeMode::Next)?;
    // A copy: the peer's process may write the slot while we read it.
    let mut got = vec![0u8; text.len()];
    input.msg().unwrap().copy_to_slice(&mut got);
    println!("received: {}", String::from_utf8_lossy(&got));
    echo.join().unwrap()
}
