//! Bits the examples share: the port, the workers and a clean shutdown.

/// The port from `--port N`, else `PORT`, else `default`.
pub fn port(default: u16) -> u16 {
    let args: Vec<String> = std::env::args().collect();
    let from_flag = args
        .iter()
        .position(|a| a == "--port")
        .and_then(|i| args.get(i + 1))
        .and_then(|p| p.parse().ok());
    from_flag
        .or_else(|| std::env::var("PORT").ok().and_then(|p| p.parse().ok()))
        .unwrap_or(default)
}

/// The worker threads from `--workers N`, if given (else the server's
/// default: `LATH_WORKERS`, else one per core).
pub fn workers() -> Option<usize> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == "--workers")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
}

/// Serves `app` on 127.0.0.1:`port` until Ctrl-C or SIGTERM, then shuts
/// down gracefully.
pub fn run(port: u16, app: impl lath::App) {
    lath::net::run(async {
        let mut server = lath::Server::bind(&format!("127.0.0.1:{port}"))
            .await
            .unwrap_or_else(|e| panic!("cannot listen on 127.0.0.1:{port}: {e}"));
        if let Some(n) = workers() {
            server = server.workers(n);
        }
        let stop = server.shutdown_handle();
        ctrlc::set_handler(move || stop.shutdown()).expect("signal handler");
        println!(
            "listening on http://{}",
            server.local_addr().expect("bound")
        );
        server.serve(app).await.expect("serve");
    });
}
