use std::ffi::c_int;
use std::os::fd::BorrowedFd;
use std::ptr::NonNull;

use crate::config::bytes_from;
use crate::error::{check, errno, Error, Result};
use crate::msg::MsgMut;
use crate::sys;

/// What [`Producer::produce`] does when the queue is full.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum ProduceMode {
    /// Never fails: discards the oldest waiting message.
    Force = sys::RTIPC_PRODUCE_FORCE,
    /// Never discards: reports [`Produced::QueueFull`].
    Try = sys::RTIPC_PRODUCE_TRY,
}

/// What [`Producer::produce`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Produced {
    /// The message is in the queue.
    Published,
    /// ... and the oldest waiting message was dropped.
    PublishedDiscarded,
    /// Nothing published; the message stays in the slot.
    QueueFull,
}

/// Writes one channel. Send, not Sync: one thread at a time.
pub struct Producer {
    raw: NonNull<sys::rtipc_producer>,
    size: usize,
}

// SAFETY: the library allows any thread, one at a time.
unsafe impl Send for Producer {}

impl Producer {
    /// # Safety
    /// raw must be a producer the caller owns; the Producer destroys it.
    ///
    /// # Panics
    /// When raw is NULL.
    pub unsafe fn from_raw(raw: *mut sys::rtipc_producer) -> Producer {
        let raw = NonNull::new(raw).expect("a producer handle");
        Producer {
            raw,
            size: sys::rtipc_producer_msg_size(raw.as_ptr()),
        }
    }

    /// The slot to write the next message in: shared memory, zero copy,
    /// written with volatile copies ([`MsgMut`]; no `&mut [u8]`, since the
    /// peer's process can reach the slot too). The borrow ends before the
    /// next [`produce`](Self::produce), as the library requires; a slot
    /// cannot be kept across it:
    ///
    /// ```compile_fail
    /// fn stale(p: &mut librtipc::Producer) {
    ///     let mut slot = p.msg();
    ///     p.produce(librtipc::ProduceMode::Force).unwrap();
    ///     slot.fill(1); // error: p is borrowed by slot
    /// }
    /// ```
    #[inline]
    pub fn msg(&mut self) -> MsgMut<'_> {
        // SAFETY: msg_size bytes, valid until the next produce, which needs
        // &mut self and so ends this borrow.
        unsafe {
            let p = sys::rtipc_producer_msg(self.raw.as_ptr()).cast::<u8>();
            MsgMut::new(NonNull::new(p).expect("a producer always has a slot"), self.size)
        }
    }

    /// Publishes the message written to [`msg`](Self::msg).
    #[inline]
    pub fn produce(&mut self, mode: ProduceMode) -> Result<Produced> {
        // SAFETY: a live handle, this thread's (&mut).
        let rc = unsafe { sys::rtipc_produce(self.raw.as_ptr(), mode as u32) };
        match rc {
            sys::RTIPC_PUBLISHED => Ok(Produced::Published),
            sys::RTIPC_PUBLISHED_DISCARDED => Ok(Produced::PublishedDiscarded),
            sys::RTIPC_QUEUE_FULL => Ok(Produced::QueueFull),
            rc => Err(Error::last(rc.min(-1))),
        }
    }

    /// Copies data into the slot (the rest left as it was) and produces.
    /// Data longer than msg_size is an error, EMSGSIZE, and nothing is
    /// written or published.
    pub fn send(&mut self, data: &[u8], mode: ProduceMode) -> Result<Produced> {
        if data.len() > self.size {
            return Err(Error::new(
                errno::EMSGSIZE,
                format!(
                    "send: {} bytes do not fit this channel's {size}-byte messages; send at \
                     most {size} bytes, or create the channel with a larger msg_size",
                    data.len(),
                    size = self.size
                ),
            ));
        }
        self.msg().copy_from_slice(data);
        self.produce(mode)
    }

    pub fn msg_size(&self) -> usize {
        self.size
    }
    /// Slot count: 3 + add_msgs.
    pub fn slots(&self) -> u32 {
        // SAFETY: a live handle; any thread.
        unsafe { sys::rtipc_producer_slots(self.raw.as_ptr()) }
    }
    /// The alignment of the slot.
    pub fn msg_align(&self) -> usize {
        // SAFETY: as above.
        unsafe { sys::rtipc_producer_msg_align(self.raw.as_ptr()) }
    }
    pub fn info(&self) -> &[u8] {
        let mut n = 0;
        // SAFETY: valid while the producer lives.
        unsafe { bytes_from(sys::rtipc_producer_info(self.raw.as_ptr(), &mut n), n) }
    }
    /// The channel's eventfd, None when it has none.
    pub fn fd(&self) -> Option<BorrowedFd<'_>> {
        // SAFETY: owned by the producer, which the borrow keeps alive.
        let fd = unsafe { sys::rtipc_producer_fd(self.raw.as_ptr()) };
        (fd >= 0).then(|| unsafe { BorrowedFd::borrow_raw(fd) })
    }
    /// Published messages the consumer has not taken yet.
    pub fn pending(&self) -> Result<usize> {
        // SAFETY: any thread.
        check(unsafe { sys::rtipc_producer_pending(self.raw.as_ptr()) }).map(|n| n as usize)
    }
    /// Whether the peer still runs (ENOTSUP when unknown). One poll(2).
    pub fn peer_alive(&self) -> Result<bool> {
        // SAFETY: any thread.
        check(unsafe { sys::rtipc_producer_peer_alive(self.raw.as_ptr()) }).map(|r: c_int| r == 1)
    }
    /// The C handle, for calls this crate does not wrap.
    pub fn as_raw(&self) -> *mut sys::rtipc_producer {
        self.raw.as_ptr()
    }
}

impl Drop for Producer {
    fn drop(&mut self) {
        // SAFETY: ours, destroyed once.
        unsafe { sys::rtipc_producer_destroy(self.raw.as_ptr()) }
    }
}

impl std::fmt::Debug for Producer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Producer")
            .field("msg_size", &self.size)
            .field("slots", &self.slots())
            .finish()
    }
}
