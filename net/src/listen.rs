//! Listening sockets, made before any runtime sees them: on Linux with
//! `SO_REUSEPORT`, so that each worker can have a listener of its own on
//! the same address and the kernel spreads connections among them.

use std::io;
use std::net::{SocketAddr, TcpListener};

use socket2::{Domain, Protocol, Socket, Type};

/// Connections waiting to be accepted, per listener.
const BACKLOG: i32 = 1024;

/// A non-blocking listener on `addr`.
pub(crate) fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    #[cfg(target_os = "linux")]
    socket.set_reuse_port(true)?;
    socket.bind(&addr.into())?;
    socket.listen(BACKLOG)?;
    socket.set_nonblocking(true)?;
    Ok(socket.into())
}

/// One more listener for another worker: its own on `addr` on Linux, a
/// handle to `first` elsewhere.
pub(crate) fn another(first: &TcpListener, addr: SocketAddr) -> io::Result<TcpListener> {
    if cfg!(target_os = "linux") {
        bind(addr)
    } else {
        first.try_clone()
    }
}
