//! Bodies end to end against the demo on 127.0.0.1, with clients nobody
//! here wrote (curl, Python's http.client): uploads, forms, JSON, limits;
//! early answers that survive a client still sending (the lingering
//! close), and `100 Continue` before a streaming head.

#[allow(dead_code)]
#[path = "../examples/demo/app.rs"]
mod demo;

mod support;

use std::net::SocketAddr;
use std::process::Command;

use lath::Server;

fn start() -> SocketAddr {
    async_std::task::block_on(async {
        let server = Server::bind("127.0.0.1:0").await.unwrap();
        let addr = server.local_addr().unwrap();
        async_std::task::spawn(server.serve(demo::app(false)));
        addr
    })
}

fn curl(args: &[&str]) -> String {
    support::curl(args).0
}

#[test]
fn curl_file_upload_with_f() {
    let addr = start();
    let path = std::env::temp_dir().join(format!("lath-curl-{}.txt", std::process::id()));
    std::fs::write(&path, "uploaded by curl\n").unwrap();
    let out = curl(&[
        "-F",
        &format!("doc=@{}", path.display()),
        "-F",
        "note=hi",
        &format!("http://{addr}/files"),
    ]);
    std::fs::remove_file(&path).unwrap();
    let listed: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(listed[0]["field"], "doc");
    assert_eq!(listed[0]["size"], 17);
    assert!(listed[0]["filename"]
        .as_str()
        .unwrap()
        .starts_with("lath-curl-"));
}

#[test]
fn curl_urlencoded_and_json_bodies() {
    let addr = start();
    let form = curl(&[
        "-d",
        "name=ann&age=41&ownedPets=cat",
        &format!("http://{addr}/users"),
    ]);
    assert_eq!(form, r#"{"age":41,"name":"ann","ownedPets":["cat"]}"#);
    let json = curl(&[
        "-H",
        "Content-Type: application/json",
        "-d",
        r#"{"name":"bo","ownedPets":["a","b"]}"#,
        &format!("http://{addr}/users"),
    ]);
    assert_eq!(json, r#"{"name":"bo","ownedPets":["a","b"]}"#);
}

#[test]
fn curl_a_body_over_the_limit_gets_413() {
    let addr = start();
    let path = std::env::temp_dir().join(format!("lath-curl-big-{}.json", std::process::id()));
    std::fs::write(&path, format!("{{\"name\":\"{}\"}}", "x".repeat(2 << 20))).unwrap();
    let code = curl(&[
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "-H",
        "Content-Type: application/json",
        "--data-binary",
        &format!("@{}", path.display()),
        &format!("http://{addr}/users"),
    ]);
    std::fs::remove_file(&path).unwrap();
    assert_eq!(code, "413");
}

#[test]
fn python_http_client_reads_the_413_for_a_body_over_the_limit_100_times_of_100() {
    // http.client sends the whole 2 MiB body (no Expect) before it reads:
    // closing on the unread body would reset the connection and lose the
    // 413 (RFC 9112 §9.6).
    let addr = start();
    let script = r#"
import http.client, json, sys
port = int(sys.argv[1])
body = json.dumps({"name": "x" * (2 << 20)}).encode()
seen = {}
for _ in range(100):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        conn.request("POST", "/users", body=body, headers={"Content-Type": "application/json"})
        res = conn.getresponse()
        res.read()
        key = str(res.status)
    except Exception as e:
        key = type(e).__name__
    finally:
        conn.close()
    seen[key] = seen.get(key, 0) + 1
print(json.dumps(seen, sort_keys=True))
"#;
    let out = Command::new("python3")
        .args(["-c", script, &addr.port().to_string()])
        .output()
        .expect("python3 runs");
    let seen = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        seen.trim(),
        r#"{"413": 100}"#,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn curl_reads_the_413_for_a_20_mib_upload_over_the_file_limit_every_time() {
    // `Expect:` off: curl sends all 20 MiB while the app gave up at 10.
    let addr = start();
    let path = std::env::temp_dir().join(format!("lath-20mib-{}.bin", std::process::id()));
    std::fs::write(&path, vec![b'x'; 20 << 20]).unwrap();
    let mut codes = Vec::new();
    for _ in 0..10 {
        let (code, _) = support::curl(&[
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-H",
            "Expect:",
            "-F",
            &format!("doc=@{}", path.display()),
            &format!("http://{addr}/files"),
        ]);
        codes.push(code);
    }
    std::fs::remove_file(&path).unwrap();
    assert_eq!(codes, vec!["413"; 10]);
}

#[test]
fn curl_gets_100_continue_before_the_echo_head() {
    // RFC 9110 §10.1.1: the echo app streams the request body back, so
    // the body is read before any byte of the answer: `100` comes first,
    // and curl uploads without waiting out its 1 s.
    let addr = start();
    let path = std::env::temp_dir().join(format!("lath-3mb-{}.bin", std::process::id()));
    std::fs::write(&path, vec![b'e'; 3_000_000]).unwrap();
    let (out, err) = support::curl(&[
        "-v",
        "-o",
        "/dev/null",
        "-w",
        "%{size_download}",
        "-H",
        "Content-Type: application/octet-stream",
        "--data-binary",
        &format!("@{}", path.display()),
        &format!("http://{addr}/echo"),
    ]);
    std::fs::remove_file(&path).unwrap();
    assert_eq!(out, "3000000");
    let continue_at = err.find("< HTTP/1.1 100 Continue").expect("a 100 Continue");
    let ok_at = err.find("< HTTP/1.1 200 OK").expect("a 200");
    assert!(continue_at < ok_at, "{err}");
    assert!(
        !err.contains("Done waiting for 100-continue"),
        "curl did not wait: {err}"
    );
}
