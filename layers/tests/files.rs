//! Static files through the in-memory client, against real files in a
//! temporary directory: validators and conditions, ranges, HEAD, methods,
//! precompressed siblings, and every way out of the root that a path can
//! try.

use std::path::{Path, PathBuf};

use lath_app::{AppExt, Status};
use lath_layers::{serve_dir, Dotfiles, Router};
use lath_net::{Client, TestResponse};

/// A directory of files for one test, removed when dropped.
struct Site(PathBuf);

impl Site {
    fn new(name: &str) -> Site {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let root =
            std::env::temp_dir().join(format!("lath-files-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("public/docs")).unwrap();
        std::fs::create_dir_all(root.join("public/.git")).unwrap();
        std::fs::create_dir_all(root.join("private")).unwrap();
        let public = root.join("public");
        std::fs::write(public.join("hello.txt"), "Hello, World!").unwrap();
        std::fs::write(public.join("index.html"), "<h1>home</h1>").unwrap();
        std::fs::write(public.join("docs/index.html"), "<h1>docs</h1>").unwrap();
        std::fs::write(public.join(".env"), "SECRET=1").unwrap();
        std::fs::write(public.join(".git/config"), "[core]").unwrap();
        std::fs::write(public.join("big.bin"), big()).unwrap();
        std::fs::write(public.join("mid.bin"), &big()[..10_000]).unwrap();
        std::fs::write(root.join("private/secret.txt"), "top secret").unwrap();
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(root.join("private/secret.txt"), public.join("leak.txt"))
                .unwrap();
            std::os::unix::fs::symlink(root.join("private"), public.join("leakdir")).unwrap();
            std::os::unix::fs::symlink(public.join("hello.txt"), public.join("alias.txt")).unwrap();
        }
        Site(root)
    }

    fn public(&self) -> PathBuf {
        self.0.join("public")
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// 300 000 bytes that differ at every offset, past the whole-read size.
fn big() -> Vec<u8> {
    (0..300_000u32).map(|i| (i % 251) as u8).collect()
}

fn get(client: &Client, path: &str, headers: &[(&str, &str)]) -> TestResponse {
    let mut request = client.get(path);
    for (name, value) in headers {
        request = request.header(name, value);
    }
    request.send_blocking().unwrap()
}

fn whole_site(root: &Path) -> Client {
    Client::new(serve_dir(root))
}

#[test]
fn a_file_with_its_type_validators_and_length() {
    let site = Site::new("basic");
    let client = whole_site(&site.public());
    let res = get(&client, "/hello.txt", &[]);
    assert_eq!(res.status, Status::OK);
    assert_eq!(res.text(), "Hello, World!");
    assert_eq!(
        res.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(res.header("content-length"), Some("13"));
    assert_eq!(res.header("accept-ranges"), Some("bytes"));
    assert_eq!(res.header("x-content-type-options"), Some("nosniff"));
    let etag = res.header("etag").unwrap();
    assert!(etag.starts_with('"') && etag.ends_with("-d\""), "{etag}");
    assert!(res.header("last-modified").unwrap().ends_with(" GMT"));
    // The path is percent-decoded: `/hell%6F.txt` is `/hello.txt`.
    assert_eq!(get(&client, "/hell%6F.txt", &[]).text(), "Hello, World!");
    // A big file streams whole.
    let res = get(&client, "/big.bin", &[]);
    assert_eq!(&res.body[..], &big()[..]);
    assert_eq!(res.header("content-type"), Some("application/octet-stream"));
}

/// A condition field's value in a row: the file's own validators are known
/// only once it is written.
#[derive(Clone, Copy)]
enum Value {
    /// The file's `ETag`.
    Tag,
    /// The file's `ETag`, made weak.
    WeakTag,
    /// The file's `Last-Modified`.
    Modified,
    /// A date long before the file's.
    Earlier,
    /// This text.
    Text(&'static str),
}

/// A row: `GET /hello.txt` with the condition fields, and the status; a
/// `304` carries the validators and no body (RFC 9110 §15.4.5).
fn check_conditions(rule: &str, fields: &[(&str, Value)], status: u16) {
    let site = Site::new("conditional");
    let client = whole_site(&site.public());
    let first = get(&client, "/hello.txt", &[]);
    let etag = first.header("etag").unwrap().to_owned();
    let value = |value: Value| match value {
        Value::Tag => etag.clone(),
        Value::WeakTag => format!("W/{etag}"),
        Value::Modified => first.header("last-modified").unwrap().to_owned(),
        Value::Earlier => httpdate::fmt_http_date(std::time::UNIX_EPOCH),
        Value::Text(text) => text.to_owned(),
    };
    let fields: Vec<(&str, String)> = fields.iter().map(|&(n, v)| (n, value(v))).collect();
    let fields: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let res = get(&client, "/hello.txt", &fields);
    assert_eq!(res.status.code(), status, "{rule}");
    if status == 304 {
        assert_eq!(res.header("etag"), Some(etag.as_str()), "{rule}");
        assert!(res.header("last-modified").is_some(), "{rule}");
        assert!(res.body.is_empty(), "{rule}");
    }
}

mod conditional_requests {
    use super::Value::*;
    use super::*;

    #[rustfmt::skip]
    row_tests::row_tests!(check_conditions {
        if_none_match_current_tag_304: "§13.1.2 If-None-Match with the current tag → 304" => (&[("If-None-Match", Tag)], 304);
        if_none_match_compares_weakly: "§13.1.2 If-None-Match compares weakly" => (&[("If-None-Match", WeakTag)], 304);
        if_none_match_star_304: "§13.1.2 If-None-Match * → 304" => (&[("If-None-Match", Text("*"))], 304);
        if_none_match_another_tag_200: "§13.1.2 If-None-Match with another tag → 200" => (&[("If-None-Match", Text("\"x\""))], 200);
        if_modified_since_at_last_modified_304: "§13.1.3 If-Modified-Since at Last-Modified → 304" => (&[("If-Modified-Since", Modified)], 304);
        if_modified_since_earlier_200: "§13.1.3 If-Modified-Since earlier → 200" => (&[("If-Modified-Since", Earlier)], 200);
        malformed_date_ignored: "§13.1.3 a malformed date is ignored → 200" => (&[("If-Modified-Since", Text("yesterday"))], 200);
        if_none_match_decides_over_if_modified_since: "§13.2.2 If-None-Match decides over If-Modified-Since" => (&[("If-None-Match", Text("\"x\"")), ("If-Modified-Since", Modified)], 200);
        if_match_current_tag_200: "§13.1.1 If-Match with the current tag → 200" => (&[("If-Match", Tag)], 200);
        if_match_another_tag_412: "§13.1.1 If-Match with another tag → 412" => (&[("If-Match", Text("\"x\""))], 412);
        if_match_compares_strongly_412: "§13.1.1 If-Match compares strongly → 412" => (&[("If-Match", WeakTag)], 412);
        if_unmodified_since_earlier_412: "§13.1.4 If-Unmodified-Since earlier → 412" => (&[("If-Unmodified-Since", Earlier)], 412);
        if_unmodified_since_at_last_modified_200: "§13.1.4 If-Unmodified-Since at Last-Modified → 200" => (&[("If-Unmodified-Since", Modified)], 200);
    });
}

/// A row: `GET /big.bin` (300 000 bytes) with this `Range`, and the
/// status, `Content-Range` and the bytes of the file sent.
fn check_range(
    rule: &str,
    range: &str,
    status: u16,
    content_range: Option<&str>,
    bytes: Option<std::ops::RangeInclusive<usize>>,
) {
    let site = Site::new("range");
    let client = whole_site(&site.public());
    let res = get(&client, "/big.bin", &[("Range", range)]);
    assert_eq!(res.status.code(), status, "{rule}");
    assert_eq!(res.header("content-range"), content_range, "{rule}");
    if let Some(bytes) = bytes {
        assert_eq!(&res.body[..], &big()[bytes.clone()], "{rule}");
        let length = bytes.count().to_string();
        assert_eq!(
            res.header("content-length"),
            Some(length.as_str()),
            "{rule}"
        );
    }
}

mod range_requests {
    use super::*;

    #[rustfmt::skip]
    row_tests::row_tests!(check_range {
        first_last: "§14.1.2 first-last" => ("bytes=0-3", 206, Some("bytes 0-3/300000"), Some(0..=3));
        first_to_the_end: "§14.1.2 first-" => ("bytes=299990-", 206, Some("bytes 299990-299999/300000"), Some(299_990..=299_999));
        suffix: "§14.1.2 -suffix" => ("bytes=-10", 206, Some("bytes 299990-299999/300000"), Some(299_990..=299_999));
        a_long_range_streams: "§14.1.2 a long range streams" => ("bytes=1000-250000", 206, Some("bytes 1000-250000/300000"), Some(1000..=250_000));
        past_the_end_is_clamped: "§14.1.2 past the end is clamped" => ("bytes=299999-400000", 206, Some("bytes 299999-299999/300000"), Some(299_999..=299_999));
        unsatisfiable_416: "§15.5.17 unsatisfiable → 416" => ("bytes=300000-", 416, Some("bytes */300000"), None);
        invalid_syntax_ignored: "§14.2 invalid syntax is ignored → 200" => ("bytes=5-1", 200, None, Some(0..=299_999));
        another_unit_ignored: "§14.2 another unit is ignored → 200" => ("pages=1-2", 200, None, Some(0..=299_999));
    });
}

#[test]
fn if_range_head_and_a_small_file() {
    let site = Site::new("ranges");
    let client = whole_site(&site.public());
    let etag = get(&client, "/big.bin", &[])
        .header("etag")
        .unwrap()
        .to_owned();
    // §13.1.5 If-Range: the current tag gets the range, a stale one the file.
    let resumed = get(
        &client,
        "/big.bin",
        &[("Range", "bytes=100-199"), ("If-Range", &etag)],
    );
    assert_eq!((resumed.status.code(), resumed.body.len()), (206, 100));
    let stale = get(
        &client,
        "/big.bin",
        &[("Range", "bytes=100-199"), ("If-Range", "\"old\"")],
    );
    assert_eq!((stale.status.code(), stale.body.len()), (200, 300_000));
    // §14.2: Range is for GET only.
    let head = client
        .head("/big.bin")
        .header("Range", "bytes=0-1")
        .send_blocking()
        .unwrap();
    assert_eq!(head.status.code(), 200);
    // A small file, read whole, takes ranges too.
    let res = get(&client, "/hello.txt", &[("Range", "bytes=7-11")]);
    assert_eq!((res.status.code(), res.text().as_str()), (206, "World"));
}

#[test]
fn several_ranges_are_multipart_byteranges() {
    let site = Site::new("multirange");
    let client = whole_site(&site.public());
    let data = big();
    // A streamed file and one read whole; nearby ranges coalesce.
    for (path, len) in [("/big.bin", 300_000usize), ("/mid.bin", 10_000)] {
        let res = get(&client, path, &[("Range", "bytes=0-1, 5-6, 1000-1009, -2")]);
        assert_eq!(res.status.code(), 206, "{path}");
        let content_type = res.header("content-type").unwrap();
        let boundary = content_type
            .strip_prefix("multipart/byteranges; boundary=")
            .unwrap_or_else(|| panic!("{content_type}"));
        assert_eq!(
            res.header("content-length").unwrap(),
            res.body.len().to_string()
        );
        let body = res.body.to_vec();
        let text = String::from_utf8_lossy(&body);
        assert_eq!(
            text.matches(&format!("--{boundary}\r\n")).count(),
            3,
            "{path}"
        );
        assert!(text.ends_with(&format!("--{boundary}--\r\n")), "{path}");
        for (start, end) in [(0, 6), (1000, 1009), (len - 2, len - 1)] {
            let header = format!("Content-Range: bytes {start}-{end}/{len}\r\n\r\n");
            // Offsets in the bytes: the lossy text is longer.
            let at = body
                .windows(header.len())
                .position(|w| w == header.as_bytes())
                .unwrap_or_else(|| panic!("{path}: {header}"))
                + header.len();
            assert_eq!(
                &body[at..=at + end - start],
                &data[start..=end],
                "{path} {start}-{end}"
            );
        }
    }
}

#[test]
fn head_and_other_methods() {
    let site = Site::new("methods");
    let client = whole_site(&site.public());
    let get_res = get(&client, "/big.bin", &[]);
    let head = client.head("/big.bin").send_blocking().unwrap();
    assert_eq!(head.status.code(), 200);
    assert!(head.body.is_empty());
    for field in [
        "content-length",
        "content-type",
        "etag",
        "last-modified",
        "accept-ranges",
    ] {
        assert_eq!(head.header(field), get_res.header(field), "{field}");
    }
    let post = client.post("/hello.txt").send_blocking().unwrap();
    assert_eq!(
        (post.status.code(), post.header("allow")),
        (405, Some("GET, HEAD"))
    );
}

#[test]
fn directories_indexes_and_redirects() {
    let site = Site::new("dirs");
    let client = whole_site(&site.public());
    assert_eq!(get(&client, "/", &[]).text(), "<h1>home</h1>");
    assert_eq!(get(&client, "/docs/", &[]).text(), "<h1>docs</h1>");
    let moved = get(&client, "/docs?v=1", &[]);
    assert_eq!(
        (moved.status.code(), moved.header("location")),
        (308, Some("/docs/?v=1"))
    );
    // A file named as a directory is not there.
    assert_eq!(get(&client, "/hello.txt/", &[]).status.code(), 404);
    // No index file: directories are never listed.
    let bare = Client::new(serve_dir(site.public()).index(None));
    assert_eq!(get(&bare, "/docs/", &[]).status.code(), 404);
    assert_eq!(get(&client, "/missing.txt", &[]).status.code(), 404);
}

/// What a client sees of an answer, all but its `Date`.
#[cfg(target_os = "linux")]
fn seen(res: TestResponse) -> (u16, Vec<(String, String)>, bytes::Bytes) {
    let fields = res
        .headers
        .iter()
        .filter(|(name, _)| !name.eq_ignore_ascii_case("date"))
        .map(|(name, value)| {
            (
                name.to_ascii_lowercase(),
                String::from_utf8_lossy(value).into_owned(),
            )
        })
        .collect();
    (res.status.code(), fields, res.body)
}

/// On Linux a file whose name, metadata and bytes the kernel has in
/// memory is answered without the trip to the thread pool; one whose
/// bytes are on disk only is read there. Both answer alike.
#[cfg(target_os = "linux")]
#[test]
fn files_in_memory_and_on_disk_answer_alike() {
    let site = Site::new("cold");
    let client = whole_site(&site.public());
    let evict = || {
        for name in ["hello.txt", "mid.bin", "big.bin", "index.html"] {
            let file = std::fs::File::open(site.public().join(name)).unwrap();
            file.sync_all().unwrap();
            rustix::fs::fadvise(&file, 0, None, rustix::fs::Advice::DontNeed).unwrap();
        }
    };
    let asks: [(&str, &[(&str, &str)]); 6] = [
        ("/hello.txt", &[]),
        ("/mid.bin", &[]),
        ("/mid.bin", &[("range", "bytes=10-19")]),
        ("/big.bin", &[]),
        ("/", &[]),
        ("/hello.txt", &[("if-none-match", "*")]),
    ];
    for (path, fields) in asks {
        evict();
        let cold = seen(get(&client, path, fields));
        let warm = seen(get(&client, path, fields));
        assert_eq!(cold, warm, "{path} {fields:?}");
    }
    let head = client.head("/mid.bin").send_blocking().unwrap();
    assert_eq!(head.header("content-length"), Some("10000"));
}

/// A FIFO under the root is no file: `404` at once, never a wait for a
/// writer.
#[cfg(target_os = "linux")]
#[test]
fn a_fifo_is_not_a_file() {
    let site = Site::new("fifo");
    let fifo = site.public().join("pipe.txt");
    rustix::fs::mknodat(
        rustix::fs::CWD,
        &fifo,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR,
        0,
    )
    .unwrap();
    let client = whole_site(&site.public());
    assert_eq!(get(&client, "/pipe.txt", &[]).status.code(), 404);
    assert_eq!(
        client
            .head("/pipe.txt")
            .send_blocking()
            .unwrap()
            .status
            .code(),
        404
    );
}

#[test]
fn no_path_leaves_the_root() {
    let site = Site::new("traversal");
    let whole = whole_site(&site.public());
    let routed = Client::new(
        Router::new()
            .get("/assets/*path", serve_dir(site.public()))
            .build()
            .unwrap(),
    );
    let attempts = [
        "/../private/secret.txt",
        "/%2e%2e/private/secret.txt",
        "/%2E%2E/private/secret.txt",
        "/..%2fprivate%2fsecret.txt",
        "/docs/../../private/secret.txt",
        "/docs/%2e%2e/%2e%2e/private/secret.txt",
        "/..%5cprivate%5csecret.txt",
        "/..\\private\\secret.txt",
        "/%5c..%5cprivate%5csecret.txt",
        "/hello.txt%00.html",
        "//etc/passwd",
        "/%2fetc%2fpasswd",
        "/.env",
        "/.git/config",
        "/%2egit/config",
        "/./hello.txt",
        "/leak.txt",
        "/leakdir/secret.txt",
    ];
    for attempt in attempts {
        for (client, prefix) in [(&whole, ""), (&routed, "/assets")] {
            let path = format!("{prefix}{attempt}");
            let res = client
                .raw_blocking(format!(
                    "GET {path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
                ))
                .unwrap();
            let text = String::from_utf8_lossy(&res);
            assert!(
                text.starts_with("HTTP/1.1 404 "),
                "{path}: {}",
                text.lines().next().unwrap_or("")
            );
            for secret in ["top secret", "SECRET=1", "[core]", "root:"] {
                assert!(!text.contains(secret), "{path} revealed {secret}");
            }
        }
    }
    // Undecodable paths are 400.
    for bad in ["/%ff.txt", "/assets/%ff.txt"] {
        let client = if bad.starts_with("/assets") {
            &routed
        } else {
            &whole
        };
        assert_eq!(get(client, bad, &[]).status.code(), 400, "{bad}");
    }
    // A link that stays inside the root is followed.
    #[cfg(unix)]
    assert_eq!(get(&whole, "/alias.txt", &[]).text(), "Hello, World!");
    // Dotfiles can be allowed, and an exclusion still holds.
    let open = Client::new(
        serve_dir(site.public())
            .dotfiles(Dotfiles::Allow)
            .exclude([".git"]),
    );
    assert_eq!(get(&open, "/.env", &[]).text(), "SECRET=1");
    assert_eq!(get(&open, "/.git/config", &[]).status.code(), 404);
}

/// `app.js` with `.gz` and `.br` siblings (no `.zst`), precompressed
/// siblings on.
fn siblings_site() -> (Site, Client) {
    let site = Site::new("siblings");
    let public = site.public();
    std::fs::write(public.join("app.js"), "console.log('plain')").unwrap();
    std::fs::write(public.join("app.js.gz"), "gz").unwrap();
    std::fs::write(public.join("app.js.br"), "br").unwrap();
    let client = Client::new(serve_dir(&public).precompressed(true));
    (site, client)
}

/// A row: `GET /app.js` with this `Accept-Encoding` (or none) gets this
/// body and `Content-Encoding`, always with the original's type and
/// `Vary: Accept-Encoding`.
fn check_sibling(rule: &str, accept: Option<&str>, body: &str, encoding: Option<&str>) {
    let (_site, client) = siblings_site();
    let headers: Vec<(&str, &str)> = accept.iter().map(|a| ("Accept-Encoding", *a)).collect();
    let res = get(&client, "/app.js", &headers);
    assert_eq!(res.text(), body, "{rule}");
    assert_eq!(res.header("content-encoding"), encoding, "{rule}");
    let media_type = res.header("content-type");
    assert_eq!(media_type, Some("text/javascript; charset=utf-8"), "{rule}");
    assert_eq!(res.header("vary"), Some("Accept-Encoding"), "{rule}");
}

mod precompressed_siblings_follow_accept_encoding {
    use super::*;

    #[rustfmt::skip]
    row_tests::row_tests!(check_sibling {
        no_accept_encoding_the_original: "no Accept-Encoding: the original" => (None, "console.log('plain')", None);
        brotli_first_on_a_tie: "brotli first on a tie" => (Some("gzip, br"), "br", Some("br"));
        q_values_honoured: "q-values honoured" => (Some("br;q=0.5, gzip"), "gz", Some("gzip"));
        refused_coding_skipped: "a refused coding is skipped" => (Some("br;q=0, gzip"), "gz", Some("gzip"));
        accepted_but_absent_the_next: "zstd accepted but absent: the next" => (Some("zstd, gzip;q=0.5"), "gz", Some("gzip"));
        nothing_acceptable_the_original: "nothing acceptable: the original" => (Some("deflate"), "console.log('plain')", None);
    });
}

#[test]
fn a_sibling_has_its_own_validator() {
    let (_site, client) = siblings_site();
    // The sibling's validator is its own.
    let plain = get(&client, "/app.js", &[]);
    let gz = get(&client, "/app.js", &[("Accept-Encoding", "gzip")]);
    assert_ne!(plain.header("etag"), gz.header("etag"));
}

#[test]
fn options_for_cache_control_and_media_types() {
    let site = Site::new("options");
    let public = site.public();
    std::fs::write(public.join("data.custom"), "x").unwrap();
    let app = serve_dir(&public)
        .cache_control("public, max-age=60")
        .mime_type("custom", "application/x-custom")
        .wrap(lath_layers::recover);
    let client = Client::new(app);
    let res = get(&client, "/data.custom", &[]);
    assert_eq!(res.header("content-type"), Some("application/x-custom"));
    assert_eq!(res.header("cache-control"), Some("public, max-age=60"));
    let etag = res.header("etag").unwrap().to_owned();
    let not_modified = get(&client, "/data.custom", &[("If-None-Match", &etag)]);
    assert_eq!(
        not_modified.header("cache-control"),
        Some("public, max-age=60")
    );
}

#[test]
fn a_cached_file_is_read_again_once_its_entry_is_stale() {
    let site = Site::new("cache");
    let public = site.public();
    let ttl = std::time::Duration::from_millis(50);
    let client = Client::new(serve_dir(&public).cache(ttl));
    assert_eq!(get(&client, "/hello.txt", &[]).text(), "Hello, World!");
    std::fs::write(public.join("hello.txt"), "Changed!").unwrap();
    // HEAD and conditional requests are answered from the entry too.
    let cached = get(&client, "/hello.txt", &[]);
    assert_eq!(cached.text(), "Hello, World!");
    let head = client.head("/hello.txt").send_blocking().unwrap();
    assert_eq!(head.header("content-length"), Some("13"));
    std::thread::sleep(ttl * 3);
    let fresh = get(&client, "/hello.txt", &[]);
    assert_eq!(fresh.text(), "Changed!");
    assert_ne!(fresh.header("etag"), cached.header("etag"));
    // Big files are never kept: they stream from disk each time.
    assert_eq!(&get(&client, "/big.bin", &[]).body[..], &big()[..]);
}
