//! The bytes of a response head: status line, automatic fields and their
//! switches (RFC 9112 §4, §11.1; RFC 9110 §6.6.1, §10.2.4).

mod common;

use std::time::Duration;

use common::now;
use lath_codec::{
    BodySize, Config, Field, ResponseHead, ServerConn, ServerEvent, Status, UsageError,
};

fn conn(config: Config) -> ServerConn {
    let mut conn = ServerConn::new(config);
    conn.feed(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert!(matches!(conn.next_event(), ServerEvent::Head(_)));
    conn
}

fn head_bytes(config: Config, head: &ResponseHead, size: BodySize) -> String {
    let mut out = Vec::new();
    conn(config)
        .write_head(head, size, now(), &mut out)
        .unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn the_whole_default_head() {
    let mut head = ResponseHead::new(Status::OK);
    head.headers.append("Content-Type", "text/plain");
    assert_eq!(
        head_bytes(Config::default(), &head, BodySize::Known(13)),
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\
         Date: Tue, 14 Nov 2023 22:13:20 GMT\r\nServer: lath\r\n\r\n"
    );
}

#[test]
fn status_line_keeps_the_space_before_an_empty_reason() {
    let head = ResponseHead::new(Status::new(299).unwrap());
    assert!(head_bytes(Config::default(), &head, BodySize::EMPTY).starts_with("HTTP/1.1 299 \r\n"));
    let mut custom = ResponseHead::new(Status::OK);
    custom.reason = Some("Fine".into());
    assert!(head_bytes(Config::default(), &custom, BodySize::EMPTY)
        .starts_with("HTTP/1.1 200 Fine\r\n"));
}

#[test]
fn date_is_imf_fixdate_and_refreshed_at_most_once_a_second() {
    let mut conn = ServerConn::default();
    let mut dates = Vec::new();
    for offset_ms in [0u64, 400, 999, 1000, 2500] {
        conn.feed(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        assert!(matches!(conn.next_event(), ServerEvent::Head(_)));
        assert!(matches!(conn.next_event(), ServerEvent::End(_)));
        let mut out = Vec::new();
        let t = now() + Duration::from_millis(offset_ms);
        conn.write_head(&ResponseHead::new(Status::OK), BodySize::EMPTY, t, &mut out)
            .unwrap();
        conn.write_end(None, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let date = text
            .split("Date: ")
            .nth(1)
            .unwrap()
            .split("\r\n")
            .next()
            .unwrap()
            .to_owned();
        assert_eq!(date.len(), 29);
        assert!(httpdate::parse_http_date(&date).is_ok(), "{date}");
        dates.push(date);
    }
    assert_eq!(dates[0], dates[1]);
    assert_eq!(dates[0], dates[2]);
    assert_ne!(dates[2], dates[3]);
    assert_eq!(dates[4], "Tue, 14 Nov 2023 22:13:22 GMT");
}

#[test]
fn every_automatic_field_can_be_switched_off() {
    let mut config = Config::default();
    config.date = false;
    config.server = None;
    config.content_length = false;
    config.chunked = false;
    config.connection = false;
    let out = head_bytes(
        config.clone(),
        &ResponseHead::new(Status::OK),
        BodySize::Known(5),
    );
    // Without Content-Length the body can only be delimited by closing.
    assert_eq!(out, "HTTP/1.1 200 OK\r\n\r\n");
    let out = head_bytes(config, &ResponseHead::new(Status::OK), BodySize::Unknown);
    assert_eq!(out, "HTTP/1.1 200 OK\r\n\r\n");
}

#[test]
fn server_value_is_configurable() {
    let mut config = Config::default();
    config.server = Some("edge".into());
    assert!(
        head_bytes(config, &ResponseHead::new(Status::OK), BodySize::EMPTY)
            .contains("Server: edge\r\n")
    );
}

/// RFC 9110 §6.6.1 and §10.2.4: `Date` and `Server` each come from the
/// configuration unless switched off or given by the app, however the
/// other is set, and the head ends with one empty line.
#[test]
fn date_and_server_are_added_one_without_the_other() {
    const DATE: &str = "Date: Tue, 14 Nov 2023 22:13:20 GMT\r\n";
    let long = "x".repeat(200);
    // (date on, server, the app's own Date, the app's own Server, tail)
    let rows: [(bool, Option<&str>, bool, bool, String); 7] = [
        (
            true,
            Some("lath"),
            false,
            false,
            format!("{DATE}Server: lath\r\n\r\n"),
        ),
        (
            true,
            Some(&long),
            false,
            false,
            format!("{DATE}Server: {long}\r\n\r\n"),
        ),
        (
            false,
            Some("lath"),
            false,
            false,
            "Server: lath\r\n\r\n".into(),
        ),
        (true, None, false, false, format!("{DATE}\r\n")),
        (
            true,
            Some("lath"),
            false,
            true,
            format!("Server: mine\r\n{DATE}\r\n"),
        ),
        (
            true,
            Some("lath"),
            true,
            false,
            "Date: mine\r\nServer: lath\r\n\r\n".into(),
        ),
        (false, None, false, false, "\r\n".into()),
    ];
    for (date, server, own_date, own_server, tail) in rows {
        let mut config = Config::default();
        config.date = date;
        config.server = server.map(|s| s.to_owned().into());
        config.content_length = false;
        let mut head = ResponseHead::new(Status::NO_CONTENT);
        if own_server {
            head.headers.append("Server", "mine");
        }
        if own_date {
            head.headers.append("Date", "mine");
        }
        let out = head_bytes(config, &head, BodySize::EMPTY);
        let fields = out.strip_prefix("HTTP/1.1 204 No Content\r\n").unwrap();
        assert_eq!(fields, tail, "date {date}, server {server:?}");
    }
}

#[test]
fn fields_the_app_set_are_never_overwritten() {
    let mut head = ResponseHead::new(Status::OK);
    head.headers.append("Date", "Mon, 01 Jan 2024 00:00:00 GMT");
    head.headers.append("Server", "mine");
    head.headers.append("Connection", "close");
    let out = head_bytes(Config::default(), &head, BodySize::EMPTY);
    assert_eq!(out.matches("Date:").count(), 1);
    assert_eq!(out.matches("Server:").count(), 1);
    assert_eq!(out.matches("Connection:").count(), 1);
    assert!(out.contains("Server: mine\r\n"));
}

#[test]
fn the_apps_connection_close_closes() {
    let mut c = conn(Config::default());
    let mut head = ResponseHead::new(Status::OK);
    head.headers.append("Connection", "close");
    let mut out = Vec::new();
    c.write_head(&head, BodySize::EMPTY, now(), &mut out)
        .unwrap();
    c.write_end(None, &mut out).unwrap();
    assert!(c.is_closed());
}

#[test]
fn header_injection_is_refused() {
    // RFC 9112 §11.1: no response splitting through caller-given fields.
    for (name, value) in [
        ("X", "a\r\nSet-Cookie: evil=1"),
        ("X", "a\nb"),
        ("X", "a\rb"),
        ("X", "a\0b"),
        ("X Y", "a"),
        ("X:Y", "a"),
        ("", "a"),
        ("X\r\n", "a"),
    ] {
        // Alone, and after a field checked when it was made: that one
        // spares no other field its check.
        for checked_first in [false, true] {
            let mut head = ResponseHead::new(Status::OK);
            if checked_first {
                head.headers
                    .append_field(Field::new("Content-Type", "text/plain"));
            }
            head.headers.append(name, value);
            let mut out = Vec::new();
            let err = conn(Config::default()).write_head(&head, BodySize::EMPTY, now(), &mut out);
            assert!(
                matches!(
                    err,
                    Err(UsageError::InvalidHeaderName(_) | UsageError::InvalidHeaderValue(_))
                ),
                "{name:?}: {value:?}"
            );
            assert!(out.is_empty());
        }
    }
    let mut reason = ResponseHead::new(Status::OK);
    reason.reason = Some("OK\r\nX: y".into());
    let err = conn(Config::default()).write_head(&reason, BodySize::EMPTY, now(), &mut Vec::new());
    assert!(err.is_err(), "reason phrases are checked too");
}

#[test]
fn obs_text_in_values_is_allowed() {
    let mut head = ResponseHead::new(Status::OK);
    head.headers.append("X", &b"caf\xc3\xa9"[..]);
    assert!(head_bytes(Config::default(), &head, BodySize::EMPTY).contains("X: café\r\n"));
}
