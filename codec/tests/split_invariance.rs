//! The same events and the same output bytes however the input is split
//! (h11, hyper): a property test over a corpus of valid and invalid
//! exchanges, cut at random places.

mod common;

use common::{run_with, Run};
use lath_codec::Config;
use proptest::prelude::*;

const CORPUS: &[&[u8]] = &[
    b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
    b"\r\nGET /x?y=1 HTTP/1.1\nHost: a\nX:  v \n\n",
    b"POST /1 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcPOST /2 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;x=\"y\"\r\ndef\r\n0\r\nX-T: 1\r\n\r\nGET /3 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET /4 HTTP/1.1\r\n\r\n",
    b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.0\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\n\r\n\x00garbage\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n",
    b"GET / HTTP/2.0\r\nHost: a\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nabc",
    b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX",
    b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n",
    b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nshort",
    b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03",
    b"GET /chat HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: x\r\n\r\nraw",
    b"GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n z\r\n\r\n",
    b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\nCONNECT h:1 HTTP/1.1\r\nHost: h:1\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi",
    b"GET / HTTP/1.1\r\nHost: a\r\n\r",
];

fn cut(input: &[u8], fractions: &[f64]) -> Vec<usize> {
    let mut cuts: Vec<usize> = fractions
        .iter()
        .map(|f| (f * input.len() as f64) as usize)
        .collect();
    cuts.sort_unstable();
    cuts
}

fn whole(input: &[u8], eof: bool) -> Run {
    run_with(Config::default(), input, &[], eof)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_splits_of_the_corpus(
        index in 0..CORPUS.len(),
        fractions in prop::collection::vec(0.0f64..1.0, 0..12),
        eof in any::<bool>(),
    ) {
        let input = CORPUS[index];
        let split = run_with(Config::default(), input, &cut(input, &fractions), eof);
        prop_assert_eq!(split, whole(input, eof));
    }

    #[test]
    fn random_bytes_split_randomly(
        input in prop::collection::vec(any::<u8>(), 0..200),
        fractions in prop::collection::vec(0.0f64..1.0, 0..8),
    ) {
        let split = run_with(Config::default(), &input, &cut(&input, &fractions), true);
        prop_assert_eq!(split, whole(&input, true));
    }

    #[test]
    fn mutated_corpus_split_randomly(
        index in 0..CORPUS.len(),
        flips in prop::collection::vec((0.0f64..1.0, any::<u8>()), 1..4),
        fractions in prop::collection::vec(0.0f64..1.0, 0..8),
    ) {
        let mut input = CORPUS[index].to_vec();
        for (at, byte) in flips {
            let i = (at * input.len() as f64) as usize;
            let last = input.len() - 1;
            input[i.min(last)] = byte;
        }
        let split = run_with(Config::default(), &input, &cut(&input, &fractions), true);
        prop_assert_eq!(split, whole(&input, true));
    }
}

#[test]
fn every_corpus_entry_byte_by_byte() {
    for input in CORPUS {
        for eof in [false, true] {
            let cuts: Vec<usize> = (1..input.len()).collect();
            assert_eq!(
                run_with(Config::default(), input, &cuts, eof),
                whole(input, eof),
                "{}",
                String::from_utf8_lossy(input)
            );
        }
    }
}
