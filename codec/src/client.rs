//! The client role: the mirror image of the server (RFC 9112 §6.3).
//!
//! Requests are written in order and their responses read in the same
//! order; each pending request remembers what its response may carry (none
//! for HEAD, a tunnel for CONNECT). Interim 1xx heads come as their own
//! [`Event::Head`] before the final one.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};

use crate::decode::{Decoded, Decoder};
use crate::encode::{push_content_length, push_field, push_fields, Encoder, Given};
use crate::grammar::is_target;
use crate::response::ResponseReader;
use crate::{
    BodySize, Config, Headers, Method, ProtocolError, RequestHead, ResponseHead, Status,
    UsageError, Version,
};

/// What the client codec has to say after bytes were fed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A response head; a 1xx other than 101 is interim and another head
    /// follows.
    Head(ResponseHead),
    /// A piece of the response body.
    Data(Bytes),
    /// The response is complete; holds its trailers, if any.
    End(Headers),
    /// Feed more bytes to go on.
    NeedData,
    /// No more responses will come.
    Closed,
    /// The server broke the protocol; close the connection.
    Error(ProtocolError),
}

#[derive(Debug, Clone, Copy)]
struct Pending {
    head_request: bool,
    connect: bool,
}

#[derive(Debug)]
enum Read {
    Head,
    Body(Decoder),
    Upgraded,
    Closed,
}

/// The client side of one HTTP/1.1 connection, without I/O.
///
/// ```
/// use lath_codec::{BodySize, ClientConn, ClientEvent, Config, Method, RequestHead};
///
/// let mut conn = ClientConn::new(Config::default(), "example.org");
/// let mut out = Vec::new();
/// conn.write_request(&RequestHead::new(Method::GET, "/"), BodySize::EMPTY, &mut out).unwrap();
/// assert_eq!(out, b"GET / HTTP/1.1\r\nHost: example.org\r\n\r\n");
///
/// conn.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
/// let ClientEvent::Head(res) = conn.next_event() else { panic!() };
/// assert_eq!(res.status.code(), 200);
/// assert_eq!(conn.next_event(), ClientEvent::Data("hi".into()));
/// assert!(matches!(conn.next_event(), ClientEvent::End(_)));
/// ```
#[derive(Debug)]
pub struct ClientConn {
    config: Config,
    host: Bytes,
    buf: BytesMut,
    eof: bool,
    reader: ResponseReader,
    read: Read,
    pending: VecDeque<Pending>,
    writing: Option<Encoder>,
    keep_alive: bool,
}

impl ClientConn {
    /// A connection to `host`, the `Host` value for requests without one.
    pub fn new(config: Config, host: impl Into<Bytes>) -> ClientConn {
        ClientConn {
            config,
            host: host.into(),
            buf: BytesMut::new(),
            eof: false,
            reader: ResponseReader::new(),
            read: Read::Head,
            pending: VecDeque::new(),
            writing: None,
            keep_alive: true,
        }
    }

    /// Hands the codec bytes read from the server.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The input buffer, for reading into it without a copy.
    pub fn read_buf(&mut self) -> &mut BytesMut {
        &mut self.buf
    }

    /// Says the server will send nothing more; ends a close-delimited body.
    pub fn feed_eof(&mut self) {
        self.eof = true;
    }

    /// Will the connection stay open for another request?
    pub fn keep_alive(&self) -> bool {
        self.keep_alive
    }

    /// Writes a request head, adding `Host` when absent and framing the body:
    /// `Content-Length` for a known non-zero size (or zero on methods that
    /// usually carry a body), `Transfer-Encoding: chunked` for an unknown one.
    pub fn write_request(
        &mut self,
        head: &RequestHead,
        body: BodySize,
        out: &mut Vec<u8>,
    ) -> Result<(), UsageError> {
        if self.writing.is_some() {
            return Err(UsageError::UnexpectedHead);
        }
        if !self.keep_alive || matches!(self.read, Read::Closed | Read::Upgraded) {
            return Err(UsageError::Closed);
        }
        if head.target.is_empty() || !is_target(&head.target) {
            return Err(UsageError::InvalidTarget);
        }
        let given = Given::of(&head.headers)?;
        let encoder = match (given.content_length, given.chunked, body) {
            (Some(n), _, BodySize::Known(m)) if n != m => {
                return Err(UsageError::ConflictingFraming)
            }
            (Some(n), _, _) => Encoder::Length {
                declared: n,
                remaining: n,
            },
            (None, Some(true), _) if head.version == Version::Http11 => Encoder::Chunked,
            (None, Some(_), _) => return Err(UsageError::ConflictingFraming),
            (None, None, BodySize::Known(n)) => Encoder::Length {
                declared: n,
                remaining: n,
            },
            (None, None, BodySize::Unknown) if head.version == Version::Http11 => Encoder::Chunked,
            (None, None, BodySize::Unknown) => return Err(UsageError::ConflictingFraming),
        };
        out.extend_from_slice(head.method.as_str().as_bytes());
        out.push(b' ');
        out.extend_from_slice(&head.target);
        out.push(b' ');
        out.extend_from_slice(head.version.as_str().as_bytes());
        out.extend_from_slice(b"\r\n");
        if !given.host {
            let host = head.authority().map(str::as_bytes).unwrap_or(&self.host);
            push_field(out, b"Host", host);
        }
        push_fields(out, &head.headers, false);
        if given.content_length.is_none() && given.chunked.is_none() {
            match body {
                BodySize::Known(0)
                    if !matches!(head.method, Method::POST | Method::PUT | Method::PATCH) => {}
                BodySize::Known(n) => push_content_length(out, n),
                BodySize::Unknown => out.extend_from_slice(b"Transfer-Encoding: chunked\r\n"),
            }
        }
        out.extend_from_slice(b"\r\n");

        let mut connection = crate::request::ConnectionTokens::default();
        for value in head.headers.get_all("connection") {
            connection.add(value);
        }
        self.keep_alive &= connection.keep_alive(head.version);
        self.pending.push_back(Pending {
            head_request: head.method == Method::HEAD,
            connect: head.method == Method::CONNECT,
        });
        self.writing = Some(encoder);
        Ok(())
    }

    /// Writes a piece of the request body.
    pub fn write_data(&mut self, data: &[u8], out: &mut Vec<u8>) -> Result<(), UsageError> {
        match &mut self.writing {
            Some(encoder) => encoder.data(data, out),
            None => Err(UsageError::NoMessageInProgress),
        }
    }

    /// Ends the request body, with trailers if it is chunked.
    pub fn write_end(
        &mut self,
        trailers: Option<&Headers>,
        out: &mut Vec<u8>,
    ) -> Result<(), UsageError> {
        let encoder = self.writing.take().ok_or(UsageError::NoMessageInProgress)?;
        encoder.end(trailers, true, out)
    }

    /// The next event from what was fed.
    pub fn next_event(&mut self) -> Event {
        match &mut self.read {
            Read::Head => self.read_head(),
            Read::Body(decoder) => {
                match decoder.decode(&mut self.buf, self.eof, &self.config.limits) {
                    Ok(Decoded::Data(data)) => Event::Data(data),
                    Ok(Decoded::End(trailers)) => {
                        self.read = if self.keep_alive {
                            Read::Head
                        } else {
                            Read::Closed
                        };
                        Event::End(trailers)
                    }
                    Ok(Decoded::NeedData) => Event::NeedData,
                    Err(e) => self.fail(e),
                }
            }
            Read::Upgraded | Read::Closed => Event::Closed,
        }
    }

    fn read_head(&mut self) -> Event {
        let parsed = match self.reader.read(&mut self.buf, &self.config.limits) {
            Ok(Some(parsed)) => parsed,
            Ok(None) if !self.eof => return Event::NeedData,
            Ok(None) if self.buf.is_empty() && !self.reader.in_progress() => {
                self.read = Read::Closed;
                self.keep_alive = false;
                return Event::Closed;
            }
            Ok(None) => return self.fail(ProtocolError::bad_request("incomplete response head")),
            Err(e) => return self.fail(e),
        };
        let Some(&request) = self.pending.front() else {
            return self.fail(ProtocolError::bad_request("response without a request"));
        };
        let status = parsed.head.status;
        if status.is_informational() && status != Status::SWITCHING_PROTOCOLS {
            return Event::Head(parsed.head);
        }
        self.pending.pop_front();
        self.keep_alive &= parsed.keep_alive;
        // RFC 9112 §6.3, in its order.
        let decoder = if request.head_request
            || status == Status::NO_CONTENT
            || status == Status::NOT_MODIFIED
        {
            Decoder::Length(0)
        } else if status == Status::SWITCHING_PROTOCOLS || (request.connect && status.is_success())
        {
            self.read = Read::Upgraded;
            return Event::Head(parsed.head);
        } else {
            match (parsed.chunked, parsed.content_length) {
                (Some(true), _) => Decoder::chunked(),
                (Some(false), _) | (None, None) => {
                    self.keep_alive = false;
                    Decoder::Eof
                }
                (None, Some(n)) => Decoder::Length(n),
            }
        };
        self.read = Read::Body(decoder);
        Event::Head(parsed.head)
    }

    fn fail(&mut self, error: ProtocolError) -> Event {
        self.read = Read::Closed;
        self.keep_alive = false;
        Event::Error(error)
    }

    /// After a `101` or a 2xx to CONNECT: the bytes buffered past the
    /// response head, for the new protocol; `None` otherwise.
    pub fn take_upgraded(&mut self) -> Option<Bytes> {
        match self.read {
            Read::Upgraded => {
                self.read = Read::Closed;
                Some(self.buf.split().freeze())
            }
            _ => None,
        }
    }
}
