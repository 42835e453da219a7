//! The chunk-size line (RFC 9112 §7.1, §7.1.1), one generated test per
//! row, named after its rule: a failing row hides no other.

mod common;

use lath_codec::chunk::parse_chunk_line;

/// Lines accepted, with the size they give.
const ACCEPTED: &[(&str, &[u8], u64)] = &[
    ("lowercase hex", b"1a", 26),
    ("uppercase hex", b"1A", 26),
    ("zero", b"0", 0),
    (
        "leading zeros do not count toward 16 digits",
        b"00000000000000000000ff",
        255,
    ),
    ("sixteen significant digits", b"ffffffffffffffff", u64::MAX),
    ("extension without value", b"5;a", 5),
    ("extension with token value", b"5;a=b", 5),
    ("extension with quoted value", b"5;a=\"b c;d\"", 5),
    ("quoted value with escapes", b"5;a=\"\\\"x\\\\\"", 5),
    ("BWS before semicolon", b"5 ;a=b", 5),
    ("BWS around equals", b"5; a = b", 5),
    ("several extensions", b"5;a=b;c;d=\"e\"", 5),
    ("tab as BWS", b"5\t;a", 5),
];

/// Lines refused.
const REFUSED: &[(&str, &[u8])] = &[
    ("empty line", b""),
    ("0x prefix", b"0x5"),
    ("minus sign", b"-5"),
    ("plus sign", b"+5"),
    ("leading space", b" 5"),
    ("underscore", b"0_5"),
    ("space without extension", b"5 "),
    ("tab without extension", b"5\t"),
    ("semicolon without name", b"5;"),
    ("semicolon then space only", b"5; "),
    ("equals without value", b"5;a="),
    ("seventeen significant digits", b"10000000000000000"),
    ("non-token name", b"5;a b"),
    ("trailing space after extension", b"5;a=b "),
    ("unterminated quote", b"5;a=\"b"),
    ("control in quote", b"5;a=\"\x01\""),
    ("bare CR", b"5\r"),
    ("bare LF", b"5\n"),
    ("garbage after size", b"5x"),
];

fn main() {
    let args = libtest_mimic::Arguments::from_args();
    let mut trials = Vec::new();
    for &(rule, line, size) in ACCEPTED {
        trials.push(common::trial(format!("accepted: {rule}"), move || {
            assert_eq!(parse_chunk_line(line).map(|c| c.size), Ok(size));
        }));
    }
    for &(rule, line) in REFUSED {
        trials.push(common::trial(format!("refused: {rule}"), move || {
            assert!(parse_chunk_line(line).is_err(), "{line:?} was accepted");
        }));
    }
    libtest_mimic::run(&args, trials).exit();
}
