//! PROXY protocol headers (v1 and v2): no panic, never more bytes
//! claimed than given, the same verdict whatever prefix arrived first
//! (lath_net::fuzzing::proxy_header).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    lath_net::fuzzing::proxy_header(data);
});
