//! A file's bytes as a body: read on the `blocking` thread pool one piece
//! at a time, so memory stays constant whatever the file's size, and
//! dropped (the client went away) the reading stops.

use std::collections::VecDeque;
use std::fs::File;
use std::future::Future;
use std::io::{self, Read, Seek, SeekFrom};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use futures::Stream;
use lath_app::{Body, BodyError, FileSpan};

/// The most read at once: four times as much per trip measured no faster
/// and cost twice the memory (`benches/README.md`).
const PIECE: u64 = 64 * 1024;

/// What a body is made of: bytes of its own (multipart headers) and spans
/// of the file.
pub(super) enum Piece {
    Bytes(Bytes),
    Span { at: u64, len: u64 },
}

impl Piece {
    pub(super) fn span(at: u64, len: u64) -> Piece {
        Piece::Span { at, len }
    }
}

/// Where a span's bytes come from.
enum Source {
    /// The open file, between reads (`None` while a read has it).
    File(Option<Arc<File>>),
    /// The whole file, already read.
    Memory(Bytes),
}

/// One read on the thread pool: the file back, and what it read.
type Reading = blocking::Task<(Arc<File>, io::Result<Bytes>)>;

/// The body's stream.
pub(super) struct FileBody {
    source: Source,
    pieces: VecDeque<Piece>,
    reading: Option<Reading>,
}

impl FileBody {
    /// A body of exactly `len` bytes: `pieces`, spans read from `file`.
    /// One span alone is also the body's [`FileSpan`], for a server that
    /// sends it from the file itself.
    pub(super) fn body(file: File, pieces: Vec<Piece>, len: u64) -> Body {
        let file = Arc::new(file);
        let span = match pieces.as_slice() {
            [Piece::Span { at, len: n }] if *n == len => Some(FileSpan::new(file.clone(), *at, *n)),
            _ => None,
        };
        let body = Body::sized_stream(
            len,
            FileBody {
                source: Source::File(Some(file)),
                pieces: pieces.into(),
                reading: None,
            },
        );
        match span {
            Some(span) => body.with_file_span(span),
            None => body,
        }
    }

    /// The same, with the file already in memory.
    pub(super) fn from_memory(bytes: Bytes, pieces: Vec<Piece>, len: u64) -> Body {
        Body::sized_stream(
            len,
            FileBody {
                source: Source::Memory(bytes),
                pieces: pieces.into(),
                reading: None,
            },
        )
    }

    /// The size of a body that will never be read: a `HEAD` answer's.
    pub(super) fn sized_nothing(len: u64) -> Body {
        Body::sized_stream(len, futures::stream::empty())
    }
}

/// Reads up to `len` bytes at `at`.
fn read_at(file: Arc<File>, at: u64, len: u64) -> (Arc<File>, io::Result<Bytes>) {
    let read = (|| {
        let mut file = &*file;
        file.seek(SeekFrom::Start(at))?;
        let mut buf = BytesMut::zeroed(len as usize);
        let mut filled = 0;
        while filled < buf.len() {
            match file.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        buf.truncate(filled);
        Ok(buf.freeze())
    })();
    (file, read)
}

fn changed() -> BodyError {
    BodyError::new("the file changed while being sent")
}

impl Stream for FileBody {
    type Item = Result<Bytes, BodyError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(reading) = &mut this.reading {
                let (file, read) = match Pin::new(reading).poll(cx) {
                    Poll::Ready(done) => done,
                    Poll::Pending => return Poll::Pending,
                };
                this.reading = None;
                this.source = Source::File(Some(file));
                let bytes = match read {
                    Ok(bytes) => bytes,
                    Err(e) => return Poll::Ready(Some(Err(BodyError::new(e.to_string())))),
                };
                // A file cut short under us: the client must see the body
                // cut short too, never a silently shorter one.
                if bytes.is_empty() {
                    return Poll::Ready(Some(Err(changed())));
                }
                if let Some(Piece::Span { at, len }) = this.pieces.front_mut() {
                    *at += bytes.len() as u64;
                    *len -= bytes.len() as u64;
                }
                return Poll::Ready(Some(Ok(bytes)));
            }
            match this.pieces.front_mut() {
                None => return Poll::Ready(None),
                Some(Piece::Bytes(_)) => {
                    if let Some(Piece::Bytes(bytes)) = this.pieces.pop_front() {
                        return Poll::Ready(Some(Ok(bytes)));
                    }
                }
                Some(Piece::Span { len: 0, .. }) => {
                    this.pieces.pop_front();
                }
                Some(Piece::Span { at, len }) => {
                    let (at, len) = (*at, *len);
                    match &mut this.source {
                        Source::Memory(bytes) => {
                            // Already in memory: the whole span at once.
                            let end = at.saturating_add(len).min(bytes.len() as u64);
                            if at >= end {
                                return Poll::Ready(Some(Err(changed())));
                            }
                            let piece = bytes.slice(at as usize..end as usize);
                            this.pieces.pop_front();
                            return Poll::Ready(Some(Ok(piece)));
                        }
                        Source::File(file) => {
                            let Some(file) = file.take() else {
                                return Poll::Ready(Some(Err(changed())));
                            };
                            let want = len.min(PIECE);
                            this.reading = Some(blocking::unblock(move || read_at(file, at, want)));
                        }
                    }
                }
            }
        }
    }
}
