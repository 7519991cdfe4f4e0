use std::marker::PhantomData;

use crate::error::{errno, Error, Result};
use crate::{ConsumeMode, Consumed, Consumer, ProduceMode, Produced, Producer};

/// Types a message may be read as: Copy, and valid for every bit pattern
/// (no bool, char, enum, reference or pointer inside), because the bytes
/// come from another, untrusted process.
///
/// # Safety
/// Implement it only for `#[repr(C)]` (or primitive) types of which every
/// bit pattern of `size_of::<T>()` bytes is a valid value.
pub unsafe trait Plain: Copy + 'static {}

macro_rules! plain {
    ($($t:ty)*) => { $(unsafe impl Plain for $t {})* };
}
plain!(u8 u16 u32 u64 u128 usize i8 i16 i32 i64 i128 isize f32 f64);
// SAFETY: an array of plain values is plain.
unsafe impl<T: Plain, const N: usize> Plain for [T; N] {}

fn check_fits<T>(msg_size: usize, msg_align: usize) -> Result<()> {
    let (size, align) = (std::mem::size_of::<T>(), std::mem::align_of::<T>());
    if size != msg_size {
        return Err(Error::new(
            errno::EMSGSIZE,
            format!(
                "{} is {size} bytes, the channel's messages {msg_size}",
                std::any::type_name::<T>()
            ),
        ));
    }
    if msg_align % align != 0 {
        return Err(Error::new(
            errno::EMSGSIZE,
            format!(
                "{} needs alignment {align}, the channel has {msg_align}",
                std::any::type_name::<T>()
            ),
        ));
    }
    Ok(())
}

/// A producer whose messages are one T each.
pub struct TypedProducer<T: Plain> {
    inner: Producer,
    _t: PhantomData<fn(T)>,
}

impl<T: Plain> TypedProducer<T> {
    /// Fails (EMSGSIZE) unless the channel's messages are exactly
    /// `size_of::<T>()` bytes and aligned for T.
    pub fn new(inner: Producer) -> Result<Self> {
        check_fits::<T>(inner.msg_size(), inner.msg_align())?;
        Ok(TypedProducer {
            inner,
            _t: PhantomData,
        })
    }

    /// Writes value to the slot (a volatile copy: no `&mut T` over memory
    /// the peer's process can reach) without producing it.
    pub fn write(&mut self, value: T) {
        self.inner.msg().write(0, value)
    }

    /// What the slot holds now (a copy).
    pub fn read(&mut self) -> T {
        self.inner.msg().read(0)
    }

    /// Changes the slot with f, on a copy that is written back.
    pub fn update(&mut self, f: impl FnOnce(&mut T)) {
        let mut value = self.read();
        f(&mut value);
        self.write(value)
    }

    /// Writes value to the slot and produces it.
    pub fn send(&mut self, value: T, mode: ProduceMode) -> Result<Produced> {
        self.write(value);
        self.inner.produce(mode)
    }

    pub fn produce(&mut self, mode: ProduceMode) -> Result<Produced> {
        self.inner.produce(mode)
    }

    pub fn into_inner(self) -> Producer {
        self.inner
    }
}

/// A consumer whose messages are one T each.
pub struct TypedConsumer<T: Plain> {
    inner: Consumer,
    _t: PhantomData<fn() -> T>,
}

impl<T: Plain> TypedConsumer<T> {
    /// Fails (EMSGSIZE) unless the channel's messages are exactly
    /// `size_of::<T>()` bytes and aligned for T.
    pub fn new(inner: Consumer) -> Result<Self> {
        check_fits::<T>(inner.msg_size(), inner.msg_align())?;
        Ok(TypedConsumer {
            inner,
            _t: PhantomData,
        })
    }

    /// A copy of the message held (None before the first): copied, so the
    /// peer cannot change it after you checked it.
    pub fn msg(&self) -> Option<T> {
        // Size checked; a volatile copy because the peer's process may
        // write the slot meanwhile.
        self.inner.msg().map(|m| m.read(0))
    }

    pub fn consume(&mut self, mode: ConsumeMode) -> Result<Consumed> {
        self.inner.consume(mode)
    }

    /// Consumes; Some(message) when there was a new one.
    pub fn recv(&mut self, mode: ConsumeMode) -> Result<Option<T>> {
        Ok(if self.inner.consume(mode)?.is_new() {
            self.msg()
        } else {
            None
        })
    }

    pub fn inner(&mut self) -> &mut Consumer {
        &mut self.inner
    }

    pub fn into_inner(self) -> Consumer {
        self.inner
    }
}

impl<T: Plain> std::fmt::Debug for TypedProducer<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("TypedProducer")
            .field(&std::any::type_name::<T>())
            .field(&self.inner)
            .finish()
    }
}

impl<T: Plain> std::fmt::Debug for TypedConsumer<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("TypedConsumer")
            .field(&std::any::type_name::<T>())
            .field(&self.inner)
            .finish()
    }
}
