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

/// One more listener for another worker: its own on the same address
/// where `SO_REUSEPORT` allows (on Linux, for the sockets [`bind`] makes),
/// else a handle to `first` (elsewhere, and for inherited sockets).
pub(crate) fn another(first: &TcpListener) -> io::Result<TcpListener> {
    #[cfg(target_os = "linux")]
    if socket2::SockRef::from(first).reuse_port()? {
        return bind(first.local_addr()?);
    }
    first.try_clone()
}

/// The listening sockets systemd passed (socket activation: `LISTEN_FDS`
/// for this process's `LISTEN_PID`), non-blocking and closed on exec; the
/// variables are removed, so child processes take none. Empty when the
/// process was not socket-activated.
pub(crate) fn inherited() -> io::Result<Vec<TcpListener>> {
    let mut passed = listenfd::ListenFd::from_env();
    let mut listeners = Vec::with_capacity(passed.len());
    for i in 0..passed.len() {
        if let Some(listener) = passed.take_tcp_listener(i)? {
            listener.set_nonblocking(true)?;
            #[cfg(unix)]
            socket2::SockRef::from(&listener).set_cloexec(true)?;
            listeners.push(listener);
        }
    }
    Ok(listeners)
}
