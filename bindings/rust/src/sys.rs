//! Raw declarations mirroring `include/rtipc/rtipc.h` (ABI 1.0), written by
//! hand and nothing more: every rule (validity of pointers, threads, errors)
//! is the header's. The safe layer is the crate root.
#![allow(non_camel_case_types)]

use std::ffi::{c_char, c_int, c_uint, c_void};

#[repr(C)]
pub struct rtipc_group {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct rtipc_producer {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct rtipc_consumer {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct rtipc_server {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct rtipc_proposal {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct rtipc_waitset {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct rtipc_notifier {
    _opaque: [u8; 0],
}

pub const RTIPC_WAITSET_EPOLL: u32 = 0;
pub const RTIPC_WAITSET_IO_URING: u32 = 1;
pub const RTIPC_WAITSET_REQUIRE: u32 = 0x1;
pub const RTIPC_READY_MESSAGE: u32 = 0x1;
pub const RTIPC_READY_PEER_GONE: u32 = 0x2;
pub const RTIPC_READY_FD: u32 = 0x4;

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct rtipc_waitset_config {
    pub size: u32,
    pub flags: u32,
    pub backend: u32,
    pub spin_ns: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct rtipc_waitset_event {
    pub key: u64,
    pub ready: u32,
    pub revents: u32,
}

pub const RTIPC_NOTIFY_DIRECT: u32 = 0;
pub const RTIPC_NOTIFY_IO_URING: u32 = 1;
pub const RTIPC_NOTIFIER_REQUIRE: u32 = 0x1;
pub const RTIPC_NOTIFIER_PIN_CPU: u32 = 0x2;
pub const RTIPC_DEFAULT_NOTIFIER_IDLE_MS: u32 = 1000;

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct rtipc_notifier_config {
    pub size: u32,
    pub flags: u32,
    pub idle_ms: u32,
    pub cpu: u32,
}

pub const RTIPC_EREJECTED: c_int = 4096;

pub const RTIPC_LOG_NONE: c_uint = 0;
pub const RTIPC_LOG_ERROR: c_uint = 1;
pub const RTIPC_LOG_WARNING: c_uint = 2;
pub const RTIPC_LOG_INFO: c_uint = 3;
pub const RTIPC_LOG_DEBUG: c_uint = 4;

pub type rtipc_log_fn = Option<unsafe extern "C" fn(level: c_uint, text: *const c_char, user: *mut c_void)>;

pub const RTIPC_CHANNEL_EVENTFD: u32 = 0x1;

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rtipc_channel_config {
    pub size: u32,
    pub flags: u32,
    pub msg_size: u32,
    pub add_msgs: u32,
    pub info: *const c_void,
    pub info_size: u32,
    pub reserved: u32,
}

pub const RTIPC_GROUP_MLOCK: u32 = 0x1;
pub const RTIPC_GROUP_MLOCK_REQUIRED: u32 = 0x2;
pub const RTIPC_GROUP_PRODUCER_CACHE: u32 = 0x4;

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rtipc_group_config {
    pub size: u32,
    pub flags: u32,
    pub producers: *const rtipc_channel_config,
    pub consumers: *const rtipc_channel_config,
    pub producer_count: u32,
    pub consumer_count: u32,
    pub info: *const c_void,
    pub info_size: u32,
    pub cacheline: u32,
}

pub type rtipc_filter_fn =
    Option<unsafe extern "C" fn(proposal: *const rtipc_proposal, user: *mut c_void) -> c_int>;

pub const RTIPC_DEFAULT_MAX_CHANNELS: u32 = 64;
pub const RTIPC_DEFAULT_MAX_SLOTS: u32 = 4096;
pub const RTIPC_DEFAULT_MAX_REGION_SIZE: u64 = 64 << 20;
pub const RTIPC_DEFAULT_MAX_PRIVATE_SIZE: u64 = 16 << 20;
pub const RTIPC_DEFAULT_REQUEST_TIMEOUT_MS: i32 = 1000;

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct rtipc_server_config {
    pub size: u32,
    pub group_flags: u32,
    pub filter: rtipc_filter_fn,
    pub filter_user: *mut c_void,
    pub request_timeout_ms: i32,
    pub backlog: i32,
    pub socket_mode: u32,
    pub min_cacheline: u32,
    pub max_channels: u32,
    pub max_slots: u32,
    pub max_region_size: u64,
    pub max_private_size: u64,
}

impl rtipc_channel_config {
    /// RTIPC_CHANNEL_CONFIG_INIT
    pub const INIT: Self = Self {
        size: std::mem::size_of::<Self>() as u32,
        flags: 0,
        msg_size: 0,
        add_msgs: 0,
        info: std::ptr::null(),
        info_size: 0,
        reserved: 0,
    };
}

impl rtipc_group_config {
    /// RTIPC_GROUP_CONFIG_INIT
    pub const INIT: Self = Self {
        size: std::mem::size_of::<Self>() as u32,
        flags: 0,
        producers: std::ptr::null(),
        consumers: std::ptr::null(),
        producer_count: 0,
        consumer_count: 0,
        info: std::ptr::null(),
        info_size: 0,
        cacheline: 0,
    };
}

impl rtipc_server_config {
    /// RTIPC_SERVER_CONFIG_INIT
    pub const INIT: Self = Self {
        size: std::mem::size_of::<Self>() as u32,
        group_flags: 0,
        filter: None,
        filter_user: std::ptr::null_mut(),
        request_timeout_ms: 0,
        backlog: 0,
        socket_mode: 0,
        min_cacheline: 0,
        max_channels: 0,
        max_slots: 0,
        max_region_size: 0,
        max_private_size: 0,
    };
}

pub const RTIPC_MAX_REQUEST_SIZE: u32 = 65536;

pub const RTIPC_PRODUCE_FORCE: c_uint = 0;
pub const RTIPC_PRODUCE_TRY: c_uint = 1;
pub const RTIPC_PUBLISHED: c_int = 0;
pub const RTIPC_PUBLISHED_DISCARDED: c_int = 1;
pub const RTIPC_QUEUE_FULL: c_int = 2;

pub const RTIPC_CONSUME_NEXT: c_uint = 0;
pub const RTIPC_CONSUME_LATEST: c_uint = 1;
pub const RTIPC_NOTHING_PRODUCED: c_int = 0;
pub const RTIPC_NO_NEW: c_int = 1;
pub const RTIPC_NEW: c_int = 2;
pub const RTIPC_NEW_AFTER_GAP: c_int = 3;

extern "C" {
    pub fn rtipc_version() -> *const c_char;
    pub fn rtipc_version_major() -> c_uint;
    pub fn rtipc_version_minor() -> c_uint;
    pub fn rtipc_version_micro() -> c_uint;
    pub fn rtipc_default_cacheline() -> u32;
    pub fn rtipc_strerror(err: c_int) -> *const c_char;
    pub fn rtipc_last_error() -> *const c_char;
    pub fn rtipc_set_log(f: rtipc_log_fn, user: *mut c_void, max_level: c_uint);

    pub fn rtipc_proposal_producer_count(proposal: *const rtipc_proposal) -> u32;
    pub fn rtipc_proposal_consumer_count(proposal: *const rtipc_proposal) -> u32;
    pub fn rtipc_proposal_producer_config(
        proposal: *const rtipc_proposal,
        index: u32,
        config: *mut rtipc_channel_config,
    ) -> c_int;
    pub fn rtipc_proposal_consumer_config(
        proposal: *const rtipc_proposal,
        index: u32,
        config: *mut rtipc_channel_config,
    ) -> c_int;
    pub fn rtipc_proposal_info(proposal: *const rtipc_proposal, size: *mut usize) -> *const c_void;
    pub fn rtipc_proposal_region_size(proposal: *const rtipc_proposal) -> u64;
    pub fn rtipc_proposal_cacheline(proposal: *const rtipc_proposal) -> u32;
    pub fn rtipc_proposal_peer_pid(proposal: *const rtipc_proposal) -> i32;
    pub fn rtipc_proposal_peer_uid(proposal: *const rtipc_proposal) -> u32;
    pub fn rtipc_proposal_peer_gid(proposal: *const rtipc_proposal) -> u32;

    pub fn rtipc_group_create(config: *const rtipc_group_config, group: *mut *mut rtipc_group) -> c_int;
    pub fn rtipc_group_request(group: *const rtipc_group, buf: *mut c_void, size: usize) -> c_int;
    pub fn rtipc_group_fds(group: *const rtipc_group, fds: *mut c_int, count: usize) -> c_int;
    pub fn rtipc_group_from_request(
        request: *const c_void,
        size: usize,
        fds: *const c_int,
        fd_count: usize,
        config: *const rtipc_server_config,
        group: *mut *mut rtipc_group,
    ) -> c_int;
    pub fn rtipc_group_destroy(group: *mut rtipc_group);
    pub fn rtipc_group_producer_count(group: *const rtipc_group) -> u32;
    pub fn rtipc_group_consumer_count(group: *const rtipc_group) -> u32;
    pub fn rtipc_group_info(group: *const rtipc_group, size: *mut usize) -> *const c_void;
    pub fn rtipc_group_cacheline(group: *const rtipc_group) -> u32;
    pub fn rtipc_group_region_size(group: *const rtipc_group) -> u64;
    pub fn rtipc_group_producer_config(
        group: *const rtipc_group,
        index: u32,
        config: *mut rtipc_channel_config,
    ) -> c_int;
    pub fn rtipc_group_consumer_config(
        group: *const rtipc_group,
        index: u32,
        config: *mut rtipc_channel_config,
    ) -> c_int;
    pub fn rtipc_group_peer_pid(group: *const rtipc_group) -> i32;
    pub fn rtipc_group_peer_fd(group: *const rtipc_group) -> c_int;
    pub fn rtipc_group_take_producer(
        group: *mut rtipc_group,
        index: u32,
        producer: *mut *mut rtipc_producer,
    ) -> c_int;
    pub fn rtipc_group_take_consumer(
        group: *mut rtipc_group,
        index: u32,
        consumer: *mut *mut rtipc_consumer,
    ) -> c_int;

    pub fn rtipc_producer_destroy(producer: *mut rtipc_producer);
    pub fn rtipc_producer_msg(producer: *mut rtipc_producer) -> *mut c_void;
    pub fn rtipc_produce(producer: *mut rtipc_producer, mode: c_uint) -> c_int;
    pub fn rtipc_producer_msg_size(producer: *const rtipc_producer) -> usize;
    pub fn rtipc_producer_slots(producer: *const rtipc_producer) -> u32;
    pub fn rtipc_producer_msg_align(producer: *const rtipc_producer) -> usize;
    pub fn rtipc_producer_info(producer: *const rtipc_producer, size: *mut usize) -> *const c_void;
    pub fn rtipc_producer_fd(producer: *const rtipc_producer) -> c_int;
    pub fn rtipc_producer_pending(producer: *const rtipc_producer) -> c_int;
    pub fn rtipc_producer_peer_alive(producer: *const rtipc_producer) -> c_int;

    pub fn rtipc_consumer_destroy(consumer: *mut rtipc_consumer);
    pub fn rtipc_consumer_msg(consumer: *const rtipc_consumer) -> *const c_void;
    pub fn rtipc_consume(consumer: *mut rtipc_consumer, mode: c_uint) -> c_int;
    pub fn rtipc_consumer_msg_size(consumer: *const rtipc_consumer) -> usize;
    pub fn rtipc_consumer_slots(consumer: *const rtipc_consumer) -> u32;
    pub fn rtipc_consumer_msg_align(consumer: *const rtipc_consumer) -> usize;
    pub fn rtipc_consumer_info(consumer: *const rtipc_consumer, size: *mut usize) -> *const c_void;
    pub fn rtipc_consumer_fd(consumer: *const rtipc_consumer) -> c_int;
    pub fn rtipc_consumer_pending(consumer: *const rtipc_consumer) -> c_int;
    pub fn rtipc_consumer_wait(consumer: *mut rtipc_consumer, timeout_ms: c_int) -> c_int;
    pub fn rtipc_consumer_peer_alive(consumer: *const rtipc_consumer) -> c_int;
    pub fn rtipc_consumer_set_spin(consumer: *mut rtipc_consumer, spin_ns: u32);

    pub fn rtipc_server_create(
        path: *const c_char,
        config: *const rtipc_server_config,
        server: *mut *mut rtipc_server,
    ) -> c_int;
    pub fn rtipc_server_fd(server: *const rtipc_server) -> c_int;
    pub fn rtipc_server_accept(
        server: *mut rtipc_server,
        timeout_ms: c_int,
        group: *mut *mut rtipc_group,
    ) -> c_int;
    pub fn rtipc_server_accept_socket(
        sock: c_int,
        config: *const rtipc_server_config,
        timeout_ms: c_int,
        group: *mut *mut rtipc_group,
    ) -> c_int;
    pub fn rtipc_server_destroy(server: *mut rtipc_server);
    pub fn rtipc_client_connect(
        path: *const c_char,
        config: *const rtipc_group_config,
        timeout_ms: c_int,
        group: *mut *mut rtipc_group,
    ) -> c_int;
    pub fn rtipc_client_connect_socket(
        sock: c_int,
        config: *const rtipc_group_config,
        timeout_ms: c_int,
        group: *mut *mut rtipc_group,
    ) -> c_int;

    pub fn rtipc_waitset_create(
        config: *const rtipc_waitset_config,
        waitset: *mut *mut rtipc_waitset,
    ) -> c_int;
    pub fn rtipc_waitset_destroy(waitset: *mut rtipc_waitset);
    pub fn rtipc_waitset_backend(waitset: *const rtipc_waitset) -> c_uint;
    pub fn rtipc_waitset_fd(waitset: *const rtipc_waitset) -> c_int;
    pub fn rtipc_waitset_add_consumer(
        waitset: *mut rtipc_waitset,
        consumer: *mut rtipc_consumer,
        key: u64,
    ) -> c_int;
    pub fn rtipc_waitset_add_fd(waitset: *mut rtipc_waitset, fd: c_int, events: u32, key: u64) -> c_int;
    pub fn rtipc_waitset_add_peer(waitset: *mut rtipc_waitset, pidfd: c_int, key: u64) -> c_int;
    pub fn rtipc_waitset_remove_consumer(
        waitset: *mut rtipc_waitset,
        consumer: *const rtipc_consumer,
    ) -> c_int;
    pub fn rtipc_waitset_remove_fd(waitset: *mut rtipc_waitset, fd: c_int) -> c_int;
    pub fn rtipc_waitset_wait(
        waitset: *mut rtipc_waitset,
        events: *mut rtipc_waitset_event,
        max: u32,
        timeout_ms: c_int,
    ) -> c_int;

    pub fn rtipc_notifier_create(
        config: *const rtipc_notifier_config,
        notifier: *mut *mut rtipc_notifier,
    ) -> c_int;
    pub fn rtipc_notifier_destroy(notifier: *mut rtipc_notifier);
    pub fn rtipc_notifier_mode(notifier: *const rtipc_notifier) -> c_uint;
    pub fn rtipc_producer_set_notifier(producer: *mut rtipc_producer, notifier: *mut rtipc_notifier)
        -> c_int;
    pub fn rtipc_producer_notify_mode(producer: *const rtipc_producer) -> c_int;
}
