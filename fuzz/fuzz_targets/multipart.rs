//! Multipart bodies: boundaries, part headers and data under small
//! limits end, fail with a 4xx, or stay within the limits
//! (lath_layers::fuzzing::multipart).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first line is the Content-Type; the rest is the body.
    let split = data.iter().position(|&b| b == b'\n').unwrap_or(0);
    let (content_type, body) = data.split_at(split);
    let body = body.get(1..).unwrap_or(&[]);
    if let Ok(content_type) = std::str::from_utf8(content_type) {
        lath_layers::fuzzing::multipart(content_type, body);
        lath_layers::fuzzing::multipart("multipart/form-data; boundary=B", body);
    }
});
