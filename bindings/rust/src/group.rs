use std::os::fd::BorrowedFd;
use std::path::Path;
use std::time::Duration;

use crate::config::{bytes_from, timeout_ms};
use crate::error::{check, Result};
use crate::server::c_path;
use crate::{sys, ChannelConfig, Consumer, GroupConfig, Producer};

/// A channel group: the producers and consumers a client and its server
/// share. Take the channels out; they outlive the group. Send, not Sync.
pub struct Group {
    raw: *mut sys::rtipc_group,
}

// SAFETY: one thread at a time may use a handle, any thread.
unsafe impl Send for Group {}

impl Group {
    /// # Safety
    /// raw must be a group the caller owns; the Group destroys it.
    pub unsafe fn from_raw(raw: *mut sys::rtipc_group) -> Group {
        Group { raw }
    }

    /// Creates a group from config, connects to the server at path and
    /// hands the group over, all within timeout (None: no limit). Errors:
    /// ENOENT or ECONNREFUSED (no server), [`crate::Error::is_rejected`],
    /// [`crate::Error::is_timeout`].
    pub fn connect(path: impl AsRef<Path>, config: &GroupConfig, timeout: Option<Duration>) -> Result<Group> {
        let path = c_path(path.as_ref())?;
        let c = config.raw();
        let mut raw = std::ptr::null_mut();
        // SAFETY: c borrows config for the call; the library copies it.
        check(unsafe { sys::rtipc_client_connect(path.as_ptr(), &c.config, timeout_ms(timeout), &mut raw) })?;
        Ok(Group { raw })
    }

    /// Takes producer index out of the group.
    pub fn take_producer(&mut self, index: u32) -> Result<Producer> {
        let mut p = std::ptr::null_mut();
        // SAFETY: a live group used by this thread.
        check(unsafe { sys::rtipc_group_take_producer(self.raw, index, &mut p) })?;
        // SAFETY: the library handed it over.
        Ok(unsafe { Producer::from_raw(p) })
    }

    /// Takes consumer index out of the group.
    pub fn take_consumer(&mut self, index: u32) -> Result<Consumer> {
        let mut c = std::ptr::null_mut();
        // SAFETY: as above.
        check(unsafe { sys::rtipc_group_take_consumer(self.raw, index, &mut c) })?;
        // SAFETY: as above.
        Ok(unsafe { Consumer::from_raw(c) })
    }

    pub fn producer_count(&self) -> u32 {
        // SAFETY: a live group.
        unsafe { sys::rtipc_group_producer_count(self.raw) }
    }
    pub fn consumer_count(&self) -> u32 {
        // SAFETY: a live group.
        unsafe { sys::rtipc_group_consumer_count(self.raw) }
    }
    /// The group's info bytes.
    pub fn info(&self) -> &[u8] {
        let mut n = 0;
        // SAFETY: valid while the group lives, which the borrow covers.
        unsafe { bytes_from(sys::rtipc_group_info(self.raw, &mut n), n) }
    }
    pub fn cacheline(&self) -> u32 {
        // SAFETY: a live group.
        unsafe { sys::rtipc_group_cacheline(self.raw) }
    }
    pub fn region_size(&self) -> u64 {
        // SAFETY: a live group.
        unsafe { sys::rtipc_group_region_size(self.raw) }
    }
    pub fn producer_config(&self, index: u32) -> Result<ChannelConfig> {
        let mut c = sys::rtipc_channel_config::INIT;
        // SAFETY: a live group, a sized struct.
        check(unsafe { sys::rtipc_group_producer_config(self.raw, index, &mut c) })?;
        Ok(ChannelConfig::from_raw(&c))
    }
    pub fn consumer_config(&self, index: u32) -> Result<ChannelConfig> {
        let mut c = sys::rtipc_channel_config::INIT;
        // SAFETY: as above.
        check(unsafe { sys::rtipc_group_consumer_config(self.raw, index, &mut c) })?;
        Ok(ChannelConfig::from_raw(&c))
    }
    /// The peer's pid from the handshake, 0 when unknown.
    pub fn peer_pid(&self) -> i32 {
        // SAFETY: a live group.
        unsafe { sys::rtipc_group_peer_pid(self.raw) }
    }
    /// A descriptor that turns readable once the peer has exited (None when
    /// unknown).
    pub fn peer_fd(&self) -> Option<BorrowedFd<'_>> {
        // SAFETY: owned by the group, which the borrow keeps alive.
        let fd = unsafe { sys::rtipc_group_peer_fd(self.raw) };
        (fd >= 0).then(|| unsafe { BorrowedFd::borrow_raw(fd) })
    }
    /// The C handle, for calls this crate does not wrap.
    pub fn as_raw(&self) -> *mut sys::rtipc_group {
        self.raw
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        // SAFETY: ours, destroyed once.
        unsafe { sys::rtipc_group_destroy(self.raw) }
    }
}

impl std::fmt::Debug for Group {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Group")
            .field("producers", &self.producer_count())
            .field("consumers", &self.consumer_count())
            .field("peer_pid", &self.peer_pid())
            .finish()
    }
}
