//! Static files over real sockets, checked with curl: its own decoders
//! for gzip, brotli and zstd (`--compressed`), a range (`-r`), a
//! conditional request (`-z`), and precompressed siblings.

mod support;

use std::net::SocketAddr;
use std::path::PathBuf;

use lath::layers::{compress, cors, serve_dir};
use lath::{AppExt, Server};
use support::curl;

/// Serves a directory of files as the `files` example does, until the
/// test process ends.
fn start(root: PathBuf) -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        lath::net::run(async move {
            let server = Server::bind("127.0.0.1:0").await.unwrap().workers(1);
            tx.send(server.local_addr().unwrap()).unwrap();
            let policy = cors()
                .allow_origins(["https://app.example"])
                .build()
                .unwrap();
            let app = serve_dir(root)
                .precompressed(true)
                .wrap(compress())
                .wrap(policy);
            server.serve(app).await.unwrap();
        })
    });
    rx.recv().unwrap()
}

fn site() -> (PathBuf, Vec<u8>) {
    let root = std::env::temp_dir().join(format!("lath-e2e-files-{}", std::process::id()));
    std::fs::create_dir_all(&root).unwrap();
    let text: Vec<u8> = (0..20_000)
        .flat_map(|i| format!("line {i}: {}\n", i * 7919 % 10_007).into_bytes())
        .collect();
    std::fs::write(root.join("data.txt"), &text).unwrap();
    std::fs::write(root.join("app.js"), "console.log('identity')").unwrap();
    std::fs::write(
        root.join("app.js.gz"),
        gzip(b"console.log('from the .gz sibling')"),
    )
    .unwrap();
    (root, text)
}

/// gzip by a decoder nobody here wrote: the system's `gzip`.
fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut child = std::process::Command::new("gzip")
        .arg("-c")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("gzip runs");
    child.stdin.take().unwrap().write_all(data).unwrap();
    child.wait_with_output().unwrap().stdout
}

#[test]
fn curl_decodes_every_coding_fetches_ranges_and_revalidates() {
    let (root, text) = site();
    let addr = start(root.clone());
    let url = format!("http://{addr}/data.txt");
    let out = root.join("out.bin");
    let out_path = out.to_str().unwrap();
    for coding in ["gzip", "br", "zstd"] {
        // `--compressed` asks for every coding curl knows; the explicit
        // field narrows it to one, and curl still decodes it.
        let (headers, _) = curl(&[
            "--compressed",
            "-H",
            &format!("Accept-Encoding: {coding}"),
            "-D",
            "-",
            "-o",
            out_path,
            &url,
        ]);
        assert!(
            headers
                .to_ascii_lowercase()
                .contains(&format!("content-encoding: {coding}")),
            "{coding}: {headers}"
        );
        assert_eq!(std::fs::read(&out).unwrap(), text, "{coding}");
    }
    // curl -r: one range.
    let (part, _) = curl(&["-r", "0-99", &url]);
    assert_eq!(part.as_bytes(), &text[..100]);
    let (code, _) = curl(&["-r", "0-99", "-o", "/dev/null", "-w", "%{http_code}", &url]);
    assert_eq!(code, "206");
    // curl -z FILE: If-Modified-Since from the file's own time.
    let source = root.join("data.txt");
    let (code, _) = curl(&[
        "-z",
        source.to_str().unwrap(),
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        &url,
    ]);
    assert_eq!(code, "304");
    // A precompressed sibling, decoded by curl.
    let (js, _) = curl(&["--compressed", &format!("http://{addr}/app.js")]);
    assert_eq!(js, "console.log('from the .gz sibling')");
    let (js, _) = curl(&[&format!("http://{addr}/app.js")]);
    assert_eq!(js, "console.log('identity')");
    // A CORS preflight from the allowed origin, and one from another.
    let preflight = |origin: &str| {
        curl(&[
            "-X",
            "OPTIONS",
            "-H",
            &format!("Origin: {origin}"),
            "-H",
            "Access-Control-Request-Method: GET",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            &url,
        ])
        .0
    };
    assert_eq!(preflight("https://app.example"), "204");
    assert_eq!(preflight("https://evil.example"), "403");
    std::fs::remove_dir_all(&root).unwrap();
}
