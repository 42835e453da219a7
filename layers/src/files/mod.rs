//! Static files (kequapp's `staticFiles` and `sendFile`, expresso's
//! static files with ranges): [`serve_dir`] for a directory, [`send_file`]
//! for one file, both with validators, conditional requests (RFC 9110
//! §13) and range requests (§14).
//!
//! File system work runs on the `blocking` thread pool, so it never stalls
//! an executor whatever the runtime. On Linux a file the kernel has in
//! memory (its name, metadata and, for a small `GET`, its bytes) is
//! looked up in place, with calls that fail rather than wait for a disk
//! (`openat2` with `RESOLVE_CACHED`, `preadv2` with `RWF_NOWAIT`); the
//! pool does the rest, and both find the same file. A file streams in
//! pieces of 64 KiB, one at a time, and a client that goes away stops
//! the reading. A body that is one span of a file (the whole file or one
//! range) also carries it as its [`FileSpan`](lath_app::FileSpan): on
//! Linux, over plain TCP, the server sends spans of 256 KiB or more with
//! `sendfile` instead.

mod body;
#[cfg(target_os = "linux")]
mod cached;
pub(crate) mod conditional;
pub(crate) mod range;

use std::borrow::Cow;
use std::cell::RefCell;
use std::fs::Metadata;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use lath_app::{App, Body, Headers, HttpError, Method, Request, Respond, Response, Status};

pub use conditional::ETag;

use self::body::{FileBody, Piece};
use self::conditional::Verdict;
use self::range::Ranges;

/// Files up to this size are read whole together with their metadata: one
/// trip to the thread pool for the common small file.
const READ_WHOLE: u64 = 64 * 1024;

/// Precompressed siblings, in the server's order of preference.
const SIBLINGS: [(&str, &str); 3] = [("br", ".br"), ("zstd", ".zst"), ("gzip", ".gz")];

/// What to do with a path segment that starts with a dot (`.env`,
/// `.git/config`).
///
/// ```
/// use lath::prelude::*;
/// use lath::layers::{serve_dir, Dotfiles};
/// let root = std::env::temp_dir().join(format!("lath-dotfiles-enum-{}", std::process::id()));
/// std::fs::create_dir_all(&root).unwrap();
/// std::fs::write(root.join(".htpasswd"), "secret").unwrap();
/// let client = Client::new(serve_dir(&root).dotfiles(Dotfiles::Hide));
/// assert_eq!(client.get("/.htpasswd").send_blocking().unwrap().status.code(), 404);
/// std::fs::remove_dir_all(&root).unwrap();
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dotfiles {
    /// As if it did not exist: `404` (the default).
    Hide,
    /// `403 Forbidden`.
    Deny,
    /// Served like any other file.
    Allow,
}

/// Which symbolic links a [`ServeDir`] follows.
///
/// ```
/// use lath::prelude::*;
/// use lath::layers::{serve_dir, Symlinks};
/// let base = std::env::temp_dir().join(format!("lath-symlinks-enum-{}", std::process::id()));
/// std::fs::create_dir_all(base.join("root")).unwrap();
/// std::fs::write(base.join("shared.css"), "body {}").unwrap();
/// # #[cfg(unix)] {
/// std::os::unix::fs::symlink(base.join("shared.css"), base.join("root/site.css")).unwrap();
/// // Links are followed anywhere: for a root made of links on purpose.
/// let open = Client::new(serve_dir(base.join("root")).symlinks(Symlinks::Always));
/// assert_eq!(open.get("/site.css").send_blocking().unwrap().text(), "body {}");
/// let kept_in = Client::new(serve_dir(base.join("root")));
/// assert_eq!(kept_in.get("/site.css").send_blocking().unwrap().status.code(), 404);
/// # }
/// std::fs::remove_dir_all(&base).unwrap();
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Symlinks {
    /// Those whose target stays inside the root (the default); any other
    /// is `404`.
    InsideRoot,
    /// None: a path through a link is `404`.
    Never,
    /// Every one, wherever it leads.
    Always,
}

/// Attached (as a response extension) to the `304` and `HEAD` answers of
/// [`serve_dir`] and [`send_file`]: what a `200` to the same request would
/// carry, so a layer further out (such as `compress`) can add the same
/// fields to them (RFC 9110 §9.3.2, §15.4.5).
///
/// ```
/// use lath::prelude::*;
/// use lath::layers::{send_file, Representation};
/// let path = std::env::temp_dir().join(format!("lath-repr-{}.txt", std::process::id()));
/// std::fs::write(&path, "hello").unwrap();
/// let file = path.clone();
/// let app = handler(move |req: Request| {
///     let file = file.clone();
///     async move {
///         let res = send_file(&req, &file).await;
///         let length = res.extension::<Representation>().map_or(0, |r| r.length);
///         res.with_header("X-Length", length.to_string())
///     }
/// });
/// let res = Client::new(app).head("/").send_blocking().unwrap();
/// assert_eq!(res.header("x-length"), Some("5"));
/// std::fs::remove_file(path).unwrap();
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Representation {
    /// Its `Content-Type`.
    pub content_type: String,
    /// Its length in bytes.
    pub length: u64,
    /// Its `Content-Encoding`, when a precompressed sibling was chosen.
    pub content_encoding: Option<&'static str>,
}

/// An app serving the files under `root`: mount it on a wildcard route
/// (`.get("/assets/*path", serve_dir("public"))`, the wildcard names the
/// file) or use it as the whole site (the request's path names it).
///
/// Each option is a method; the defaults:
/// - index file `index.html` ([`ServeDir::index`]); a directory asked
///   for without its trailing slash answers `308` to the slash form;
/// - dotfiles hidden: `404` ([`ServeDir::dotfiles`]);
/// - symbolic links followed while their target stays inside the root
///   ([`ServeDir::symlinks`]);
/// - nothing excluded ([`ServeDir::exclude`]);
/// - media types from the extension (mime_guess), `charset=utf-8` for
///   text, more with [`ServeDir::mime_type`];
/// - no `Cache-Control` ([`ServeDir::cache_control`]);
/// - no precompressed siblings ([`ServeDir::precompressed`]).
///
/// Every answer carries `ETag` (strong, from modification time and size,
/// as nginx writes it), `Last-Modified`, `Accept-Ranges: bytes` and
/// `X-Content-Type-Options: nosniff`; conditional requests get `304` or
/// `412`, range requests `206` (one part, or `multipart/byteranges`) or
/// `416`. Methods other than `GET` and `HEAD` get `405`. No path, however
/// encoded, reaches outside the root.
///
/// ```
/// use lath::prelude::*;
/// use lath::layers::serve_dir;
///
/// let root = std::env::temp_dir().join(format!("lath-serve-dir-{}", std::process::id()));
/// std::fs::create_dir_all(root.join("css")).unwrap();
/// std::fs::write(root.join("css/site.css"), "body { margin: 0 }").unwrap();
/// let routes = Router::new().get("/assets/*path", serve_dir(&root)).build().unwrap();
/// let client = Client::new(routes);
/// let res = client.get("/assets/css/site.css").send_blocking().unwrap();
/// assert_eq!(res.header("content-type"), Some("text/css; charset=utf-8"));
/// let etag = res.header("etag").unwrap().to_owned();
/// let again = client.get("/assets/css/site.css").header("If-None-Match", &etag).send_blocking().unwrap();
/// assert_eq!(again.status.code(), 304);
/// let part = client.get("/assets/css/site.css").header("Range", "bytes=0-3").send_blocking().unwrap();
/// assert_eq!((part.status.code(), part.text().as_str()), (206, "body"));
/// assert_eq!(client.get("/assets/..%2f..%2fetc/passwd").send_blocking().unwrap().status.code(), 404);
/// std::fs::remove_dir_all(&root).unwrap();
/// ```
pub fn serve_dir(root: impl AsRef<Path>) -> ServeDir {
    let root = root.as_ref().to_path_buf();
    ServeDir {
        // Resolved once, at build time, when it exists already.
        canonical_root: std::fs::canonicalize(&root).ok(),
        root,
        options: Arc::new(Options::default()),
        cache: None,
    }
}

/// The app [`serve_dir`] makes; its methods set the options.
///
/// ```
/// use std::time::Duration;
/// use lath::prelude::*;
/// use lath::layers::{serve_dir, ServeDir};
/// let root = std::env::temp_dir().join(format!("lath-serve-dir-type-{}", std::process::id()));
/// std::fs::create_dir_all(&root).unwrap();
/// std::fs::write(root.join("index.html"), "<h1>home</h1>").unwrap();
/// let site: ServeDir = serve_dir(&root)
///     .index(Some("index.html"))
///     .cache_control("public, max-age=600")
///     .precompressed(true)
///     .cache(Duration::from_secs(1));
/// let routes = Router::new().get("/{*path}", site).build().unwrap();
/// let res = Client::new(routes).get("/").send_blocking().unwrap();
/// assert_eq!((res.text().as_str(), res.header("cache-control")), ("<h1>home</h1>", Some("public, max-age=600")));
/// std::fs::remove_dir_all(&root).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct ServeDir {
    root: PathBuf,
    canonical_root: Option<PathBuf>,
    options: Arc<Options>,
    cache: Option<Arc<FileCache>>,
}

#[derive(Debug, Clone)]
struct Options {
    index: Option<String>,
    dotfiles: Dotfiles,
    symlinks: Symlinks,
    exclude: Vec<String>,
    mime: Vec<(String, Bytes)>,
    cache_control: Option<String>,
    precompressed: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            index: Some("index.html".to_owned()),
            dotfiles: Dotfiles::Hide,
            symlinks: Symlinks::InsideRoot,
            exclude: Vec::new(),
            mime: Vec::new(),
            cache_control: None,
            precompressed: false,
        }
    }
}

impl ServeDir {
    fn options(&mut self) -> &mut Options {
        Arc::make_mut(&mut self.options)
    }

    /// The file served for a directory (default `index.html`); `None`
    /// serves none (`404`: directories are never listed).
    ///
    /// ```
    /// use lath::prelude::*;
    /// use lath::layers::serve_dir;
    /// let root = std::env::temp_dir().join(format!("lath-index-{}", std::process::id()));
    /// std::fs::create_dir_all(root.join("docs")).unwrap();
    /// std::fs::write(root.join("docs/start.html"), "<h1>Start</h1>").unwrap();
    /// let client = Client::new(serve_dir(&root).index(Some("start.html")));
    /// let moved = client.get("/docs").send_blocking().unwrap();
    /// assert_eq!((moved.status.code(), moved.header("location")), (308, Some("/docs/")));
    /// assert_eq!(client.get("/docs/").send_blocking().unwrap().text(), "<h1>Start</h1>");
    /// std::fs::remove_dir_all(&root).unwrap();
    /// ```
    pub fn index(mut self, file: Option<&str>) -> ServeDir {
        self.options().index = file.map(str::to_owned);
        self
    }

    /// What to do with dotfiles (default [`Dotfiles::Hide`]).
    ///
    /// ```
    /// use lath::prelude::*;
    /// use lath::layers::{serve_dir, Dotfiles};
    /// let root = std::env::temp_dir().join(format!("lath-dotfiles-{}", std::process::id()));
    /// std::fs::create_dir_all(root.join(".well-known")).unwrap();
    /// std::fs::write(root.join(".env"), "SECRET=1").unwrap();
    /// std::fs::write(root.join(".well-known/security.txt"), "Contact: x").unwrap();
    /// let hidden = Client::new(serve_dir(&root));
    /// assert_eq!(hidden.get("/.env").send_blocking().unwrap().status.code(), 404);
    /// let denied = Client::new(serve_dir(&root).dotfiles(Dotfiles::Deny));
    /// assert_eq!(denied.get("/.env").send_blocking().unwrap().status.code(), 403);
    /// let allowed = Client::new(serve_dir(&root).dotfiles(Dotfiles::Allow).exclude([".env"]));
    /// assert_eq!(allowed.get("/.well-known/security.txt").send_blocking().unwrap().status.code(), 200);
    /// assert_eq!(allowed.get("/.env").send_blocking().unwrap().status.code(), 404);
    /// std::fs::remove_dir_all(&root).unwrap();
    /// ```
    pub fn dotfiles(mut self, dotfiles: Dotfiles) -> ServeDir {
        self.options().dotfiles = dotfiles;
        self
    }

    /// Which symbolic links to follow (default [`Symlinks::InsideRoot`]).
    ///
    /// ```
    /// use lath::prelude::*;
    /// use lath::layers::{serve_dir, Symlinks};
    /// let root = std::env::temp_dir().join(format!("lath-symlinks-{}", std::process::id()));
    /// std::fs::create_dir_all(&root).unwrap();
    /// std::fs::write(root.join("real.txt"), "real").unwrap();
    /// # #[cfg(unix)] {
    /// std::os::unix::fs::symlink(root.join("real.txt"), root.join("alias.txt")).unwrap();
    /// std::os::unix::fs::symlink("/etc/hostname", root.join("out.txt")).unwrap();
    /// let inside = Client::new(serve_dir(&root));
    /// assert_eq!(inside.get("/alias.txt").send_blocking().unwrap().text(), "real");
    /// assert_eq!(inside.get("/out.txt").send_blocking().unwrap().status.code(), 404);
    /// let never = Client::new(serve_dir(&root).symlinks(Symlinks::Never));
    /// assert_eq!(never.get("/alias.txt").send_blocking().unwrap().status.code(), 404);
    /// # }
    /// std::fs::remove_dir_all(&root).unwrap();
    /// ```
    pub fn symlinks(mut self, symlinks: Symlinks) -> ServeDir {
        self.options().symlinks = symlinks;
        self
    }

    /// Paths relative to the root (`"private"`, `"config.toml"`) never
    /// served, nor anything under them: `404`.
    ///
    /// ```
    /// use lath::prelude::*;
    /// use lath::layers::serve_dir;
    /// let root = std::env::temp_dir().join(format!("lath-exclude-{}", std::process::id()));
    /// std::fs::create_dir_all(root.join("drafts")).unwrap();
    /// std::fs::write(root.join("drafts/next.html"), "soon").unwrap();
    /// let client = Client::new(serve_dir(&root).exclude(["drafts"]));
    /// assert_eq!(client.get("/drafts/next.html").send_blocking().unwrap().status.code(), 404);
    /// std::fs::remove_dir_all(&root).unwrap();
    /// ```
    pub fn exclude<I: IntoIterator<Item = S>, S: Into<String>>(mut self, paths: I) -> ServeDir {
        self.options().exclude = paths
            .into_iter()
            .map(|p| p.into().trim_matches('/').to_owned())
            .collect();
        self
    }

    /// Serves files ending in `.extension` as `media_type`, before the
    /// built-in table.
    ///
    /// ```
    /// use lath::prelude::*;
    /// use lath::layers::serve_dir;
    /// let root = std::env::temp_dir().join(format!("lath-mime-{}", std::process::id()));
    /// std::fs::create_dir_all(&root).unwrap();
    /// std::fs::write(root.join("app.webmanifest"), "{}").unwrap();
    /// let client = Client::new(serve_dir(&root).mime_type("webmanifest", "application/manifest+json"));
    /// let res = client.get("/app.webmanifest").send_blocking().unwrap();
    /// assert_eq!(res.header("content-type"), Some("application/manifest+json"));
    /// std::fs::remove_dir_all(&root).unwrap();
    /// ```
    pub fn mime_type(mut self, extension: &str, media_type: &str) -> ServeDir {
        let extension = extension.trim_start_matches('.').to_ascii_lowercase();
        let media_type = Bytes::copy_from_slice(media_type.as_bytes());
        self.options().mime.push((extension, media_type));
        self
    }

    /// Sends `Cache-Control: value` with every file (and its `304`s).
    ///
    /// ```
    /// use lath::prelude::*;
    /// use lath::layers::serve_dir;
    /// let root = std::env::temp_dir().join(format!("lath-cache-{}", std::process::id()));
    /// std::fs::create_dir_all(&root).unwrap();
    /// std::fs::write(root.join("logo.svg"), "<svg/>").unwrap();
    /// let client = Client::new(serve_dir(&root).cache_control("public, max-age=86400"));
    /// let res = client.get("/logo.svg").send_blocking().unwrap();
    /// assert_eq!(res.header("cache-control"), Some("public, max-age=86400"));
    /// std::fs::remove_dir_all(&root).unwrap();
    /// ```
    pub fn cache_control(mut self, value: &str) -> ServeDir {
        self.options().cache_control = Some(value.to_owned());
        self
    }

    /// Serves `x.js.br`, `x.js.zst` or `x.js.gz` for `x.js` when the
    /// client accepts that encoding (by its q-values; brotli, then zstd,
    /// then gzip on a tie), with `Content-Encoding`, the original's media
    /// type and `Vary: Accept-Encoding` (default off).
    ///
    /// ```
    /// use lath::prelude::*;
    /// use lath::layers::serve_dir;
    /// let root = std::env::temp_dir().join(format!("lath-precompressed-{}", std::process::id()));
    /// std::fs::create_dir_all(&root).unwrap();
    /// std::fs::write(root.join("app.js"), "console.log(1)").unwrap();
    /// std::fs::write(root.join("app.js.gz"), b"\x1f\x8b...").unwrap();
    /// let client = Client::new(serve_dir(&root).precompressed(true));
    /// let res = client.get("/app.js").header("Accept-Encoding", "gzip").send_blocking().unwrap();
    /// assert_eq!(res.header("content-encoding"), Some("gzip"));
    /// assert_eq!(res.header("content-type"), Some("text/javascript; charset=utf-8"));
    /// assert_eq!(res.header("vary"), Some("Accept-Encoding"));
    /// let plain = client.get("/app.js").send_blocking().unwrap();
    /// assert_eq!(plain.text(), "console.log(1)");
    /// std::fs::remove_dir_all(&root).unwrap();
    /// ```
    pub fn precompressed(mut self, on: bool) -> ServeDir {
        self.options().precompressed = on;
        self
    }

    /// Keeps small files (up to 64 KiB, 1 024 of them) in memory for
    /// `ttl` after they were read, with their metadata, as nginx's
    /// `open_file_cache` keeps open files: a cached file costs no trip to
    /// the file system. A change on disk shows once its entry is `ttl`
    /// old. Off by default.
    ///
    /// ```
    /// use std::time::Duration;
    /// use lath::prelude::*;
    /// use lath::layers::serve_dir;
    /// let root = std::env::temp_dir().join(format!("lath-cache-ttl-{}", std::process::id()));
    /// std::fs::create_dir_all(&root).unwrap();
    /// std::fs::write(root.join("a.txt"), "first").unwrap();
    /// let client = Client::new(serve_dir(&root).cache(Duration::from_secs(60)));
    /// assert_eq!(client.get("/a.txt").send_blocking().unwrap().text(), "first");
    /// std::fs::write(root.join("a.txt"), "second").unwrap();
    /// // Within the minute, the cached file.
    /// assert_eq!(client.get("/a.txt").send_blocking().unwrap().text(), "first");
    /// std::fs::remove_dir_all(&root).unwrap();
    /// ```
    pub fn cache(mut self, ttl: Duration) -> ServeDir {
        self.cache = Some(Arc::new(FileCache {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }));
        self
    }

    /// The answer for `req`.
    async fn answer(&self, req: Request) -> Response {
        let method = req.method();
        if *method != Method::GET && *method != Method::HEAD {
            return Response::from(HttpError::method_not_allowed())
                .with_header("Allow", "GET, HEAD");
        }
        let (relative, slash) = match requested_path(&req) {
            Ok(found) => found,
            Err(error) => return error.into(),
        };
        let segments = match self.segments(&relative) {
            Ok(segments) => segments,
            Err(error) => return error.into(),
        };
        let encodings = self.encodings(&req);
        let key = self
            .cache
            .as_ref()
            .map(|_| format!("{}\0{slash}\0{}", segments.join("/"), encodings.join(",")));
        if let (Some(cache), Some(key)) = (&self.cache, &key) {
            if let Some(file) = cache.get(key, *method == Method::GET) {
                return respond_with(req.method(), req.headers(), file, &self.options);
            }
        }
        let read = *method == Method::GET;
        #[cfg(target_os = "linux")]
        if let Some(file) = self.cached(&segments, slash, &encodings, read) {
            if let (Some(cache), Some(key)) = (&self.cache, key) {
                cache.put(key, &file);
            }
            return respond_with(req.method(), req.headers(), file, &self.options);
        }
        let lookup = Lookup {
            root: self.root.clone(),
            canonical_root: self.canonical_root.clone(),
            segments: segments.iter().map(|s| s.to_string()).collect(),
            symlinks: self.options.symlinks,
            index: self.options.index.clone(),
            encodings,
            read,
            slash,
        };
        match blocking::unblock(move || lookup.run()).await {
            Found::File(file) => {
                if let (Some(cache), Some(key)) = (&self.cache, key) {
                    cache.put(key, &file);
                }
                respond_with(req.method(), req.headers(), *file, &self.options)
            }
            Found::Directory => {
                // A directory named without its slash: relative links in
                // its index resolve against the slash form.
                let mut location = req.path().to_owned();
                location.push('/');
                if let Some(query) = req.query_string() {
                    location.push('?');
                    location.push_str(query);
                }
                Response::redirect_with(Status::PERMANENT_REDIRECT, &location)
            }
            Found::Missing => HttpError::not_found().into(),
            Found::Failed(e) => HttpError::internal()
                .with_detail(format!("reading a file: {e}"))
                .into(),
        }
    }

    /// The path's segments, each checked: no `..`, `.`, backslash or NUL;
    /// dotfiles and exclusions as configured.
    fn segments<'a>(&self, relative: &'a str) -> Result<Vec<&'a str>, HttpError> {
        let options = &self.options;
        let mut segments = Vec::new();
        for segment in relative.split('/').filter(|s| !s.is_empty()) {
            if segment == "." || segment == ".." || segment.contains(['\\', '\0']) {
                return Err(HttpError::not_found());
            }
            // A Windows drive or stream (`C:`, `file::$DATA`) is never a
            // name under the root.
            if cfg!(windows) && segment.contains(':') {
                return Err(HttpError::not_found());
            }
            if segment.starts_with('.') {
                match options.dotfiles {
                    Dotfiles::Hide => return Err(HttpError::not_found()),
                    Dotfiles::Deny => return Err(HttpError::forbidden()),
                    Dotfiles::Allow => {}
                }
            }
            segments.push(segment);
        }
        if options.exclude.is_empty() {
            return Ok(segments);
        }
        let joined = segments.join("/");
        let excluded = options.exclude.iter().any(|ex| {
            !ex.is_empty()
                && (joined == *ex
                    || joined
                        .strip_prefix(ex.as_str())
                        .is_some_and(|rest| rest.starts_with('/')))
        });
        if excluded {
            return Err(HttpError::not_found());
        }
        Ok(segments)
    }

    /// The file, when the kernel has its name, metadata and (for a small
    /// `GET`) bytes in memory and no link is on the way: what
    /// [`Lookup::run`] would find, without the trip to the pool. `None`
    /// leaves it to the pool.
    #[cfg(target_os = "linux")]
    fn cached(
        &self,
        segments: &[&str],
        slash: bool,
        encodings: &[&'static str],
        read: bool,
    ) -> Option<OpenFile> {
        let root = self.canonical_root.as_ref()?;
        let index = self.options.index.as_deref();
        let mut path = PathBuf::with_capacity(
            root.as_os_str().len() + segments.iter().map(|s| s.len() + 1).sum::<usize>() + 32,
        );
        path.push(root);
        path.extend(segments);
        if slash {
            // Only a directory's index answers a path with a slash; a
            // file named there fails to open as one (`ENOTDIR`).
            path.push(index?);
        }
        let (file, stat) = cached::open(&path).ok()?;
        for &encoding in encodings {
            let mut sibling = path.clone().into_os_string();
            sibling.push(suffix(encoding));
            match cached::open(Path::new(&sibling)) {
                // Named after the original, whose media type it has.
                Ok((found, stat)) => return cached::load(found, stat, path, Some(encoding), read),
                Err(rustix::io::Errno::NOENT) => {}
                Err(_) => return None,
            }
        }
        cached::load(file, stat, path, None, read)
    }

    /// The content codings to try as siblings, best first.
    fn encodings(&self, req: &Request) -> Vec<&'static str> {
        if !self.options.precompressed {
            return Vec::new();
        }
        let mut offered: Vec<&'static str> = SIBLINGS.iter().map(|(coding, _)| *coding).collect();
        let mut order = Vec::new();
        while let Some(best) = crate::encoding::preferred(req.headers(), &offered) {
            order.push(best);
            offered.retain(|c| *c != best);
        }
        order
    }
}

impl App for ServeDir {
    async fn call(&self, req: Request, respond: Respond) {
        let answer = self.answer(req).await;
        respond.send(answer);
    }
}

/// Answers `req` with the file at `path`, as [`serve_dir`] does: media
/// type, validators, conditional and range requests, `HEAD`; `404` when
/// there is no such file. The path is used as given: build it from names
/// of your own, not from the request.
///
/// ```
/// use lath::prelude::*;
/// use lath::layers::send_file;
///
/// let path = std::env::temp_dir().join(format!("lath-report-{}.csv", std::process::id()));
/// std::fs::write(&path, "a,b\n1,2\n").unwrap();
/// let file = path.clone();
/// let app = handler(move |req: Request| {
///     let file = file.clone();
///     async move { send_file(&req, &file).await }
/// });
/// let client = Client::new(app);
/// let res = client.get("/report").send_blocking().unwrap();
/// assert_eq!(res.header("content-type"), Some("text/csv; charset=utf-8"));
/// assert_eq!(res.text(), "a,b\n1,2\n");
/// let tail = client.get("/report").header("Range", "bytes=-4").send_blocking().unwrap();
/// assert_eq!((tail.status.code(), tail.header("content-range")), (206, Some("bytes 4-7/8")));
/// std::fs::remove_file(&path).unwrap();
/// assert_eq!(client.get("/report").send_blocking().unwrap().status.code(), 404);
/// ```
pub fn send_file(
    req: &Request,
    path: impl AsRef<Path>,
) -> impl Future<Output = Response> + Send + 'static {
    // What the answer depends on, taken now: the future borrows nothing.
    let (method, headers) = (req.method().clone(), req.headers().clone());
    let path = path.as_ref().to_path_buf();
    async move {
        let read = method == Method::GET;
        #[cfg(target_os = "linux")]
        if let Ok((file, stat)) = cached::open(&path) {
            if let Some(file) = cached::load(file, stat, path.clone(), None, read) {
                return respond_with(&method, &headers, file, &Options::default());
            }
        }
        let found = blocking::unblock(move || match open(&path, None, read) {
            Ok(Some(file)) => Found::File(Box::new(file)),
            Ok(None) => Found::Missing,
            Err(e) if e.kind() == io::ErrorKind::NotFound => Found::Missing,
            Err(e) => Found::Failed(e),
        })
        .await;
        match found {
            Found::File(file) => respond_with(&method, &headers, *file, &Options::default()),
            Found::Directory | Found::Missing => HttpError::not_found().into(),
            Found::Failed(e) => HttpError::internal()
                .with_detail(format!("reading a file: {e}"))
                .into(),
        }
    }
}

/// The decoded path below the root the request names, and whether it
/// ended with a slash. From a router's wildcard parameter when the
/// matched route ends with one, else from the whole path.
fn requested_path(req: &Request) -> Result<(Cow<'_, str>, bool), HttpError> {
    if let Some(name) = req.route().and_then(wildcard_name) {
        if let Some(value) = req.param(name) {
            let slash = value.is_empty() || value.ends_with('/');
            return Ok((Cow::Borrowed(value), slash));
        }
    }
    let decoded = percent_encoding::percent_decode_str(req.path())
        .decode_utf8()
        .map_err(|_| HttpError::bad_request("the path is not UTF-8"))?;
    let slash = decoded.ends_with('/');
    Ok((decoded, slash))
}

/// The name of a route's trailing wildcard: `*path` or `{*path}`.
fn wildcard_name(route: &str) -> Option<&str> {
    let last = route.rsplit('/').next()?;
    last.strip_prefix('*')
        .or_else(|| last.strip_prefix("{*")?.strip_suffix('}'))
}

/// Small files kept in memory for a while (see [`ServeDir::cache`]).
#[derive(Debug)]
struct FileCache {
    ttl: Duration,
    entries: Mutex<HashMap<String, Cached>>,
}

/// A small file as it was read, and when.
#[derive(Debug)]
struct Cached {
    at: Instant,
    name: PathBuf,
    metadata: FileStat,
    encoding: Option<&'static str>,
    bytes: Bytes,
}

/// Entries kept at most; past it, the stale ones go, or else all.
const CACHED: usize = 1024;

impl FileCache {
    /// The file under `key`, if cached less than `ttl` ago; its bytes
    /// only when `read`.
    fn get(&self, key: &str, read: bool) -> Option<OpenFile> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let cached = entries.get(key).filter(|c| c.at.elapsed() < self.ttl)?;
        Some(OpenFile {
            name: cached.name.clone(),
            metadata: cached.metadata,
            encoding: cached.encoding,
            content: match read {
                true => Content::Whole(cached.bytes.clone()),
                false => Content::None,
            },
        })
    }

    /// Keeps `file` under `key` when it was read whole.
    fn put(&self, key: String, file: &OpenFile) {
        let Content::Whole(bytes) = &file.content else {
            return;
        };
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= CACHED {
            let ttl = self.ttl;
            entries.retain(|_, c| c.at.elapsed() < ttl);
            if entries.len() >= CACHED {
                entries.clear();
            }
        }
        entries.insert(
            key,
            Cached {
                at: Instant::now(),
                name: file.name.clone(),
                metadata: file.metadata,
                encoding: file.encoding,
                bytes: bytes.clone(),
            },
        );
    }
}

/// What the thread pool found.
enum Found {
    File(Box<OpenFile>),
    /// A directory named without its trailing slash.
    Directory,
    Missing,
    Failed(io::Error),
}

/// A file ready to answer with.
struct OpenFile {
    /// The name its media type comes from (the original's, for a sibling).
    name: PathBuf,
    metadata: FileStat,
    encoding: Option<&'static str>,
    content: Content,
}

/// What an answer needs of a file's metadata.
#[derive(Debug, Clone, Copy)]
struct FileStat {
    len: u64,
    modified: Option<SystemTime>,
}

impl FileStat {
    fn of(metadata: &Metadata) -> FileStat {
        FileStat {
            len: metadata.len(),
            modified: metadata.modified().ok(),
        }
    }
}

enum Content {
    /// Read whole (small files).
    Whole(Bytes),
    /// Open, to stream.
    Open(std::fs::File),
    /// Not read (`HEAD`).
    None,
}

/// One request's file system work, done on the thread pool.
struct Lookup {
    root: PathBuf,
    canonical_root: Option<PathBuf>,
    segments: Vec<String>,
    symlinks: Symlinks,
    index: Option<String>,
    encodings: Vec<&'static str>,
    read: bool,
    /// The request's path ended with a slash.
    slash: bool,
}

impl Lookup {
    fn run(self) -> Found {
        let canonical_root = match &self.canonical_root {
            Some(root) => root.clone(),
            None => match std::fs::canonicalize(&self.root) {
                Ok(root) => root,
                Err(_) => return Found::Missing,
            },
        };
        let mut path = canonical_root.clone();
        path.extend(&self.segments);
        let resolved = match self.resolve(&canonical_root, &path) {
            Ok(Some(resolved)) => resolved,
            Ok(None) => return Found::Missing,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Found::Missing,
            Err(e) => return Found::Failed(e),
        };
        let mut target = resolved;
        // Opened once: its own metadata says file or directory.
        let (mut file, mut metadata) = match open_file(&target) {
            Ok(opened) => opened,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Found::Missing,
            Err(e) => return Found::Failed(e),
        };
        if metadata.is_dir() {
            if !self.slash {
                return Found::Directory;
            }
            let Some(index) = &self.index else {
                return Found::Missing; // never a listing
            };
            path.push(index);
            target = match self.resolve(&canonical_root, &path) {
                Ok(Some(resolved)) => resolved,
                _ => return Found::Missing,
            };
            (file, metadata) = match open_file(&target) {
                Ok(opened) => opened,
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Found::Missing,
                Err(e) => return Found::Failed(e),
            };
        } else if self.slash && !self.segments.is_empty() {
            // A file named as a directory (`/a.txt/`) is not there.
            return Found::Missing;
        }
        if !metadata.is_file() {
            return Found::Missing;
        }
        for &encoding in &self.encodings {
            let mut sibling = path.clone().into_os_string();
            sibling.push(suffix(encoding));
            let sibling = PathBuf::from(sibling);
            if let Ok(Some(resolved)) = self.resolve(&canonical_root, &sibling) {
                if let Ok(Some(found)) = open(&resolved, Some(encoding), self.read) {
                    return Found::File(Box::new(OpenFile {
                        name: target.clone(),
                        ..found
                    }));
                }
            }
        }
        match load(file, FileStat::of(&metadata), &target, None, self.read) {
            Ok(found) => Found::File(Box::new(found)),
            Err(e) => Found::Failed(e),
        }
    }

    /// `path` (under the canonical root, no `..` in it) with its links
    /// resolved, when the policy allows them: each component below the
    /// root is looked at once, and only a link costs a full resolution.
    fn resolve(&self, canonical_root: &Path, path: &Path) -> io::Result<Option<PathBuf>> {
        if self.symlinks == Symlinks::Always {
            return Ok(Some(path.to_path_buf()));
        }
        let Ok(relative) = path.strip_prefix(canonical_root) else {
            return Ok(None);
        };
        let mut walked = canonical_root.to_path_buf();
        for component in relative.components() {
            walked.push(component);
            if std::fs::symlink_metadata(&walked)?.file_type().is_symlink() {
                if self.symlinks == Symlinks::Never {
                    return Ok(None);
                }
                let real = std::fs::canonicalize(path)?;
                return Ok(real.starts_with(canonical_root).then_some(real));
            }
        }
        Ok(Some(walked))
    }
}

/// The file name suffix of a precompressed sibling in `encoding`.
fn suffix(encoding: &str) -> &'static str {
    SIBLINGS
        .iter()
        .find(|(coding, _)| *coding == encoding)
        .map_or("", |(_, suffix)| *suffix)
}

/// Opens `path`, with its metadata. On Linux without waiting for a
/// writer, should it be a FIFO (which is then refused as no regular file).
fn open_file(path: &Path) -> io::Result<(std::fs::File, Metadata)> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32);
    }
    let file = options.open(path)?;
    let metadata = file.metadata()?;
    Ok((file, metadata))
}

/// Opens a regular file (`None` for anything else) and, for a small one
/// asked for with `GET`, reads it whole.
fn open(path: &Path, encoding: Option<&'static str>, read: bool) -> io::Result<Option<OpenFile>> {
    let (file, metadata) = open_file(path)?;
    if !metadata.is_file() {
        return Ok(None);
    }
    load(file, FileStat::of(&metadata), path, encoding, read).map(Some)
}

/// A regular file made ready: read whole when small and asked for with
/// `GET`, kept open to stream when large, neither for `HEAD`.
fn load(
    file: std::fs::File,
    metadata: FileStat,
    path: &Path,
    encoding: Option<&'static str>,
    read: bool,
) -> io::Result<OpenFile> {
    use std::io::Read;
    let content = match (read, metadata.len) {
        (false, _) => Content::None,
        (true, len) if len <= READ_WHOLE => {
            let mut bytes = Vec::with_capacity(len as usize);
            (&file).take(len).read_to_end(&mut bytes)?;
            if bytes.len() as u64 != len {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the file shrank while being read",
                ));
            }
            Content::Whole(bytes.into())
        }
        (true, _) => Content::Open(file),
    };
    Ok(OpenFile {
        name: path.to_path_buf(),
        metadata,
        encoding,
        content,
    })
}

/// The media type for `name`: configured mappings first, then
/// mime_guess; `charset=utf-8` for text.
fn media_type(name: &Path, options: &Options) -> Bytes {
    let extension = name.extension().and_then(|e| e.to_str()).unwrap_or("");
    if let Some((_, media)) = options
        .mime
        .iter()
        .find(|(ext, _)| ext.eq_ignore_ascii_case(extension))
    {
        return media.clone();
    }
    // mime_guess's lookup costs more than the rest of the answer's
    // fields: each thread keeps what it found.
    thread_local! {
        static GUESSED: RefCell<HashMap<Box<str>, Bytes>> = RefCell::new(HashMap::new());
    }
    GUESSED.with(|guessed| {
        if let Some(media) = guessed.borrow().get(extension) {
            return media.clone();
        }
        let media = Bytes::from(guess_media_type(extension));
        let mut guessed = guessed.borrow_mut();
        if guessed.len() >= 256 {
            guessed.clear();
        }
        guessed.insert(extension.into(), media.clone());
        media
    })
}

/// mime_guess's media type for `extension` (matched without regard to
/// case), `charset=utf-8` for text.
fn guess_media_type(extension: &str) -> String {
    let essence = mime_guess::from_ext(extension)
        .first_raw()
        .unwrap_or("application/octet-stream");
    let text = essence.starts_with("text/")
        || matches!(
            essence,
            "application/javascript" | "application/xml" | "image/svg+xml"
        );
    let essence = match essence {
        // RFC 9239: JavaScript is text/javascript.
        "application/javascript" => "text/javascript",
        other => other,
    };
    match text {
        true => format!("{essence}; charset=utf-8"),
        false => essence.to_owned(),
    }
}

/// The answer with `file` to a request with this method and these
/// fields: validators, conditions, ranges.
fn respond_with(method: &Method, headers: &Headers, file: OpenFile, options: &Options) -> Response {
    let len = file.metadata.len;
    let modified = file.metadata.modified;
    let etag = modified.map(|at| ETag::for_file(at, len));
    let content_type = media_type(&file.name, options);
    // What HEAD and 304 answers carry for later layers (`compress`).
    let representation = || Representation {
        content_type: String::from_utf8_lossy(&content_type).into_owned(),
        length: len,
        content_encoding: file.encoding,
    };
    // Fields are added in place: the response is not moved per field.
    let mut head = Response::new(Status::OK);
    let fields = head.headers_mut();
    if let Some(etag) = &etag {
        fields.append("ETag", etag.to_string());
    }
    if let Some(at) = modified {
        fields.append("Last-Modified", httpdate::fmt_http_date(at));
    }
    if let Some(cache) = &options.cache_control {
        fields.append("Cache-Control", cache.clone());
    }
    if options.precompressed {
        fields.append("Vary", "Accept-Encoding");
    }
    match conditional::evaluate(headers, method, etag.as_ref(), modified) {
        Verdict::NotModified => {
            return head
                .with_status(Status::NOT_MODIFIED)
                .with_extension(representation())
        }
        Verdict::Failed => {
            return Response::from(HttpError::precondition_failed());
        }
        Verdict::Proceed => {}
    }
    let fields = head.headers_mut();
    fields.append("Content-Type", content_type.clone());
    fields.append("X-Content-Type-Options", "nosniff");
    fields.append("Accept-Ranges", "bytes");
    if let Some(encoding) = file.encoding {
        fields.append("Content-Encoding", encoding);
    }
    let range = headers.get_str("range");
    let ranges = match range {
        // RFC 9110 §14.2: Range applies to GET only.
        Some(value) if *method == Method::GET => {
            if conditional::range_applies(headers, etag.as_ref(), modified) {
                range::parse(value, len)
            } else {
                Ranges::Whole
            }
        }
        _ => Ranges::Whole,
    };
    match ranges {
        Ranges::Whole => {
            let body = match file.content {
                Content::Whole(bytes) => Body::full(bytes),
                Content::Open(handle) => FileBody::body(handle, vec![Piece::span(0, len)], len),
                Content::None => FileBody::sized_nothing(len),
            };
            let res = head.with_body(body);
            if *method == Method::HEAD {
                return res.with_extension(representation());
            }
            res
        }
        Ranges::Unsatisfiable => Response::from(HttpError::range_not_satisfiable())
            .with_header("Content-Range", format!("bytes */{len}")),
        Ranges::Parts(parts) if parts.len() == 1 => {
            let part = parts[0];
            let body = match file.content {
                Content::Whole(bytes) => {
                    Body::full(bytes.slice(part.start as usize..=part.end as usize))
                }
                Content::Open(handle) => FileBody::body(
                    handle,
                    vec![Piece::span(part.start, part.len())],
                    part.len(),
                ),
                Content::None => FileBody::sized_nothing(part.len()),
            };
            head.with_status(Status::PARTIAL_CONTENT)
                .with_header(
                    "Content-Range",
                    format!("bytes {}-{}/{len}", part.start, part.end),
                )
                .with_body(body)
        }
        Ranges::Parts(parts) => {
            let boundary = boundary(etag.as_ref(), len);
            let mut pieces = Vec::with_capacity(parts.len() * 3 + 1);
            let mut total = 0u64;
            for part in &parts {
                let header = format!(
                    "--{boundary}\r\nContent-Type: {}\r\nContent-Range: bytes {}-{}/{len}\r\n\r\n",
                    String::from_utf8_lossy(&content_type),
                    part.start,
                    part.end
                );
                total += header.len() as u64 + part.len() + 2;
                pieces.push(Piece::Bytes(header.into()));
                pieces.push(Piece::span(part.start, part.len()));
                pieces.push(Piece::Bytes(Bytes::from_static(b"\r\n")));
            }
            let end = format!("--{boundary}--\r\n");
            total += end.len() as u64;
            pieces.push(Piece::Bytes(end.into()));
            let body = match file.content {
                Content::Whole(bytes) => FileBody::from_memory(bytes, pieces, total),
                Content::Open(handle) => FileBody::body(handle, pieces, total),
                Content::None => FileBody::sized_nothing(total),
            };
            let mut res = head.with_status(Status::PARTIAL_CONTENT).with_body(body);
            res.headers_mut().insert(
                "Content-Type",
                format!("multipart/byteranges; boundary={boundary}"),
            );
            res
        }
    }
}

/// A multipart boundary that cannot occur in the parts' headers and is
/// most unlikely in the file: derived from the validator.
fn boundary(etag: Option<&ETag>, len: u64) -> String {
    let seed: String = etag
        .map(|t| t.to_string())
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    format!("lath-byteranges-{seed}{len:x}")
}
