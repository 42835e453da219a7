//! A `Cookie` field, and a query string or urlencoded form, parsed as
//! handlers read them (lath_layers::fuzzing::cookies_and_query).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (cookie, query) = text.split_once('\n').unwrap_or((text, text));
    lath_layers::fuzzing::cookies_and_query(cookie, query);
});
