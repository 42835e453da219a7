//! Scale-out, end to end: two demo instances behind a real nginx, once as
//! an HTTP upstream (`X-Forwarded-For`, `proxy_next_upstream`) and once
//! through nginx's stream module with `proxy_protocol on` (no retries
//! there: every connection reaches the client as it is). Under `wrk` for
//! 30 s, instance A of each pair gets SIGTERM and restarts, then instance
//! B: no request may fail on either path.
//!
//! Each instance serves a listening socket this test holds and passes as
//! systemd does (`LISTEN_FDS`), so a restart loses no connection: clients
//! wait in the socket's backlog for the next process. The test installs
//! nginx, its stream module and wrk with apt when they are missing.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Load lasts this long on each path.
const LOAD: Duration = Duration::from_secs(30);

/// Runs `program` with `args`; whether it succeeded.
fn succeeds(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Installs nginx (with its stream module) and wrk when missing.
fn ensure_tools() -> Option<PathBuf> {
    let module = Path::new("/usr/lib/nginx/modules/ngx_stream_module.so");
    let stream_built_in = || {
        Command::new("nginx").arg("-V").output().is_ok_and(|out| {
            let text = String::from_utf8_lossy(&out.stderr);
            text.contains("--with-stream ") || text.ends_with("--with-stream")
        })
    };
    let have_nginx = succeeds("nginx", &["-v"]) && (module.exists() || stream_built_in());
    if !have_nginx || !succeeds("wrk", &["--version"]) && !succeeds("which", &["wrk"]) {
        let apt = |args: &[&str]| {
            Command::new("apt-get")
                .args(args)
                .env("DEBIAN_FRONTEND", "noninteractive")
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        let _ = apt(&["update", "-q"]);
        assert!(
            apt(&[
                "install",
                "-y",
                "-q",
                "nginx-light",
                "libnginx-mod-stream",
                "wrk"
            ]),
            "apt-get cannot install nginx, its stream module and wrk"
        );
    }
    module.exists().then(|| module.to_owned())
}

/// The demo binary `cargo test` built beside this test; built afresh (with
/// this test's features) when missing or older than the test itself, as
/// after `cargo test --test scale_out`, which builds no example.
fn demo_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(Path::parent).unwrap();
    let demo = profile_dir.join("examples/demo");
    let modified = |path: &Path| std::fs::metadata(path).and_then(|m| m.modified()).ok();
    let stale = match (modified(&demo), modified(&exe)) {
        (Some(demo), Some(test)) => demo + Duration::from_secs(120) < test,
        _ => true,
    };
    if stale {
        let features: Vec<&str> = [
            ("async-std", cfg!(feature = "async-std")),
            ("smol", cfg!(feature = "smol")),
            ("tokio", cfg!(feature = "tokio")),
            ("json", cfg!(feature = "json")),
            ("multipart", cfg!(feature = "multipart")),
            ("signed", cfg!(feature = "signed")),
            ("files", cfg!(feature = "files")),
            ("compress", cfg!(feature = "compress")),
            ("tls", cfg!(feature = "tls")),
            ("http2", cfg!(feature = "http2")),
            ("websocket", cfg!(feature = "websocket")),
        ]
        .into_iter()
        .filter_map(|(name, on)| on.then_some(name))
        .collect();
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let built = Command::new(cargo)
            .args([
                "build",
                "--example",
                "demo",
                "--no-default-features",
                "--features",
            ])
            .arg(features.join(","))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .unwrap();
        assert!(built.success(), "the demo builds");
    }
    demo
}

/// A free port on 127.0.0.1.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One demo instance on a socket this test holds (as systemd would).
struct Instance {
    socket: TcpListener,
    flags: Vec<String>,
    log: PathBuf,
    child: Option<Child>,
}

impl Instance {
    fn new(flags: &[&str], log: PathBuf) -> Instance {
        let mut instance = Instance {
            socket: TcpListener::bind("127.0.0.1:0").unwrap(),
            flags: flags.iter().map(|f| f.to_string()).collect(),
            log,
            child: None,
        };
        instance.start();
        instance
    }

    fn port(&self) -> u16 {
        self.socket.local_addr().unwrap().port()
    }

    /// Starts a process on the socket: it is its descriptor 3, and
    /// `LISTEN_PID` is the process's own pid (the shell `exec`s it).
    fn start(&mut self) {
        let fd = self.socket.as_raw_fd();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let mut command = Command::new("sh");
        command
            .args(["-c", "LISTEN_FDS=1 LISTEN_PID=$$ exec \"$0\" \"$@\""])
            .arg(demo_binary())
            .args(&self.flags)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        // SAFETY: between fork and exec only async-signal-safe calls:
        // dup2 and fcntl on descriptors this process owns.
        unsafe {
            command.pre_exec(move || {
                let result = if fd == 3 {
                    libc::fcntl(3, libc::F_SETFD, 0)
                } else {
                    libc::dup2(fd, 3)
                };
                match result {
                    -1 => Err(std::io::Error::last_os_error()),
                    _ => Ok(()),
                }
            });
        }
        self.child = Some(command.spawn().expect("the demo starts"));
    }

    fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// SIGTERM.
    fn terminate(&self) {
        assert!(succeeds("kill", &["-TERM", &self.pid().to_string()]));
    }

    /// Waits for the process to exit after SIGTERM; it must exit 0.
    fn wait_exit(&mut self) {
        let mut child = self.child.take().unwrap();
        let deadline = Instant::now() + Duration::from_secs(40);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                assert!(status.success(), "the instance exited with {status}");
                return;
            }
            assert!(Instant::now() < deadline, "the instance did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGTERM, a clean exit, and a new process on the same socket.
    fn restart(&mut self) {
        self.terminate();
        self.wait_exit();
        self.start();
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// nginx in the foreground with a configuration of its own.
struct Nginx(Child);

impl Nginx {
    fn start(
        dir: &Path,
        module: Option<&Path>,
        http: (u16, [u16; 2]),
        stream: (u16, [u16; 2]),
    ) -> Nginx {
        let d = dir.display();
        let load = module.map_or(String::new(), |m| format!("load_module {};", m.display()));
        let user = if cfg!(unix) && std::env::var("USER").as_deref() == Ok("root") {
            "user root;"
        } else {
            ""
        };
        let config = format!(
            "{load}
{user}
daemon off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    upstream lath {{
        server 127.0.0.1:{ha} max_fails=0;
        server 127.0.0.1:{hb} max_fails=0;
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{hp};
        location / {{
            proxy_pass http://lath;
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_next_upstream error timeout http_502 http_503;
        }}
    }}
}}
stream {{
    upstream lath_stream {{
        server 127.0.0.1:{sa};
        server 127.0.0.1:{sb};
    }}
    server {{
        listen 127.0.0.1:{sp};
        proxy_pass lath_stream;
        proxy_protocol on;
        proxy_next_upstream off;
    }}
}}
",
            hp = http.0,
            ha = http.1[0],
            hb = http.1[1],
            sp = stream.0,
            sa = stream.1[0],
            sb = stream.1[1],
        );
        let path = dir.join("nginx.conf");
        std::fs::write(&path, config).unwrap();
        let child = Command::new("nginx")
            .args(["-p", &dir.display().to_string(), "-c"])
            .arg(&path)
            .stdout(Stdio::null())
            .spawn()
            .expect("nginx starts");
        let nginx = Nginx(child);
        for port in [http.0, stream.0] {
            let deadline = Instant::now() + Duration::from_secs(10);
            while TcpStream::connect(("127.0.0.1", port)).is_err() {
                assert!(Instant::now() < deadline, "nginx listens on {port}");
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        nginx
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = succeeds("kill", &["-QUIT", &self.0.id().to_string()]);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `/ip` through `port`, from the local address 127.0.0.2.
fn ip_through(port: u16) -> String {
    let out = Command::new("curl")
        .args(["-s", "--max-time", "20", "--interface", "127.0.0.2"])
        .arg(format!("http://127.0.0.1:{port}/ip"))
        .output()
        .expect("curl runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs wrk against `port` for [`LOAD`]; its report.
fn wrk(port: u16) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let out = Command::new("wrk")
            .args(["-t1", "-c8", "--timeout", "15s"])
            .arg(format!("-d{}s", LOAD.as_secs()))
            .arg(format!("http://127.0.0.1:{port}/hello"))
            .output()
            .expect("wrk runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    })
}

/// Requests wrk completed, after checking that none failed.
fn completed_without_failure(report: &str) -> u64 {
    assert!(!report.contains("Socket errors"), "{report}");
    assert!(!report.contains("Non-2xx"), "{report}");
    report
        .lines()
        .find_map(|line| line.trim().split_once(" requests in "))
        .and_then(|(n, _)| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no request count in {report}"))
}

/// A GET of `path` on `port`, on a connection of its own: the answer.
fn get(port: u16, path: &str) -> String {
    let mut conn = TcpStream::connect(("127.0.0.1", port)).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(
        conn,
        "GET {path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    let _ = conn.read_to_string(&mut answer);
    answer
}

/// Sends half an upload to `port`, SIGTERMs `instance` (whose `/readyz`
/// then answers 503 while it drains), sends the rest: the echo must come
/// back whole.
fn upload_across_sigterm(instance: &Instance) {
    let body: Vec<u8> = (0..1u32 << 20).map(|i| (i * 7 % 251) as u8).collect();
    let mut conn = TcpStream::connect(("127.0.0.1", instance.port())).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        conn,
        "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    let (first, rest) = body.split_at(body.len() / 2);
    conn.write_all(first).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    instance.terminate();
    std::thread::sleep(Duration::from_millis(300));
    // Draining: still serving, not ready, and closing after each answer.
    let ready = get(instance.port(), "/readyz");
    assert!(ready.starts_with("HTTP/1.1 503 "), "{ready}");
    assert!(
        ready.contains("Connection: close\r\n") && ready.ends_with("draining"),
        "{ready}"
    );
    let reader = {
        let mut conn = conn.try_clone().unwrap();
        std::thread::spawn(move || {
            let mut answer = Vec::new();
            conn.read_to_end(&mut answer).unwrap();
            answer
        })
    };
    conn.write_all(rest).unwrap();
    let answer = reader.join().unwrap();
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8_lossy(&answer[..split]);
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    assert!(head.contains("Connection: close"), "{head}");
    let echoed = &answer[split + 4..];
    // Streamed back chunked: join the chunks.
    let mut whole = Vec::new();
    let mut rest = echoed;
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n").unwrap();
        let size =
            usize::from_str_radix(std::str::from_utf8(&rest[..line_end]).unwrap(), 16).unwrap();
        rest = &rest[line_end + 2..];
        if size == 0 {
            break;
        }
        whole.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
    assert!(
        whole == body,
        "the upload came back whole ({} of {} bytes)",
        whole.len(),
        body.len()
    );
}

#[test]
fn two_instances_behind_nginx_restart_without_failing_a_request() {
    let module = ensure_tools();
    let dir = std::env::temp_dir().join(format!("lath-scale-out-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let common = [
        "--drain-delay",
        "1",
        "--trusted-proxy",
        "127.0.0.1",
        "--quiet",
    ];
    let one_worker: Vec<&str> = common.iter().copied().chain(["--workers", "1"]).collect();
    // The stream pair serves its inherited socket on two workers.
    let with_proxy_protocol: Vec<&str> = common
        .iter()
        .copied()
        .chain(["--workers", "2", "--proxy-protocol"])
        .collect();
    let mut http = [
        Instance::new(&one_worker, dir.join("http-a.log")),
        Instance::new(&one_worker, dir.join("http-b.log")),
    ];
    let mut stream = [
        Instance::new(&with_proxy_protocol, dir.join("stream-a.log")),
        Instance::new(&with_proxy_protocol, dir.join("stream-b.log")),
    ];
    let (http_port, stream_port) = (free_port(), free_port());
    let _nginx = Nginx::start(
        &dir,
        module.as_deref(),
        (http_port, [http[0].port(), http[1].port()]),
        (stream_port, [stream[0].port(), stream[1].port()]),
    );

    // Ready, and counting.
    assert!(get(http[0].port(), "/readyz").ends_with("\r\n\r\nready"));
    let metrics = get(http[0].port(), "/metrics");
    assert!(
        metrics.contains("# TYPE lath_requests_total counter"),
        "{metrics}"
    );
    // The client's own address reaches the app through both paths.
    assert_eq!(ip_through(http_port), "127.0.0.2");
    assert_eq!(ip_through(stream_port), "127.0.0.2");

    let load = [wrk(http_port), wrk(stream_port)];
    std::thread::sleep(LOAD / 4);
    // Instance A of each pair: an upload in flight when SIGTERM comes
    // finishes whole; then each restarts.
    upload_across_sigterm(&http[0]);
    http[0].wait_exit();
    http[0].start();
    stream[0].restart();
    std::thread::sleep(LOAD / 3);
    http[1].restart();
    stream[1].restart();
    let [http_load, stream_load] = load.map(|w| w.join().unwrap());
    let served = [
        completed_without_failure(&http_load),
        completed_without_failure(&stream_load),
    ];
    eprintln!("requests without a failure: {served:?} (HTTP upstream, stream with PROXY)");
    assert!(served.iter().all(|n| *n > 0));

    // The restarted instances answer too, with the client's address.
    assert_eq!(ip_through(http_port), "127.0.0.2");
    assert_eq!(ip_through(stream_port), "127.0.0.2");
    for instance in http.iter_mut().chain(stream.iter_mut()) {
        instance.terminate();
        instance.wait_exit();
    }
    let _ = std::fs::remove_dir_all(&dir);
}
