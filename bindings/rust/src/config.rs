use std::ffi::c_void;
use std::time::Duration;

use crate::sys;
use crate::Proposal;

/// One channel of a group.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChannelConfig {
    /// Bytes per message, 1 .. 64 MiB.
    pub msg_size: u32,
    /// Slots beyond the minimum of 3.
    pub add_msgs: u32,
    /// The channel has an eventfd, so [`crate::Consumer::wait`] can sleep.
    pub eventfd: bool,
    /// Opaque metadata for the peer, at most 65536 bytes.
    pub info: Vec<u8>,
}

impl ChannelConfig {
    pub fn new(msg_size: u32) -> Self {
        ChannelConfig {
            msg_size,
            ..Default::default()
        }
    }
    pub fn add_msgs(mut self, n: u32) -> Self {
        self.add_msgs = n;
        self
    }
    pub fn eventfd(mut self, on: bool) -> Self {
        self.eventfd = on;
        self
    }
    pub fn info(mut self, info: &[u8]) -> Self {
        self.info = info.to_vec();
        self
    }

    /// The C struct, pointing into self.info.
    pub(crate) fn raw(&self) -> sys::rtipc_channel_config {
        let mut c = sys::rtipc_channel_config::INIT;
        c.msg_size = self.msg_size;
        c.add_msgs = self.add_msgs;
        c.flags = if self.eventfd {
            sys::RTIPC_CHANNEL_EVENTFD
        } else {
            0
        };
        (c.info, c.info_size) = bytes_raw(&self.info);
        c
    }

    /// A copy of what the library filled in.
    pub(crate) fn from_raw(c: &sys::rtipc_channel_config) -> Self {
        ChannelConfig {
            msg_size: c.msg_size,
            add_msgs: c.add_msgs,
            eventfd: c.flags & sys::RTIPC_CHANNEL_EVENTFD != 0,
            // SAFETY: the library points info at info_size bytes valid for now.
            info: unsafe { bytes_from(c.info, c.info_size as usize) }.to_vec(),
        }
    }
}

pub(crate) fn bytes_raw(b: &[u8]) -> (*const c_void, u32) {
    if b.is_empty() {
        (std::ptr::null(), 0)
    } else {
        (b.as_ptr().cast(), b.len() as u32)
    }
}

/// # Safety
/// p must point to n readable bytes that live for 'a (or be NULL).
pub(crate) unsafe fn bytes_from<'a>(p: *const c_void, n: usize) -> &'a [u8] {
    if p.is_null() || n == 0 {
        &[]
    } else {
        std::slice::from_raw_parts(p.cast(), n)
    }
}

/// Flags of a group, local to one side (never sent).
pub mod group_flags {
    pub const MLOCK: u32 = crate::sys::RTIPC_GROUP_MLOCK;
    pub const MLOCK_REQUIRED: u32 = crate::sys::RTIPC_GROUP_MLOCK_REQUIRED;
    pub const PRODUCER_CACHE: u32 = crate::sys::RTIPC_GROUP_PRODUCER_CACHE;
}

/// A group in the terms of the client that creates it: its producers are
/// the channels the client writes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupConfig {
    pub producers: Vec<ChannelConfig>,
    pub consumers: Vec<ChannelConfig>,
    pub info: Vec<u8>,
    /// [`group_flags`].
    pub flags: u32,
    /// Layout cache line, a power of two 8..4096; 0: [`crate::default_cacheline`].
    pub cacheline: u32,
}

/// A GroupConfig as the C library reads it; borrows the GroupConfig.
pub(crate) struct RawGroupConfig {
    pub(crate) config: sys::rtipc_group_config,
    _producers: Vec<sys::rtipc_channel_config>,
    _consumers: Vec<sys::rtipc_channel_config>,
}

impl GroupConfig {
    pub(crate) fn raw(&self) -> RawGroupConfig {
        let producers: Vec<_> = self.producers.iter().map(ChannelConfig::raw).collect();
        let consumers: Vec<_> = self.consumers.iter().map(ChannelConfig::raw).collect();
        let mut c = sys::rtipc_group_config::INIT;
        c.flags = self.flags;
        c.producer_count = producers.len() as u32;
        c.consumer_count = consumers.len() as u32;
        c.producers = if producers.is_empty() {
            std::ptr::null()
        } else {
            producers.as_ptr()
        };
        c.consumers = if consumers.is_empty() {
            std::ptr::null()
        } else {
            consumers.as_ptr()
        };
        (c.info, c.info_size) = bytes_raw(&self.info);
        c.cacheline = self.cacheline;
        RawGroupConfig {
            config: c,
            _producers: producers,
            _consumers: consumers,
        }
    }
}

/// A server's filter: decides on each client's proposal; true accepts.
pub type Filter = Box<dyn FnMut(&Proposal<'_>) -> bool + Send>;

/// How a server takes its clients' groups; every field left 0 (or None)
/// takes the library's default.
#[derive(Default)]
pub struct ServerConfig {
    /// [`group_flags`] for every accepted group.
    pub group_flags: u32,
    /// A connected client's time to send its request; None: 1 s;
    /// `Duration::MAX`: no limit.
    pub request_timeout: Option<Duration>,
    /// listen(2) backlog; 0: SOMAXCONN.
    pub backlog: i32,
    /// Permission bits of the socket file; 0: the umask's.
    pub socket_mode: u32,
    /// Refuse layouts with a smaller cache line.
    pub min_cacheline: u32,
    /// Channels per group, both directions; 0: 64.
    pub max_channels: u32,
    /// Slots per channel; 0: 4096.
    pub max_slots: u32,
    /// Bytes of the shared region; 0: 64 MiB.
    pub max_region_size: u64,
    /// Bytes the server allocates and touches for one group; 0: 16 MiB.
    pub max_private_size: u64,
    /// Decides on each client's proposal; None accepts whatever is within
    /// the limits. See [`ServerConfig::filter`].
    pub filter: Option<Filter>,
}

impl ServerConfig {
    /// Decides on each client's proposal before anything of it is mapped:
    /// true accepts. It runs on the thread that calls accept. A panic in it
    /// rejects the client.
    pub fn filter(mut self, f: impl FnMut(&Proposal<'_>) -> bool + Send + 'static) -> Self {
        self.filter = Some(Box::new(f));
        self
    }
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("group_flags", &self.group_flags)
            .field("request_timeout", &self.request_timeout)
            .field("filter", &self.filter.is_some())
            .finish_non_exhaustive()
    }
}

/// The C timeout for an optional duration: milliseconds rounded up, -1 for
/// none, at most i32::MAX.
pub(crate) fn timeout_ms(t: Option<Duration>) -> i32 {
    match t {
        None => -1,
        Some(d) => {
            let ms = d.as_nanos().div_ceil(1_000_000);
            ms.min(i32::MAX as u128) as i32
        }
    }
}
