//! One line per completed response.

use std::fmt::Write as _;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use lath_app::recycle::{self, KeptArcs};
use lath_app::{App, BodyWatch, Forward, Request, Respond, Response};

use crate::RequestExt;

/// The line format.
///
/// ```
/// use lath::prelude::*;
/// use lath::layers::{logger, Format};
/// let app = logger(handler(|_req: Request| async { "hi" })).format(Format::Combined).to(std::io::sink());
/// assert_eq!(Client::new(app).get("/").send_blocking().unwrap().text(), "hi");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `host ident user [date] "request line" status bytes latency`.
    Common,
    /// Common, then `"referer" "user-agent"`, then latency.
    Combined,
}

/// Where lines go: a writer, or `None` for `tracing` events.
type Sink = Option<Arc<Mutex<Box<dyn Write + Send>>>>;

/// Logs every request in Common Log Format, plus its latency — when the
/// response has gone out, so the byte count and latency are the real ones
/// (a response cut short logs what was sent).
///
/// By default each line is an `info` event of the `tracing` target
/// `lath::access`, with the fields `status`, `bytes` and `latency_ms`, for
/// whichever subscriber the app installs; [`Logger::to`] writes the lines
/// to a writer instead (`std::io::stderr()`, a file).
///
/// ```
/// use lath::app::{AppExt, Request, Respond};
/// use lath::layers::logger;
/// async fn hello(_req: Request, respond: Respond) {
///     respond.send("Hello, World!");
/// }
/// let app = hello.wrap(logger);
/// # let _ = app;
/// ```
pub fn logger<A: App>(app: A) -> Logger<A> {
    Logger {
        app,
        format: Format::Common,
        sink: None,
    }
}

/// The app returned by [`logger`].
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use lath::prelude::*;
/// use lath::layers::{logger, Logger};
///
/// #[derive(Clone, Default)]
/// struct Lines(Arc<Mutex<Vec<u8>>>);
/// impl std::io::Write for Lines {
///     fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
///         self.0.lock().unwrap().extend_from_slice(buf);
///         Ok(buf.len())
///     }
///     fn flush(&mut self) -> std::io::Result<()> {
///         Ok(())
///     }
/// }
/// let lines = Lines::default();
/// let app: Logger<_> = logger(handler(|_req: Request| async { "Hello" })).to(lines.clone());
/// Client::new(app).get("/greet").send_blocking().unwrap();
/// let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
/// assert!(text.contains("\"GET /greet HTTP/1.1\" 200 5 "), "{text}");
/// ```
pub struct Logger<A> {
    app: A,
    format: Format,
    sink: Sink,
}

impl<A> std::fmt::Debug for Logger<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Logger")
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

impl<A> Logger<A> {
    /// Uses `format`.
    ///
    /// ```
    /// use lath::prelude::*;
    /// use lath::layers::{logger, Format};
    /// let app = logger(handler(|_req: Request| async { "hi" })).format(Format::Common);
    /// assert_eq!(Client::new(app).get("/").send_blocking().unwrap().status.code(), 200);
    /// ```
    pub fn format(mut self, format: Format) -> Logger<A> {
        self.format = format;
        self
    }

    /// Writes the lines to `writer` instead of emitting events.
    ///
    /// ```
    /// use lath::app::{AppExt, Request, Respond};
    /// use lath::layers::logger;
    /// async fn hello(_req: Request, respond: Respond) {
    ///     respond.send("Hello, World!");
    /// }
    /// let app = hello.wrap(|app| logger(app).to(std::io::stderr()));
    /// # let _ = app;
    /// ```
    pub fn to(mut self, writer: impl Write + Send + 'static) -> Logger<A> {
        self.sink = Some(Arc::new(Mutex::new(Box::new(writer))));
        self
    }
}

impl<A: App> App for Logger<A> {
    async fn call(&self, req: Request, respond: Respond) {
        let sink = self.sink.clone();
        if sink.is_none() && !tracing::enabled!(target: "lath::access", tracing::Level::INFO) {
            // Nobody takes the lines: nothing to watch.
            return self.app.call(req, respond).await;
        }
        // Cheap handles only: the line is formatted when the response has
        // gone out. The entry is reused from request to request.
        let format = self.format;
        let headers = req.headers();
        let (referer, agent) = match format {
            Format::Common => (None, None),
            Format::Combined => (
                headers.get_bytes("referer"),
                headers.get_bytes("user-agent"),
            ),
        };
        let seen = Seen {
            start: Instant::now(),
            at: SystemTime::now(),
            ip: req.ip(),
            method: req.method().clone(),
            target: req.head().target.clone(),
            version: req.version(),
            referer,
            agent,
            format,
        };
        let entry = recycle::take_arc(&ENTRIES);
        *entry.lock() = Line {
            respond: Some(respond),
            seen: Some(seen),
            status: 0,
            sent: 0,
            sink,
        };
        self.app.call(req, Respond::forwarding(entry.clone())).await;
        recycle::give_arc(&ENTRIES, entry);
    }
}

thread_local! {
    static ENTRIES: KeptArcs<Entry> = const { KeptArcs::new() };
}

/// One request's line in the making: the outer `Respond` until the app
/// answers, then what the line needs until the body has gone out.
#[derive(Default)]
struct Entry(Mutex<Line>);

#[derive(Default)]
struct Line {
    respond: Option<Respond>,
    seen: Option<Seen>,
    status: u16,
    sent: u64,
    sink: Sink,
}

struct Seen {
    start: Instant,
    at: SystemTime,
    ip: Option<std::net::IpAddr>,
    method: lath_app::Method,
    target: Bytes,
    version: lath_app::Version,
    referer: Option<Bytes>,
    agent: Option<Bytes>,
    format: Format,
}

impl Entry {
    fn lock(&self) -> std::sync::MutexGuard<'_, Line> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Forward for Entry {
    /// The answer goes out with its body watched, to log once it is sent.
    fn forward(self: Arc<Self>, mut res: Response) {
        let respond = {
            let mut line = self.lock();
            line.status = res.status().code();
            line.respond.take()
        };
        if let Some(respond) = respond {
            let body = res.take_body().watched(self.clone());
            respond.send(res.with_body(body));
        }
        recycle::give_arc(&ENTRIES, self);
    }
}

impl BodyWatch for Entry {
    fn piece(&self, len: usize) {
        self.lock().sent += len as u64;
    }

    fn end(self: Arc<Self>, _complete: bool) {
        let (seen, status, sent, sink) = {
            let mut line = self.lock();
            (line.seen.take(), line.status, line.sent, line.sink.take())
        };
        recycle::give_arc(&ENTRIES, self);
        if let Some(seen) = seen {
            log(seen, status, sent, sink);
        }
    }
}

/// Writes the line of a response that has gone out (`sent` bytes of body).
fn log(seen: Seen, status: u16, sent: u64, sink: Sink) {
    // The thread's line buffer, reused: a line costs no allocation.
    let mut line = LINE.with(|line| line.take());
    line.clear();
    write_line(&mut line, &seen, status, sent, sink);
    LINE.with(|kept| kept.set(line));
}

thread_local! {
    static LINE: std::cell::Cell<String> = const { std::cell::Cell::new(String::new()) };
}

fn write_line(line: &mut String, seen: &Seen, status: u16, sent: u64, sink: Sink) {
    let latency = seen.start.elapsed().as_secs_f64() * 1000.0;
    let _ = match seen.ip {
        Some(ip) => write!(line, "{ip}"),
        None => write!(line, "-"),
    };
    let _ = write!(
        line,
        " - - [{}] \"{} {} {}\" {status} ",
        ClfDate(seen.at),
        seen.method,
        String::from_utf8_lossy(&seen.target),
        seen.version,
    );
    let _ = match sent {
        0 => write!(line, "-"),
        n => write!(line, "{n}"),
    };
    if seen.format == Format::Combined {
        fn shown(v: &Option<Bytes>) -> std::borrow::Cow<'_, str> {
            v.as_deref()
                .map_or(std::borrow::Cow::Borrowed("-"), String::from_utf8_lossy)
        }
        let _ = write!(
            line,
            " \"{}\" \"{}\"",
            shown(&seen.referer),
            shown(&seen.agent)
        );
    }
    let Some(sink) = sink else {
        tracing::info!(
            target: "lath::access",
            status,
            bytes = sent,
            latency_ms = latency,
            "{line}"
        );
        return;
    };
    let _ = writeln!(line, " {latency:.3}ms");
    let mut sink = sink.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let _ = sink.write_all(line.as_bytes());
}

/// `now` as Common Log Format writes dates: `10/Oct/2000:13:55:36 +0000`.
struct ClfDate(SystemTime);

impl std::fmt::Display for ClfDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secs = self
            .0
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let (days, rem) = (secs / 86_400, secs % 86_400);
        let (year, month, day) = civil_from_days(days as i64);
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        write!(
            f,
            "{day:02}/{}/{year}:{:02}:{:02}:{:02} +0000",
            MONTHS[(month - 1) as usize],
            rem / 3600,
            rem % 3600 / 60,
            rem % 60
        )
    }
}

#[cfg(test)]
fn clf_date(now: SystemTime) -> String {
    ClfDate(now).to_string()
}

/// Year, month (1–12) and day of a count of days since 1970-01-01
/// (Howard Hinnant's civil-from-days).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn dates() {
        let at = |secs| clf_date(SystemTime::UNIX_EPOCH + Duration::from_secs(secs));
        assert_eq!(at(0), "01/Jan/1970:00:00:00 +0000");
        assert_eq!(at(971_182_536), "10/Oct/2000:12:55:36 +0000");
        assert_eq!(at(951_782_400), "29/Feb/2000:00:00:00 +0000");
        assert_eq!(at(1_763_786_127), "22/Nov/2025:04:35:27 +0000");
    }
}
