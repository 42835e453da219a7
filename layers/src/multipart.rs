//! `multipart/form-data` uploads: a stream of parts under limits, and a
//! collecting helper that spools large files to temporary files.

use std::path::{Path, PathBuf};

use bytes::{Bytes, BytesMut};
use futures::AsyncWriteExt;
use lath_app::{HttpError, Request, Status};

use crate::RequestExt;

/// Limits on an upload; each answers 413 naming itself when passed.
///
/// ```
/// # fn multipart(fields: &[(&str, Option<&str>, &str)]) -> String {
/// #     let mut body = String::new();
/// #     for (name, file, value) in fields {
/// #         body += "--XyZ\r\nContent-Disposition: form-data; name=\"";
/// #         body += name;
/// #         if let Some(file) = file {
/// #             body += "\"; filename=\"";
/// #             body += file;
/// #         }
/// #         body += "\"\r\n\r\n";
/// #         body += value;
/// #         body += "\r\n";
/// #     }
/// #     body + "--XyZ--\r\n"
/// # }
/// use lath::prelude::*;
/// use lath::layers::{collect_multipart, MultipartLimits};
/// let app = handler(|mut req: Request| async move {
///     let mut limits = MultipartLimits::default();
///     limits.max_file = 4;
///     let form = collect_multipart(&mut req, limits).await?;
///     Ok::<_, HttpError>(form.files.len().to_string())
/// });
/// let res = Client::new(app)
///     .post("/")
///     .header("Content-Type", "multipart/form-data; boundary=XyZ")
///     .body(multipart(&[("doc", Some("big.txt"), "more than four bytes")]))
///     .send_blocking()
///     .unwrap();
/// assert_eq!(res.status.code(), 413);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct MultipartLimits {
    /// Parts in one body (default 100).
    pub max_parts: usize,
    /// Bytes of one non-file field (default 64 KiB).
    pub max_field: u64,
    /// Bytes of one file (default 10 MiB).
    pub max_file: u64,
    /// Bytes of the whole body (default 50 MiB).
    pub max_total: u64,
    /// Files up to this size stay in memory; larger ones are spooled to a
    /// temporary file (default 64 KiB).
    pub memory_threshold: u64,
}

impl Default for MultipartLimits {
    fn default() -> MultipartLimits {
        MultipartLimits {
            max_parts: 100,
            max_field: 64 * 1024,
            max_file: 10 << 20,
            max_total: 50 << 20,
            memory_threshold: 64 * 1024,
        }
    }
}

fn too_large(what: &str, limit: impl std::fmt::Display) -> HttpError {
    HttpError::new(
        Status::CONTENT_TOO_LARGE,
        format!("{what} larger than {limit} bytes"),
    )
}

fn malformed(e: multer::Error) -> HttpError {
    HttpError::bad_request(format!("malformed multipart body: {e}"))
}

/// The parts of a `multipart/form-data` body, read one at a time, each
/// streamed: nothing is buffered beyond the piece being read.
///
/// ```
/// # fn multipart(fields: &[(&str, Option<&str>, &str)]) -> String {
/// #     let mut body = String::new();
/// #     for (name, file, value) in fields {
/// #         body += "--XyZ\r\nContent-Disposition: form-data; name=\"";
/// #         body += name;
/// #         if let Some(file) = file {
/// #             body += "\"; filename=\"";
/// #             body += file;
/// #         }
/// #         body += "\"\r\n\r\n";
/// #         body += value;
/// #         body += "\r\n";
/// #     }
/// #     body + "--XyZ--\r\n"
/// # }
/// use lath::prelude::*;
/// use lath::layers::{parts, MultipartLimits};
/// // Streams every part, holding one piece at a time.
/// let app = handler(|mut req: Request| async move {
///     let mut parts = parts(&mut req, MultipartLimits::default())?;
///     let mut seen = Vec::new();
///     while let Some(mut part) = parts.next_part().await? {
///         let mut size = 0;
///         while let Some(piece) = part.chunk(&mut parts).await? {
///             size += piece.len();
///         }
///         seen.push(format!("{}={size}", part.name()));
///     }
///     Ok::<_, HttpError>(seen.join(" "))
/// });
/// let res = Client::new(app)
///     .post("/")
///     .header("Content-Type", "multipart/form-data; boundary=XyZ")
///     .body(multipart(&[("a", None, "12"), ("b", Some("b.bin"), "12345")]))
///     .send_blocking()
///     .unwrap();
/// assert_eq!(res.text(), "a=2 b=5");
/// ```
pub struct Parts {
    inner: multer::Multipart<'static>,
    limits: MultipartLimits,
    seen: usize,
    total: u64,
}

impl std::fmt::Debug for Parts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parts")
            .field("seen", &self.seen)
            .finish_non_exhaustive()
    }
}

/// One part: a field or a file.
///
/// ```
/// # fn multipart(fields: &[(&str, Option<&str>, &str)]) -> String {
/// #     let mut body = String::new();
/// #     for (name, file, value) in fields {
/// #         body += "--XyZ\r\nContent-Disposition: form-data; name=\"";
/// #         body += name;
/// #         if let Some(file) = file {
/// #             body += "\"; filename=\"";
/// #             body += file;
/// #         }
/// #         body += "\"\r\n\r\n";
/// #         body += value;
/// #         body += "\r\n";
/// #     }
/// #     body + "--XyZ--\r\n"
/// # }
/// use lath::prelude::*;
/// use lath::layers::{parts, MultipartLimits};
/// let app = handler(|mut req: Request| async move {
///     let mut parts = parts(&mut req, MultipartLimits::default())?;
///     let part = parts.next_part().await?.ok_or_else(|| HttpError::bad_request("no part"))?;
///     Ok::<_, HttpError>(format!("{} {:?}", part.name(), part.file_name()))
/// });
/// let res = Client::new(app)
///     .post("/")
///     .header("Content-Type", "multipart/form-data; boundary=XyZ")
///     .body(multipart(&[("avatar", Some("me.png"), "png")]))
///     .send_blocking()
///     .unwrap();
/// assert_eq!(res.text(), r#"avatar Some("me.png")"#);
/// ```
pub struct Part {
    inner: multer::Field<'static>,
    file_name: Option<String>,
    /// A file part whose file name was empty: a file input left empty.
    unnamed: bool,
    limit: u64,
    read: u64,
}

impl std::fmt::Debug for Part {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Part")
            .field("name", &self.name())
            .field("file_name", &self.file_name)
            .finish()
    }
}

/// Starts reading `req`'s body as multipart: 415 for another type, 400
/// without a boundary.
///
/// ```
/// use lath::prelude::*;
/// use lath::layers::{parts, MultipartLimits};
/// let app = handler(|mut req: Request| async move {
///     parts(&mut req, MultipartLimits::default()).map(|_| "multipart")
/// });
/// let res = Client::new(app).post("/").body("not multipart").send_blocking().unwrap();
/// assert_eq!(res.status.code(), 415);
/// ```
pub fn parts(req: &mut Request, limits: MultipartLimits) -> Result<Parts, HttpError> {
    if !req.is("multipart") {
        return Err(HttpError::unsupported_media_type(
            "expected multipart/form-data",
        ));
    }
    let content_type = req.header("content-type").unwrap_or("");
    let boundary = multer::parse_boundary(content_type)
        .map_err(|_| HttpError::bad_request("multipart body without a boundary"))?;
    let body = Yielding {
        body: req.take_body(),
        since_pause: 0,
    };
    Ok(Parts {
        inner: multer::Multipart::new(body, boundary),
        limits,
        seen: 0,
        total: 0,
    })
}

impl Parts {
    /// The next part, or `None` after the last. A truncated or malformed
    /// body is 400; passing a limit is 413.
    ///
    /// ```
    /// # fn multipart(fields: &[(&str, Option<&str>, &str)]) -> String {
    /// #     let mut body = String::new();
    /// #     for (name, file, value) in fields {
    /// #         body += "--XyZ\r\nContent-Disposition: form-data; name=\"";
    /// #         body += name;
    /// #         if let Some(file) = file {
    /// #             body += "\"; filename=\"";
    /// #             body += file;
    /// #         }
    /// #         body += "\"\r\n\r\n";
    /// #         body += value;
    /// #         body += "\r\n";
    /// #     }
    /// #     body + "--XyZ--\r\n"
    /// # }
    /// use lath::prelude::*;
    /// use lath::layers::{parts, MultipartLimits};
    /// let app = handler(|mut req: Request| async move {
    ///     let mut parts = parts(&mut req, MultipartLimits::default())?;
    ///     let mut names = Vec::new();
    ///     while let Some(part) = parts.next_part().await? {
    ///         names.push(part.name().to_owned()); // unread parts are skipped
    ///     }
    ///     Ok::<_, HttpError>(names.join(","))
    /// });
    /// let res = Client::new(app)
    ///     .post("/")
    ///     .header("Content-Type", "multipart/form-data; boundary=XyZ")
    ///     .body(multipart(&[("x", None, "1"), ("y", None, "2")]))
    ///     .send_blocking()
    ///     .unwrap();
    /// assert_eq!(res.text(), "x,y");
    /// ```
    pub async fn next_part(&mut self) -> Result<Option<Part>, HttpError> {
        let Some(field) = self.inner.next_field().await.map_err(malformed)? else {
            return Ok(None);
        };
        self.seen += 1;
        if self.seen > self.limits.max_parts {
            return Err(HttpError::new(
                Status::CONTENT_TOO_LARGE,
                format!("more than {} parts", self.limits.max_parts),
            ));
        }
        let unnamed = field.file_name().is_some_and(|n| n.trim().is_empty());
        let file_name = field.file_name().map(sanitize);
        let limit = if file_name.is_some() {
            self.limits.max_file
        } else {
            self.limits.max_field
        };
        Ok(Some(Part {
            inner: field,
            file_name,
            unnamed,
            limit,
            read: 0,
        }))
    }

    /// Counts `n` more bytes against the body's limit.
    fn count(&mut self, n: usize) -> Result<(), HttpError> {
        self.total += n as u64;
        if self.total > self.limits.max_total {
            return Err(too_large("multipart body", self.limits.max_total));
        }
        Ok(())
    }
}

impl Part {
    /// The form field's name.
    ///
    /// ```
    /// # fn multipart(fields: &[(&str, Option<&str>, &str)]) -> String {
    /// #     let mut body = String::new();
    /// #     for (name, file, value) in fields {
    /// #         body += "--XyZ\r\nContent-Disposition: form-data; name=\"";
    /// #         body += name;
    /// #         if let Some(file) = file {
    /// #             body += "\"; filename=\"";
    /// #             body += file;
    /// #         }
    /// #         body += "\"\r\n\r\n";
    /// #         body += value;
    /// #         body += "\r\n";
    /// #     }
    /// #     body + "--XyZ--\r\n"
    /// # }
    /// use lath::prelude::*;
    /// use lath::layers::{parts, MultipartLimits};
    /// let app = handler(|mut req: Request| async move {
    ///     let mut parts = parts(&mut req, MultipartLimits::default())?;
    ///     let part = parts.next_part().await?.ok_or_else(|| HttpError::bad_request("no part"))?;
    ///     Ok::<_, HttpError>(part.name().to_owned())
    /// });
    /// let res = Client::new(app)
    ///     .post("/")
    ///     .header("Content-Type", "multipart/form-data; boundary=XyZ")
    ///     .body(multipart(&[("comment", None, "hi")]))
    ///     .send_blocking()
    ///     .unwrap();
    /// assert_eq!(res.text(), "comment");
    /// ```
    pub fn name(&self) -> &str {
        self.inner.name().unwrap_or("")
    }

    /// The file name, without any path, for file parts.
    ///
    /// ```
    /// # fn multipart(fields: &[(&str, Option<&str>, &str)]) -> String {
    /// #     let mut body = String::new();
    /// #     for (name, file, value) in fields {
    /// #         body += "--XyZ\r\nContent-Disposition: form-data; name=\"";
    /// #         body += name;
    /// #         if let Some(file) = file {
    /// #             body += "\"; filename=\"";
    /// #             body += file;
    /// #         }
    /// #         body += "\"\r\n\r\n";
    /// #         body += value;
    /// #         body += "\r\n";
    /// #     }
    /// #     body + "--XyZ--\r\n"
    /// # }
    /// use lath::prelude::*;
    /// use lath::layers::{parts, MultipartLimits};
    /// let app = handler(|mut req: Request| async move {
    ///     let mut parts = parts(&mut req, MultipartLimits::default())?;
    ///     let mut names = Vec::new();
    ///     while let Some(part) = parts.next_part().await? {
    ///         names.push(part.file_name().unwrap_or("-").to_owned());
    ///     }
    ///     Ok::<_, HttpError>(names.join(","))
    /// });
    /// let res = Client::new(app)
    ///     .post("/")
    ///     .header("Content-Type", "multipart/form-data; boundary=XyZ")
    ///     .body(multipart(&[("f", Some("../../etc/passwd"), "x"), ("t", None, "y")]))
    ///     .send_blocking()
    ///     .unwrap();
    /// assert_eq!(res.text(), "passwd,-"); // no path components
    /// ```
    pub fn file_name(&self) -> Option<&str> {
        self.file_name.as_deref()
    }

    /// The part's `Content-Type`, if given.
    ///
    /// ```
    /// use lath::prelude::*;
    /// use lath::layers::{parts, MultipartLimits};
    /// let app = handler(|mut req: Request| async move {
    ///     let mut parts = parts(&mut req, MultipartLimits::default())?;
    ///     let part = parts.next_part().await?;
    ///     Ok::<_, HttpError>(part.and_then(|p| p.content_type()).unwrap_or_default())
    /// });
    /// let body = "--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\nPNG\r\n--XyZ--\r\n";
    /// let res = Client::new(app)
    ///     .post("/")
    ///     .header("Content-Type", "multipart/form-data; boundary=XyZ")
    ///     .body(body)
    ///     .send_blocking()
    ///     .unwrap();
    /// assert_eq!(res.text(), "image/png");
    /// ```
    pub fn content_type(&self) -> Option<String> {
        self.inner.content_type().map(|m| m.to_string())
    }

    /// The next piece of the part's data; `None` at its end.
    ///
    /// ```
    /// # fn multipart(fields: &[(&str, Option<&str>, &str)]) -> String {
    /// #     let mut body = String::new();
    /// #     for (name, file, value) in fields {
    /// #         body += "--XyZ\r\nContent-Disposition: form-data; name=\"";
    /// #         body += name;
    /// #         if let Some(file) = file {
    /// #             body += "\"; filename=\"";
    /// #             body += file;
    /// #         }
    /// #         body += "\"\r\n\r\n";
    /// #         body += value;
    /// #         body += "\r\n";
    /// #     }
    /// #     body + "--XyZ--\r\n"
    /// # }
    /// use lath::prelude::*;
    /// use lath::layers::{parts, MultipartLimits};
    /// let app = handler(|mut req: Request| async move {
    ///     let mut parts = parts(&mut req, MultipartLimits::default())?;
    ///     let mut text = Vec::new();
    ///     if let Some(mut part) = parts.next_part().await? {
    ///         while let Some(piece) = part.chunk(&mut parts).await? {
    ///             text.extend_from_slice(&piece);
    ///         }
    ///     }
    ///     Ok::<_, HttpError>(String::from_utf8_lossy(&text).into_owned())
    /// });
    /// let res = Client::new(app)
    ///     .post("/")
    ///     .header("Content-Type", "multipart/form-data; boundary=XyZ")
    ///     .body(multipart(&[("note", None, "line one\r\nline two")]))
    ///     .send_blocking()
    ///     .unwrap();
    /// assert_eq!(res.text(), "line one\r\nline two");
    /// ```
    pub async fn chunk(&mut self, parts: &mut Parts) -> Result<Option<Bytes>, HttpError> {
        let Some(piece) = self.inner.chunk().await.map_err(malformed)? else {
            return Ok(None);
        };
        self.read += piece.len() as u64;
        if self.read > self.limit {
            let what = if self.file_name.is_some() {
                "file"
            } else {
                "field"
            };
            return Err(too_large(what, self.limit));
        }
        parts.count(piece.len())?;
        Ok(Some(piece))
    }
}

/// Bytes the parser may take from the body before it must hand out what
/// it has.
const PAUSE_EVERY: usize = 64 * 1024;

/// The request body as the parser sees it: it pauses (waking itself at
/// once) after every [`PAUSE_EVERY`] bytes. multer reads until its input
/// is pending, so without pauses a fast client would have the whole body
/// buffered; with them the buffer stays near 64 KiB.
struct Yielding {
    body: lath_app::Body,
    since_pause: usize,
}

impl futures::Stream for Yielding {
    type Item = Result<Bytes, lath_app::BodyError>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        use std::task::Poll;
        if self.since_pause >= PAUSE_EVERY {
            self.since_pause = 0;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let polled = std::pin::Pin::new(&mut self.body).poll_next(cx);
        match &polled {
            Poll::Ready(Some(Ok(piece))) => self.since_pause += piece.len(),
            Poll::Pending => self.since_pause = 0,
            Poll::Ready(_) => {}
        }
        polled
    }
}

/// No path components, no controls; `upload` when nothing is left.
fn sanitize(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = base.chars().filter(|c| !c.is_control()).collect();
    match clean.trim() {
        "" | "." | ".." => "upload".to_owned(),
        kept => kept.to_owned(),
    }
}

/// A temporary file, removed when dropped.
#[derive(Debug)]
struct TempFile {
    path: PathBuf,
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[derive(Debug)]
enum Stored {
    Memory(Bytes),
    Disk(TempFile),
}

/// An uploaded file.
///
/// ```
/// # fn multipart(fields: &[(&str, Option<&str>, &str)]) -> String {
/// #     let mut body = String::new();
/// #     for (name, file, value) in fields {
/// #         body += "--XyZ\r\nContent-Disposition: form-data; name=\"";
/// #         body += name;
/// #         if let Some(file) = file {
/// #             body += "\"; filename=\"";
/// #             body += file;
/// #         }
/// #         body += "\"\r\n\r\n";
/// #         body += value;
/// #         body += "\r\n";
/// #     }
/// #     body + "--XyZ--\r\n"
/// # }
/// use lath::prelude::*;
/// let app = handler(|mut req: Request| async move {
///     let form = req.multipart().await?;
///     let file = &form.files[0];
///     Ok::<_, HttpError>(format!("{} {} {} {:?}", file.field, file.file_name, file.size, file.content_type))
/// });
/// let res = Client::new(app)
///     .post("/")
///     .header("Content-Type", "multipart/form-data; boundary=XyZ")
///     .body(multipart(&[("doc", Some("notes.txt"), "hello")]))
///     .send_blocking()
///     .unwrap();
/// assert_eq!(res.text(), "doc notes.txt 5 None");
/// ```
#[derive(Debug)]
pub struct UploadedFile {
    /// The form field it came in.
    pub field: String,
    /// Its file name, sanitized.
    pub file_name: String,
    /// Its `Content-Type`, if given.
    pub content_type: Option<String>,
    /// Its size in bytes.
    pub size: u64,
    stored: Stored,
}

impl UploadedFile {
    /// The contents, when kept in memory.
    ///
    /// ```
    /// # fn multipart(fields: &[(&str, Option<&str>, &str)]) -> String {
    /// #     let mut body = String::new();
    /// #     for (name, file, value) in fields {
    /// #         body += "--XyZ\r\nContent-Disposition: form-data; name=\"";
    /// #         body += name;
    /// #         if let Some(file) = file {
    /// #             body += "\"; filename=\"";
    /// #             body += file;
    /// #         }
    /// #         body += "\"\r\n\r\n";
    /// #         body += value;
    /// #         body += "\r\n";
    /// #     }
    /// #     body + "--XyZ--\r\n"
    /// # }
    /// use lath::prelude::*;
    /// let app = handler(|mut req: Request| async move {
    ///     let form = req.multipart().await?;
    ///     // Small files stay in memory (under `memory_threshold`, 64 KiB by default).
    ///     Ok::<_, HttpError>(form.files[0].bytes().map(|b| b.len()).unwrap_or(0).to_string())
    /// });
    /// let res = Client::new(app)
    ///     .post("/")
    ///     .header("Content-Type", "multipart/form-data; boundary=XyZ")
    ///     .body(multipart(&[("doc", Some("a.txt"), "abc")]))
    ///     .send_blocking()
    ///     .unwrap();
    /// assert_eq!(res.text(), "3");
    /// ```
    pub fn bytes(&self) -> Option<&Bytes> {
        match &self.stored {
            Stored::Memory(bytes) => Some(bytes),
            Stored::Disk(_) => None,
        }
    }

    /// The temporary file holding the contents, when spooled; it is
    /// removed when this value is dropped.
    ///
    /// ```
    /// # fn multipart(fields: &[(&str, Option<&str>, &str)]) -> String {
    /// #     let mut body = String::new();
    /// #     for (name, file, value) in fields {
    /// #         body += "--XyZ\r\nContent-Disposition: form-data; name=\"";
    /// #         body += name;
    /// #         if let Some(file) = file {
    /// #             body += "\"; filename=\"";
    /// #             body += file;
    /// #         }
    /// #         body += "\"\r\n\r\n";
    /// #         body += value;
    /// #         body += "\r\n";
    /// #     }
    /// #     body + "--XyZ--\r\n"
    /// # }
    /// use lath::prelude::*;
    /// use lath::layers::{collect_multipart, MultipartLimits};
    /// let app = handler(|mut req: Request| async move {
    ///     let mut limits = MultipartLimits::default();
    ///     limits.memory_threshold = 2; // spool anything larger to a temporary file
    ///     let form = collect_multipart(&mut req, limits).await?;
    ///     let spooled = form.files[0].path().map(|p| p.exists()).unwrap_or(false);
    ///     Ok::<_, HttpError>(spooled.to_string())
    /// });
    /// let res = Client::new(app)
    ///     .post("/")
    ///     .header("Content-Type", "multipart/form-data; boundary=XyZ")
    ///     .body(multipart(&[("doc", Some("a.txt"), "larger")]))
    ///     .send_blocking()
    ///     .unwrap();
    /// assert_eq!(res.text(), "true");
    /// ```
    pub fn path(&self) -> Option<&Path> {
        match &self.stored {
            Stored::Memory(_) => None,
            Stored::Disk(file) => Some(&file.path),
        }
    }

    /// The whole contents, from memory or from disk.
    ///
    /// ```
    /// # fn multipart(fields: &[(&str, Option<&str>, &str)]) -> String {
    /// #     let mut body = String::new();
    /// #     for (name, file, value) in fields {
    /// #         body += "--XyZ\r\nContent-Disposition: form-data; name=\"";
    /// #         body += name;
    /// #         if let Some(file) = file {
    /// #             body += "\"; filename=\"";
    /// #             body += file;
    /// #         }
    /// #         body += "\"\r\n\r\n";
    /// #         body += value;
    /// #         body += "\r\n";
    /// #     }
    /// #     body + "--XyZ--\r\n"
    /// # }
    /// use lath::prelude::*;
    /// let app = handler(|mut req: Request| async move {
    ///     let form = req.multipart().await?;
    ///     let data = form.files[0].read().await?;
    ///     Ok::<_, HttpError>(String::from_utf8_lossy(&data).to_uppercase())
    /// });
    /// let res = Client::new(app)
    ///     .post("/")
    ///     .header("Content-Type", "multipart/form-data; boundary=XyZ")
    ///     .body(multipart(&[("doc", Some("a.txt"), "hello")]))
    ///     .send_blocking()
    ///     .unwrap();
    /// assert_eq!(res.text(), "HELLO");
    /// ```
    pub async fn read(&self) -> std::io::Result<Vec<u8>> {
        match &self.stored {
            Stored::Memory(bytes) => Ok(bytes.to_vec()),
            Stored::Disk(file) => async_fs::read(&file.path).await,
        }
    }

    /// Keeps the file at `to` (titbit's `moveFile`): a spooled file is
    /// moved there (copied when `to` is on another file system), one kept
    /// in memory is written there. `to` is used as given: build it from a
    /// name of your own, not from the client's file name.
    ///
    /// ```
    /// # fn multipart(fields: &[(&str, Option<&str>, &str)]) -> String {
    /// #     let mut body = String::new();
    /// #     for (name, file, value) in fields {
    /// #         body += "--XyZ\r\nContent-Disposition: form-data; name=\"";
    /// #         body += name;
    /// #         if let Some(file) = file {
    /// #             body += "\"; filename=\"";
    /// #             body += file;
    /// #         }
    /// #         body += "\"\r\n\r\n";
    /// #         body += value;
    /// #         body += "\r\n";
    /// #     }
    /// #     body + "--XyZ--\r\n"
    /// # }
    /// use lath::prelude::*;
    /// let dir = std::env::temp_dir().join(format!("lath-persist-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// let target = dir.join("upload-1.txt");
    /// let keep = target.clone();
    /// let app = handler(move |mut req: Request| {
    ///     let keep = keep.clone();
    ///     async move {
    ///         let mut form = req.multipart().await?;
    ///         let file = form.files.remove(0);
    ///         file.persist(&keep).await?; // a name of our own, not the client's
    ///         Ok::<_, HttpError>("kept")
    ///     }
    /// });
    /// let res = Client::new(app)
    ///     .post("/")
    ///     .header("Content-Type", "multipart/form-data; boundary=XyZ")
    ///     .body(multipart(&[("doc", Some("../evil.txt"), "contents")]))
    ///     .send_blocking()
    ///     .unwrap();
    /// assert_eq!(res.text(), "kept");
    /// assert_eq!(std::fs::read_to_string(&target).unwrap(), "contents");
    /// std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub async fn persist(self, to: impl AsRef<Path>) -> std::io::Result<()> {
        let to = to.as_ref();
        match &self.stored {
            Stored::Memory(bytes) => async_fs::write(to, bytes).await,
            Stored::Disk(file) => match async_fs::rename(&file.path, to).await {
                Ok(()) => Ok(()),
                // EXDEV: another file system. The temporary file goes
                // when `self` is dropped.
                Err(e) if e.raw_os_error() == Some(18) => {
                    async_fs::copy(&file.path, to).await.map(drop)
                }
                Err(e) => Err(e),
            },
        }
    }
}

/// Every field and file of a multipart body.
///
/// ```
/// # fn multipart(fields: &[(&str, Option<&str>, &str)]) -> String {
/// #     let mut body = String::new();
/// #     for (name, file, value) in fields {
/// #         body += "--XyZ\r\nContent-Disposition: form-data; name=\"";
/// #         body += name;
/// #         if let Some(file) = file {
/// #             body += "\"; filename=\"";
/// #             body += file;
/// #         }
/// #         body += "\"\r\n\r\n";
/// #         body += value;
/// #         body += "\r\n";
/// #     }
/// #     body + "--XyZ--\r\n"
/// # }
/// use lath::prelude::*;
/// let app = handler(|mut req: Request| async move {
///     let form = req.multipart().await?;
///     Ok::<_, HttpError>(format!("{} fields, {} files", form.fields.len(), form.files.len()))
/// });
/// let res = Client::new(app)
///     .post("/")
///     .header("Content-Type", "multipart/form-data; boundary=XyZ")
///     .body(multipart(&[("a", None, "1"), ("b", None, "2"), ("f", Some("f.txt"), "x")]))
///     .send_blocking()
///     .unwrap();
/// assert_eq!(res.text(), "2 fields, 1 files");
/// ```
#[derive(Debug, Default)]
pub struct Form {
    /// Non-file fields, in order.
    pub fields: Vec<(String, String)>,
    /// Files, in order; their temporary files go when this is dropped.
    pub files: Vec<UploadedFile>,
}

impl Form {
    /// The first value of field `name`.
    ///
    /// ```
    /// # fn multipart(fields: &[(&str, Option<&str>, &str)]) -> String {
    /// #     let mut body = String::new();
    /// #     for (name, file, value) in fields {
    /// #         body += "--XyZ\r\nContent-Disposition: form-data; name=\"";
    /// #         body += name;
    /// #         if let Some(file) = file {
    /// #             body += "\"; filename=\"";
    /// #             body += file;
    /// #         }
    /// #         body += "\"\r\n\r\n";
    /// #         body += value;
    /// #         body += "\r\n";
    /// #     }
    /// #     body + "--XyZ--\r\n"
    /// # }
    /// use lath::prelude::*;
    /// let app = handler(|mut req: Request| async move {
    ///     let form = req.multipart().await?;
    ///     Ok::<_, HttpError>(form.field("title").unwrap_or("untitled").to_owned())
    /// });
    /// let res = Client::new(app)
    ///     .post("/")
    ///     .header("Content-Type", "multipart/form-data; boundary=XyZ")
    ///     .body(multipart(&[("title", None, "Notes")]))
    ///     .send_blocking()
    ///     .unwrap();
    /// assert_eq!(res.text(), "Notes");
    /// ```
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Reads a whole multipart body: fields as text, small files in memory,
/// larger ones in temporary files that are removed when the [`Form`] is
/// dropped (and at once on any error). A file part with an empty file
/// name and no content — what a browser sends for a file input with no
/// file chosen — is left out.
///
/// ```
/// # fn multipart(fields: &[(&str, Option<&str>, &str)]) -> String {
/// #     let mut body = String::new();
/// #     for (name, file, value) in fields {
/// #         body += "--XyZ\r\nContent-Disposition: form-data; name=\"";
/// #         body += name;
/// #         if let Some(file) = file {
/// #             body += "\"; filename=\"";
/// #             body += file;
/// #         }
/// #         body += "\"\r\n\r\n";
/// #         body += value;
/// #         body += "\r\n";
/// #     }
/// #     body + "--XyZ--\r\n"
/// # }
/// use lath::prelude::*;
/// use lath::layers::{collect_multipart, MultipartLimits};
/// let app = handler(|mut req: Request| async move {
///     let form = collect_multipart(&mut req, MultipartLimits::default()).await?;
///     Ok::<_, HttpError>(format!("{:?} {}", form.fields, form.files.len()))
/// });
/// let res = Client::new(app)
///     .post("/")
///     .header("Content-Type", "multipart/form-data; boundary=XyZ")
///     .body(multipart(&[("a", None, "1"), ("doc", Some(""), "")]))
///     .send_blocking()
///     .unwrap();
/// assert_eq!(res.text(), r#"[("a", "1")] 0"#);
/// ```
pub async fn collect_multipart(
    req: &mut Request,
    limits: MultipartLimits,
) -> Result<Form, HttpError> {
    let threshold = limits.memory_threshold;
    let mut parts = parts(req, limits)?;
    let mut form = Form::default();
    while let Some(mut part) = parts.next_part().await? {
        let name = part.name().to_owned();
        let Some(file_name) = part.file_name().map(str::to_owned) else {
            let mut value = BytesMut::new();
            while let Some(piece) = part.chunk(&mut parts).await? {
                value.extend_from_slice(&piece);
            }
            let text = String::from_utf8(value.to_vec())
                .map_err(|_| HttpError::bad_request(format!("field {name} is not utf-8")))?;
            form.fields.push((name, text));
            continue;
        };
        let unnamed = part.unnamed;
        let content_type = part.content_type();
        let mut memory = BytesMut::new();
        let mut disk: Option<(TempFile, async_fs::File)> = None;
        let mut size = 0u64;
        while let Some(piece) = part.chunk(&mut parts).await? {
            size += piece.len() as u64;
            if disk.is_none() && size > threshold {
                let path =
                    std::env::temp_dir().join(format!("lath-upload-{}", crate::random::token()));
                let temp = TempFile { path };
                let mut file = async_fs::File::create(&temp.path)
                    .await
                    .map_err(|e| HttpError::internal().with_detail(e.to_string()))?;
                file.write_all(&memory)
                    .await
                    .map_err(|e| HttpError::internal().with_detail(e.to_string()))?;
                memory = BytesMut::new();
                disk = Some((temp, file));
            }
            match &mut disk {
                Some((_, file)) => file
                    .write_all(&piece)
                    .await
                    .map_err(|e| HttpError::internal().with_detail(e.to_string()))?,
                None => memory.extend_from_slice(&piece),
            }
        }
        if unnamed && size == 0 {
            // A file input with no file chosen: browsers send an empty
            // part with `filename=""` (HTML's form submission algorithm).
            continue;
        }
        let stored = match disk {
            Some((temp, mut file)) => {
                file.flush()
                    .await
                    .map_err(|e| HttpError::internal().with_detail(e.to_string()))?;
                Stored::Disk(temp)
            }
            None => Stored::Memory(memory.freeze()),
        };
        form.files.push(UploadedFile {
            field: name,
            file_name,
            content_type,
            size,
            stored,
        });
    }
    Ok(form)
}

#[cfg(test)]
mod tests {
    use super::sanitize;

    #[test]
    fn file_names_lose_their_paths() {
        assert_eq!(sanitize("../../etc/passwd"), "passwd");
        assert_eq!(sanitize("C:\\Users\\me\\cat.png"), "cat.png");
        assert_eq!(sanitize("a\u{0}b.txt"), "ab.txt");
        assert_eq!(sanitize(".."), "upload");
        assert_eq!(sanitize(""), "upload");
        assert_eq!(sanitize("report 2024.pdf"), "report 2024.pdf");
    }
}
