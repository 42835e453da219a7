//! Validators and preconditions (RFC 9110 §8.8, §13): entity tags, their
//! comparison, and the order in which `If-Match`, `If-Unmodified-Since`,
//! `If-None-Match`, `If-Modified-Since` and `If-Range` are evaluated.
//! A malformed condition is ignored, as the RFC asks, never an error.

use std::fmt;
use std::time::{Duration, SystemTime};

use lath_app::{Headers, Method};

/// An entity tag (RFC 9110 §8.8.3): an opaque validator, strong or weak.
///
/// ```
/// use lath::layers::ETag;
/// let tag = ETag::parse("W/\"v1\"").unwrap();
/// assert!(tag.is_weak());
/// assert_eq!(tag.to_string(), "W/\"v1\"");
/// assert!(tag.weak_eq(&ETag::strong("v1")));
/// assert!(!tag.strong_eq(&ETag::strong("v1")));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ETag {
    weak: bool,
    tag: String,
}

impl ETag {
    /// A strong tag with these opaque characters (no quotes); characters
    /// an entity tag cannot hold are dropped.
    ///
    /// ```
    /// use lath::layers::ETag;
    /// assert_eq!(ETag::strong("v2").to_string(), "\"v2\"");
    /// ```
    pub fn strong(tag: impl Into<String>) -> ETag {
        ETag {
            weak: false,
            tag: tag.into().chars().filter(|&c| etagc(c)).collect(),
        }
    }

    /// A weak tag: the same meaning, not the same bytes.
    ///
    /// ```
    /// use lath::layers::ETag;
    /// assert_eq!(ETag::weak("v2").to_string(), "W/\"v2\"");
    /// ```
    pub fn weak(tag: impl Into<String>) -> ETag {
        ETag {
            weak: true,
            ..ETag::strong(tag)
        }
    }

    /// The tag of a file as nginx writes it, from its modification time
    /// and size: `"<seconds in hex>-<size in hex>"`.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use lath::layers::ETag;
    /// let modified = SystemTime::UNIX_EPOCH + Duration::from_secs(0x5f5e_1000);
    /// assert_eq!(ETag::for_file(modified, 4096).to_string(), "\"5f5e1000-1000\"");
    /// ```
    pub fn for_file(modified: SystemTime, len: u64) -> ETag {
        let mut tag = String::with_capacity(2 * 16 + 1);
        push_hex(&mut tag, unix_seconds(modified));
        tag.push('-');
        push_hex(&mut tag, len);
        // Hex digits and `-` are all `etagc`: nothing to filter.
        ETag { weak: false, tag }
    }

    /// Parses `"tag"` or `W/"tag"`.
    ///
    /// ```
    /// use lath::layers::ETag;
    /// assert_eq!(ETag::parse("\"abc\""), Some(ETag::strong("abc")));
    /// assert_eq!(ETag::parse("abc"), None); // unquoted
    /// ```
    pub fn parse(text: &str) -> Option<ETag> {
        let text = text.trim();
        let (weak, quoted) = match text.strip_prefix("W/") {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let tag = quoted.strip_prefix('"')?.strip_suffix('"')?;
        tag.chars().all(etagc).then(|| ETag {
            weak,
            tag: tag.to_owned(),
        })
    }

    /// Is this a weak tag?
    ///
    /// ```
    /// use lath::layers::ETag;
    /// assert!(ETag::weak("a").is_weak() && !ETag::strong("a").is_weak());
    /// ```
    pub fn is_weak(&self) -> bool {
        self.weak
    }

    /// This tag made weak, as a layer that changes the bytes (compression)
    /// must.
    ///
    /// ```
    /// use lath::layers::ETag;
    /// assert_eq!(ETag::strong("a").into_weak(), ETag::weak("a"));
    /// ```
    pub fn into_weak(self) -> ETag {
        ETag { weak: true, ..self }
    }

    /// Strong comparison (RFC 9110 §8.8.3.2): both strong, same tag.
    ///
    /// ```
    /// use lath::layers::ETag;
    /// assert!(ETag::strong("a").strong_eq(&ETag::strong("a")));
    /// assert!(!ETag::weak("a").strong_eq(&ETag::strong("a")));
    /// ```
    pub fn strong_eq(&self, other: &ETag) -> bool {
        !self.weak && !other.weak && self.tag == other.tag
    }

    /// Weak comparison: the same tag, weak or not.
    ///
    /// ```
    /// use lath::layers::ETag;
    /// assert!(ETag::weak("a").weak_eq(&ETag::strong("a")));
    /// ```
    pub fn weak_eq(&self, other: &ETag) -> bool {
        self.tag == other.tag
    }
}

impl fmt::Display for ETag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.weak {
            f.write_str("W/")?;
        }
        write!(f, "\"{}\"", self.tag)
    }
}

/// `etagc` (RFC 9110 §8.8.3): any visible character but `"`, or obs-text.
fn etagc(c: char) -> bool {
    c == '!' || ('#'..='~').contains(&c) || (c as u32) >= 0x80
}

/// `n` in lowercase hex, without leading zeros.
fn push_hex(out: &mut String, n: u64) {
    let digits = (64 - (n | 1).leading_zeros() as usize).div_ceil(4);
    for i in (0..digits).rev() {
        out.push(char::from(
            b"0123456789abcdef"[(n >> (4 * i)) as usize & 0xf],
        ));
    }
}

fn unix_seconds(at: SystemTime) -> u64 {
    at.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `at` to the second, as HTTP dates carry it.
pub(crate) fn to_second(at: SystemTime) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(unix_seconds(at))
}

/// `If-Match` / `If-None-Match`: `*` or a list of tags; `None` when
/// malformed (then the condition is ignored).
enum Tags {
    Any,
    List(Vec<ETag>),
}

/// Every line of field `name` as one list; `None` when absent or not
/// text.
fn field(headers: &Headers, name: &str) -> Option<String> {
    let mut joined: Option<String> = None;
    for value in headers.get_all(name) {
        let value = std::str::from_utf8(value).ok()?;
        match &mut joined {
            Some(all) => {
                all.push(',');
                all.push_str(value);
            }
            None => joined = Some(value.to_owned()),
        }
    }
    joined
}

fn tags(headers: &Headers, name: &str) -> Option<Tags> {
    let value = field(headers, name)?;
    if value.trim() == "*" {
        return Some(Tags::Any);
    }
    let mut list = Vec::new();
    for element in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        list.push(ETag::parse(element)?);
    }
    (!list.is_empty()).then_some(Tags::List(list))
}

fn date(headers: &Headers, name: &str) -> Option<SystemTime> {
    // A field repeated or not a date is ignored (RFC 9110 §13.1.3).
    let mut values = headers.get_all(name);
    let value = std::str::from_utf8(values.next()?).ok()?;
    if values.next().is_some() {
        return None;
    }
    httpdate::parse_http_date(value.trim()).ok()
}

/// What the preconditions say about a request for a representation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Answer normally.
    Proceed,
    /// `304 Not Modified`.
    NotModified,
    /// `412 Precondition Failed`.
    Failed,
}

/// Evaluates the request's preconditions against the current
/// representation's validators, in the order of RFC 9110 §13.2.2.
pub(crate) fn evaluate(
    headers: &Headers,
    method: &Method,
    etag: Option<&ETag>,
    modified: Option<SystemTime>,
) -> Verdict {
    let modified = modified.map(to_second);
    let safe = *method == Method::GET || *method == Method::HEAD;
    // Step 1, §13.1.1: If-Match, strong comparison.
    match tags(headers, "if-match") {
        Some(Tags::Any) => {}
        Some(Tags::List(list)) => {
            if !etag.is_some_and(|current| list.iter().any(|t| t.strong_eq(current))) {
                return Verdict::Failed;
            }
        }
        // Step 2, §13.1.4: If-Unmodified-Since, only without If-Match.
        None => {
            if let (Some(since), Some(modified)) = (date(headers, "if-unmodified-since"), modified)
            {
                if modified > since {
                    return Verdict::Failed;
                }
            }
        }
    }
    // Step 3, §13.1.2: If-None-Match, weak comparison.
    match tags(headers, "if-none-match") {
        Some(Tags::Any) => not_modified_or_failed(safe),
        Some(Tags::List(list)) => {
            if etag.is_some_and(|current| list.iter().any(|t| t.weak_eq(current))) {
                not_modified_or_failed(safe)
            } else {
                Verdict::Proceed
            }
        }
        // Step 4, §13.1.3: If-Modified-Since, GET and HEAD only, only
        // without If-None-Match.
        None => match (date(headers, "if-modified-since"), modified) {
            (Some(since), Some(modified)) if safe && modified <= since => Verdict::NotModified,
            _ => Verdict::Proceed,
        },
    }
}

fn not_modified_or_failed(safe: bool) -> Verdict {
    if safe {
        Verdict::NotModified
    } else {
        Verdict::Failed
    }
}

/// Step 5, §13.1.5: does `If-Range` (when present) let a `Range` apply?
/// An entity tag must match strongly; a date must equal the
/// modification time exactly. Anything else (stale, weak, malformed)
/// sends the whole representation.
pub(crate) fn range_applies(
    headers: &Headers,
    etag: Option<&ETag>,
    modified: Option<SystemTime>,
) -> bool {
    let Some(value) = field(headers, "if-range") else {
        return true;
    };
    let value = value.trim();
    if let Some(tag) = ETag::parse(value) {
        return etag.is_some_and(|current| tag.strong_eq(current));
    }
    match (httpdate::parse_http_date(value), modified) {
        (Ok(at), Some(modified)) => to_second(modified) == at,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TAG: &str = "\"5f-10\"";

    #[test]
    fn a_file_tag_is_hex_without_leading_zeros() {
        let tag = |secs, len| ETag::for_file(at(secs), len).to_string();
        assert_eq!(tag(0, 0), "\"0-0\"");
        assert_eq!(tag(0x5f, 0x10), TAG);
        assert_eq!(tag(0xabc, 0xf), "\"abc-f\"");
        assert_eq!(
            tag(u64::MAX >> 1, u64::MAX),
            "\"7fffffffffffffff-ffffffffffffffff\""
        );
    }

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn http(secs: u64) -> String {
        httpdate::fmt_http_date(at(secs))
    }

    /// The representation's last change, in seconds after the epoch, and
    /// one second either side of it.
    const BEFORE: u64 = 999_999;
    const SAME: u64 = 1_000_000;
    const AFTER: u64 = 1_000_001;

    /// A row: the request's method and condition fields against the
    /// representation (ETag `"5f-10"`, modified at `SAME`), and the verdict.
    fn check(rule: &str, method: Method, fields: &[(&str, &str)], expected: Verdict) {
        let mut headers = Headers::new();
        for (name, value) in fields {
            headers.append(name.to_string(), value.to_string());
        }
        let etag = ETag::parse(TAG).unwrap();
        let got = evaluate(&headers, &method, Some(&etag), Some(at(SAME)));
        assert_eq!(got, expected, "{rule}");
    }

    mod preconditions_in_the_order_of_rfc_9110_13_2_2 {
        use super::*;
        use Verdict::*;
        const GET: Method = Method::GET;
        const PUT: Method = Method::PUT;

        #[rustfmt::skip]
        row_tests::row_tests!(check {
            no_conditions: "no conditions" => (GET, &[], Proceed);
            if_none_match_star_beside_invalid_line: "§13.1.2 If-None-Match: * beside other lines is invalid, ignored (found by fuzzing)" => (GET, &[("If-None-Match", "\""), ("If-None-Match", "*")], Proceed);
            if_match_matching: "§13.1.1 If-Match matching" => (PUT, &[("If-Match", TAG)], Proceed);
            if_match_star: "§13.1.1 If-Match * with a current representation" => (PUT, &[("If-Match", "*")], Proceed);
            if_match_not_matching_412: "§13.1.1 If-Match not matching → 412" => (PUT, &[("If-Match", "\"other\"")], Failed);
            if_match_weak_tag_fails: "§13.1.1 If-Match compares strongly: a weak tag fails" => (PUT, &[("If-Match", "W/\"5f-10\"")], Failed);
            if_match_in_a_list: "§13.1.1 If-Match in a list" => (PUT, &[("If-Match", "\"a\", \"5f-10\"")], Proceed);
            if_match_over_several_lines: "§13.1.1 If-Match over several lines" => (PUT, &[("If-Match", "\"a\""), ("If-Match", TAG)], Proceed);
            if_unmodified_since_later: "§13.1.4 If-Unmodified-Since later than the change" => (PUT, &[("If-Unmodified-Since", &http(AFTER))], Proceed);
            if_unmodified_since_equal: "§13.1.4 If-Unmodified-Since equal to the change" => (PUT, &[("If-Unmodified-Since", &http(SAME))], Proceed);
            if_unmodified_since_before_412: "§13.1.4 If-Unmodified-Since before the change → 412" => (PUT, &[("If-Unmodified-Since", &http(BEFORE))], Failed);
            if_unmodified_since_ignored_beside_if_match: "§13.2.2 If-Unmodified-Since is ignored beside If-Match" => (PUT, &[("If-Match", TAG), ("If-Unmodified-Since", &http(BEFORE))], Proceed);
            if_unmodified_since_invalid_ignored: "§13.1.4 an invalid If-Unmodified-Since is ignored" => (PUT, &[("If-Unmodified-Since", "yesterday")], Proceed);
            if_none_match_on_get_304: "§13.1.2 If-None-Match matching on GET → 304" => (GET, &[("If-None-Match", TAG)], NotModified);
            if_none_match_on_head_304: "§13.1.2 If-None-Match matching on HEAD → 304" => (Method::HEAD, &[("If-None-Match", TAG)], NotModified);
            if_none_match_compares_weakly: "§13.1.2 If-None-Match compares weakly" => (GET, &[("If-None-Match", "W/\"5f-10\"")], NotModified);
            if_none_match_star_on_get_304: "§13.1.2 If-None-Match * on GET → 304" => (GET, &[("If-None-Match", "*")], NotModified);
            if_none_match_on_put_412: "§13.1.2 If-None-Match matching on PUT → 412" => (PUT, &[("If-None-Match", TAG)], Failed);
            if_none_match_not_matching: "§13.1.2 If-None-Match not matching" => (GET, &[("If-None-Match", "\"old\"")], Proceed);
            if_none_match_malformed_ignored: "§13.1.2 a malformed If-None-Match is ignored" => (GET, &[("If-None-Match", "5f-10")], Proceed);
            if_modified_since_at_the_change_304: "§13.1.3 If-Modified-Since at the change → 304" => (GET, &[("If-Modified-Since", &http(SAME))], NotModified);
            if_modified_since_after_the_change_304: "§13.1.3 If-Modified-Since after the change → 304" => (GET, &[("If-Modified-Since", &http(AFTER))], NotModified);
            if_modified_since_before_the_change_200: "§13.1.3 If-Modified-Since before the change → 200" => (GET, &[("If-Modified-Since", &http(BEFORE))], Proceed);
            if_modified_since_only_get_and_head: "§13.1.3 If-Modified-Since only for GET and HEAD" => (PUT, &[("If-Modified-Since", &http(AFTER))], Proceed);
            if_modified_since_invalid_ignored: "§13.1.3 an invalid If-Modified-Since is ignored" => (GET, &[("If-Modified-Since", "not a date")], Proceed);
            if_modified_since_repeated_ignored: "§13.1.3 a repeated If-Modified-Since is ignored" => (GET, &[("If-Modified-Since", &http(AFTER)), ("If-Modified-Since", &http(AFTER))], Proceed);
            if_modified_since_ignored_beside_if_none_match: "§13.2.2 If-Modified-Since is ignored beside If-None-Match" => (GET, &[("If-None-Match", "\"old\""), ("If-Modified-Since", &http(AFTER))], Proceed);
            failed_if_match_wins_over_if_none_match: "§13.2.2 a failed If-Match wins over a matching If-None-Match" => (GET, &[("If-Match", "\"x\""), ("If-None-Match", TAG)], Failed);
        });
    }

    /// A row: the `If-Range` value (or none) and whether the range applies.
    fn check_if_range(rule: &str, value: Option<&str>, expected: bool) {
        let mut headers = Headers::new();
        if let Some(value) = value {
            headers.append("If-Range", value.to_string());
        }
        let etag = ETag::parse(TAG).unwrap();
        let got = range_applies(&headers, Some(&etag), Some(at(SAME)));
        assert_eq!(got, expected, "{rule}");
    }

    mod if_range_needs_a_strong_match_or_the_exact_date {
        use super::*;

        #[rustfmt::skip]
        row_tests::row_tests!(check_if_range {
            no_if_range: "§13.1.5 no If-Range: the range applies" => (None, true);
            the_current_tag: "§13.1.5 the current tag" => (Some(TAG), true);
            a_stale_tag: "§13.1.5 a stale tag: the whole file" => (Some("\"old\""), false);
            a_weak_tag_never_matches: "§13.1.5 a weak tag never matches" => (Some("W/\"5f-10\""), false);
            the_exact_date: "§13.1.5 the exact date" => (Some(&http(SAME)), true);
            another_date: "§13.1.5 another date" => (Some(&http(AFTER)), false);
            garbage: "§13.1.5 garbage: the whole file" => (Some("soon"), false);
        });
    }

    #[test]
    fn tags_parse_and_print() {
        assert_eq!(ETag::parse("W/\"a\"").unwrap().to_string(), "W/\"a\"");
        assert_eq!(ETag::parse("\"\"").unwrap().to_string(), "\"\"");
        for bad in ["a", "\"a", "a\"", "W/a", "\"a\"b\"", "w/\"a\""] {
            assert_eq!(ETag::parse(bad), None, "{bad}");
        }
        assert_eq!(ETag::strong("a\"b").to_string(), "\"ab\"");
    }
}
