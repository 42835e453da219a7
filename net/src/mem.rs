//! An in-memory duplex byte pipe, for serving apps without a socket.

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use futures::io::{AsyncRead, AsyncWrite};

/// One direction of the pipe.
#[derive(Debug, Default)]
struct Half {
    bytes: VecDeque<u8>,
    capacity: usize,
    /// The writer closed (or dropped) its end: readers see EOF once drained.
    writer_closed: bool,
    /// The reader dropped its end: writes fail.
    reader_gone: bool,
    reader: Option<Waker>,
    writer: Option<Waker>,
}

fn lock(half: &Mutex<Half>) -> MutexGuard<'_, Half> {
    half.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One end of an in-memory pipe: what one end writes, the other reads.
/// Each direction buffers up to the pipe's capacity, then writers wait.
///
/// ```
/// use futures::{AsyncReadExt, AsyncWriteExt};
/// use lath::net::mem;
/// # futures::executor::block_on(async {
/// let (mut a, mut b) = mem::duplex(1024);
/// a.write_all(b"ping").await.unwrap();
/// let mut got = [0u8; 4];
/// b.read_exact(&mut got).await.unwrap();
/// assert_eq!(&got, b"ping");
/// # });
/// ```
#[derive(Debug)]
pub struct MemStream {
    read: Arc<Mutex<Half>>,
    write: Arc<Mutex<Half>>,
}

/// A connected pair of in-memory streams, each direction buffering up to
/// `capacity` bytes.
///
/// ```
/// use futures::{AsyncReadExt, AsyncWriteExt};
/// # futures::executor::block_on(async {
/// let (mut a, mut b) = lath::net::mem::duplex(1024);
/// a.write_all(b"ping").await.unwrap();
/// let mut buf = [0; 4];
/// b.read_exact(&mut buf).await.unwrap();
/// assert_eq!(&buf, b"ping");
/// # });
/// ```
pub fn duplex(capacity: usize) -> (MemStream, MemStream) {
    let half = || {
        Arc::new(Mutex::new(Half {
            capacity: capacity.max(1),
            ..Half::default()
        }))
    };
    let (a_to_b, b_to_a) = (half(), half());
    (
        MemStream {
            read: b_to_a.clone(),
            write: a_to_b.clone(),
        },
        MemStream {
            read: a_to_b,
            write: b_to_a,
        },
    )
}

impl AsyncRead for MemStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let mut half = lock(&self.read);
        if half.bytes.is_empty() {
            if half.writer_closed || buf.is_empty() {
                return Poll::Ready(Ok(0));
            }
            half.reader = Some(cx.waker().clone());
            return Poll::Pending;
        }
        let n = buf.len().min(half.bytes.len());
        for (slot, byte) in buf.iter_mut().zip(half.bytes.drain(..n)) {
            *slot = byte;
        }
        if let Some(writer) = half.writer.take() {
            writer.wake();
        }
        Poll::Ready(Ok(n))
    }
}

impl AsyncWrite for MemStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let mut half = lock(&self.write);
        if half.reader_gone {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        if half.writer_closed {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "write after close",
            )));
        }
        let space = half.capacity.saturating_sub(half.bytes.len());
        if space == 0 {
            half.writer = Some(cx.waker().clone());
            return Poll::Pending;
        }
        let n = space.min(buf.len());
        half.bytes.extend(&buf[..n]);
        if let Some(reader) = half.reader.take() {
            reader.wake();
        }
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// Closes this end's writing side; the peer reads EOF (a half-close).
    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut half = lock(&self.write);
        half.writer_closed = true;
        if let Some(reader) = half.reader.take() {
            reader.wake();
        }
        Poll::Ready(Ok(()))
    }
}

impl Drop for MemStream {
    fn drop(&mut self) {
        let mut write = lock(&self.write);
        write.writer_closed = true;
        if let Some(reader) = write.reader.take() {
            reader.wake();
        }
        drop(write);
        let mut read = lock(&self.read);
        read.reader_gone = true;
        if let Some(writer) = read.writer.take() {
            writer.wake();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::block_on;
    use futures::{AsyncReadExt, AsyncWriteExt};

    #[test]
    fn half_close_gives_eof_and_drop_breaks_writes() {
        block_on(async {
            let (mut a, mut b) = duplex(4);
            let writer = async {
                a.write_all(b"0123456789").await.unwrap();
                a.close().await.unwrap();
            };
            let reader = async {
                let mut all = Vec::new();
                b.read_to_end(&mut all).await.unwrap();
                all
            };
            let ((), all) = futures::join!(writer, reader);
            assert_eq!(all, b"0123456789");
            drop(b);
            assert!(a.write(b"x").await.is_err());
        });
    }
}
