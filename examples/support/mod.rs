//! Bits the examples share: the port, the workers, the runtime and a
//! clean shutdown.

use lath::Runtime;

/// The value after `flag` on the command line, if any.
pub fn flag(flag: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

/// Every value given after `flag` (a flag that may repeat).
pub fn flags(flag: &str) -> Vec<String> {
    let args: Vec<String> = std::env::args().collect();
    args.windows(2)
        .filter(|pair| pair[0] == flag)
        .map(|pair| pair[1].clone())
        .collect()
}

/// The peers allowed to connect: `--allow CIDR` and `--deny CIDR`, each
/// repeatable (deny wins; no `--allow` allows all).
pub fn ip_filter() -> lath::app::IpFilter {
    let refuse = |e: lath::app::BadRange| -> lath::app::IpFilter {
        eprintln!("{e}");
        std::process::exit(2)
    };
    let mut filter = lath::app::IpFilter::new();
    for range in flags("--allow") {
        filter = filter.allow(&range).unwrap_or_else(refuse);
    }
    for range in flags("--deny") {
        filter = filter.deny(&range).unwrap_or_else(refuse);
    }
    filter
}

/// The trusted proxies from `--trusted-proxy CIDR` (repeatable), if any:
/// their `X-Forwarded-For` is believed, and with `--proxy-protocol` their
/// connections start with a PROXY header.
pub fn trusted_proxies() -> Option<lath::app::IpFilter> {
    let ranges = flags("--trusted-proxy");
    if ranges.is_empty() {
        return None;
    }
    let mut trusted = lath::app::IpFilter::new();
    for range in ranges {
        trusted = trusted.allow(&range).unwrap_or_else(|e| {
            eprintln!("--trusted-proxy: {e}");
            std::process::exit(2)
        });
    }
    Some(trusted)
}

/// The port from `--port N`, else `PORT`, else `default`.
pub fn port(default: u16) -> u16 {
    flag("--port")
        .and_then(|p| p.parse().ok())
        .or_else(|| std::env::var("PORT").ok().and_then(|p| p.parse().ok()))
        .unwrap_or(default)
}

/// The worker threads from `--workers N`, if given (else the server's
/// default: `LATH_WORKERS`, else one per core).
pub fn workers() -> Option<usize> {
    flag("--workers").and_then(|n| n.parse().ok())
}

/// The runtime from `--runtime NAME` (`async-std`, `smol`, `tokio`: one
/// enabled in this build), else the default.
pub fn runtime() -> Runtime {
    flag("--runtime").map_or_else(Runtime::default, |name| {
        name.parse().unwrap_or_else(|e| {
            eprintln!("--runtime: {e}");
            std::process::exit(2)
        })
    })
}

/// The drain delay from `--drain-delay SECONDS` (default 0): after
/// SIGTERM, the server keeps serving this long, not ready and closing
/// every connection after its response, before it stops accepting.
pub fn drain_delay() -> std::time::Duration {
    flag("--drain-delay").map_or(std::time::Duration::ZERO, |secs| {
        secs.parse::<f64>()
            .ok()
            .and_then(|secs| std::time::Duration::try_from_secs_f64(secs).ok())
            .unwrap_or_else(|| {
                eprintln!("--drain-delay: seconds, such as 1 or 0.5");
                std::process::exit(2)
            })
    })
}

/// HTTPS from `--tls-cert PATH --tls-key PATH` (PEM), if given.
#[cfg(feature = "tls")]
pub fn tls() -> Option<lath::net::TlsConfig> {
    match (flag("--tls-cert"), flag("--tls-key")) {
        (None, None) => None,
        (Some(cert), Some(key)) => Some(
            lath::net::TlsConfig::from_pem_files(cert, key).unwrap_or_else(|e| {
                eprintln!("--tls-cert, --tls-key: {e}");
                std::process::exit(2)
            }),
        ),
        _ => {
            eprintln!("--tls-cert and --tls-key go together");
            std::process::exit(2)
        }
    }
}

/// Without the `tls` feature, `--tls-cert` is refused.
#[cfg(not(feature = "tls"))]
pub fn tls() -> Option<std::convert::Infallible> {
    if flag("--tls-cert").is_some() || flag("--tls-key").is_some() {
        eprintln!("--tls-cert needs a build with the `tls` feature");
        std::process::exit(2)
    }
    None
}

/// Serves `app` on 127.0.0.1:`port` until Ctrl-C or SIGTERM, then shuts
/// down gracefully; lath's `tracing` events go to stderr.
#[allow(dead_code)] // examples that make no use of the server
pub fn run(port: u16, app: impl lath::App) {
    run_with(port, |_server| app)
}

/// Like [`run`], with an app made from the bound server (for its metrics
/// and readiness apps). With `LISTEN_FDS` set (systemd socket
/// activation), serves the inherited socket instead of binding `port`.
/// Debug builds check every response with the `lint` layer; its warnings
/// go to stderr with the other `tracing` events.
pub fn run_with<A: lath::App>(port: u16, make: impl FnOnce(&lath::Server) -> A) {
    // lath reports caught panics and private error details as `tracing`
    // events; an app chooses where they go. Here: stderr.
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
    let runtime = runtime();
    runtime.run(async {
        let mut config = lath::net::Config::default();
        config.drain_delay = drain_delay();
        let mut server = lath::Server::bind(&format!("127.0.0.1:{port}"))
            .await
            .unwrap_or_else(|e| panic!("cannot listen on 127.0.0.1:{port}: {e}"))
            .with_config(config)
            .runtime(runtime)
            .ip_filter(ip_filter());
        if std::env::args().any(|a| a == "--proxy-protocol") {
            match trusted_proxies() {
                Some(trusted) => server = server.proxy_protocol(trusted),
                None => {
                    eprintln!("--proxy-protocol needs --trusted-proxy CIDR");
                    std::process::exit(2)
                }
            }
        }
        if let Some(n) = workers() {
            server = server.workers(n);
        }
        let tls = tls();
        let scheme = if tls.is_some() { "https" } else { "http" };
        #[cfg(feature = "tls")]
        if let Some(tls) = tls {
            server = server.tls(tls);
        }
        let stop = server.shutdown_handle();
        ctrlc::set_handler(move || stop.shutdown()).expect("signal handler");
        let app = lath::layers::lint(make(&server)).enabled(cfg!(debug_assertions));
        println!(
            "listening on {scheme}://{}",
            server.local_addr().expect("bound")
        );
        server.serve(app).await.expect("serve");
    });
}

/// A folder of the examples' own files (`assets`, `templates`).
#[allow(dead_code)]
pub fn folder(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name)
}
