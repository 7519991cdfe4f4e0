//! The hand-written structs of librtipc::sys have C's sizes and offsets:
//! a C program compiled against the same header prints them.

use std::mem::{offset_of, size_of};
use std::process::Command;

use librtipc::sys::*;

const PROGRAM: &str = r#"
#include <stddef.h>
#include <stdio.h>
#include <rtipc/rtipc.h>
#define F(s, f) printf(#s "." #f " %zu\n", offsetof(struct s, f))
#define S(s) printf(#s " %zu\n", sizeof(struct s))
int main(void) {
	S(rtipc_channel_config); F(rtipc_channel_config, flags); F(rtipc_channel_config, msg_size);
	F(rtipc_channel_config, add_msgs); F(rtipc_channel_config, info);
	F(rtipc_channel_config, info_size); F(rtipc_channel_config, reserved);
	S(rtipc_group_config); F(rtipc_group_config, flags); F(rtipc_group_config, producers);
	F(rtipc_group_config, consumers); F(rtipc_group_config, producer_count);
	F(rtipc_group_config, consumer_count); F(rtipc_group_config, info);
	F(rtipc_group_config, info_size); F(rtipc_group_config, cacheline);
	S(rtipc_server_config); F(rtipc_server_config, group_flags); F(rtipc_server_config, filter);
	F(rtipc_server_config, filter_user); F(rtipc_server_config, request_timeout_ms);
	F(rtipc_server_config, backlog); F(rtipc_server_config, socket_mode);
	F(rtipc_server_config, min_cacheline); F(rtipc_server_config, max_channels);
	F(rtipc_server_config, max_slots); F(rtipc_server_config, max_region_size);
	F(rtipc_server_config, max_private_size);
	S(rtipc_waitset_config); F(rtipc_waitset_config, flags); F(rtipc_waitset_config, backend);
	F(rtipc_waitset_config, spin_ns);
	S(rtipc_waitset_event); F(rtipc_waitset_event, ready); F(rtipc_waitset_event, revents);
	S(rtipc_notifier_config); F(rtipc_notifier_config, flags); F(rtipc_notifier_config, idle_ms);
	F(rtipc_notifier_config, cpu);
	printf("RTIPC_EREJECTED %d\n", RTIPC_EREJECTED);
	printf("RTIPC_NEW_AFTER_GAP %d\n", RTIPC_NEW_AFTER_GAP);
	printf("RTIPC_QUEUE_FULL %d\n", RTIPC_QUEUE_FULL);
	printf("RTIPC_CHANNEL_EVENTFD %u\n", RTIPC_CHANNEL_EVENTFD);
	printf("RTIPC_GROUP_PRODUCER_CACHE %u\n", RTIPC_GROUP_PRODUCER_CACHE);
	printf("RTIPC_MAX_REQUEST_SIZE %u\n", RTIPC_MAX_REQUEST_SIZE);
	printf("RTIPC_READY_FD %u\n", RTIPC_READY_FD);
	printf("RTIPC_NOTIFIER_PIN_CPU %u\n", RTIPC_NOTIFIER_PIN_CPU);
	return 0;
}
"#;

fn rust_side() -> String {
    let mut s = String::new();
    let mut add = |name: &str, v: usize| s.push_str(&format!("{name} {v}\n"));
    macro_rules! f {
        ($s:ident, $($f:ident),*) => {
            add(stringify!($s), size_of::<$s>());
            $(add(concat!(stringify!($s), ".", stringify!($f)), offset_of!($s, $f));)*
        };
    }
    f!(
        rtipc_channel_config,
        flags,
        msg_size,
        add_msgs,
        info,
        info_size,
        reserved
    );
    f!(
        rtipc_group_config,
        flags,
        producers,
        consumers,
        producer_count,
        consumer_count,
        info,
        info_size,
        cacheline
    );
    f!(
        rtipc_server_config,
        group_flags,
        filter,
        filter_user,
        request_timeout_ms,
        backlog,
        socket_mode,
        min_cacheline,
        max_channels,
        max_slots,
        max_region_size,
        max_private_size
    );
    f!(rtipc_waitset_config, flags, backend, spin_ns);
    f!(rtipc_waitset_event, ready, revents);
    f!(rtipc_notifier_config, flags, idle_ms, cpu);
    add("RTIPC_EREJECTED", RTIPC_EREJECTED as usize);
    add("RTIPC_NEW_AFTER_GAP", RTIPC_NEW_AFTER_GAP as usize);
    add("RTIPC_QUEUE_FULL", RTIPC_QUEUE_FULL as usize);
    add("RTIPC_CHANNEL_EVENTFD", RTIPC_CHANNEL_EVENTFD as usize);
    add("RTIPC_GROUP_PRODUCER_CACHE", RTIPC_GROUP_PRODUCER_CACHE as usize);
    add("RTIPC_MAX_REQUEST_SIZE", RTIPC_MAX_REQUEST_SIZE as usize);
    add("RTIPC_READY_FD", RTIPC_READY_FD as usize);
    add("RTIPC_NOTIFIER_PIN_CPU", RTIPC_NOTIFIER_PIN_CPU as usize);
    s
}

#[test]
fn structs_match_the_c_header() {
    let dir = std::env::temp_dir().join(format!("librtipc-layout-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (src, exe) = (dir.join("layout.c"), dir.join("layout"));
    std::fs::write(&src, PROGRAM).unwrap();
    let cflags = env!("RTIPC_CFLAGS");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let status = Command::new(&cc)
        .args(cflags.split_whitespace())
        .arg("-o")
        .arg(&exe)
        .arg(&src)
        .status()
        .expect("a C compiler");
    assert!(status.success(), "{cc} {cflags} failed");
    let out = Command::new(&exe).output().unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), rust_side());
}
