//! `Range` against representations of every size: parts inside the
//! representation, in order, without overlap, at most 16, costing no more
//! than the whole (lath_layers::fuzzing::range).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (len, value) = match data.split_first_chunk::<8>() {
        Some((len, rest)) => (u64::from_le_bytes(*len) % (1 << 40), rest),
        None => (0, data),
    };
    if let Ok(value) = std::str::from_utf8(value) {
        lath_layers::fuzzing::range(value, len);
        lath_layers::fuzzing::range(value, len % 1000);
    }
});
