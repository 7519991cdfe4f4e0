//! Messages in shared memory that the peer's process may write at any time.
//!
//! A `&[u8]` promises that nobody writes the bytes while it lives, a
//! `&mut [u8]` that nobody else reads or writes them; memory shared with
//! another, untrusted process cannot keep either promise, and breaking it is
//! a data race, undefined behaviour. So the safe API never makes such a
//! reference over a slot: [`Msg`] (to read) and [`MsgMut`] (to write) borrow
//! the slot for as long as the library allows and move bytes in and out
//! only with volatile accesses, which the compiler may not merge, repeat or
//! assume stable. A peer writing meanwhile can change what a copy gets, as
//! it could change any input, but cannot make the program undefined.

use std::marker::PhantomData;
use std::mem::{size_of, MaybeUninit};
use std::ptr::{self, NonNull};

use crate::typed::Plain;

const WORD: usize = size_of::<usize>();

/// Copies n bytes out of shared memory (volatile reads, word by word where
/// src is aligned) into private memory.
///
/// # Safety
/// src readable and dst writable for n bytes; they do not overlap.
unsafe fn copy_out(src: *const u8, dst: *mut u8, n: usize) {
    let mut i = 0;
    while i < n && (src as usize + i) % WORD != 0 {
        *dst.add(i) = ptr::read_volatile(src.add(i));
        i += 1;
    }
    while i + WORD <= n {
        let word = ptr::read_volatile(src.add(i).cast::<usize>());
        ptr::write_unaligned(dst.add(i).cast::<usize>(), word);
        i += WORD;
    }
    while i < n {
        *dst.add(i) = ptr::read_volatile(src.add(i));
        i += 1;
    }
}

/// Copies n bytes of private memory into shared memory (volatile writes,
/// word by word where dst is aligned).
///
/// # Safety
/// src readable and dst writable for n bytes; they do not overlap.
unsafe fn copy_in(src: *const u8, dst: *mut u8, n: usize) {
    let mut i = 0;
    while i < n && (dst as usize + i) % WORD != 0 {
        ptr::write_volatile(dst.add(i), *src.add(i));
        i += 1;
    }
    while i + WORD <= n {
        let word = ptr::read_unaligned(src.add(i).cast::<usize>());
        ptr::write_volatile(dst.add(i).cast::<usize>(), word);
        i += WORD;
    }
    while i < n {
        ptr::write_volatile(dst.add(i), *src.add(i));
        i += 1;
    }
}

fn check_range(what: &str, offset: usize, n: usize, len: usize) {
    assert!(
        offset <= len && n <= len - offset,
        "{what}: {n} bytes at offset {offset} do not fit the {len}-byte message"
    );
}

/// The message a [`Consumer`](crate::Consumer) holds, in place in shared
/// memory: read it by copying out. Borrowed from the consumer, so it cannot
/// outlive the next consume (which gives the slot back):
///
/// ```compile_fail
/// fn stale(c: &mut librtipc::Consumer) {
///     let msg = c.msg().unwrap();
///     c.consume(librtipc::ConsumeMode::Next).unwrap();
///     println!("{:?}", msg.to_vec()); // error: c is borrowed by msg
/// }
/// ```
///
/// Nor does it give a reference to the bytes, which the peer may change
/// under it:
///
/// ```compile_fail
/// fn racy(c: &librtipc::Consumer) -> &[u8] {
///     &c.msg().unwrap()[..] // error: Msg is not a slice
/// }
/// ```
///
/// ```compile_fail
/// fn racy(p: &mut librtipc::TypedProducer<u64>) -> &mut u64 {
///     p.msg() // error: no &mut T over the slot
/// }
/// ```
#[derive(Clone, Copy)]
pub struct Msg<'a> {
    ptr: NonNull<u8>,
    len: usize,
    _slot: PhantomData<&'a ()>,
}

impl<'a> Msg<'a> {
    /// # Safety
    /// ptr readable for len bytes for 'a (others may write them meanwhile).
    pub(crate) unsafe fn new(ptr: NonNull<u8>, len: usize) -> Msg<'a> {
        Msg {
            ptr,
            len,
            _slot: PhantomData,
        }
    }

    /// The message size in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Copies the first `dst.len()` bytes into dst.
    ///
    /// # Panics
    /// When dst is longer than the message.
    pub fn copy_to_slice(&self, dst: &mut [u8]) {
        self.read_at(0, dst)
    }

    /// Copies `dst.len()` bytes from offset into dst.
    ///
    /// # Panics
    /// When they do not all lie within the message.
    pub fn read_at(&self, offset: usize, dst: &mut [u8]) {
        check_range("read_at", offset, dst.len(), self.len);
        // SAFETY: in range (checked); dst is private memory.
        unsafe { copy_out(self.ptr.as_ptr().add(offset), dst.as_mut_ptr(), dst.len()) }
    }

    /// A copy of the whole message.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut v = vec![0; self.len];
        self.copy_to_slice(&mut v);
        v
    }

    /// A copy of the [`Plain`] value at offset (any alignment).
    ///
    /// # Panics
    /// When it does not lie within the message.
    pub fn read<T: Plain>(&self, offset: usize) -> T {
        let mut value = MaybeUninit::<T>::uninit();
        check_range("read", offset, size_of::<T>(), self.len);
        // SAFETY: in range; every bit pattern is a T (Plain), all bytes written.
        unsafe {
            copy_out(
                self.ptr.as_ptr().add(offset),
                value.as_mut_ptr().cast(),
                size_of::<T>(),
            );
            value.assume_init()
        }
    }

    /// The first byte of the slot, for unsafe code of your own (which must
    /// not make a reference over it either).
    pub fn as_ptr(&self) -> *const u8 {
        self.ptr.as_ptr()
    }
}

impl std::fmt::Debug for Msg<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Msg").field("len", &self.len).finish()
    }
}

/// The slot a [`Producer`](crate::Producer) writes its next message in, in
/// shared memory: write it by copying in. Borrowed from the producer, so it
/// cannot outlive the next produce:
///
/// ```compile_fail
/// fn stale(p: &mut librtipc::Producer) {
///     let mut slot = p.msg();
///     p.produce(librtipc::ProduceMode::Force).unwrap();
///     slot.fill(1); // error: p is borrowed by slot
/// }
/// ```
pub struct MsgMut<'a> {
    ptr: NonNull<u8>,
    len: usize,
    _slot: PhantomData<&'a mut ()>,
}

impl<'a> MsgMut<'a> {
    /// # Safety
    /// ptr readable and writable for len bytes for 'a (others may access
    /// them meanwhile).
    pub(crate) unsafe fn new(ptr: NonNull<u8>, len: usize) -> MsgMut<'a> {
        MsgMut {
            ptr,
            len,
            _slot: PhantomData,
        }
    }

    /// The message size in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Copies src to the start of the slot; the rest stays as it was.
    ///
    /// # Panics
    /// When src is longer than the message.
    pub fn copy_from_slice(&mut self, src: &[u8]) {
        self.write_at(0, src)
    }

    /// Copies src into the slot at offset.
    ///
    /// # Panics
    /// When it does not all lie within the message.
    pub fn write_at(&mut self, offset: usize, src: &[u8]) {
        check_range("write_at", offset, src.len(), self.len);
        // SAFETY: in range (checked); src is private memory.
        unsafe { copy_in(src.as_ptr(), self.ptr.as_ptr().add(offset), src.len()) }
    }

    /// Writes the [`Plain`] value at offset (any alignment).
    ///
    /// # Panics
    /// When it does not lie within the message.
    pub fn write<T: Plain>(&mut self, offset: usize, value: T) {
        check_range("write", offset, size_of::<T>(), self.len);
        // SAFETY: in range; value is private memory of size_of::<T>() bytes.
        unsafe {
            copy_in(
                ptr::addr_of!(value).cast(),
                self.ptr.as_ptr().add(offset),
                size_of::<T>(),
            )
        }
    }

    /// Copies a received message into the slot, slot to slot with no
    /// buffer of yours: min(len(), src.len()) bytes, the count returned.
    pub fn copy_from_msg(&mut self, src: &Msg<'_>) -> usize {
        let n = self.len.min(src.len);
        let mut chunk = [0u8; 256];
        for at in (0..n).step_by(chunk.len()) {
            let part = &mut chunk[..(n - at).min(256)];
            src.read_at(at, part);
            self.write_at(at, part);
        }
        n
    }

    /// Sets every byte of the slot to byte.
    pub fn fill(&mut self, byte: u8) {
        for i in 0..self.len {
            // SAFETY: in range.
            unsafe { ptr::write_volatile(self.ptr.as_ptr().add(i), byte) }
        }
    }

    /// Reads back what the slot holds (see [`Msg::read_at`]).
    pub fn read_at(&self, offset: usize, dst: &mut [u8]) {
        // SAFETY: the same slot, read only for the call.
        unsafe { Msg::new(self.ptr, self.len) }.read_at(offset, dst)
    }

    /// Reads back the [`Plain`] value at offset (see [`Msg::read`]).
    pub fn read<T: Plain>(&self, offset: usize) -> T {
        // SAFETY: the same slot, read only for the call.
        unsafe { Msg::new(self.ptr, self.len) }.read(offset)
    }

    /// The first byte of the slot, for unsafe code of your own.
    pub fn as_mut_ptr(&mut self) -> *mut u8 {
        self.ptr.as_ptr()
    }
}

impl std::fmt::Debug for MsgMut<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MsgMut").field("len", &self.len).finish()
    }
}
