//! WebSocket handshake fields: refused with 400, 403 or 426, or accepted
//! with an accept key (lath_layers::fuzzing::websocket_handshake).
#![no_main]

use libfuzzer_sys::fuzz_target;

const NAMES: [&str; 7] = [
    "Connection",
    "Upgrade",
    "Sec-WebSocket-Version",
    "Sec-WebSocket-Key",
    "Origin",
    "Sec-WebSocket-Protocol",
    "Sec-WebSocket-Extensions",
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // One field per line, named by its first character.
    let fields: Vec<(&str, &str)> = text
        .split('\n')
        .filter_map(|line| {
            let mut chars = line.chars();
            let pick = chars.next()? as usize;
            Some((NAMES[pick % NAMES.len()], chars.as_str()))
        })
        .collect();
    lath_layers::fuzzing::websocket_handshake(&fields);
});
