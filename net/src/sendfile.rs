//! Response bodies that are a span of a file, sent from the file to the
//! socket by the kernel (`sendfile(2)`, Linux): no byte is copied through
//! the server's memory. The call runs on the `blocking` thread pool, as a
//! file read would, so a file not in the page cache never stalls an
//! executor; there it waits for the socket to take more with `poll(2)`.

use std::io;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures::FutureExt;
use lath_app::FileSpan;
use rustix::event::{PollFd, PollFlags, Timespec};
use rustix::io::Errno;

/// Spans shorter than this go the usual way: read into memory and
/// written with the head, which costs less than a trip to the pool.
pub(crate) const AT_LEAST: u64 = 256 * 1024;

/// How long one `poll(2)` waits before looking whether the send was
/// called off.
const LOOK_EVERY: Duration = Duration::from_millis(100);

/// A span being sent on the pool. Dropped (the connection is closing),
/// it calls the send off.
pub(crate) struct Sending {
    task: blocking::Task<io::Result<u64>>,
    cancel: Arc<AtomicBool>,
}

impl Sending {
    /// Starts sending `span` to `socket`; fails when the socket takes
    /// nothing for `stall`.
    pub(crate) fn start(socket: BorrowedFd<'_>, span: FileSpan, stall: Duration) -> Sending {
        let cancel = Arc::new(AtomicBool::new(false));
        let called_off = cancel.clone();
        // A descriptor of its own: the connection may close its socket
        // while the pool still sends.
        let own = socket.try_clone_to_owned();
        let task = blocking::unblock(move || send(&own?, &span, stall, &called_off));
        Sending { task, cancel }
    }

    /// The bytes sent, once all of the span went out.
    pub(crate) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        self.task.poll_unpin(cx)
    }
}

impl Drop for Sending {
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

/// Sends all of `span` to `socket` (non-blocking: waits for room with
/// `poll(2)`).
fn send(
    socket: &OwnedFd,
    span: &FileSpan,
    stall: Duration,
    cancel: &AtomicBool,
) -> io::Result<u64> {
    let end = span.offset() + span.len();
    let mut offset = span.offset();
    let mut progress = Instant::now();
    while offset < end {
        if cancel.load(Ordering::Relaxed) {
            return Err(io::Error::new(io::ErrorKind::Interrupted, "called off"));
        }
        let want = (end - offset).min(1 << 30) as usize;
        match rustix::fs::sendfile(socket, &**span.file(), Some(&mut offset), want) {
            Ok(0) => {
                // The file ended before the span: it changed under us.
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the file changed while being sent",
                ));
            }
            Ok(_) => progress = Instant::now(),
            Err(Errno::INTR) => {}
            Err(Errno::AGAIN) => {
                let waited = progress.elapsed();
                if waited >= stall {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "no write progress within the write timeout",
                    ));
                }
                let wait = Timespec::try_from((stall - waited).min(LOOK_EVERY)).unwrap_or_default();
                let mut ready = [PollFd::new(socket, PollFlags::OUT)];
                match rustix::event::poll(&mut ready, Some(&wait)) {
                    Ok(_) | Err(Errno::INTR) => {}
                    Err(error) => return Err(error.into()),
                }
            }
            Err(error) => return Err(error.into()),
        }
    }
    Ok(span.len())
}
