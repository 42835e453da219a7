//! Diagnostics are `tracing` events, never prints: caught panics, private
//! error details and the access log reach whichever subscriber the app
//! installs. Its own test binary: the subscriber is process-wide.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use lath_app::{handler, AppExt, HttpError, Request, Respond};
use lath_layers::{errors, logger, recover};
use lath_net::Client;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Keeps every event as `target level field=value ...`.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<String>>>);

struct Line<'a>(&'a mut String);

impl Visit for Line<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={value:?}", field.name());
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let meta = event.metadata();
        let mut line = format!("{} {}", meta.target(), meta.level());
        event.record(&mut Line(&mut line));
        self.0.lock().unwrap().push(line);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

async fn app(req: Request, respond: Respond) {
    match req.path() {
        "/panic" => panic!("the flux capacitor broke"),
        "/secret" => respond.send(HttpError::internal().with_detail("db password rejected")),
        _ => respond.send("fine"),
    }
}

#[test]
fn panics_error_details_and_the_access_log_are_events() {
    let capture = Capture::default();
    tracing::subscriber::set_global_default(capture.clone()).unwrap();
    let client = Client::new(app.wrap(recover).wrap(errors).wrap(logger));
    for path in ["/", "/panic", "/secret"] {
        client.get(path).send_blocking().unwrap();
    }
    // One more request, so every access line of the three above is out.
    let last = Client::new(handler(|_req: Request| async { "x" }).wrap(logger));
    last.get("/").send_blocking().unwrap();
    let events = capture.0.lock().unwrap().join("\n");
    assert!(
        events.contains("ERROR") && events.contains("panic=\"the flux capacitor broke\""),
        "{events}"
    );
    assert!(
        events.contains("detail=\"db password rejected\""),
        "{events}"
    );
    assert!(events.contains("status=500"), "{events}");
    assert!(
        events.contains("lath::access INFO") && events.contains("\"GET / HTTP/1.1\" 200"),
        "{events}"
    );
}
