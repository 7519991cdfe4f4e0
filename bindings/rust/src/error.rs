use std::ffi::{c_int, CStr};
use std::fmt;

use crate::sys;

/// errno values the crate's callers most often test (Linux numbering).
pub mod errno {
    pub const ENOENT: i32 = 2;
    pub const EINTR: i32 = 4;
    pub const EINVAL: i32 = 22;
    pub const EPIPE: i32 = 32;
    /// Data longer than a message, or a type of another size than the
    /// channel's messages.
    pub const EMSGSIZE: i32 = 90;
    pub const ENOTSUP: i32 = 95;
    pub const EADDRINUSE: i32 = 98;
    pub const ETIMEDOUT: i32 = 110;
    pub const ECONNREFUSED: i32 = 111;
    /// The library's own code: the server (or its filter) said no.
    pub const REJECTED: i32 = crate::sys::RTIPC_EREJECTED;
}

/// A failed call of the C library: the errno it returned (negated there) or
/// [`errno::REJECTED`], and the library's message for the failure.
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    errno: i32,
    message: String,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// The error of a call that just returned rc < 0, with the calling
    /// thread's last-error message.
    pub(crate) fn last(rc: c_int) -> Error {
        // SAFETY: both return static or thread-local NUL-terminated strings.
        let message = unsafe {
            let last = CStr::from_ptr(sys::rtipc_last_error());
            if last.to_bytes().is_empty() {
                CStr::from_ptr(sys::rtipc_strerror(rc))
            } else {
                last
            }
        };
        Error {
            errno: -rc,
            message: message.to_string_lossy().into_owned(),
        }
    }

    pub(crate) fn new(errno: i32, message: impl Into<String>) -> Error {
        Error {
            errno,
            message: message.into(),
        }
    }

    /// The positive errno value, or [`errno::REJECTED`].
    pub fn errno(&self) -> i32 {
        self.errno
    }

    /// The library's description of the failure.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The server, or its filter, refused the group.
    pub fn is_rejected(&self) -> bool {
        self.errno == errno::REJECTED
    }

    /// The call ran out of time (ETIMEDOUT).
    pub fn is_timeout(&self) -> bool {
        self.errno == errno::ETIMEDOUT
    }

    /// A signal handler ran while the call blocked (EINTR): call it again to
    /// go on.
    pub fn is_interrupted(&self) -> bool {
        self.errno == errno::EINTR
    }

    /// The peer process has exited and nothing new is left (EPIPE).
    pub fn is_peer_gone(&self) -> bool {
        self.errno == errno::EPIPE
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Error {{ errno: {}, message: {:?} }}",
            self.errno, self.message
        )
    }
}

impl std::error::Error for Error {}

impl From<Error> for std::io::Error {
    fn from(e: Error) -> std::io::Error {
        if e.is_rejected() {
            return std::io::Error::new(std::io::ErrorKind::ConnectionRefused, e);
        }
        let kind = std::io::Error::from_raw_os_error(e.errno).kind();
        std::io::Error::new(kind, e)
    }
}

/// rc when it is a result, else the error it stands for.
pub(crate) fn check(rc: c_int) -> Result<c_int> {
    if rc < 0 {
        Err(Error::last(rc))
    } else {
        Ok(rc)
    }
}
