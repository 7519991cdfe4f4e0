//! Safe Rust binding of librtipc: real-time inter-process communication
//! through shared memory, speaking the rtipc wire protocol (version 2).
//!
//! A client describes a group of channels ([`GroupConfig`]) and hands it to
//! a server with [`Group::connect`]; the server takes it with
//! [`Server::accept`]. Each side takes its channels out of the [`Group`]: a
//! [`Producer`] for each channel it writes, a [`Consumer`] for each it
//! reads. The hot path is zero copy: [`Producer::msg`] and
//! [`Consumer::msg`] borrow the slot in shared memory, and the borrow
//! checker stops a slot from outliving the next produce or consume. The
//! peer's process can write that memory at any time, so no `&[u8]` or
//! `&mut T` is ever made over it: [`Msg`] and [`MsgMut`] copy bytes out
//! and in with volatile accesses. Data that does not fit a message is an
//! error, EMSGSIZE, as in every rtipc binding.
//! [`TypedProducer`] and [`TypedConsumer`] carry one [`Plain`] value per
//! message, size checked.
//!
//! Every handle owns its C object and destroys it on drop. Handles are
//! `Send` but not `Sync`: the library lets any thread use a handle, one at
//! a time, and different handles (even of one group) at once. Errors are
//! [`Error`] values with the errno and the library's message.
//!
//! ```compile_fail
//! fn sync<T: Sync>() {}
//! sync::<librtipc::Consumer>(); // one thread at a time: not Sync
//! ```
//!
//! The library is found at build time by `pkg-config rtipc` (set
//! `PKG_CONFIG_PATH`) or `RTIPC_LIB_DIR`; see build.rs.

pub mod sys;

mod config;
mod consumer;
mod error;
mod group;
mod msg;
mod producer;
mod server;
mod typed;
mod waitset;

pub use config::{group_flags, ChannelConfig, Filter, GroupConfig, ServerConfig};
pub use consumer::{ConsumeMode, Consumed, Consumer};
pub use error::{errno, Error, Result};
pub use group::Group;
pub use msg::{Msg, MsgMut};
pub use producer::{ProduceMode, Produced, Producer};
pub use server::{Proposal, Server};
pub use typed::{Plain, TypedConsumer, TypedProducer};
pub use waitset::{ready, Backend, Event, Notifier, NotifyMode, Ready, Waitset};

/// The run-time library's version, "MAJOR.MINOR.MICRO".
pub fn version() -> &'static str {
    // SAFETY: a static NUL-terminated string.
    unsafe { std::ffi::CStr::from_ptr(sys::rtipc_version()) }
        .to_str()
        .unwrap_or("?")
}

/// The cache line the library lays a group out with when its config says 0.
pub fn default_cacheline() -> u32 {
    // SAFETY: no arguments, thread-safe.
    unsafe { sys::rtipc_default_cacheline() }
}
