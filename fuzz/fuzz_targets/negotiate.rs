//! `Accept` and `Accept-Encoding` negotiation: the choice is always one of
//! the offers (lath_layers::fuzzing::negotiate).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (accept, encoding) = text.split_once('\n').unwrap_or((text, text));
    lath_layers::fuzzing::negotiate(accept, encoding);
});
