//! Helpers the end-to-end tests share.
#![allow(dead_code)]

use std::process::Command;

/// Runs curl (bounded to 20 s) and returns its stdout and stderr; fails the
/// test if curl fails.
pub fn curl(args: &[&str]) -> (String, String) {
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "20"])
        .args(args)
        .output()
        .expect("curl runs");
    assert!(
        out.status.success(),
        "curl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Makes sure Python can import `module`, installing the pip package
/// `package` for this user when it cannot.
pub fn python_module(module: &str, package: &str) {
    let importable = |module: &str| {
        Command::new("python3")
            .args(["-c", &format!("import {module}")])
            .status()
            .is_ok_and(|s| s.success())
    };
    if importable(module) {
        return;
    }
    let installed = Command::new("python3")
        .args(["-m", "pip", "install", "--quiet", "--user", package])
        .status()
        .is_ok_and(|s| s.success())
        || Command::new("python3")
            .args(["-m", "pip", "install", "--quiet", package])
            .status()
            .is_ok_and(|s| s.success());
    assert!(
        installed && importable(module),
        "pip cannot install {package}"
    );
}

/// Runs `script` with Python 3, `input` on its stdin; its stdout.
pub fn python(script: &str, input: &[u8]) -> String {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "python: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Serves on 127.0.0.1 (a free port), on a thread of its own until the
/// process ends, the app `app` makes from the server that `configure`
/// set up (one worker unless it says otherwise); returns the address.
pub fn serve_on_thread<A: lath::App>(
    configure: impl FnOnce(lath::Server) -> lath::Server + Send + 'static,
    app: impl FnOnce(&lath::Server) -> A + Send + 'static,
) -> std::net::SocketAddr {
    serve_on_thread_at("127.0.0.1:0", configure, app)
}

/// [`serve_on_thread`] on `bind` (`[::1]:0`).
pub fn serve_on_thread_at<A: lath::App>(
    bind: &str,
    configure: impl FnOnce(lath::Server) -> lath::Server + Send + 'static,
    app: impl FnOnce(&lath::Server) -> A + Send + 'static,
) -> std::net::SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    let bind = bind.to_owned();
    std::thread::spawn(move || {
        lath::net::run(async move {
            let server = lath::Server::bind(&bind).await.unwrap().workers(1);
            let server = configure(server);
            let app = app(&server);
            tx.send(server.local_addr().unwrap()).unwrap();
            server.serve(app).await.unwrap();
        })
    });
    rx.recv().unwrap()
}

/// A self-signed certificate for `name` (made with the openssl command)
/// in `dir`: its PEM certificate and key files.
pub fn certificate(dir: &std::path::Path, name: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    std::fs::create_dir_all(dir).unwrap();
    let (cert, key) = (
        dir.join(format!("{name}.crt")),
        dir.join(format!("{name}.key")),
    );
    let made = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
        .args(["ec_paramgen_curve:P-256", "-nodes", "-days", "2"])
        .args(["-subj", &format!("/CN={name}")])
        .args(["-addext", &format!("subjectAltName=DNS:{name}")])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl runs");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    (cert, key)
}

/// Runs `python3` with `args` and reads what it printed as one JSON
/// value; a failing script fails the test with its stderr.
pub fn python_json<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> serde_json::Value {
    let out = Command::new("python3")
        .args(args)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "python: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON value")
}
