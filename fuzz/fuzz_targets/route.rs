//! Route patterns and paths: a pattern is accepted or refused, a path
//! finds a route, a 405 or nothing, never a panic
//! (lath_layers::fuzzing::route).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (pattern, path) = text.split_once('\n').unwrap_or(("/x/:y", text));
    lath_layers::fuzzing::route(pattern, path);
});
