//! The framing decision for one response, made before a byte is written:
//! the facts of the exchange, the status, the fields the app gave and the
//! size of its body in; how the head is finished, how the body is
//! delimited and whether the connection stays open out. Pure: the
//! serializer in `server.rs` carries the decision out.

use crate::encode::{Encoder, Given};
use crate::{BodySize, Config, Status, UsageError, Version};

/// What the writer knows of the exchange when the app's head arrives.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Facts {
    pub(crate) version: Version,
    pub(crate) head_request: bool,
    pub(crate) connect: bool,
    /// The request asked to upgrade (`Connection: upgrade` + `Upgrade`).
    pub(crate) upgrade: bool,
    /// The connection may stay open as far as the request and the read
    /// side go (version rules, `Connection: close`, no EOF, no unread
    /// body past the drain limit, no body still held back by a client
    /// waiting for `100 Continue`).
    pub(crate) keep_alive: bool,
}

/// How the final head is finished and its body delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Framing {
    pub(crate) encoder: Encoder,
    /// `Content-Length` to add (the app gave none).
    pub(crate) auto_length: Option<u64>,
    /// `Transfer-Encoding: chunked` to add (the app gave neither).
    pub(crate) auto_chunked: bool,
    /// The app's `Content-Length` / `Transfer-Encoding` are dropped.
    pub(crate) strip_framing: bool,
    pub(crate) keep_alive: bool,
    /// A 2xx to CONNECT: the connection becomes a tunnel after the head.
    pub(crate) tunnel: bool,
}

/// The kind of head being written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// An interim 1xx; `send` is false for HTTP/1.0 clients (RFC 9110
    /// §15.2), which get none.
    Interim { send: bool },
    /// `101 Switching Protocols`: the codec steps aside after the head.
    Switch,
    /// The final response.
    Final(Framing),
}

/// Decides how a response with `status`, the app's `given` fields and a
/// body of `body` goes out.
pub(crate) fn decide(
    facts: &Facts,
    status: Status,
    given: &Given,
    body: BodySize,
    config: &Config,
) -> Result<Decision, UsageError> {
    if status == Status::SWITCHING_PROTOCOLS {
        // RFC 9110 §7.8, §15.2.2: only in answer to an HTTP/1.1 upgrade.
        if !facts.upgrade || facts.version != Version::Http11 || facts.connect {
            return Err(UsageError::UnexpectedUpgrade);
        }
        return Ok(Decision::Switch);
    }
    if status.is_informational() {
        return Ok(Decision::Interim {
            send: facts.version == Version::Http11,
        });
    }
    // RFC 9112 §6.1, §6.2: a 2xx to CONNECT starts a tunnel and 204 has no
    // content; neither carries framing fields.
    let tunnel = facts.connect && status.is_success();
    let no_framing = status == Status::NO_CONTENT || tunnel;
    // RFC 9110 §15.4.5, §9.3.2: 304 and HEAD answers carry no body.
    let no_body = no_framing || status == Status::NOT_MODIFIED || facts.head_request;

    if let (Some(declared), BodySize::Known(n)) = (given.content_length, body) {
        if declared != n && !no_body {
            return Err(UsageError::ConflictingFraming);
        }
    }
    let mut keep_alive = facts.keep_alive;
    if let Some(tokens) = &given.connection {
        // RFC 9112 §9.6: the app's `Connection: close` ends the connection.
        keep_alive &= tokens.keep_alive(facts.version);
    }
    // RFC 9112 §6.1: chunked only to HTTP/1.1.
    let chunked_ok = facts.version == Version::Http11;
    let mut auto_length = None;
    let mut auto_chunked = false;
    let encoder = if no_framing {
        Encoder::Forbidden
    } else if let Some(n) = given.content_length {
        Encoder::Length {
            declared: n,
            remaining: n,
        }
    } else if let Some(chunked) = given.chunked {
        match (chunked, chunked_ok) {
            (true, true) => Encoder::Chunked,
            (true, false) => return Err(UsageError::ConflictingFraming),
            // RFC 9112 §6.3 r7: a coding other than chunked last is
            // delimited by closing the connection.
            (false, _) => Encoder::Close,
        }
    } else {
        match body {
            // 304 describes the selected representation; its length is the
            // app's to give, never the empty body's (RFC 9110 §15.4.5).
            _ if status == Status::NOT_MODIFIED => Encoder::Forbidden,
            BodySize::Known(n) if config.content_length => {
                auto_length = Some(n);
                Encoder::Length {
                    declared: n,
                    remaining: n,
                }
            }
            BodySize::Unknown if config.chunked && chunked_ok => {
                auto_chunked = true;
                Encoder::Chunked
            }
            // RFC 9112 §6.3 r8: otherwise the body ends with the connection.
            _ => Encoder::Close,
        }
    };
    let encoder = match encoder {
        // RFC 9110 §9.3.2: HEAD gets GET's fields and no body.
        _ if facts.head_request && !no_framing => Encoder::Discard,
        _ if no_body => Encoder::Forbidden,
        Encoder::Close => {
            keep_alive = false;
            Encoder::Close
        }
        framed => framed,
    };
    Ok(Decision::Final(Framing {
        encoder,
        auto_length,
        auto_chunked,
        strip_framing: no_framing,
        keep_alive,
        tunnel,
    }))
}

#[cfg(test)]
mod tests {
    //! One row per rule: (rule, facts, status, app fields, body size) →
    //! the decision.

    use super::*;
    use crate::Headers;

    const GET11: Facts = Facts {
        version: Version::Http11,
        head_request: false,
        connect: false,
        upgrade: false,
        keep_alive: true,
    };
    const GET10: Facts = Facts {
        version: Version::Http10,
        keep_alive: false,
        ..GET11
    };
    const GET10_KEEP: Facts = Facts {
        keep_alive: true,
        ..GET10
    };
    const HEAD11: Facts = Facts {
        head_request: true,
        ..GET11
    };
    const CONNECT11: Facts = Facts {
        connect: true,
        ..GET11
    };
    const UPGRADE11: Facts = Facts {
        upgrade: true,
        ..GET11
    };
    const CLOSING11: Facts = Facts {
        keep_alive: false,
        ..GET11
    };

    /// A body framed by `encoder` on a connection that stays open, with
    /// nothing added or dropped; rows change what differs.
    const fn framed(encoder: Encoder) -> Framing {
        Framing {
            encoder,
            auto_length: None,
            auto_chunked: false,
            strip_framing: false,
            keep_alive: true,
            tunnel: false,
        }
    }

    fn auto_length(n: u64) -> Framing {
        Framing {
            auto_length: Some(n),
            ..framed(length(n))
        }
    }

    const AUTO_CHUNKED: Framing = Framing {
        auto_chunked: true,
        ..framed(Encoder::Chunked)
    };

    const CLOSED: Framing = Framing {
        keep_alive: false,
        ..framed(Encoder::Close)
    };

    const fn length(n: u64) -> Encoder {
        Encoder::Length {
            declared: n,
            remaining: n,
        }
    }

    /// A row: the app's `fields` on a `status` answer with a body of
    /// `body`, given the exchange's `facts`, under the default switches.
    fn check(
        rule: &str,
        facts: Facts,
        status: u16,
        fields: &[(&str, &str)],
        body: BodySize,
        expected: Result<Decision, UsageError>,
    ) {
        let mut headers = Headers::new();
        for (name, value) in fields {
            headers.append(name.to_string(), value.to_string());
        }
        let status = Status::new(status).unwrap();
        let got = Given::of(&headers)
            .and_then(|given| decide(&facts, status, &given, body, &Config::default()));
        assert_eq!(got, expected, "{rule}");
    }

    mod framing_table {
        use super::*;
        use BodySize::{Known, Unknown};
        use Decision::Final;

        #[rustfmt::skip]
        row_tests::row_tests!(check {
            known_length_adds_content_length: "RFC 9112 §6.2 known length: Content-Length added" => (GET11, 200, &[], Known(5), Ok(Final(auto_length(5))));
            unknown_length_on_11_adds_chunked: "RFC 9112 §6.1 unknown length on 1.1: chunked added" => (GET11, 200, &[], Unknown, Ok(Final(AUTO_CHUNKED)));
            unknown_length_on_10_closes: "RFC 9112 §6.3 r8 unknown length on 1.0: delimited by close" => (GET10_KEEP, 200, &[], Unknown, Ok(Final(CLOSED)));
            known_length_on_10_keep_alive_stays_open: "RFC 9112 §9.3 known length on 1.0 keep-alive stays open" => (GET10_KEEP, 200, &[], Known(2), Ok(Final(auto_length(2))));
            http_10_without_keep_alive_closes: "RFC 9112 §9.3 1.0 without keep-alive closes" => (GET10, 200, &[], Known(2), Ok(Final(Framing { keep_alive: false, ..auto_length(2) })));
            head_keeps_content_length: "RFC 9110 §9.3.2 HEAD keeps GET's Content-Length, no body" => (HEAD11, 200, &[], Known(5), Ok(Final(Framing { encoder: Encoder::Discard, ..auto_length(5) })));
            head_keeps_chunked: "RFC 9110 §9.3.2 HEAD keeps GET's chunked, no body" => (HEAD11, 200, &[], Unknown, Ok(Final(Framing { encoder: Encoder::Discard, ..AUTO_CHUNKED })));
            interim_to_11_is_sent: "RFC 9110 §15.2 1xx to 1.1 is sent" => (GET11, 103, &[], Known(0), Ok(Decision::Interim { send: true }));
            no_interim_to_10: "RFC 9110 §15.2 no 1xx to 1.0" => (GET10_KEEP, 100, &[], Known(0), Ok(Decision::Interim { send: false }));
            no_content_strips_framing: "RFC 9112 §6.2 204: no framing fields, app's dropped" => (GET11, 204, &[("Content-Length", "0")], Known(0), Ok(Final(Framing { strip_framing: true, ..framed(Encoder::Forbidden) })));
            not_modified_has_no_length_of_its_own: "RFC 9110 §15.4.5 304: no body, no length of its own" => (GET11, 304, &[], Known(0), Ok(Final(framed(Encoder::Forbidden))));
            not_modified_keeps_app_content_length: "RFC 9110 §15.4.5 304 keeps the app's Content-Length" => (GET11, 304, &[("Content-Length", "10")], Known(0), Ok(Final(framed(Encoder::Forbidden))));
            app_content_length_used_as_given: "RFC 9112 §6.2 app Content-Length is used as given" => (GET11, 200, &[("Content-Length", "3")], Unknown, Ok(Final(framed(length(3)))));
            app_content_length_contradicting_body: "RFC 9112 §6.3 app Content-Length contradicting the body" => (GET11, 200, &[("Content-Length", "3")], Known(4), Err(UsageError::ConflictingFraming));
            app_chunked_on_11_used: "RFC 9112 §6.1 app chunked on 1.1 is used" => (GET11, 200, &[("Transfer-Encoding", "chunked")], Unknown, Ok(Final(framed(Encoder::Chunked))));
            app_chunked_to_10_refused: "RFC 9112 §6.1 app chunked to 1.0 is refused" => (GET10_KEEP, 200, &[("Transfer-Encoding", "chunked")], Unknown, Err(UsageError::ConflictingFraming));
            app_coding_not_ending_in_chunked_closes: "RFC 9112 §6.3 r7 app coding not ending in chunked: close" => (GET11, 200, &[("Transfer-Encoding", "gzip")], Unknown, Ok(Final(CLOSED)));
            app_content_length_and_chunked_refused: "RFC 9112 §6.2 app Content-Length and chunked both" => (GET11, 200, &[("Content-Length", "3"), ("Transfer-Encoding", "chunked")], Unknown, Err(UsageError::ConflictingFraming));
            app_connection_close: "RFC 9112 §9.6 app Connection: close" => (GET11, 200, &[("Connection", "close")], Known(1), Ok(Final(Framing { keep_alive: false, ..auto_length(1) })));
            client_connection_close: "RFC 9112 §9.6 client Connection: close" => (CLOSING11, 200, &[], Known(1), Ok(Final(Framing { keep_alive: false, ..auto_length(1) })));
            switching_protocols_to_upgrade: "RFC 9110 §7.8 101 to an upgrade request" => (UPGRADE11, 101, &[], Known(0), Ok(Decision::Switch));
            switching_protocols_without_upgrade_refused: "RFC 9110 §7.8 101 without an upgrade request" => (GET11, 101, &[], Known(0), Err(UsageError::UnexpectedUpgrade));
            success_to_connect_is_a_tunnel: "RFC 9110 §9.3.6 2xx to CONNECT: a tunnel, no framing" => (CONNECT11, 200, &[], Known(0), Ok(Final(Framing { strip_framing: true, tunnel: true, ..framed(Encoder::Forbidden) })));
            error_to_connect_framed_as_usual: "RFC 9110 §9.3.6 4xx to CONNECT is framed as usual" => (CONNECT11, 405, &[], Known(3), Ok(Final(auto_length(3))));
        });
    }
}
