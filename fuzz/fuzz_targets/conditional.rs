//! Conditional request fields (`If-Match`, `If-None-Match`,
//! `If-Modified-Since`, `If-Unmodified-Since`, `If-Range`) against a tagged
//! representation: evaluated without a panic, `If-None-Match: *` never
//! proceeds (lath_layers::fuzzing::conditional).
#![no_main]

use libfuzzer_sys::fuzz_target;

const NAMES: [&str; 5] = [
    "If-Match",
    "If-None-Match",
    "If-Modified-Since",
    "If-Unmodified-Since",
    "If-Range",
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Lines: the representation's tag, then one field per line, each
    // named by its first character.
    let mut lines = text.split('\n');
    let etag = lines.next().unwrap_or("");
    let fields: Vec<(&str, &str)> = lines
        .filter_map(|line| {
            let mut chars = line.chars();
            let pick = chars.next()? as usize;
            Some((NAMES[pick % NAMES.len()], chars.as_str()))
        })
        .collect();
    let modified = data.len() as u64 * 1_000_003;
    lath_layers::fuzzing::conditional(&fields, etag, modified, data.len() % 2 == 0);
});
