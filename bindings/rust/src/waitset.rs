//! Waiting on many channels ([`Waitset`]) and notifying without a system
//! call ([`Notifier`]): rtipc.h's sections of the same names.

use std::marker::PhantomData;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::ptr::{self, NonNull};
use std::time::Duration;

use crate::config::timeout_ms;
use crate::error::{check, Error, Result};
use crate::{sys, Consumer, Producer};

/// How a waitset sleeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Backend {
    /// epoll(7): the default.
    Epoll = sys::RTIPC_WAITSET_EPOLL,
    /// Poll requests on an io_uring (Linux 6.1+).
    IoUring = sys::RTIPC_WAITSET_IO_URING,
}

/// Why an entry is ready: bits of [`Event::ready`].
pub mod ready {
    /// A consumer has something new for consume.
    pub const MESSAGE: u32 = crate::sys::RTIPC_READY_MESSAGE;
    /// A consumer's peer, or a watched pidfd, has exited.
    pub const PEER_GONE: u32 = crate::sys::RTIPC_READY_PEER_GONE;
    /// A plain descriptor has events (see [`super::Event::revents`]).
    pub const FD: u32 = crate::sys::RTIPC_READY_FD;
}

/// One ready entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    /// The key the entry was added with.
    pub key: u64,
    /// [`ready`] bits.
    pub ready: u32,
    /// poll(2) bits of a descriptor or pidfd; 0 for a consumer.
    pub revents: u32,
}

/// Waits on many consumers, descriptors and peers' pidfds at once, each
/// under a key of the caller's. Members are borrowed for `'a`: none can be
/// dropped or closed while the waitset may still look at it, and a consumer
/// comes back (through [`Ready::next`] or [`Waitset::remove_consumer`])
/// to be consumed. Send, not Sync: one thread waits at a time.
///
/// ```compile_fail
/// fn outlives(c: librtipc::Consumer) {
///     let mut ws = librtipc::Waitset::new(librtipc::Backend::Epoll, None).unwrap();
///     let mut c = c;
///     ws.add_consumer(&mut c, 1).unwrap();
///     drop(c); // error: c is borrowed by the waitset
///     ws.wait(None).unwrap();
/// }
/// ```
///
/// A signal handler that runs ends a wait with EINTR
/// ([`Error::is_interrupted`]), as every blocking call of this crate: the
/// caller decides whether to wait again.
pub struct Waitset<'a> {
    raw: NonNull<sys::rtipc_waitset>,
    events: Vec<sys::rtipc_waitset_event>,
    consumers: Vec<(u64, &'a mut Consumer)>,
    _fds: PhantomData<BorrowedFd<'a>>,
}

// SAFETY: the library allows any thread, one at a time (epoll); io_uring
// answers -EPERM on another thread than the creator's.
unsafe impl Send for Waitset<'_> {}

impl<'a> Waitset<'a> {
    /// A waitset on backend (falling back to epoll where io_uring is not
    /// there, see [`backend`](Self::backend)), busy-polling its consumers
    /// for spin before it sleeps.
    pub fn new(backend: Backend, spin: Option<Duration>) -> Result<Waitset<'a>> {
        Self::with_flags(backend, spin, 0, 64)
    }

    /// As [`new`](Self::new), but fails rather than fall back to epoll.
    pub fn new_required(backend: Backend, spin: Option<Duration>) -> Result<Waitset<'a>> {
        Self::with_flags(backend, spin, sys::RTIPC_WAITSET_REQUIRE, 64)
    }

    fn with_flags(backend: Backend, spin: Option<Duration>, flags: u32, max: usize) -> Result<Waitset<'a>> {
        let config = sys::rtipc_waitset_config {
            size: std::mem::size_of::<sys::rtipc_waitset_config>() as u32,
            flags,
            backend: backend as u32,
            spin_ns: spin.map_or(0, |d| d.as_nanos().min(u32::MAX as u128) as u32),
        };
        let mut raw = ptr::null_mut();
        // SAFETY: a valid config and out pointer.
        check(unsafe { sys::rtipc_waitset_create(&config, &mut raw) })?;
        Ok(Waitset {
            raw: NonNull::new(raw).expect("a waitset handle"),
            events: vec![sys::rtipc_waitset_event::default(); max],
            consumers: Vec::new(),
            _fds: PhantomData,
        })
    }

    /// The backend it got.
    pub fn backend(&self) -> Backend {
        // SAFETY: a live handle; any thread.
        match unsafe { sys::rtipc_waitset_backend(self.raw.as_ptr()) } {
            sys::RTIPC_WAITSET_IO_URING => Backend::IoUring,
            _ => Backend::Epoll,
        }
    }

    /// For an outer event loop: readable when something fired since the
    /// last wait (then wait with a zero timeout).
    pub fn fd(&self) -> BorrowedFd<'_> {
        // SAFETY: the waitset owns the descriptor for as long as it lives.
        unsafe { BorrowedFd::borrow_raw(sys::rtipc_waitset_fd(self.raw.as_ptr())) }
    }

    /// Adds a consumer under key: [`ready::MESSAGE`] while consume would
    /// find something new, [`ready::PEER_GONE`] once its peer has exited.
    /// ENOTSUP for a channel without eventfd, EEXIST for a key or consumer
    /// already there.
    pub fn add_consumer(&mut self, consumer: &'a mut Consumer, key: u64) -> Result<()> {
        if self.consumers.iter().any(|(k, _)| *k == key) {
            return Err(Error::new(
                libc_eexist(),
                "a consumer with this key is in the waitset",
            ));
        }
        // SAFETY: live handles; the consumer stays borrowed while it is a member.
        check(unsafe { sys::rtipc_waitset_add_consumer(self.raw.as_ptr(), consumer.as_raw(), key) })?;
        self.consumers.push((key, consumer));
        Ok(())
    }

    /// Removes the consumer added under key and hands it back.
    pub fn remove_consumer(&mut self, key: u64) -> Option<&'a mut Consumer> {
        let i = self.consumers.iter().position(|(k, _)| *k == key)?;
        let (_, c) = self.consumers.swap_remove(i);
        // SAFETY: live handles. It is a member, so this cannot fail.
        unsafe { sys::rtipc_waitset_remove_consumer(self.raw.as_ptr(), c.as_raw()) };
        Some(c)
    }

    /// The consumer added under key, to consume between waits.
    pub fn consumer(&mut self, key: u64) -> Option<&mut Consumer> {
        self.consumers
            .iter_mut()
            .find(|(k, _)| *k == key)
            .map(|(_, c)| &mut **c)
    }

    /// Adds a plain descriptor, level-triggered, for the poll(2) events
    /// (libc::POLLIN...): [`ready::FD`] with revents.
    pub fn add_fd(&mut self, fd: BorrowedFd<'a>, events: u32, key: u64) -> Result<()> {
        // SAFETY: a live handle; the descriptor is borrowed for 'a.
        check(unsafe { sys::rtipc_waitset_add_fd(self.raw.as_ptr(), fd.as_raw_fd(), events, key) })
            .map(|_| ())
    }

    /// Adds a pidfd ([`crate::Group::peer_fd`]): [`ready::PEER_GONE`] once
    /// that process has exited.
    pub fn add_peer(&mut self, pidfd: BorrowedFd<'a>, key: u64) -> Result<()> {
        // SAFETY: as add_fd.
        check(unsafe { sys::rtipc_waitset_add_peer(self.raw.as_ptr(), pidfd.as_raw_fd(), key) }).map(|_| ())
    }

    /// Removes a descriptor or pidfd. ENOENT when it is not there.
    pub fn remove_fd(&mut self, fd: BorrowedFd<'_>) -> Result<()> {
        // SAFETY: a live handle.
        check(unsafe { sys::rtipc_waitset_remove_fd(self.raw.as_ptr(), fd.as_raw_fd()) }).map(|_| ())
    }

    /// Blocks until at least one entry is ready or timeout passes (None:
    /// no limit; an empty [`Ready`]), or a signal handler runs (EINTR).
    /// Does not consume.
    pub fn wait(&mut self, timeout: Option<Duration>) -> Result<Ready<'_, 'a>> {
        // SAFETY: a live handle and a buffer of events.len() entries.
        let n = check(unsafe {
            sys::rtipc_waitset_wait(
                self.raw.as_ptr(),
                self.events.as_mut_ptr(),
                self.events.len() as u32,
                timeout_ms(timeout),
            )
        })? as usize;
        Ok(Ready {
            events: &self.events[..n],
            consumers: &mut self.consumers,
            next: 0,
        })
    }
}

fn libc_eexist() -> i32 {
    17 // EEXIST on every Linux architecture
}

impl Drop for Waitset<'_> {
    fn drop(&mut self) {
        // SAFETY: owned; members stay the caller's.
        unsafe { sys::rtipc_waitset_destroy(self.raw.as_ptr()) }
    }
}

/// The entries one [`Waitset::wait`] found, borrowed from the waitset:
/// they cannot outlive it, nor the next wait.
pub struct Ready<'w, 'a> {
    events: &'w [sys::rtipc_waitset_event],
    consumers: &'w mut Vec<(u64, &'a mut Consumer)>,
    next: usize,
}

impl Ready<'_, '_> {
    /// How many entries are ready (0 after a timeout).
    pub fn len(&self) -> usize {
        self.events.len()
    }
    /// True after a timeout.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }
    /// The entries, as copies.
    pub fn events(&self) -> impl Iterator<Item = Event> + '_ {
        self.events.iter().map(|e| Event {
            key: e.key,
            ready: e.ready,
            revents: e.revents,
        })
    }
    /// The next entry, with its consumer when it is one, to consume now:
    /// `while let Some((event, consumer)) = ready.next() { ... }`.
    #[allow(clippy::should_implement_trait)] // lends the consumer: no Iterator can
    pub fn next(&mut self) -> Option<(Event, Option<&mut Consumer>)> {
        let e = self.events.get(self.next)?;
        self.next += 1;
        let event = Event {
            key: e.key,
            ready: e.ready,
            revents: e.revents,
        };
        let consumer = self
            .consumers
            .iter_mut()
            .find(|(k, _)| *k == e.key)
            .map(|(_, c)| &mut **c);
        Some((event, consumer))
    }
}

/// How a producer's pushes signal its eventfd.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum NotifyMode {
    /// write(2) on every publishing push.
    Direct = sys::RTIPC_NOTIFY_DIRECT,
    /// Queued to the notifier's kernel poller: no system call while it is awake.
    IoUring = sys::RTIPC_NOTIFY_IO_URING,
}

impl NotifyMode {
    fn from_raw(m: u32) -> NotifyMode {
        if m == sys::RTIPC_NOTIFY_IO_URING {
            NotifyMode::IoUring
        } else {
            NotifyMode::Direct
        }
    }
}

/// An io_uring kernel poller that writes producers' eventfds, so that a
/// push makes no system call. Where io_uring is not there it is in
/// [`NotifyMode::Direct`], which works as if there were none. Dropping it
/// drops the caller's reference; attached producers keep the poller alive.
pub struct Notifier {
    raw: NonNull<sys::rtipc_notifier>,
}

// SAFETY: the handle is reference-counted by the library; its calls are
// for any thread.
unsafe impl Send for Notifier {}
unsafe impl Sync for Notifier {}

impl Notifier {
    /// Starts a poller. require: fail rather than fall back to direct mode;
    /// idle: the poller sleeps after this long without work (None: 1 s);
    /// cpu: pin the poller there.
    pub fn new(require: bool, idle: Option<Duration>, cpu: Option<u32>) -> Result<Notifier> {
        let mut flags = 0;
        if require {
            flags |= sys::RTIPC_NOTIFIER_REQUIRE;
        }
        if cpu.is_some() {
            flags |= sys::RTIPC_NOTIFIER_PIN_CPU;
        }
        let config = sys::rtipc_notifier_config {
            size: std::mem::size_of::<sys::rtipc_notifier_config>() as u32,
            flags,
            idle_ms: idle.map_or(0, |d| d.as_millis().clamp(1, u32::MAX as u128) as u32),
            cpu: cpu.unwrap_or(0),
        };
        let mut raw = ptr::null_mut();
        // SAFETY: a valid config and out pointer.
        check(unsafe { sys::rtipc_notifier_create(&config, &mut raw) })?;
        Ok(Notifier {
            raw: NonNull::new(raw).expect("a notifier handle"),
        })
    }

    /// The mode it got.
    pub fn mode(&self) -> NotifyMode {
        // SAFETY: a live handle; any thread.
        NotifyMode::from_raw(unsafe { sys::rtipc_notifier_mode(self.raw.as_ptr()) })
    }

    pub fn as_raw(&self) -> *mut sys::rtipc_notifier {
        self.raw.as_ptr()
    }
}

impl Drop for Notifier {
    fn drop(&mut self) {
        // SAFETY: our reference.
        unsafe { sys::rtipc_notifier_destroy(self.raw.as_ptr()) }
    }
}

impl Producer {
    /// Signals through notifier from now on (None: back to write(2)); call
    /// it on the thread that pushes. ENOTSUP without an eventfd.
    pub fn set_notifier(&mut self, notifier: Option<&Notifier>) -> Result<()> {
        let n = notifier.map_or(ptr::null_mut(), Notifier::as_raw);
        // SAFETY: live handles; the library holds its own reference.
        check(unsafe { sys::rtipc_producer_set_notifier(self.as_raw(), n) }).map(|_| ())
    }

    /// How the pushes signal now. ENOTSUP without an eventfd.
    pub fn notify_mode(&self) -> Result<NotifyMode> {
        // SAFETY: a live handle.
        check(unsafe { sys::rtipc_producer_notify_mode(self.as_raw()) })
            .map(|m| NotifyMode::from_raw(m as u32))
    }
}
