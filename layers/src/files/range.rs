//! `Range: bytes=…` (RFC 9110 §14.1.2), bounded: overlapping and nearby
//! ranges are coalesced and a request for too many parts is served whole,
//! so no request costs much more than the file itself.

/// Parts past this, after coalescing, and the `Range` is ignored: the
/// whole file goes out once.
const MAX_PARTS: usize = 16;

/// Ranges closer than this are sent as one part: a part's own header
/// costs about as much.
const GAP: u64 = 80;

/// A satisfiable byte range: `start..=end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ByteRange {
    pub(crate) start: u64,
    pub(crate) end: u64,
}

impl ByteRange {
    pub(crate) fn len(&self) -> u64 {
        self.end - self.start + 1
    }
}

/// What a `Range` field asks of a representation of `len` bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ranges {
    /// No field, another unit, invalid syntax or too many parts: the
    /// whole representation, `200`.
    Whole,
    /// Nothing in it overlaps the representation: `416`.
    Unsatisfiable,
    /// These ranges, sorted and coalesced: `206`.
    Parts(Vec<ByteRange>),
}

/// Reads a `Range` field value for a representation of `len` bytes.
pub(crate) fn parse(value: &str, len: u64) -> Ranges {
    let value = value.trim();
    let Some((unit, set)) = value.split_once('=') else {
        return Ranges::Whole;
    };
    if !unit.trim().eq_ignore_ascii_case("bytes") {
        return Ranges::Whole;
    }
    let mut wanted = Vec::new();
    let mut specs = 0;
    for spec in set.split(',').map(|s| s.trim_matches([' ', '\t'])) {
        if spec.is_empty() {
            continue; // empty list elements are allowed (§5.6.1)
        }
        specs += 1;
        let Some((first, last)) = spec.split_once('-') else {
            return Ranges::Whole;
        };
        let (first, last) = (number(first), number(last));
        let range = match (first, last) {
            // `first-last` and `first-`
            (Some(Ok(first)), last) => {
                let last = match last {
                    None => u64::MAX,
                    Some(Ok(last)) if last >= first => last,
                    _ => return Ranges::Whole,
                };
                (first < len).then(|| ByteRange {
                    start: first,
                    end: last.min(len - 1),
                })
            }
            // `-suffix`
            (None, Some(Ok(suffix))) => (suffix > 0 && len > 0).then(|| ByteRange {
                start: len - suffix.min(len),
                end: len - 1,
            }),
            _ => return Ranges::Whole,
        };
        wanted.extend(range);
    }
    if specs == 0 {
        return Ranges::Whole;
    }
    if wanted.is_empty() {
        return Ranges::Unsatisfiable;
    }
    let parts = coalesce(wanted);
    if parts.len() > MAX_PARTS {
        return Ranges::Whole;
    }
    Ranges::Parts(parts)
}

/// `None` for an empty string, `Some(Err)` for anything but digits; a
/// number too large for `u64` saturates (it is past any file anyway).
fn number(text: &str) -> Option<Result<u64, ()>> {
    if text.is_empty() {
        return None;
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Err(()));
    }
    Some(Ok(text.parse().unwrap_or(u64::MAX)))
}

/// Sorted, with overlapping, adjacent and nearby ranges merged: the
/// parts never add up to more than the representation.
fn coalesce(mut ranges: Vec<ByteRange>) -> Vec<ByteRange> {
    ranges.sort_by_key(|r| r.start);
    let mut merged: Vec<ByteRange> = Vec::with_capacity(ranges.len());
    for range in ranges {
        match merged.last_mut() {
            Some(last) if range.start <= last.end.saturating_add(GAP + 1) => {
                last.end = last.end.max(range.end);
            }
            _ => merged.push(range),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(list: &[(u64, u64)]) -> Ranges {
        Ranges::Parts(
            list.iter()
                .map(|&(start, end)| ByteRange { start, end })
                .collect(),
        )
    }

    /// A row: the `Range` value against a 10 000-byte file.
    fn check(rule: &str, value: &str, expected: Ranges) {
        assert_eq!(parse(value, 10_000), expected, "{rule}: {value}");
    }

    fn too_many_distinct_parts() -> String {
        let parts: Vec<String> = (0..20)
            .map(|i| format!("{}-{}", i * 400, i * 400 + 9))
            .collect();
        format!("bytes={}", parts.join(","))
    }

    mod byte_ranges_of_a_10_000_byte_file {
        use super::*;

        #[rustfmt::skip]
        row_tests::row_tests!(check {
            first_last: "§14.1.2 first-last" => ("bytes=0-499", parts(&[(0, 499)]));
            the_second_500_bytes: "§14.1.2 the second 500 bytes" => ("bytes=500-999", parts(&[(500, 999)]));
            first_to_the_end: "§14.1.2 first- to the end" => ("bytes=9500-", parts(&[(9500, 9999)]));
            suffix: "§14.1.2 -suffix: the last 500" => ("bytes=-500", parts(&[(9500, 9999)]));
            suffix_longer_than_the_file: "§14.1.2 a suffix longer than the file: all of it" => ("bytes=-20000", parts(&[(0, 9999)]));
            last_past_the_end_is_clamped: "§14.1.2 last past the end is clamped" => ("bytes=9000-20000", parts(&[(9000, 9999)]));
            one_byte: "§14.1.2 one byte" => ("bytes=0-0", parts(&[(0, 0)]));
            the_last_byte: "§14.1.2 the last byte" => ("bytes=-1", parts(&[(9999, 9999)]));
            several_ranges: "§14.1.2 several ranges" => ("bytes=0-99,5000-5099", parts(&[(0, 99), (5000, 5099)]));
            ows_and_empty_elements: "§14.1.2 OWS and empty elements" => ("bytes= 0-99 , ,\t5000-5099", parts(&[(0, 99), (5000, 5099)]));
            unit_is_case_insensitive: "§14.1.1 the unit is case-insensitive" => ("Bytes=0-1", parts(&[(0, 1)]));
            overlapping_are_coalesced: "§14.2 overlapping ranges are coalesced" => ("bytes=0-500,100-200,400-999", parts(&[(0, 999)]));
            adjacent_are_coalesced: "§14.2 adjacent ranges are coalesced" => ("bytes=0-99,100-199", parts(&[(0, 199)]));
            nearby_are_coalesced: "§14.2 nearby ranges are coalesced" => ("bytes=0-99,150-199", parts(&[(0, 199)]));
            ranges_are_sorted: "§14.2 ranges are sorted" => ("bytes=5000-5099,0-99", parts(&[(0, 99), (5000, 5099)]));
            same_range_many_times_costs_once: "§14.2 the same range many times costs once" => (&format!("bytes={}", ["0-9999"; 200].join(",")), parts(&[(0, 9999)]));
            too_many_parts_whole_file: "§14.2 too many distinct parts: the whole file" => (&too_many_distinct_parts(), Ranges::Whole);
            unsatisfiable_beside_good_is_dropped: "§14.1.2 an unsatisfiable range beside a good one is dropped" => ("bytes=0-9,20000-", parts(&[(0, 9)]));
            first_past_the_end_416: "§15.5.17 first past the end → 416" => ("bytes=10000-", Ranges::Unsatisfiable);
            zero_suffix_416: "§15.5.17 -0 → 416" => ("bytes=-0", Ranges::Unsatisfiable);
            another_unit_ignored: "§14.2 another unit is ignored" => ("items=0-1", Ranges::Whole);
            no_unit_ignored: "§14.2 no unit is ignored" => ("0-1", Ranges::Whole);
            last_before_first_ignored: "§14.1.1 last before first is invalid: ignored" => ("bytes=500-100", Ranges::Whole);
            no_dash_ignored: "§14.1.2 no dash: ignored" => ("bytes=100", Ranges::Whole);
            not_digits_ignored: "§14.1.2 not digits: ignored" => ("bytes=a-b", Ranges::Whole);
            signs_are_not_digits: "§14.1.2 signs are not digits" => ("bytes=+1-2", Ranges::Whole);
            bare_dash_ignored: "§14.1.2 a bare dash: ignored" => ("bytes=-", Ranges::Whole);
            no_ranges_ignored: "§14.1.2 no ranges at all: ignored" => ("bytes=", Ranges::Whole);
            one_invalid_among_valid_ignored: "§14.1.2 one invalid among valid: ignored" => ("bytes=0-1,x", Ranges::Whole);
            huge_last_saturates: "huge numbers saturate, never overflow" => ("bytes=0-99999999999999999999999", parts(&[(0, 9999)]));
            huge_first_is_past_the_end: "a huge first is past the end" => ("bytes=99999999999999999999999-", Ranges::Unsatisfiable);
        });
    }

    #[test]
    fn an_empty_file_satisfies_no_range() {
        assert_eq!(parse("bytes=0-", 0), Ranges::Unsatisfiable);
        assert_eq!(parse("bytes=-5", 0), Ranges::Unsatisfiable);
    }

    #[test]
    fn the_parts_never_add_up_to_more_than_the_file() {
        let value = format!(
            "bytes={}",
            (0..2000)
                .map(|i| format!("{}-{}", i % 97, 9000 + i % 13))
                .collect::<Vec<_>>()
                .join(",")
        );
        match parse(&value, 10_000) {
            Ranges::Parts(parts) => {
                assert!(parts.iter().map(ByteRange::len).sum::<u64>() <= 10_000)
            }
            other => panic!("{other:?}"),
        }
    }
}
