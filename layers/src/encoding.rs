//! `Accept-Encoding` negotiation (RFC 9110 §12.5.3), shared by static
//! files (precompressed siblings) and the `compress` layer.

use lath_app::Headers;

/// Of the `offered` content codings, the one the client prefers by its
/// `Accept-Encoding` q-values (ties go to the earlier offer); `None` when
/// the client sent no `Accept-Encoding` or accepts none of them, so the
/// answer goes out as it is.
pub(crate) fn preferred<'a>(headers: &Headers, offered: &[&'a str]) -> Option<&'a str> {
    headers.get("accept-encoding")?;
    let mut best: Option<(&'a str, f32)> = None;
    for &coding in offered {
        let q = q_of(headers, coding);
        if q > 0.0 && best.is_none_or(|(_, b)| q > b) {
            best = Some((coding, q));
        }
    }
    best.map(|(coding, _)| coding)
}

/// The q-value the client gives `coding`: its own element's, else the
/// wildcard's, else 0. Read in place: negotiation allocates nothing.
fn q_of(headers: &Headers, coding: &str) -> f32 {
    let mut wildcard = None;
    for value in headers.get_all("accept-encoding") {
        let Ok(value) = std::str::from_utf8(value) else {
            continue;
        };
        for element in value.split(',') {
            let mut parts = element.split(';').map(str::trim);
            let name = parts.next().unwrap_or("");
            let q = || {
                parts
                    .filter_map(|p| p.strip_prefix("q=").or_else(|| p.strip_prefix("Q=")))
                    .find_map(|q| q.trim().parse::<f32>().ok())
                    .unwrap_or(1.0)
                    .clamp(0.0, 1.0)
            };
            if name.eq_ignore_ascii_case(coding) {
                return q();
            }
            if name == "*" && wildcard.is_none() {
                wildcard = Some(q());
            }
        }
    }
    wildcard.unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pick(accept: Option<&str>) -> Option<&'static str> {
        let mut headers = Headers::new();
        if let Some(accept) = accept {
            headers.append("Accept-Encoding", accept.to_owned());
        }
        preferred(&headers, &["br", "zstd", "gzip"])
    }

    /// A row: the `Accept-Encoding` field (or none) and the coding chosen
    /// among br, zstd and gzip (in that order of preference).
    fn check(rule: &str, accept: Option<&str>, expected: Option<&str>) {
        assert_eq!(pick(accept), expected, "{rule}");
    }

    mod q_values_decide_and_ties_go_to_the_first_offer {
        use super::*;

        #[rustfmt::skip]
        row_tests::row_tests!(check {
            no_field_no_coding: "RFC 9110 §12.5.3: no field, no coding" => (None, None);
            empty_field_identity_only: "an empty field: identity only" => (Some(""), None);
            one_coding: "one coding" => (Some("gzip"), Some("gzip"));
            ties_go_to_the_server_order: "ties: the server's order" => (Some("gzip, br"), Some("br"));
            q_values_win_over_order: "q-values win over order" => (Some("br;q=0.5, gzip"), Some("gzip"));
            q_zero_refuses: "q=0 refuses" => (Some("br;q=0, gzip;q=0"), None);
            wildcard_covers_the_rest: "a wildcard covers the rest" => (Some("*"), Some("br"));
            wildcard_does_not_undo_q_zero: "a wildcard does not undo q=0" => (Some("br;q=0, *;q=0.5"), Some("zstd"));
            case_and_spaces: "case and spaces" => (Some(" GZIP ; Q=0.8 "), Some("gzip"));
            unknown_codings_only: "unknown codings only" => (Some("compress, deflate"), None);
            malformed_q_counts_as_one: "a malformed q counts as 1" => (Some("gzip;q=x"), Some("gzip"));
        });
    }
}
