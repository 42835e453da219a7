//! The golden corpus: each `corpus/NAME.request` is fed to the server
//! codec — whole and one byte at a time, which must agree — and answered by
//! a small fixed app with a fixed `Date`; the bytes written must equal
//! `NAME.response`. Where the codec refuses the request, `NAME.error`
//! holds the status and the reason. One generated test per file, so a
//! change in the bytes on the wire is a reviewable diff.
//!
//! The app, by target: `/status/NNN` answers that status (no body for
//! 1xx, 204 and 304; a 304 with an `ETag`), `/range` answers `206` with a
//! `Content-Range`, `/echo` streams the request body back (chunked, with
//! its trailers), anything else `200 ok`. Like lath-net, it reads every
//! body, writing `100 Continue` first when the request expects it.
//!
//! `LATH_BLESS=1 cargo test -p lath-codec --test corpus` writes the
//! expected files from what the codec does now: review the diff.

mod common;

use std::path::{Path, PathBuf};

use common::now;
use lath_codec::{BodySize, Config, Headers, ResponseHead, ServerConn, ServerEvent, Status};

/// What one run produced: the bytes written, and the refusal if any.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    output: Vec<u8>,
    error: Option<String>,
}

/// A request being read: its target and body so far.
struct Reading {
    target: String,
    body: Vec<u8>,
}

fn run(input: &[u8], cuts: &[usize]) -> Outcome {
    let mut conn = ServerConn::new(Config::default());
    let mut out = Outcome {
        output: Vec::new(),
        error: None,
    };
    let mut reading: Option<Reading> = None;
    let mut start = 0;
    for &end in cuts.iter().chain(std::iter::once(&input.len())) {
        conn.feed(&input[start..end]);
        start = end;
        if pump(&mut conn, &mut reading, &mut out) {
            return out;
        }
    }
    conn.feed_eof();
    pump(&mut conn, &mut reading, &mut out);
    out
}

/// Pulls events until the codec needs bytes; says whether it is finished.
fn pump(conn: &mut ServerConn, reading: &mut Option<Reading>, out: &mut Outcome) -> bool {
    loop {
        match conn.next_event() {
            ServerEvent::NeedData | ServerEvent::Paused => return false,
            ServerEvent::Head(head) => {
                // As lath-net does when the app first reads the body.
                conn.write_continue(&mut out.output);
                *reading = Some(Reading {
                    target: head.target_str().to_owned(),
                    body: Vec::new(),
                })
            }
            ServerEvent::Data(piece) => {
                if let Some(reading) = reading {
                    reading.body.extend_from_slice(&piece);
                }
            }
            ServerEvent::End(trailers) => {
                if let Some(reading) = reading.take() {
                    answer(conn, &reading, &trailers, &mut out.output);
                }
            }
            ServerEvent::Closed => return true,
            ServerEvent::Error(error) => {
                out.error = Some(format!("{} {error}", error.status().code()));
                conn.write_error(&error, now(), &mut out.output);
                return true;
            }
        }
    }
}

/// The corpus app (see the top of the file).
fn answer(conn: &mut ServerConn, req: &Reading, trailers: &Headers, out: &mut Vec<u8>) {
    let status = req
        .target
        .strip_prefix("/status/")
        .and_then(|code| code.parse().ok())
        .and_then(Status::new);
    let mut head = ResponseHead::new(status.unwrap_or(Status::OK));
    if let Some(status) = status {
        if status.is_informational() || status == Status::NO_CONTENT {
            conn.write_head(&head, BodySize::EMPTY, now(), out).unwrap();
            return;
        }
        if status == Status::NOT_MODIFIED {
            head.headers.append("ETag", "\"v1\"");
            conn.write_head(&head, BodySize::Known(2), now(), out)
                .unwrap();
            let _ = conn.write_end(None, out);
            return;
        }
    }
    if req.target == "/echo" {
        head.headers
            .append("Content-Type", "application/octet-stream");
        conn.write_head(&head, BodySize::Unknown, now(), out)
            .unwrap();
        if !req.body.is_empty() {
            conn.write_data(&req.body, out).unwrap();
        }
        conn.write_end(Some(trailers), out).unwrap();
        return;
    }
    if status.is_none() && req.target != "/range" {
        // `200 ok`, as the other codec tests answer.
        return common::answer(conn, out);
    }
    if req.target == "/range" {
        head.status = Status::PARTIAL_CONTENT;
        head.headers.append("Content-Range", "bytes 0-1/10");
    }
    head.headers.append("Content-Type", "text/plain");
    conn.write_head(&head, BodySize::Known(2), now(), out)
        .unwrap();
    conn.write_data(b"ok", out).unwrap();
    conn.write_end(None, out).unwrap();
}

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// One `.request` file: the same outcome split at every byte, and the
/// outcome its `.response` (and `.error`) files pin.
fn check(request: &Path) -> Result<(), String> {
    let input = std::fs::read(request).map_err(|e| e.to_string())?;
    let whole = run(&input, &[]);
    let cuts: Vec<usize> = (1..input.len()).collect();
    let bytewise = run(&input, &cuts);
    if whole != bytewise {
        return Err(format!(
            "split changed the outcome:\nwhole:    {whole:?}\nbytewise: {bytewise:?}"
        ));
    }
    let response = request.with_extension("response");
    let error = request.with_extension("error");
    if std::env::var_os("LATH_BLESS").is_some() {
        std::fs::write(&response, &whole.output).map_err(|e| e.to_string())?;
        match &whole.error {
            Some(text) => std::fs::write(&error, format!("{text}\n")),
            None => std::fs::remove_file(&error).or(Ok(())),
        }
        .map_err(|e: std::io::Error| e.to_string())?;
        return Ok(());
    }
    let expected = std::fs::read(&response)
        .map_err(|e| format!("{}: {e} (LATH_BLESS=1 writes it)", response.display()))?;
    if whole.output != expected {
        return Err(format!(
            "the bytes written changed:\nexpected: {:?}\ngot:      {:?}",
            String::from_utf8_lossy(&expected),
            String::from_utf8_lossy(&whole.output)
        ));
    }
    let expected_error = std::fs::read_to_string(&error)
        .ok()
        .map(|text| text.trim_end().to_owned());
    if whole.error != expected_error {
        return Err(format!(
            "the refusal changed: expected {expected_error:?}, got {:?}",
            whole.error
        ));
    }
    Ok(())
}

fn main() {
    let args = libtest_mimic::Arguments::from_args();
    let mut requests: Vec<PathBuf> = std::fs::read_dir(corpus())
        .expect("codec/tests/corpus")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|e| e == "request"))
        .collect();
    requests.sort();
    let count = requests.len();
    let mut trials: Vec<libtest_mimic::Trial> = requests
        .into_iter()
        .map(|path| {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            libtest_mimic::Trial::test(name, move || check(&path).map_err(Into::into))
        })
        .collect();
    trials.push(libtest_mimic::Trial::test(
        "the corpus has at least 60 pairs",
        move || match count >= 60 {
            true => Ok(()),
            false => Err(format!("{count} pairs").into()),
        },
    ));
    libtest_mimic::run(&args, trials).exit();
}
