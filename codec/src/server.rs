//! The server role: one connection's state machine.
//!
//! All transitions and all protocol policy live here; a driver feeds bytes,
//! pulls events, reports time-outs and writes what this module decides.
//!
//! The read side takes a request head, then its body, then pauses; the
//! write side takes any number of interim 1xx heads and one final response
//! per request. When both sides are done the exchange ends.
//!
//! | read / write | what happens | then | rule |
//! |---|---|---|---|
//! | head / idle | a complete head | body / ready: [`Event::Head`] | RFC 9112 §3 |
//! | head / idle | no byte within the idle timeout ([`ServerConn::timed_out`]) | closed, nothing written | RFC 9112 §9.5 |
//! | head / idle | part of a head, then the head timeout | closed; `408` | RFC 9110 §15.5.9 |
//! | head / idle | a malformed or oversized head | closed; its `4xx`/`5xx`, `Connection: close` | RFC 9112 §2.2, §3, §6.3 |
//! | body / ready | the app reads before answering, `Expect: 100-continue` | `100 Continue` written once ([`ServerConn::write_continue`]) | RFC 9110 §10.1.1 |
//! | body / any | a malformed body | read closed; while no head went out, its `400` replaces the app's answer ([`ServerConn::write_response_head`]) | RFC 9112 §6.3, §7.1 |
//! | body / any | the body deadline passes | read closed; `408` replaces the app's answer while no head went out | RFC 9110 §15.5.9 |
//! | any / ready | the app's head cannot go out as given | `500`, then close | RFC 9112 §11.1 |
//! | body / ready | the app answers without reading a body held back for `100 Continue` | the answer says `Connection: close` | RFC 9110 §10.1.1 |
//! | body / done | the response ended before the body was read | the rest is drained silently, up to `max_drain`; past it, close | RFC 9112 §9.3 |
//! | done / done | request and response complete | head / idle if keep-alive, else closed | RFC 9112 §9.3 |
//! | done / ready | the next pipelined request | not read until this response ends | RFC 9112 §9.3.2 |
//! | any / body | `101`, or a 2xx to CONNECT | upgraded: buffered bytes handed back | RFC 9110 §7.8, §9.3.6 |
//! | closed | the peer may still be sending | [`ServerConn::should_linger`]: half-close and drain before closing | RFC 9112 §9.6 |
//!
//! How each final head is framed is decided apart, in `framing.rs`.

use std::time::SystemTime;

use bytes::{Bytes, BytesMut};

use crate::decode::{Decoded, Decoder};
use crate::encode::{
    push_content_length, push_field, push_fields, push_status_line, DateCache, Encoder, Given,
};
use crate::framing::{decide, Decision, Facts};
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
    /// answer if you can, then close. Met in a request body, the codec
    /// keeps it to answer in place of the app's response.
    Error(ProtocolError),
}

/// What [`ServerConn::write_response_head`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadWritten {
    /// The app's head, as given: write its body next.
    App,
    /// The codec's own answer, with this status, in place of the app's:
    /// drop the app's body; the connection closes after it.
    Replaced(Status),
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
    /// A request body error met before the response head went out: it is
    /// answered in place of the app's response.
    pending: Option<ProtocolError>,
    /// The read side stopped while the peer may still be sending.
    linger: bool,
}

impl Default for ServerConn {
    fn default() -> ServerConn {
        ServerConn::new(Config::default())
    }
}

impl ServerConn {
    /// A connection with these settings, waiting for its first request.
    pub fn new(config: Config) -> ServerConn {
        let date = DateCache::new(config.server.as_deref());
        ServerConn {
            config,
            buf: BytesMut::new(),
            eof: false,
            reader: RequestReader::new(),
            read: Read::Head,
            write: Write::Idle,
            exchange: Exchange::NONE,
            date,
            pending: None,
            linger: false,
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
        // Whatever follows a broken message cannot be read, but may still
        // be coming.
        self.linger = true;
        if matches!(self.read, Read::Body(_)) && self.write == Write::Ready {
            self.pending = Some(error);
        }
        self.read = Read::Closed;
        self.exchange.keep_alive = false;
        Event::Error(error)
    }

    /// Closes the read side, noting whether the peer may still be sending.
    fn stop_reading(&mut self) {
        if !matches!(self.read, Read::Closed | Read::Upgraded) {
            let body_left = !matches!(
                self.read,
                Read::Head | Read::Done | Read::Body(Decoder::Length(0))
            );
            self.linger |= body_left || !self.buf.is_empty() || self.reader.in_progress();
        }
        self.read = Read::Closed;
    }

    fn close(&mut self) {
        self.stop_reading();
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

    /// Is the connection waiting for a next request with nothing of it
    /// received: no byte buffered, no head begun, no body being drained?
    pub fn is_idle(&self) -> bool {
        matches!(self.read, Read::Head) && self.buf.is_empty() && !self.reader.in_progress()
    }

    /// Do the bytes fed so far open an HTTP/2 connection with prior
    /// knowledge (RFC 9113 §3.4: the 24-byte preface, before any request)?
    /// `Some(true)` when the whole preface is here, `None` while what is
    /// here is a strict, non-empty prefix of it and more may come,
    /// `Some(false)` otherwise (nothing yet, another request, or the end of
    /// the input). A driver
    /// that speaks HTTP/2 asks before the first request, and then takes
    /// the bytes with [`hand_over`](ServerConn::hand_over); the codec
    /// itself answers the preface `505`.
    ///
    /// ```
    /// use lath_codec::ServerConn;
    /// let mut conn = ServerConn::default();
    /// conn.feed(b"PRI * HTTP/2.0\r\n");
    /// assert_eq!(conn.http2_preface(), None);
    /// conn.feed(b"\r\nSM\r\n\r\n\0\0\0");
    /// assert_eq!(conn.http2_preface(), Some(true));
    /// assert_eq!(&conn.hand_over()[..], b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0");
    /// let mut conn = ServerConn::default();
    /// conn.feed(b"GET / HTTP/1.1\r\n");
    /// assert_eq!(conn.http2_preface(), Some(false));
    /// ```
    pub fn http2_preface(&self) -> Option<bool> {
        const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
        if self.buf.starts_with(PREFACE) {
            Some(true)
        } else if !self.buf.is_empty() && !self.eof && PREFACE.starts_with(&self.buf) {
            None
        } else {
            Some(false)
        }
    }

    /// Hands the connection to another protocol: every byte fed and not
    /// consumed, and the codec closed.
    ///
    /// ```
    /// let mut conn = lath_codec::ServerConn::default();
    /// conn.feed(b"bytes of another protocol");
    /// assert_eq!(&conn.hand_over()[..], b"bytes of another protocol");
    /// assert!(conn.is_closed());
    /// ```
    pub fn hand_over(&mut self) -> Bytes {
        self.read = Read::Closed;
        self.write = Write::Closed;
        self.buf.split().freeze()
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
        let given = Given::of(&head.headers)?;
        // RFC 9112 §4: reason-phrase = *( HTAB / SP / VCHAR / obs-text ).
        // (The standard phrases are.)
        if head.reason.as_ref().is_some_and(|r| !is_field_value(r)) {
            return Err(UsageError::InvalidReason);
        }
        let facts = self.facts();
        let status = head.status;
        let framing = match decide(&facts, status, &given, body, &self.config)? {
            Decision::Interim { send } => {
                if send {
                    push_status_line(out, status, head.reason.as_deref());
                    push_fields(out, &head.headers, true);
                    out.extend_from_slice(b"\r\n");
                    self.exchange.continue_sent |= status == Status::CONTINUE;
                }
                return Ok(());
            }
            Decision::Switch => {
                push_status_line(out, status, head.reason.as_deref());
                push_fields(out, &head.headers, true);
                out.extend_from_slice(b"\r\n");
                self.read = Read::Upgraded;
                self.write = Write::Closed;
                return Ok(());
            }
            Decision::Final(framing) => framing,
        };
        push_status_line(out, status, head.reason.as_deref());
        push_fields(out, &head.headers, framing.strip_framing);
        if let Some(n) = framing.auto_length {
            push_content_length(out, n);
        }
        if framing.auto_chunked {
            out.extend_from_slice(b"Transfer-Encoding: chunked\r\n");
        }
        if self.config.connection && given.connection.is_none() {
            if !framing.keep_alive {
                out.extend_from_slice(b"Connection: close\r\n");
            } else if facts.version == Version::Http10 {
                out.extend_from_slice(b"Connection: keep-alive\r\n");
            }
        }
        let automatic = self.config.date && !given.date && !given.server;
        let tail = match automatic {
            true => self.date.line_and_server(now),
            false => None,
        };
        match tail {
            Some(tail) => out.extend_from_slice(tail),
            None => self.push_date_and_server(&given, now, out),
        }

        self.exchange.keep_alive = framing.keep_alive;
        if framing.tunnel {
            self.read = Read::Upgraded;
            self.write = Write::Closed;
        } else {
            self.write = Write::Body(framing.encoder);
        }
        Ok(())
    }

    /// The end of a head other than the usual automatic one: `Date` and
    /// `Server` as configured and not given, then the empty line.
    fn push_date_and_server(&mut self, given: &Given, now: SystemTime, out: &mut Vec<u8>) {
        if self.config.date && !given.date {
            out.extend_from_slice(self.date.line(now));
        }
        if let (Some(server), false) = (&self.config.server, given.server) {
            out.extend_from_slice(b"Server: ");
            out.extend_from_slice(server);
            out.extend_from_slice(b"\r\n\r\n");
        } else {
            out.extend_from_slice(b"\r\n");
        }
    }

    /// What the writer knows of the exchange in progress.
    fn facts(&self) -> Facts {
        let x = &self.exchange;
        // RFC 9110 §10.1.1: a client still waiting to send its body must
        // not have the next request confused with it.
        let body_unsent = x.expect_continue && !x.continue_sent;
        // More unread body than we would drain: the connection will close
        // after this response, so say so now (RFC 9112 §9.6).
        let undrainable = matches!(
            self.read,
            Read::Body(Decoder::Length(remaining)) if remaining > self.config.limits.max_drain
        );
        Facts {
            version: x.version,
            head_request: x.head_request,
            connect: x.connect,
            upgrade: x.upgrade,
            keep_alive: x.keep_alive && !self.eof && !body_unsent && !undrainable,
        }
    }

    /// Writes the head of the app's final response, or the codec's own
    /// answer in its place, following the table at the top of this module:
    ///
    /// - the request body already failed (malformed, too slow): its error
    ///   is the truthful answer, whatever the app says;
    /// - the app's head cannot go out as given (a field that could split
    ///   the message, contradictory framing): `500`.
    ///
    /// In both cases the connection closes after the answer and the app's
    /// body must not be written.
    pub fn write_response_head(
        &mut self,
        head: &ResponseHead,
        body: BodySize,
        now: SystemTime,
        out: &mut Vec<u8>,
    ) -> HeadWritten {
        if let Some(error) = self.pending.take() {
            self.write_error(&error, now, out);
            return HeadWritten::Replaced(error.status());
        }
        match self.write_head(head, body, now, out) {
            Ok(()) => HeadWritten::App,
            Err(UsageError::Closed) => HeadWritten::Replaced(Status::INTERNAL_SERVER_ERROR),
            Err(_) => {
                const INVALID: ProtocolError =
                    ProtocolError::new(Status::INTERNAL_SERVER_ERROR, "invalid response head");
                self.write_error(&INVALID, now, out);
                HeadWritten::Replaced(Status::INTERNAL_SERVER_ERROR)
            }
        }
    }

    /// The peer was too slow: a deadline for the head or the body passed.
    ///
    /// - Waiting for a first byte (idle): the connection closes silently.
    /// - A head in progress: `408` (RFC 9110 §15.5.9); answer it with
    ///   [`write_error`](Self::write_error), then close.
    /// - A body in progress: the read side closes; if no response head
    ///   went out, `408` replaces the app's answer.
    ///
    /// Returns the error the app's body read reports, if any.
    pub fn timed_out(&mut self) -> Option<ProtocolError> {
        const SLOW_HEAD: ProtocolError =
            ProtocolError::new(Status::REQUEST_TIMEOUT, "request head timed out");
        const SLOW_BODY: ProtocolError =
            ProtocolError::new(Status::REQUEST_TIMEOUT, "request body timed out");
        match self.read {
            Read::Head if self.buf.is_empty() && !self.reader.in_progress() => {
                self.close();
                None
            }
            Read::Head => {
                self.fail(SLOW_HEAD);
                Some(SLOW_HEAD)
            }
            Read::Body(_) => {
                self.fail(SLOW_BODY);
                Some(SLOW_BODY)
            }
            _ => None,
        }
    }

    /// After the connection closed: may the peer still be sending? True
    /// when the read side was cut before the peer's input was complete
    /// (an unread or failed body, bytes past the last request) and the
    /// peer has not closed its side. Then half-close, read and discard
    /// for a while, and only then close, so the peer reads the answer
    /// instead of a reset (RFC 9112 §9.6).
    pub fn should_linger(&self) -> bool {
        self.linger && !self.eof
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

    /// Frames a piece of `len` body bytes that the caller sends itself, right
    /// after `out` (a large piece, so it need not be copied into `out`):
    /// writes into `out` what goes before the piece and returns what must
    /// follow it before anything else (`"\r\n"` after a chunk, else
    /// nothing), or `None` when the piece is not to be sent at all (the
    /// answer to HEAD, an empty chunk). The same rules as
    /// [`write_data`](ServerConn::write_data) apply.
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use lath_codec::{BodySize, ResponseHead, ServerConn, ServerEvent, Status};
    ///
    /// let mut conn = ServerConn::default();
    /// conn.feed(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    /// assert!(matches!(conn.next_event(), ServerEvent::Head(_)));
    /// let mut out = Vec::new();
    /// conn.write_head(&ResponseHead::new(Status::OK), BodySize::Unknown, SystemTime::now(), &mut out).unwrap();
    /// out.clear();
    /// let piece = vec![b'x'; 100_000];
    /// let after = conn.frame_data(piece.len(), &mut out).unwrap();
    /// assert_eq!(out, b"186a0\r\n"); // the chunk's size line; then the piece itself
    /// assert_eq!(after, Some(&b"\r\n"[..]));
    /// ```
    pub fn frame_data(
        &mut self,
        len: usize,
        out: &mut Vec<u8>,
    ) -> Result<Option<&'static [u8]>, UsageError> {
        match &mut self.write {
            Write::Body(encoder) => encoder.frame(len, out),
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
            // A body of no bytes left unread: there is nothing to drain.
            Read::Done | Read::Body(Decoder::Length(0)) => {
                self.read = Read::Done;
                self.finish_exchange();
            }
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
        self.stop_reading();
        self.exchange.keep_alive = false;
        if !can_write {
            return false;
        }
        self.write = Write::Closed;
        let body_len = error.reason().len() as u64 + 1;
        push_status_line(out, error.status(), None);
        out.extend_from_slice(b"Content-Type: text/plain; charset=utf-8\r\n");
        push_content_length(out, body_len);
        out.extend_from_slice(b"Connection: close\r\n");
        if self.config.date {
            out.extend_from_slice(self.date.line(now));
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
