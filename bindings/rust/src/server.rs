use std::ffi::{c_int, c_void, CString};
use std::marker::PhantomData;
use std::os::fd::BorrowedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::Duration;

use crate::config::{bytes_from, timeout_ms, Filter};
use crate::error::{check, errno, Error, Result};
use crate::{sys, ChannelConfig, Group, ServerConfig};

/// A Unix-socket server that accepts clients' groups. Send, not Sync: one
/// thread at a time accepts.
pub struct Server {
    raw: *mut sys::rtipc_server,
    // Boxed twice so the C side holds a thin pointer that stays put.
    _filter: Option<Box<Filter>>,
}

// SAFETY: the library allows a handle on any thread, one at a time; the
// filter is Send.
unsafe impl Send for Server {}

pub(crate) fn c_path(path: &Path) -> Result<CString> {
    CString::new(path.as_os_str().as_bytes())
        .map_err(|_| Error::new(errno::EINVAL, "the path contains a NUL byte"))
}

unsafe extern "C" fn filter_trampoline(proposal: *const sys::rtipc_proposal, user: *mut c_void) -> c_int {
    // SAFETY: user is the Box<Filter> the server owns, used by the thread
    // in accept only.
    let filter = unsafe { &mut *(user as *mut Filter) };
    let proposal = Proposal {
        raw: proposal,
        _call: PhantomData,
    };
    // A panic must not unwind into C: it rejects the client.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| filter(&proposal))).unwrap_or(false) as c_int
}

impl Server {
    /// Listens on path. A stale socket file nobody listens on is replaced;
    /// a live server there is EADDRINUSE.
    pub fn bind(path: impl AsRef<Path>, config: ServerConfig) -> Result<Server> {
        let path = c_path(path.as_ref())?;
        let mut c = sys::rtipc_server_config::INIT;
        c.group_flags = config.group_flags;
        c.request_timeout_ms = match config.request_timeout {
            None => 0,
            Some(Duration::MAX) => -1,
            Some(d) => timeout_ms(Some(d)).max(1),
        };
        c.backlog = config.backlog;
        c.socket_mode = config.socket_mode;
        c.min_cacheline = config.min_cacheline;
        c.max_channels = config.max_channels;
        c.max_slots = config.max_slots;
        c.max_region_size = config.max_region_size;
        c.max_private_size = config.max_private_size;
        let mut filter = config.filter.map(Box::new);
        if let Some(f) = filter.as_mut() {
            c.filter = Some(filter_trampoline);
            c.filter_user = (&mut **f as *mut Filter).cast();
        }
        let mut raw = std::ptr::null_mut();
        // SAFETY: valid path and config; the library copies the config.
        check(unsafe { sys::rtipc_server_create(path.as_ptr(), &c, &mut raw) })?;
        Ok(Server { raw, _filter: filter })
    }

    /// Accepts one client, waiting up to timeout (None: no limit). Errors:
    /// [`Error::is_timeout`], [`Error::is_rejected`] (the filter said no),
    /// [`Error::is_interrupted`]; the server is ready for the next client
    /// after any of them.
    pub fn accept(&mut self, timeout: Option<Duration>) -> Result<Group> {
        let mut raw = std::ptr::null_mut();
        // SAFETY: a live server handle, used by this thread only (&mut).
        check(unsafe { sys::rtipc_server_accept(self.raw, timeout_ms(timeout), &mut raw) })?;
        // SAFETY: the library handed over a new group.
        Ok(unsafe { Group::from_raw(raw) })
    }

    /// The server descriptor, readable when `accept` has work: a new client, a
    /// request, or a waiting client's time run out.
    pub fn fd(&self) -> BorrowedFd<'_> {
        // SAFETY: the server owns the descriptor for as long as it lives.
        unsafe { BorrowedFd::borrow_raw(sys::rtipc_server_fd(self.raw)) }
    }

    /// The C handle, for calls this crate does not wrap.
    pub fn as_raw(&self) -> *mut sys::rtipc_server {
        self.raw
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // SAFETY: ours, destroyed once.
        unsafe { sys::rtipc_server_destroy(self.raw) }
    }
}

/// What a server's filter sees of a client's group, in the server's terms
/// (its producers are the channels the client consumes). It lives for the
/// filter call only.
pub struct Proposal<'call> {
    raw: *const sys::rtipc_proposal,
    _call: PhantomData<&'call sys::rtipc_proposal>,
}

impl Proposal<'_> {
    pub fn producer_count(&self) -> u32 {
        // SAFETY: valid during the call, which 'call covers.
        unsafe { sys::rtipc_proposal_producer_count(self.raw) }
    }
    pub fn consumer_count(&self) -> u32 {
        // SAFETY: as above.
        unsafe { sys::rtipc_proposal_consumer_count(self.raw) }
    }
    pub fn producer(&self, index: u32) -> Result<ChannelConfig> {
        let mut c = sys::rtipc_channel_config::INIT;
        // SAFETY: as above; c is a sized struct.
        check(unsafe { sys::rtipc_proposal_producer_config(self.raw, index, &mut c) })?;
        Ok(ChannelConfig::from_raw(&c))
    }
    pub fn consumer(&self, index: u32) -> Result<ChannelConfig> {
        let mut c = sys::rtipc_channel_config::INIT;
        // SAFETY: as above.
        check(unsafe { sys::rtipc_proposal_consumer_config(self.raw, index, &mut c) })?;
        Ok(ChannelConfig::from_raw(&c))
    }
    /// The group's info bytes.
    pub fn info(&self) -> &[u8] {
        let mut n = 0;
        // SAFETY: the bytes live in the proposal, as long as self.
        unsafe { bytes_from(sys::rtipc_proposal_info(self.raw, &mut n), n) }
    }
    pub fn region_size(&self) -> u64 {
        // SAFETY: as above.
        unsafe { sys::rtipc_proposal_region_size(self.raw) }
    }
    pub fn cacheline(&self) -> u32 {
        // SAFETY: as above.
        unsafe { sys::rtipc_proposal_cacheline(self.raw) }
    }
    /// The client's pid, uid and gid (pid 0 when unknown).
    pub fn peer_pid(&self) -> i32 {
        // SAFETY: as above.
        unsafe { sys::rtipc_proposal_peer_pid(self.raw) }
    }
    pub fn peer_uid(&self) -> u32 {
        // SAFETY: as above.
        unsafe { sys::rtipc_proposal_peer_uid(self.raw) }
    }
    pub fn peer_gid(&self) -> u32 {
        // SAFETY: as above.
        unsafe { sys::rtipc_proposal_peer_gid(self.raw) }
    }
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("fd", &self.fd())
            .finish_non_exhaustive()
    }
}
