//! The server role: one connection's state machine.
//!
//! All transitions live here. The rules:
//!
//! - The read side takes a request head, then its body, then pauses: the next
//!   pipelined request is released only when the response to this one has
//!   ended (RFC 9112 §9.3.2), so responses go out in request order.
//! - The write side takes one final response per request, any number of
//!   interim 1xx before it (none to HTTP/1.0 clients, RFC 9110 §15.2).
//! - When both sides are done the exchange ends: the connection goes back to
//!   reading a head if it stays open, or closes.
//! - A response that ends before its request body was read leaves the body
//!   to be drained (up to `max_drain`), silently, or the connection closes.
//! - A protocol error closes the read side at once; the caller may write the
//!   canned error response once, then the connection closes.
//! - After a `101` (or a 2xx to CONNECT) the codec steps aside and hands back
//!   the bytes it buffered (RFC 9110 §7.8).

use std::time::SystemTime;

use bytes::{Bytes, BytesMut};

use crate::decode::{Decoded, Decoder};
use crate::encode::{
    push_content_length, push_field, push_fields, push_status_line, DateCache, Encoder, Given,
};
use crate::grammar::is_field_value;
use crate::request::RequestReader;
use crate::{
    BodySize, Config, Headers, Method, ProtocolError, RequestHead, ResponseHead, Status,
    UsageError, Version,
};

/// What the server codec has to say after bytes were fed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A request head. Its body follows as [`Event::Data`] and an
    /// [`Event::End`], even when empty.
    Head(RequestHead),
    /// A piece of the request body: a zero-copy slice of the read buffer.
    Data(Bytes),
    /// The request body is complete; holds its trailer fields, if any.
    End(Headers),
    /// Feed more bytes to go on.
    NeedData,
    /// The request is complete; nothing more is read until its response has
    /// ended.
    Paused,
    /// No more requests: the peer closed, the exchange asked to close, or
    /// the connection was handed off. Close once the output is flushed.
    Closed,
    /// The peer broke the protocol. Write [`ServerConn::write_error`]'s
    /// answer if you can, then close.
    Error(ProtocolError),
}

#[derive(Debug)]
enum Read {
    Head,
    Body(Decoder),
    /// Request complete, waiting for the response to end.
    Done,
    /// Handed off after a 101 or a 2xx to CONNECT.
    Upgraded,
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Write {
    /// No request to answer.
    Idle,
    /// A request awaits its final response head.
    Ready,
    Body(Encoder),
    Done,
    Closed,
}

/// The facts of the exchange in progress that the writer needs.
#[derive(Debug, Clone, Copy)]
struct Exchange {
    head_request: bool,
    connect: bool,
    version: Version,
    keep_alive: bool,
    upgrade: bool,
    expect_continue: bool,
    continue_sent: bool,
    trailers: bool,
    drained: u64,
}

impl Exchange {
    const NONE: Exchange = Exchange {
        head_request: false,
        connect: false,
        version: Version::Http11,
        keep_alive: false,
        upgrade: false,
        expect_continue: false,
        continue_sent: false,
        trailers: false,
        drained: 0,
    };

    fn of(head: &RequestHead) -> Exchange {
        Exchange {
            head_request: head.method == Method::HEAD,
            connect: head.method == Method::CONNECT,
            version: head.version,
            keep_alive: head.keep_alive(),
            upgrade: head.wants_upgrade(),
            expect_continue: head.expects_continue(),
            continue_sent: false,
            trailers: head.accepts_trailers(),
            drained: 0,
        }
    }
}

/// The server side of one HTTP/1.1 connection, without I/O.
///
/// Feed it the bytes you read, pull [`Event`]s, and write responses into an
/// output buffer that you send.
///
/// ```
/// use std::time::SystemTime;
/// use lath_codec::{BodySize, Config, ResponseHead, ServerConn, ServerEvent, Status};
///
/// let mut conn = ServerConn::new(Config::default());
/// conn.feed(b"GET /hello HTTP/1.1\r\nHost: example.org\r\n\r\n");
/// let ServerEvent::Head(req) = conn.next_event() else { panic!() };
/// assert_eq!(req.path(), "/hello");
/// assert!(matches!(conn.next_event(), ServerEvent::End(_)));
///
/// let mut out = Vec::new();
/// let mut res = ResponseHead::new(Status::OK);
/// res.headers.append("Content-Type", "text/plain");
/// conn.write_head(&res, BodySize::Known(13), SystemTime::now(), &mut out).unwrap();
/// conn.write_data(b"Hello, World!", &mut out).unwrap();
/// conn.write_end(None, &mut out).unwrap();
/// assert!(out.starts_with(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"));
/// assert!(out.ends_with(b"\r\n\r\nHello, World!"));
/// assert_eq!(conn.next_event(), ServerEvent::NeedData); // ready for the next request
/// ```
#[derive(Debug)]
pub struct ServerConn {
    config: Config,
    buf: BytesMut,
    eof: bool,
    reader: RequestReader,
    read: Read,
    write: Write,
    exchange: Exchange,
    date: DateCache,
}

impl Default for ServerConn {
    fn default() -> ServerConn {
        ServerConn::new(Config::default())
    }
}

impl ServerConn {
    /// A connection with these settings, waiting for its first request.
    pub fn new(config: Config) -> ServerConn {
        ServerConn {
            config,
            buf: BytesMut::new(),
            eof: false,
            reader: RequestReader::new(),
            read: Read::Head,
            write: Write::Idle,
            exchange: Exchange::NONE,
            date: DateCache::new(),
        }
    }

    /// The settings.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Hands the codec bytes read from the peer.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The input buffer, for reading into it without a copy: bytes appended
    /// here count as fed.
    pub fn read_buf(&mut self) -> &mut BytesMut {
        &mut self.buf
    }

    /// Says the peer will send nothing more (it closed or half-closed). A
    /// complete request still gets its response (our choice, RFC 9112 §9.6).
    pub fn feed_eof(&mut self) {
        self.eof = true;
    }

    /// The next event from what was fed.
    pub fn next_event(&mut self) -> Event {
        loop {
            match &mut self.read {
                Read::Head => return self.read_head(),
                Read::Body(decoder) => {
                    let draining = self.write == Write::Done;
                    match decoder.decode(&mut self.buf, self.eof, &self.config.limits) {
                        Ok(Decoded::Data(data)) if draining => {
                            self.exchange.drained += data.len() as u64;
                            if self.exchange.drained > self.config.limits.max_drain {
                                self.close();
                            }
                        }
                        Ok(Decoded::Data(data)) => return Event::Data(data),
                        Ok(Decoded::End(_)) if draining => {
                            self.read = Read::Done;
                            self.finish_exchange();
                        }
                        Ok(Decoded::End(trailers)) => {
                            self.read = Read::Done;
                            return Event::End(trailers);
                        }
                        Ok(Decoded::NeedData) => return Event::NeedData,
                        // The response already went out: just close.
                        Err(_) if draining => self.close(),
                        Err(e) => return self.fail(e),
                    }
                }
                Read::Done => return Event::Paused,
                Read::Upgraded | Read::Closed => return Event::Closed,
            }
        }
    }

    fn read_head(&mut self) -> Event {
        match self.reader.read(&mut self.buf, &self.config.limits) {
            Ok(Some(head)) => {
                self.exchange = Exchange::of(&head);
                self.read = Read::Body(match head.body_size() {
                    BodySize::Known(n) => Decoder::Length(n),
                    BodySize::Unknown => Decoder::chunked(),
                });
                self.write = Write::Ready;
                Event::Head(head)
            }
            Ok(None) if !self.eof => Event::NeedData,
            Ok(None) if self.buf.is_empty() && !self.reader.in_progress() => {
                self.close();
                Event::Closed
            }
            Ok(None) => self.fail(ProtocolError::bad_request("incomplete request head")),
            Err(e) => self.fail(e),
        }
    }

    fn fail(&mut self, error: ProtocolError) -> Event {
        self.read = Read::Closed;
        self.exchange.keep_alive = false;
        Event::Error(error)
    }

    fn close(&mut self) {
        self.read = Read::Closed;
        self.exchange.keep_alive = false;
        if matches!(self.write, Write::Idle | Write::Done) {
            self.write = Write::Closed;
        }
    }

    fn finish_exchange(&mut self) {
        if self.exchange.keep_alive && !matches!(self.read, Read::Closed) {
            self.read = Read::Head;
            self.write = Write::Idle;
        } else {
            self.close();
        }
    }

    /// Makes the response in progress (or the next one) the last: it
    /// carries `Connection: close` if its head is not out yet, and no
    /// further request is read. For graceful shutdown and per-connection
    /// request limits.
    pub fn close_after_response(&mut self) {
        self.exchange.keep_alive = false;
        if matches!(self.read, Read::Head) && matches!(self.write, Write::Idle) {
            self.close();
        }
    }

    /// Will the connection stay open after the exchange in progress?
    pub fn keep_alive(&self) -> bool {
        self.exchange.keep_alive
    }

    /// Is the connection finished: no request will be read and no response
    /// is being written? Close it once the output is flushed.
    pub fn is_closed(&self) -> bool {
        matches!(self.read, Read::Closed | Read::Upgraded)
            && matches!(self.write, Write::Closed | Write::Done | Write::Idle)
    }

    /// Is a request waiting for its final response head?
    pub fn awaits_response(&self) -> bool {
        self.write == Write::Ready
    }

    /// Writes `100 Continue` if the request asked for it and no response has
    /// started (RFC 9110 §10.1.1). Call it when the app first reads the
    /// body; says whether it wrote.
    pub fn write_continue(&mut self, out: &mut Vec<u8>) -> bool {
        let x = &mut self.exchange;
        if self.write != Write::Ready || !x.expect_continue || x.continue_sent {
            return false;
        }
        x.continue_sent = true;
        out.extend_from_slice(b"HTTP/1.1 100 Continue\r\n\r\n");
        true
    }

    /// Writes a response head. `body` is the size of the body the caller
    /// will write: `Known(n)` adds `Content-Length: n`, `Unknown` adds
    /// `Transfer-Encoding: chunked` on HTTP/1.1 or closes the connection
    /// after the body on HTTP/1.0. `now` is the caller's clock, for `Date`.
    ///
    /// Interim 1xx heads may precede the final one (and are skipped for
    /// HTTP/1.0 clients). Answers to HEAD keep GET's framing fields and
    /// send no body; 1xx, 204 and 304 carry no body and no
    /// `Transfer-Encoding`. Nothing is written when an error is returned.
    pub fn write_head(
        &mut self,
        head: &ResponseHead,
        body: BodySize,
        now: SystemTime,
        out: &mut Vec<u8>,
    ) -> Result<(), UsageError> {
        match self.write {
            Write::Ready => {}
            Write::Closed => return Err(UsageError::Closed),
            _ => return Err(UsageError::UnexpectedHead),
        }
        let status = head.status;
        let given = Given::of(&head.headers)?;
        // RFC 9112 §4: reason-phrase = *( HTAB / SP / VCHAR / obs-text ).
        if !is_field_value(head.reason()) {
            return Err(UsageError::InvalidReason);
        }
        let x = self.exchange;

        if status.is_informational() && status != Status::SWITCHING_PROTOCOLS {
            // RFC 9110 §15.2: no 1xx to HTTP/1.0 clients.
            if x.version == Version::Http11 {
                push_status_line(out, status, head.reason());
                push_fields(out, &head.headers, true);
                out.extend_from_slice(b"\r\n");
                self.exchange.continue_sent |= status == Status::CONTINUE;
            }
            return Ok(());
        }
        if status == Status::SWITCHING_PROTOCOLS {
            if !x.upgrade || x.version != Version::Http11 || x.connect {
                return Err(UsageError::UnexpectedUpgrade);
            }
            push_status_line(out, status, head.reason());
            push_fields(out, &head.headers, true);
            out.extend_from_slice(b"\r\n");
            self.read = Read::Upgraded;
            self.write = Write::Closed;
            return Ok(());
        }

        // RFC 9110 §10.1.1: a client still waiting to send its body must
        // not have the next request confused with it.
        let body_unsent = x.expect_continue && !x.continue_sent;
        let tunnel = x.connect && status.is_success();
        let no_framing = status == Status::NO_CONTENT || tunnel;
        let no_body = no_framing || status == Status::NOT_MODIFIED || x.head_request;

        if let (Some(declared), BodySize::Known(n)) = (given.content_length, body) {
            if declared != n && !no_body {
                return Err(UsageError::ConflictingFraming);
            }
        }
        // More unread body than we would drain: the connection will close
        // after this response, so say so now (RFC 9112 §9.6).
        let undrainable = matches!(
            self.read,
            Read::Body(Decoder::Length(remaining)) if remaining > self.config.limits.max_drain
        );
        let mut keep_alive = x.keep_alive && !self.eof && !body_unsent && !undrainable;
        if let Some(tokens) = &given.connection {
            keep_alive &= tokens.keep_alive(x.version);
        }
        let chunked_ok = x.version == Version::Http11;
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
            if chunked && chunked_ok {
                Encoder::Chunked
            } else if chunked {
                return Err(UsageError::ConflictingFraming);
            } else {
                Encoder::Close
            }
        } else {
            match body {
                // 304 describes the selected representation; its length is
                // the caller's to give, never the empty body's.
                _ if status == Status::NOT_MODIFIED => Encoder::Forbidden,
                BodySize::Known(n) if self.config.content_length => {
                    auto_length = Some(n);
                    Encoder::Length {
                        declared: n,
                        remaining: n,
                    }
                }
                BodySize::Unknown if self.config.chunked && chunked_ok => {
                    auto_chunked = true;
                    Encoder::Chunked
                }
                _ => Encoder::Close,
            }
        };
        let encoder = match encoder {
            _ if x.head_request && !no_framing => Encoder::Discard,
            _ if no_body => Encoder::Forbidden,
            Encoder::Close => {
                keep_alive = false;
                Encoder::Close
            }
            framed => framed,
        };

        push_status_line(out, status, head.reason());
        push_fields(out, &head.headers, no_framing);
        if let Some(n) = auto_length {
            push_content_length(out, n);
        }
        if auto_chunked {
            out.extend_from_slice(b"Transfer-Encoding: chunked\r\n");
        }
        if self.config.connection && given.connection.is_none() {
            if !keep_alive {
                out.extend_from_slice(b"Connection: close\r\n");
            } else if x.version == Version::Http10 {
                out.extend_from_slice(b"Connection: keep-alive\r\n");
            }
        }
        if self.config.date && !given.date {
            push_field(out, b"Date", self.date.get(now));
        }
        if let (Some(server), false) = (&self.config.server, given.server) {
            push_field(out, b"Server", server);
        }
        out.extend_from_slice(b"\r\n");

        self.exchange.keep_alive = keep_alive;
        if tunnel {
            self.read = Read::Upgraded;
            self.write = Write::Closed;
        } else {
            self.write = Write::Body(encoder);
        }
        Ok(())
    }

    /// Writes a piece of the response body, framed as the head declared.
    /// Writing more than a declared `Content-Length` is an error and writes
    /// nothing; bodies of HEAD answers are dropped.
    pub fn write_data(&mut self, data: &[u8], out: &mut Vec<u8>) -> Result<(), UsageError> {
        match &mut self.write {
            Write::Body(encoder) => encoder.data(data, out),
            Write::Closed => Err(UsageError::Closed),
            _ => Err(UsageError::NoMessageInProgress),
        }
    }

    /// Ends the response body. `trailers` are sent only on a chunked body to
    /// a client that sent `TE: trailers`, without framing fields. Ending
    /// before a declared `Content-Length` is an error and closes the
    /// connection, since the peer can no longer find the next message.
    pub fn write_end(
        &mut self,
        trailers: Option<&Headers>,
        out: &mut Vec<u8>,
    ) -> Result<(), UsageError> {
        let encoder = match self.write {
            Write::Body(encoder) => encoder,
            Write::Closed => return Err(UsageError::Closed),
            _ => return Err(UsageError::NoMessageInProgress),
        };
        self.write = Write::Done;
        if let Err(e) = encoder.end(trailers, self.exchange.trailers, out) {
            self.close();
            return Err(e);
        }
        if encoder == Encoder::Close {
            self.close();
            return Ok(());
        }
        match &self.read {
            Read::Done => self.finish_exchange(),
            // Unread body: drain it on the next `next_event` calls if small
            // enough (RFC 9112 §9.3), else close.
            Read::Body(Decoder::Length(remaining))
                if *remaining > self.config.limits.max_drain || !self.exchange.keep_alive =>
            {
                self.close()
            }
            Read::Body(_) if !self.exchange.keep_alive => self.close(),
            _ => {}
        }
        Ok(())
    }

    /// Writes the canned answer to a protocol error — its status,
    /// `Connection: close` and the reason as a short text body — if no
    /// response head has gone out for this exchange. Says whether it wrote;
    /// it writes at most once. The connection closes after it.
    pub fn write_error(
        &mut self,
        error: &ProtocolError,
        now: SystemTime,
        out: &mut Vec<u8>,
    ) -> bool {
        let can_write = matches!(self.write, Write::Idle | Write::Ready);
        self.read = Read::Closed;
        self.exchange.keep_alive = false;
        if !can_write {
            return false;
        }
        self.write = Write::Closed;
        let body_len = error.reason().len() as u64 + 1;
        push_status_line(out, error.status(), error.status().reason().as_bytes());
        out.extend_from_slice(b"Content-Type: text/plain; charset=utf-8\r\n");
        push_content_length(out, body_len);
        out.extend_from_slice(b"Connection: close\r\n");
        if self.config.date {
            push_field(out, b"Date", self.date.get(now));
        }
        if let Some(server) = &self.config.server {
            push_field(out, b"Server", server);
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(error.reason().as_bytes());
        out.push(b'\n');
        true
    }

    /// After a `101` or a 2xx to CONNECT: the bytes the codec had buffered
    /// past the request, for the new protocol. `None` otherwise, and on
    /// later calls.
    pub fn take_upgraded(&mut self) -> Option<Bytes> {
        match self.read {
            Read::Upgraded => {
                self.read = Read::Closed;
                Some(self.buf.split().freeze())
            }
            _ => None,
        }
    }

    /// Has the connection been handed off by a `101` or a 2xx to CONNECT?
    pub fn is_upgraded(&self) -> bool {
        matches!(self.read, Read::Upgraded)
    }
}
