//! Arbitrary bytes to the server role, whole and split in two; the first
//! bytes choose the limits and switches, so one target covers every mode.
//! Checks: no panic, progress on every call, the same events whichever way
//! the input is split, and no buffer beyond the input plus the limits.
#![no_main]

use std::time::{Duration, UNIX_EPOCH};

use lath_codec::{BodySize, Config, ResponseHead, ServerConn, ServerEvent, Status};
use libfuzzer_sys::fuzz_target;

fn config(mode: &[u8]) -> Config {
    let mut config = Config::default();
    let byte = |i: usize| mode.get(i).copied().unwrap_or(0) as usize;
    config.limits.max_head = 64 + byte(0) * 64;
    config.limits.max_headers = 1 + byte(1) % 120;
    config.limits.max_target = 1 + byte(2) * 32;
    config.limits.max_chunk_ext = byte(3) * 64;
    config.limits.max_trailers = byte(4) * 64;
    config.limits.max_drain = (byte(5) * 256) as u64;
    let switches = byte(6);
    config.date = switches & 1 != 0;
    config.content_length = switches & 2 != 0;
    config.chunked = switches & 4 != 0;
    config.connection = switches & 8 != 0;
    if switches & 16 != 0 {
        config.server = None;
    }
    config
}

#[derive(Debug, PartialEq)]
enum Ev {
    Head(String),
    Data(Vec<u8>),
    End(usize),
    Closed,
    Error(u16, &'static str),
}

fn run(config: Config, input: &[u8], cut: usize, answer_mode: u8) -> (Vec<Ev>, Vec<u8>) {
    let mut conn = ServerConn::new(config);
    let mut events: Vec<Ev> = Vec::new();
    let mut out = Vec::new();
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    // EOF comes after every byte was pumped, as a socket would report it.
    let steps: [(&[u8], bool); 3] = [(&input[..cut], false), (&input[cut..], false), (b"", true)];
    for (piece, eof) in steps {
        conn.feed(piece);
        if eof {
            conn.feed_eof();
        }
        // Every call either returns a waiting event or makes progress, so
        // the codec comes to rest within a bounded number of calls.
        let mut rested = false;
        for _ in 0..input.len() * 4 + 64 {
            match conn.next_event() {
                ServerEvent::NeedData | ServerEvent::Paused => {
                    rested = true;
                    break;
                }
                ServerEvent::Head(h) => events.push(Ev::Head(format!("{} {}", h.method, h.target_str()))),
                ServerEvent::Data(d) => match events.last_mut() {
                    Some(Ev::Data(prev)) => prev.extend_from_slice(&d),
                    _ => events.push(Ev::Data(d.to_vec())),
                },
                ServerEvent::End(t) => {
                    events.push(Ev::End(t.len()));
                    let size = match answer_mode % 3 {
                        0 => BodySize::Known(2),
                        1 => BodySize::Unknown,
                        _ => BodySize::EMPTY,
                    };
                    if conn.write_head(&ResponseHead::new(Status::OK), size, now, &mut out).is_ok()
                        && !conn.is_upgraded()
                    {
                        let body: &[u8] = if size == BodySize::EMPTY { b"" } else { b"ok" };
                        let _ = conn.write_data(body, &mut out);
                        let _ = conn.write_end(None, &mut out);
                    }
                }
                ServerEvent::Closed => {
                    events.push(Ev::Closed);
                    return (events, out);
                }
                ServerEvent::Error(e) => {
                    assert!([400, 413, 414, 417, 431, 501, 505].contains(&e.status().code()));
                    events.push(Ev::Error(e.status().code(), e.reason()));
                    conn.write_error(&e, now, &mut out);
                    return (events, out);
                }
            }
        }
        assert!(rested, "no rest after many calls: livelock");
        // The buffer never holds more than what was fed.
        assert!(conn.read_buf().len() <= input.len());
    }
    (events, out)
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 9 {
        return;
    }
    let (mode, rest) = data.split_at(9);
    let cut = (mode[7] as usize * rest.len()) / 255;
    let whole = run(config(mode), rest, rest.len(), mode[8]);
    let split = run(config(mode), rest, cut.min(rest.len()), mode[8]);
    assert_eq!(whole, split);
});
