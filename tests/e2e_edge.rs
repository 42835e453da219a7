//! Edge protection over real sockets, from several loopback source
//! addresses (curl `--interface`): IP filters at accept (closed before any
//! byte is read) and as a layer (`403`), IPv4 and IPv6; rate limits with a
//! bucket per client address; metrics read by a real Prometheus parser.

use std::net::SocketAddr;
use std::process::Command;

use serde_json::json;

mod support;

use lath::app::IpFilter;
use lath::layers::ip_filter;
use lath::{handler, App, AppExt, Request};

/// Serves `app` on `bind` with `filter` at accept, until the process ends.
fn start(bind: &str, filter: IpFilter, app: impl App) -> SocketAddr {
    support::serve_on_thread_at(bind, move |server| server.ip_filter(filter), |_| app)
}

fn hello() -> impl App {
    handler(|_req: Request| async { "hello" })
}

/// What curl printed for a GET of `addr` from `from` (a local source
/// address), with `args` before the URL.
fn curl_from(from: &str, addr: SocketAddr, args: &[&str]) -> String {
    let out = Command::new("curl")
        .args(["-s", "--max-time", "10", "--interface", from])
        .args(args)
        .arg(format!("http://{addr}/"))
        .output()
        .expect("curl runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The status curl got from `from`, or `None` when the connection was
/// closed without an answer.
fn status_from(from: &str, addr: SocketAddr) -> Option<u16> {
    let code: u16 = curl_from(from, addr, &["-o", "/dev/null", "-w", "%{http_code}"])
        .trim()
        .parse()
        .unwrap_or(0);
    (code != 0).then_some(code)
}

#[test]
fn at_accept_a_refused_peer_gets_no_byte() {
    let denied = start(
        "127.0.0.1:0",
        IpFilter::new().deny("127.0.0.2").unwrap(),
        hello(),
    );
    assert_eq!(status_from("127.0.0.1", denied), Some(200));
    assert_eq!(status_from("127.0.0.2", denied), None);
    assert_eq!(status_from("127.0.0.3", denied), Some(200));

    let allowed = start(
        "127.0.0.1:0",
        IpFilter::new().allow("127.0.0.3/32").unwrap(),
        hello(),
    );
    assert_eq!(status_from("127.0.0.3", allowed), Some(200));
    assert_eq!(status_from("127.0.0.1", allowed), None);

    let ranges = IpFilter::new()
        .allow("127.0.0.0/8")
        .unwrap()
        .deny("127.0.0.4/30")
        .unwrap();
    let ranged = start("127.0.0.1:0", ranges, hello());
    for (from, expected) in [
        ("127.0.0.1", Some(200)),
        ("127.0.0.5", None),
        ("127.0.0.9", Some(200)),
    ] {
        assert_eq!(status_from(from, ranged), expected, "{from}");
    }
}

#[test]
fn ipv6_peers_are_filtered_too() {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        eprintln!("skipped: no IPv6 loopback here");
        return;
    }
    let denied = start("[::1]:0", IpFilter::new().deny("::1").unwrap(), hello());
    assert_eq!(status_from("::1", denied), None);
    let v4_rules = start(
        "[::1]:0",
        IpFilter::new().deny("127.0.0.0/8").unwrap(),
        hello(),
    );
    assert_eq!(status_from("::1", v4_rules), Some(200));
}

#[test]
fn as_a_layer_a_refused_client_gets_403() {
    let layered = hello().wrap(ip_filter(IpFilter::new().deny("127.0.0.2").unwrap()));
    let addr = start("127.0.0.1:0", IpFilter::new(), layered);
    assert_eq!(status_from("127.0.0.1", addr), Some(200));
    assert_eq!(status_from("127.0.0.2", addr), Some(403));
    let only_v6 = hello().wrap(ip_filter(IpFilter::new().allow("::1").unwrap()));
    let addr = start("127.0.0.1:0", IpFilter::new(), only_v6);
    assert_eq!(status_from("127.0.0.1", addr), Some(403));
}

/// The headers curl saw from `from`, lowercased.
fn headers_from(from: &str, addr: SocketAddr) -> String {
    curl_from(from, addr, &["-D", "-", "-o", "/dev/null"]).to_ascii_lowercase()
}

#[test]
fn rate_limits_keep_a_bucket_per_client_address() {
    use lath::layers::{rate_limit, Rate};
    let limited = hello().wrap(rate_limit(Rate::per_minute(1), 2));
    let addr = start("127.0.0.1:0", IpFilter::new(), limited);
    assert_eq!(status_from("127.0.0.2", addr), Some(200));
    assert_eq!(status_from("127.0.0.2", addr), Some(200));
    let refused = headers_from("127.0.0.2", addr);
    assert!(refused.starts_with("http/1.1 429 "), "{refused}");
    let retry: u64 = refused
        .lines()
        .find_map(|l| l.strip_prefix("retry-after: "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap();
    assert!((59..=60).contains(&retry), "Retry-After {retry}");
    assert!(refused.contains("ratelimit: \"default\";r=0;"), "{refused}");
    // Other addresses have buckets of their own.
    assert_eq!(status_from("127.0.0.3", addr), Some(200));
    assert_eq!(status_from("127.0.0.1", addr), Some(200));
}

#[test]
fn connections_past_the_per_address_cap_are_closed_at_accept() {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    let mut config = lath::net::Config::default();
    config.max_connections_per_ip = Some(2);
    let addr = support::serve_on_thread(
        move |server| server.workers(2).with_config(config),
        |_| hello(),
    );
    /// A keep-alive connection from 127.0.0.1 that got its answer.
    fn served(addr: SocketAddr) -> Option<TcpStream> {
        let mut conn = TcpStream::connect(addr).ok()?;
        conn.set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        conn.write_all(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n").ok()?;
        let mut got = [0u8; 256];
        let n = conn.read(&mut got).unwrap_or(0);
        String::from_utf8_lossy(&got[..n])
            .starts_with("HTTP/1.1 200")
            .then_some(conn)
    }
    let first = served(addr).expect("the first connection is served");
    let _second = served(addr).expect("the second connection is served");
    assert!(
        served(addr).is_none(),
        "a third from the same address is refused"
    );
    // Another address is not counted with these.
    assert_eq!(status_from("127.0.0.2", addr), Some(200));
    // Once one closes, the address may connect again.
    drop(first);
    let again = (0..50).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(20));
        served(addr).is_some()
    });
    assert!(again, "a place came back when a connection closed");
}

/// Sends `bytes` on a new connection from 127.0.0.1 and reads everything
/// the server answers before it closes.
fn exchange(addr: SocketAddr, bytes: &[u8]) -> String {
    use std::io::{Read, Write};
    let mut conn = std::net::TcpStream::connect(addr).unwrap();
    conn.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    let _ = conn.write_all(bytes);
    let mut answer = Vec::new();
    let _ = conn.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

/// A PROXY v2 header: command, family and the bytes after the length.
fn proxy_v2(command: u8, family: u8, body: &[u8]) -> Vec<u8> {
    let mut out = b"\r\n\r\n\0\r\nQUIT\n".to_vec();
    out.push(0x20 | command);
    out.push(family);
    out.extend_from_slice(&(body.len() as u16).to_be_bytes());
    out.extend_from_slice(body);
    out
}

fn where_from() -> impl App {
    handler(|req: Request| async move { req.peer_addr().map_or("none".into(), |a| a.to_string()) })
}

#[test]
fn the_proxy_protocol_from_a_trusted_balancer_names_the_client() {
    let trusted = IpFilter::new().allow("127.0.0.1").unwrap();
    let mut config = lath::net::Config::default();
    config.head_timeout = std::time::Duration::from_secs(1);
    config.ip_filter = IpFilter::new().deny("198.51.100.0/24").unwrap();
    let addr = support::serve_on_thread(
        move |server| server.with_config(config).proxy_protocol(trusted),
        |_| where_from(),
    );
    let get = b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
    let with = |header: &[u8]| exchange(addr, &[header, get].concat());
    // v1, TCP4 and TCP6.
    assert!(with(b"PROXY TCP4 203.0.113.7 10.0.0.1 5555 80\r\n").ends_with("203.0.113.7:5555"));
    assert!(
        with(b"PROXY TCP6 2001:db8::7 2001:db8::1 5555 443\r\n").ends_with("[2001:db8::7]:5555")
    );
    // v1 UNKNOWN and v2 LOCAL: the balancer's own address.
    assert!(with(b"PROXY UNKNOWN\r\n").contains("\r\n\r\n127.0.0.1:"));
    assert!(with(&proxy_v2(0, 0, &[])).contains("\r\n\r\n127.0.0.1:"));
    // v2, TCP4 and TCP6.
    let tcp4 = proxy_v2(1, 0x11, &[203, 0, 113, 9, 10, 0, 0, 1, 0x1f, 0x90, 0, 80]);
    assert!(with(&tcp4).ends_with("203.0.113.9:8080"));
    let mut v6 = vec![0x20, 0x01, 0x0d, 0xb8];
    v6.extend_from_slice(&[0; 11]);
    v6.push(9);
    v6.extend_from_slice(&[0; 16]);
    v6.extend_from_slice(&[0x1f, 0x90, 0, 80]);
    assert!(with(&proxy_v2(1, 0x21, &v6)).ends_with("[2001:db8::9]:8080"));
    // The IP filter judges the client it names, not the balancer.
    assert_eq!(with(b"PROXY TCP4 198.51.100.5 10.0.0.1 5555 80\r\n"), "");
    // No header, a malformed one, an oversized one: 400 and close.
    for bad in [
        &get[..],
        b"PROXY TCP4 203.0.113 10.0.0.1 5555 80\r\n",
        &proxy_v2(1, 0x11, &[0; 2000])[..],
    ] {
        let answer = exchange(addr, bad);
        assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
        assert!(answer.contains("Connection: close"), "{answer}");
    }
    // Cut short: closed without an answer once the head timeout passes.
    assert_eq!(exchange(addr, b"PROXY TCP4 203.0"), "");
}

#[test]
fn a_proxy_header_from_anyone_else_is_refused() {
    // Only 127.0.0.9 is a balancer: 127.0.0.1 is an ordinary client.
    let trusted = IpFilter::new().allow("127.0.0.9").unwrap();
    let addr = support::serve_on_thread(
        move |server| server.proxy_protocol(trusted),
        |_| where_from(),
    );
    let get = b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
    assert!(
        exchange(addr, get).contains("\r\n\r\n127.0.0.1:"),
        "served as itself"
    );
    for header in [
        &b"PROXY TCP4 203.0.113.7 10.0.0.1 5555 80\r\n"[..],
        &proxy_v2(0, 0, &[])[..],
    ] {
        let answer = exchange(addr, &[header, &get[..]].concat());
        assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
        assert!(!answer.contains("203.0.113.7"), "{answer}");
    }
}

/// What a Prometheus parser (Python's `prometheus_client`) reads in the
/// scrape: `(type, sample name)` → samples as labels and value.
fn parse_prometheus(scrape: &str) -> serde_json::Value {
    support::python_module("prometheus_client", "prometheus_client");
    let script = r#"
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = {}
for family in text_string_to_metric_families(sys.stdin.read()):
    for sample in family.samples:
        out.setdefault(family.type + " " + sample.name, []).append([sample.labels, sample.value])
print(json.dumps(out))
"#;
    serde_json::from_str(&support::python(script, scrape.as_bytes())).unwrap()
}

/// The value of the sample `name` with exactly `labels`.
fn sample(parsed: &serde_json::Value, key: &str, labels: serde_json::Value) -> f64 {
    let samples = parsed[key]
        .as_array()
        .unwrap_or_else(|| panic!("no {key} in {parsed}"));
    samples
        .iter()
        .find(|s| s[0] == labels)
        .unwrap_or_else(|| panic!("no {key} {labels} in {samples:?}"))[1]
        .as_f64()
        .unwrap()
}

#[test]
fn metrics_count_per_route_and_parse_as_prometheus() {
    let addr = support::serve_on_thread(
        |server| {
            server
                .workers(2)
                .ip_filter(IpFilter::new().deny("127.0.0.2").unwrap())
        },
        |server| {
            lath::Router::new()
                .get("/metrics", server.metrics())
                .get("/users/:id", hello())
                .build()
                .unwrap()
        },
    );
    let get = |from: &str, path: &str| {
        let out = Command::new("curl")
            .args(["-s", "--max-time", "10", "--interface", from])
            .arg(format!("http://{addr}{path}"))
            .output()
            .expect("curl runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    for id in 1..=3 {
        assert_eq!(get("127.0.0.1", &format!("/users/{id}")), "hello");
    }
    get("127.0.0.1", "/nowhere");
    assert_eq!(get("127.0.0.2", "/users/1"), "", "refused at accept");
    let scrape = get("127.0.0.1", "/metrics");
    let parsed = parse_prometheus(&scrape);
    assert_eq!(
        sample(
            &parsed,
            "counter lath_requests_total",
            json!({"route": "/users/:id", "status": "2xx"})
        ),
        3.0
    );
    assert_eq!(
        sample(
            &parsed,
            "counter lath_requests_total",
            json!({"route": "(none)", "status": "4xx"})
        ),
        1.0
    );
    assert_eq!(
        sample(
            &parsed,
            "histogram lath_request_duration_seconds_count",
            json!({"route": "/users/:id"})
        ),
        3.0
    );
    assert_eq!(
        sample(
            &parsed,
            "histogram lath_request_duration_seconds_bucket",
            json!({"route": "/users/:id", "le": "+Inf"})
        ),
        3.0
    );
    let sum_workers = |key: &str, extra: &[(&str, &str)]| -> f64 {
        (0..2)
            .map(|w| {
                let mut labels = json!({"worker": w.to_string()});
                for (k, v) in extra {
                    labels[*k] = json!(v);
                }
                sample(&parsed, key, labels)
            })
            .sum()
    };
    // Four answered, one refused, and the scrape's own connection.
    assert_eq!(
        sum_workers("counter lath_connections_accepted_total", &[]),
        6.0
    );
    assert_eq!(
        sum_workers(
            "counter lath_connections_refused_total",
            &[("reason", "ip_filter")]
        ),
        1.0
    );
    // The scrape's own connection at least (the others may still be
    // closing).
    assert!(sum_workers("gauge lath_connections_open", &[]) >= 1.0);
    assert!(sum_workers("counter lath_received_bytes_total", &[]) > 5.0 * 40.0);
    assert!(sum_workers("counter lath_sent_bytes_total", &[]) > 4.0 * 60.0);
    assert!(sample(&parsed, "gauge process_resident_memory_bytes", json!({})) > 1e6);
    assert!(sample(&parsed, "counter process_cpu_seconds_total", json!({})) >= 0.0);
    assert_eq!(sample(&parsed, "gauge lath_draining", json!({})), 0.0);
}
