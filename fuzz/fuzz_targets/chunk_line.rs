//! The strict chunk-line parser on arbitrary lines: no panic, and whatever
//! it accepts starts with hex digits whose value it reports.
#![no_main]

use lath_codec::chunk::parse_chunk_line;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|line: &[u8]| {
    if let Ok(parsed) = parse_chunk_line(line) {
        let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
        assert!(digits > 0);
        assert_eq!(parsed.ext_len, line.len() - digits);
        assert!(!line.contains(&b'\r') && !line.contains(&b'\n'));
    }
});
