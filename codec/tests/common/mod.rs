//! A driver for the server codec shared by the integration tests: it feeds
//! input in given pieces, answers every complete request with `200 ok`, and
//! records the events and the bytes written, so two runs over the same
//! input split differently can be compared whole.
#![allow(dead_code)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lath_codec::{
    BodySize, Config, Headers, ProtocolError, RequestHead, ResponseHead, ServerConn, ServerEvent,
    Status,
};

/// A fixed clock, so outputs compare byte for byte.
pub fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

/// An event with body pieces merged, since their boundaries depend on how
/// the input was split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ev {
    Head(RequestHead),
    Data(Vec<u8>),
    End(Headers),
    Closed,
    Error(ProtocolError),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub events: Vec<Ev>,
    pub output: Vec<u8>,
}

impl Run {
    /// The first request's head, body and trailers, or its error.
    pub fn first(&self) -> Result<(&RequestHead, Vec<u8>, &Headers), ProtocolError> {
        let mut head = None;
        let mut body = Vec::new();
        for ev in &self.events {
            match ev {
                Ev::Head(h) => head = Some(h),
                Ev::Data(d) => body.extend_from_slice(d),
                Ev::End(t) => return Ok((head.expect("head before end"), body, t)),
                Ev::Error(e) => return Err(*e),
                Ev::Closed => break,
            }
        }
        panic!("no complete request in {:?}", self.events)
    }

    pub fn error(&self) -> Option<ProtocolError> {
        self.events.iter().find_map(|e| match e {
            Ev::Error(e) => Some(*e),
            _ => None,
        })
    }

    pub fn heads(&self) -> Vec<&RequestHead> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Ev::Head(h) => Some(h),
                _ => None,
            })
            .collect()
    }
}

/// Feeds `input` cut at `cuts` (ascending offsets), then EOF if asked.
pub fn run_with(config: Config, input: &[u8], cuts: &[usize], eof: bool) -> Run {
    let mut conn = ServerConn::new(config);
    let mut run = Run {
        events: Vec::new(),
        output: Vec::new(),
    };
    let mut start = 0;
    for &end in cuts.iter().chain(std::iter::once(&input.len())) {
        let end = end.clamp(start, input.len());
        conn.feed(&input[start..end]);
        start = end;
        if pump(&mut conn, &mut run) {
            return run;
        }
    }
    if eof {
        conn.feed_eof();
        pump(&mut conn, &mut run);
    }
    run
}

pub fn run(input: &[u8]) -> Run {
    run_with(Config::default(), input, &[], false)
}

pub fn run_eof(input: &[u8]) -> Run {
    run_with(Config::default(), input, &[], true)
}

/// Feeds one byte at a time.
pub fn run_bytewise(config: Config, input: &[u8], eof: bool) -> Run {
    let cuts: Vec<usize> = (1..input.len()).collect();
    run_with(config, input, &cuts, eof)
}

/// Pulls events until the codec needs bytes; says whether it is finished.
fn pump(conn: &mut ServerConn, run: &mut Run) -> bool {
    loop {
        match conn.next_event() {
            ServerEvent::NeedData | ServerEvent::Paused => return false,
            ServerEvent::Head(h) => run.events.push(Ev::Head(h)),
            ServerEvent::Data(d) => match run.events.last_mut() {
                Some(Ev::Data(prev)) => prev.extend_from_slice(&d),
                _ => run.events.push(Ev::Data(d.to_vec())),
            },
            ServerEvent::End(t) => {
                run.events.push(Ev::End(t));
                answer(conn, &mut run.output);
            }
            ServerEvent::Closed => {
                run.events.push(Ev::Closed);
                return true;
            }
            ServerEvent::Error(e) => {
                run.events.push(Ev::Error(e));
                conn.write_error(&e, now(), &mut run.output);
                return true;
            }
        }
    }
}

/// A connection that has read the head of `request`.
pub fn conn_after(request: &[u8]) -> ServerConn {
    let mut conn = ServerConn::default();
    conn.feed(request);
    assert!(matches!(conn.next_event(), ServerEvent::Head(_)));
    conn
}

/// Writes a bare head with `status` for a body of `size`.
pub fn head(
    conn: &mut ServerConn,
    status: Status,
    size: BodySize,
    out: &mut Vec<u8>,
) -> Result<(), lath_codec::UsageError> {
    conn.write_head(&ResponseHead::new(status), size, now(), out)
}

/// Answers `200 ok`.
pub fn answer(conn: &mut ServerConn, out: &mut Vec<u8>) {
    let mut head = ResponseHead::new(Status::OK);
    head.headers.append("Content-Type", "text/plain");
    conn.write_head(&head, BodySize::Known(2), now(), out)
        .unwrap();
    if conn.is_upgraded() {
        // A 2xx to CONNECT hands the connection off: no body follows.
        return;
    }
    conn.write_data(b"ok", out).unwrap();
    conn.write_end(None, out).unwrap();
}

/// A generated test named `name` that runs `check`: a panic fails it with
/// the panic's message, and hides no other test.
pub fn trial(
    name: impl Into<String>,
    check: impl FnOnce() + std::panic::UnwindSafe + Send + 'static,
) -> libtest_mimic::Trial {
    libtest_mimic::Trial::test(name, move || {
        std::panic::catch_unwind(check).map_err(|panic| {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "panicked".to_owned());
            message.into()
        })
    })
}
