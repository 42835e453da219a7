//! Arbitrary bytes as responses to the client role, after a GET, a HEAD
//! and a CONNECT chosen by the first byte: no panic, no livelock.
#![no_main]

use lath_codec::{BodySize, ClientConn, ClientEvent, Config, Method, RequestHead};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let mut conn = ClientConn::new(Config::default(), "fuzz");
    let mut out = Vec::new();
    for i in 0..3 {
        let method = match (mode >> (2 * i)) & 3 {
            0 => Method::GET,
            1 => Method::HEAD,
            2 => Method::CONNECT,
            _ => Method::POST,
        };
        let target = if method == Method::CONNECT { "h:1" } else { "/" };
        if conn.write_request(&RequestHead::new(method, target), BodySize::EMPTY, &mut out).is_err() {
            break;
        }
        let _ = conn.write_end(None, &mut out);
    }
    let cut = rest.len() / 2;
    let steps: [(&[u8], bool); 3] = [(&rest[..cut], false), (&rest[cut..], false), (b"", true)];
    for (piece, eof) in steps {
        conn.feed(piece);
        if eof {
            conn.feed_eof();
        }
        let mut rested = false;
        for _ in 0..rest.len() * 4 + 64 {
            match conn.next_event() {
                ClientEvent::NeedData => {
                    rested = true;
                    break;
                }
                ClientEvent::Closed | ClientEvent::Error(_) => return,
                ClientEvent::Head(_) | ClientEvent::Data(_) | ClientEvent::End(_) => {}
            }
        }
        assert!(rested, "no rest after many calls: livelock");
    }
});
