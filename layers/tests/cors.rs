//! CORS: preflights allowed and refused, simple requests, and the policy
//! checks at build.

use std::time::Duration;

use lath_app::{handler, AppExt, Method, Request};
use lath_layers::{cors, Cors};
use lath_net::{Client, TestResponse};

fn client(policy: Cors) -> Client {
    Client::new(handler(|_req: Request| async { "data" }).wrap(policy.build().unwrap()))
}

fn preflight(client: &Client, origin: &str, method: &str, headers: Option<&str>) -> TestResponse {
    let mut request = client
        .options("/items")
        .header("Origin", origin)
        .header("Access-Control-Request-Method", method);
    if let Some(headers) = headers {
        request = request.header("Access-Control-Request-Headers", headers);
    }
    request.send_blocking().unwrap()
}

const APP: &str = "https://app.example";

/// The policies the preflight rows run against.
#[derive(Clone, Copy)]
enum Policy {
    /// `APP` allowed, with two request headers listed and a max age.
    Listed,
    /// `APP` allowed, request headers mirrored.
    Mirrored,
}

fn listed() -> Client {
    client(
        cors()
            .allow_origins([APP])
            .allow_headers(["content-type", "x-token"])
            .max_age(Duration::from_secs(300)),
    )
}

/// A row: a preflight with this origin, method and request headers against
/// the policy, and the status. An allowed one says so in its fields and
/// has no body; a refused one carries none of the allow fields.
fn check_preflight(
    rule: &str,
    policy: Policy,
    origin: &str,
    method: &str,
    headers: Option<&str>,
    status: u16,
) {
    let client = match policy {
        Policy::Listed => listed(),
        Policy::Mirrored => client(cors().allow_origins([APP])),
    };
    let res = preflight(&client, origin, method, headers);
    assert_eq!(res.status.code(), status, "{rule}");
    if status == 204 {
        assert_eq!(
            res.header("access-control-allow-origin"),
            Some(origin),
            "{rule}"
        );
        assert_eq!(
            res.header("access-control-allow-methods"),
            Some("GET, HEAD, POST, PUT, PATCH, DELETE"),
            "{rule}"
        );
        assert!(res.body.is_empty(), "{rule}");
        assert!(res.header("vary").unwrap().contains("Origin"), "{rule}");
    } else {
        for field in [
            "access-control-allow-origin",
            "access-control-allow-methods",
            "access-control-allow-headers",
        ] {
            assert_eq!(res.header(field), None, "{rule}: {field}");
        }
    }
}

mod preflights_allowed_and_refused {
    use super::Policy::*;
    use super::*;

    #[rustfmt::skip]
    row_tests::row_tests!(check_preflight {
        allowed_origin_and_method: "an allowed origin and method" => (Listed, APP, "PUT", None, 204);
        origins_compare_without_case: "origins compare without case" => (Listed, "HTTPS://APP.EXAMPLE", "PUT", None, 204);
        allowed_request_headers: "allowed request headers" => (Listed, APP, "POST", Some("Content-Type, X-Token"), 204);
        header_not_allowed: "a header not allowed" => (Listed, APP, "POST", Some("x-other"), 403);
        another_origin: "another origin" => (Listed, "https://evil.example", "GET", None, 403);
        look_alike_origin: "a look-alike origin" => (Listed, "https://app.example.evil", "GET", None, 403);
        null_origin: "the null origin" => (Listed, "null", "GET", None, 403);
        method_not_allowed: "a method not allowed" => (Listed, APP, "CONNECT", None, 403);
        method_that_is_no_token: "a method that is no token" => (Listed, APP, "P T", None, 403);
        any_header_when_none_listed: "any header when none are listed" => (Mirrored, APP, "POST", Some("x-anything"), 204);
    });
}

#[test]
fn a_preflight_names_the_allowed_or_mirrored_headers_and_max_age() {
    let listed = listed();
    let mirrored = client(cors().allow_origins([APP]));
    let res = preflight(&listed, APP, "POST", Some("x-token"));
    assert_eq!(
        res.header("access-control-allow-headers"),
        Some("content-type, x-token")
    );
    assert_eq!(res.header("access-control-max-age"), Some("300"));
    let res = preflight(&mirrored, APP, "POST", Some("X-One, x-two"));
    assert_eq!(
        res.header("access-control-allow-headers"),
        Some("x-one, x-two")
    );
}

#[test]
fn simple_requests_and_plain_options() {
    let client = client(cors().allow_origins([APP]).expose_headers(["X-Total"]));
    let res = client
        .get("/")
        .header("Origin", APP)
        .send_blocking()
        .unwrap();
    assert_eq!(res.text(), "data");
    assert_eq!(res.header("access-control-allow-origin"), Some(APP));
    assert_eq!(res.header("access-control-expose-headers"), Some("X-Total"));
    assert_eq!(res.header("vary"), Some("Origin"));
    // Another origin: the app answers, with no CORS fields.
    let res = client
        .get("/")
        .header("Origin", "https://evil.example")
        .send_blocking()
        .unwrap();
    assert_eq!(
        (
            res.text().as_str(),
            res.header("access-control-allow-origin")
        ),
        ("data", None)
    );
    // No Origin: not CORS, but the answer varies by it.
    let res = client.get("/").send_blocking().unwrap();
    assert_eq!(
        (
            res.header("access-control-allow-origin"),
            res.header("vary")
        ),
        (None, Some("Origin"))
    );
    // OPTIONS without Access-Control-Request-Method is the app's.
    let res = client
        .options("/")
        .header("Origin", APP)
        .send_blocking()
        .unwrap();
    assert_eq!(res.text(), "data");
    // Any origin: `*`, no Vary.
    let open = self::client(cors().allow_any_origin());
    let res = open
        .get("/")
        .header("Origin", "https://a.example")
        .send_blocking()
        .unwrap();
    assert_eq!(
        (
            res.header("access-control-allow-origin"),
            res.header("vary")
        ),
        (Some("*"), None)
    );
}

#[test]
fn credentials_name_the_origin_and_refuse_a_wildcard() {
    assert!(cors()
        .allow_any_origin()
        .allow_credentials(true)
        .build()
        .is_err());
    let client = client(
        cors()
            .allow_origin_fn(|o| o.ends_with(".app.example"))
            .allow_credentials(true),
    );
    let res = client
        .get("/")
        .header("Origin", "https://eu.app.example")
        .send_blocking()
        .unwrap();
    assert_eq!(
        res.header("access-control-allow-origin"),
        Some("https://eu.app.example")
    );
    assert_eq!(res.header("access-control-allow-credentials"), Some("true"));
    let res = preflight(&client, "https://eu.app.example", "DELETE", None);
    assert_eq!(res.header("access-control-allow-credentials"), Some("true"));
    let methods = self::client(cors().allow_any_origin().allow_methods([Method::GET]));
    assert_eq!(preflight(&methods, APP, "POST", None).status.code(), 403);
}

#[test]
fn a_preflight_reaches_cors_on_a_branch() {
    use lath_layers::Router;
    let api = Router::new()
        .get("/items", handler(|_req: Request| async { "[]" }))
        .layer(cors().allow_origins([APP]).build().unwrap());
    let routes = Router::new().branch("/api", api).build().unwrap();
    let client = Client::new(routes);
    let res = client
        .options("/api/items")
        .header("Origin", APP)
        .header("Access-Control-Request-Method", "GET")
        .send_blocking()
        .unwrap();
    assert_eq!(res.status.code(), 204);
    assert_eq!(res.header("access-control-allow-origin"), Some(APP));
    // A method the route lacks: the router's 405, readable by the page.
    let res = client
        .delete("/api/items")
        .header("Origin", APP)
        .send_blocking()
        .unwrap();
    assert_eq!(res.status.code(), 405);
    assert_eq!(res.header("access-control-allow-origin"), Some(APP));
}
