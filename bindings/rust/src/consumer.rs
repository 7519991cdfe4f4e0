use std::ffi::c_int;
use std::os::fd::BorrowedFd;
use std::ptr::NonNull;
use std::time::Duration;

use crate::config::{bytes_from, timeout_ms};
use crate::error::{check, Error, Result};
use crate::msg::Msg;
use crate::sys;

/// Which message [`Consumer::consume`] moves to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum ConsumeMode {
    /// The oldest unread message.
    Next = sys::RTIPC_CONSUME_NEXT,
    /// The newest message, skipping older ones.
    Latest = sys::RTIPC_CONSUME_LATEST,
}

/// What [`Consumer::consume`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Consumed {
    /// The producer has published nothing yet.
    NothingProduced,
    /// Nothing newer than the message held.
    NoNew,
    /// The message after the last one.
    New,
    /// A new message; messages before it were skipped.
    NewAfterGap,
}

impl Consumed {
    /// Whether the message held changed.
    pub fn is_new(self) -> bool {
        matches!(self, Consumed::New | Consumed::NewAfterGap)
    }
}

/// Reads one channel. Send, not Sync: one thread at a time.
pub struct Consumer {
    raw: NonNull<sys::rtipc_consumer>,
    size: usize,
}

// SAFETY: the library allows any thread, one at a time.
unsafe impl Send for Consumer {}

impl Consumer {
    /// # Safety
    /// raw must be a consumer the caller owns; the Consumer destroys it.
    ///
    /// # Panics
    /// When raw is NULL.
    pub unsafe fn from_raw(raw: *mut sys::rtipc_consumer) -> Consumer {
        let raw = NonNull::new(raw).expect("a consumer handle");
        Consumer {
            raw,
            size: sys::rtipc_consumer_msg_size(raw.as_ptr()),
        }
    }

    /// The message held, in place in shared memory (zero copy), read with
    /// volatile copies ([`Msg`]; no `&[u8]`, since the peer's process may
    /// write the slot while we read it); None before the first. The borrow
    /// ends before the next [`consume`](Self::consume), which hands the slot
    /// back to the producer, so a message cannot be read after it:
    ///
    /// ```compile_fail
    /// fn stale(c: &mut librtipc::Consumer) {
    ///     let msg = c.msg().unwrap();
    ///     c.consume(librtipc::ConsumeMode::Next).unwrap();
    ///     println!("{:?}", msg.to_vec()); // error: c is borrowed by msg
    /// }
    /// ```
    ///
    /// The peer is untrusted: check the copy, not the slot.
    #[inline]
    pub fn msg(&self) -> Option<Msg<'_>> {
        // SAFETY: msg_size bytes, valid until the next consume, which needs
        // &mut self and so ends this borrow.
        let p = unsafe { sys::rtipc_consumer_msg(self.raw.as_ptr()) };
        NonNull::new(p.cast_mut().cast::<u8>()).map(|p| unsafe { Msg::new(p, self.size) })
    }

    /// Moves to the next (or newest) message.
    #[inline]
    pub fn consume(&mut self, mode: ConsumeMode) -> Result<Consumed> {
        // SAFETY: a live handle, this thread's (&mut).
        let rc = unsafe { sys::rtipc_consume(self.raw.as_ptr(), mode as u32) };
        match rc {
            sys::RTIPC_NOTHING_PRODUCED => Ok(Consumed::NothingProduced),
            sys::RTIPC_NO_NEW => Ok(Consumed::NoNew),
            sys::RTIPC_NEW => Ok(Consumed::New),
            sys::RTIPC_NEW_AFTER_GAP => Ok(Consumed::NewAfterGap),
            rc => Err(Error::last(rc.min(-1))),
        }
    }

    /// Blocks until consume would find something new (true), timeout passes
    /// (false; None: no limit), or the peer has exited with nothing new left
    /// ([`Error::is_peer_gone`]), or a signal handler ran
    /// ([`Error::is_interrupted`]). A channel without eventfd cannot sleep
    /// (ENOTSUP). Does not consume.
    pub fn wait(&mut self, timeout: Option<Duration>) -> Result<bool> {
        // SAFETY: a live handle, this thread's.
        check(unsafe { sys::rtipc_consumer_wait(self.raw.as_ptr(), timeout_ms(timeout)) }).map(|r| r > 0)
    }

    /// How long [`wait`](Self::wait) busy-polls before it sleeps.
    pub fn set_spin(&mut self, spin: Duration) {
        let ns = spin.as_nanos().min(u32::MAX as u128) as u32;
        // SAFETY: a live handle, this thread's.
        unsafe { sys::rtipc_consumer_set_spin(self.raw.as_ptr(), ns) }
    }

    pub fn msg_size(&self) -> usize {
        self.size
    }
    /// Slot count: 3 + add_msgs.
    pub fn slots(&self) -> u32 {
        // SAFETY: any thread.
        unsafe { sys::rtipc_consumer_slots(self.raw.as_ptr()) }
    }
    pub fn msg_align(&self) -> usize {
        // SAFETY: any thread.
        unsafe { sys::rtipc_consumer_msg_align(self.raw.as_ptr()) }
    }
    pub fn info(&self) -> &[u8] {
        let mut n = 0;
        // SAFETY: valid while the consumer lives.
        unsafe { bytes_from(sys::rtipc_consumer_info(self.raw.as_ptr(), &mut n), n) }
    }
    /// The channel's eventfd for poll/epoll, None when it has none.
    pub fn fd(&self) -> Option<BorrowedFd<'_>> {
        // SAFETY: owned by the consumer, which the borrow keeps alive.
        let fd = unsafe { sys::rtipc_consumer_fd(self.raw.as_ptr()) };
        (fd >= 0).then(|| unsafe { BorrowedFd::borrow_raw(fd) })
    }
    /// Messages waiting behind the one held.
    pub fn pending(&self) -> Result<usize> {
        // SAFETY: any thread.
        check(unsafe { sys::rtipc_consumer_pending(self.raw.as_ptr()) }).map(|n| n as usize)
    }
    /// Whether the peer still runs (ENOTSUP when unknown). One poll(2).
    pub fn peer_alive(&self) -> Result<bool> {
        // SAFETY: any thread.
        check(unsafe { sys::rtipc_consumer_peer_alive(self.raw.as_ptr()) }).map(|r: c_int| r == 1)
    }
    /// The C handle, for calls this crate does not wrap.
    pub fn as_raw(&self) -> *mut sys::rtipc_consumer {
        self.raw.as_ptr()
    }
}

impl Drop for Consumer {
    fn drop(&mut self) {
        // SAFETY: ours, destroyed once.
        unsafe { sys::rtipc_consumer_destroy(self.raw.as_ptr()) }
    }
}

impl std::fmt::Debug for Consumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Consumer")
            .field("msg_size", &self.size)
            .field("slots", &self.slots())
            .finish()
    }
}
