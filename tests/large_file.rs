//! A 1 GiB file downloaded with curl from a server in this process: the
//! server's memory stays flat (the file streams in 64 KiB pieces), and
//! every byte arrives; a client that leaves stops the reading. Memory and
//! reads are counted, never time. One test in its own binary, so nothing
//! else is counted.

mod support;

use std::time::Duration;

use lath::layers::serve_dir;
use lath::Server;

/// This process's resident memory, in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Serves the files under `root` on one worker, until the process ends.
fn serve(root: &std::path::Path) -> std::net::SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    let served = root.to_path_buf();
    std::thread::spawn(move || {
        lath::net::run(async move {
            let server = Server::bind("127.0.0.1:0").await.unwrap().workers(1);
            tx.send(server.local_addr().unwrap()).unwrap();
            server.serve(serve_dir(served)).await.unwrap();
        })
    });
    rx.recv().unwrap()
}

/// The two checks run one after the other: each counts the whole
/// process's memory or reads, so nothing else may run beside it.
#[test]
fn large_files_stream_in_constant_memory_and_stop_when_the_client_leaves() {
    a_one_gib_download_streams_in_constant_memory();
    a_client_that_leaves_stops_the_reading();
}

fn a_one_gib_download_streams_in_constant_memory() {
    if !std::path::Path::new("/proc/self/status").exists() {
        eprintln!("skipped: no /proc to read memory from");
        return;
    }
    const SIZE: u64 = 1 << 30;
    let root = std::env::temp_dir().join(format!("lath-large-{}", std::process::id()));
    std::fs::create_dir_all(&root).unwrap();
    // Sparse: no disk, but every byte is read through the file system.
    let file = std::fs::File::create(root.join("big.bin")).unwrap();
    file.set_len(SIZE).unwrap();
    let addr = serve(&root);
    // Warm up: the thread pool and buffers exist before the baseline.
    support::curl(&[
        "-o",
        "/dev/null",
        "-r",
        "0-999999",
        &format!("http://{addr}/big.bin"),
    ]);
    let before = rss_kib();
    let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(before));
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let (peak, done) = (peak.clone(), done.clone());
        std::thread::spawn(move || {
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                peak.fetch_max(rss_kib(), std::sync::atomic::Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(10));
            }
        })
    };
    let out = std::process::Command::new("curl")
        .args([
            "-sS",
            "--max-time",
            "120",
            "-o",
            "/dev/null",
            "-w",
            "%{size_download} %{http_code}",
        ])
        .arg(format!("http://{addr}/big.bin"))
        .output()
        .expect("curl runs");
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    sampler.join().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), format!("{SIZE} 200"));
    let growth = peak
        .load(std::sync::atomic::Ordering::Relaxed)
        .saturating_sub(before);
    eprintln!("RSS before {before} KiB, growth during a 1 GiB download {growth} KiB");
    assert!(growth < 16 * 1024, "RSS grew by {growth} KiB");
    std::fs::remove_dir_all(&root).unwrap();
}

/// Bytes this process has read through `read` and friends (`rchar`).
fn bytes_read() -> u64 {
    std::fs::read_to_string("/proc/self/io")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("rchar:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

fn a_client_that_leaves_stops_the_reading() {
    use std::io::{Read, Write};
    if !std::path::Path::new("/proc/self/io").exists() {
        eprintln!("skipped: no /proc/self/io to count reads with");
        return;
    }
    let root = std::env::temp_dir().join(format!("lath-leaving-{}", std::process::id()));
    std::fs::create_dir_all(&root).unwrap();
    std::fs::File::create(root.join("big.bin"))
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    let addr = serve(&root);
    let before = bytes_read();
    let mut conn = std::net::TcpStream::connect(addr).unwrap();
    conn.write_all(b"GET /big.bin HTTP/1.1\r\nHost: a\r\n\r\n")
        .unwrap();
    let mut buf = vec![0u8; 1 << 20];
    let mut got = 0;
    while got < 1 << 20 {
        got += conn.read(&mut buf[got..]).unwrap();
    }
    drop(conn);
    // Whatever was in flight finishes; then nothing more is read.
    std::thread::sleep(Duration::from_millis(500));
    let settled = bytes_read();
    std::thread::sleep(Duration::from_millis(500));
    let after = bytes_read();
    eprintln!(
        "this process read {} KiB (file and socket) for a client that took 1 MiB and left",
        (settled - before) / 1024
    );
    assert!(
        settled - before < 64 << 20,
        "read {} bytes",
        settled - before
    );
    assert!(
        after - settled < 1 << 20,
        "still reading: {} bytes",
        after - settled
    );
    std::fs::remove_dir_all(&root).unwrap();
}
