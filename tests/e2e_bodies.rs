//! Bodies end to end with curl against the demo on 127.0.0.1.

#[allow(dead_code)]
#[path = "../examples/demo/app.rs"]
mod demo;

mod support;

use std::net::SocketAddr;

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
