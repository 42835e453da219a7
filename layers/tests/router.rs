//! The router through its lookup and through the in-memory client.

use lath_app::{from_fn, handler, App, AppExt, Method, Next, Request, Respond, SharedApp, Status};
use lath_layers::{Found, Router};
use lath_net::Client;

/// An app that answers with the pattern name it was registered under.
fn named(name: &'static str) -> impl App {
    handler(move |_req: Request| async move { name })
}

fn found<'a>(routes: &'a lath_layers::Routes, method: Method, path: &str) -> Option<&'a str> {
    match routes.find(&method, path) {
        Found::Route { pattern, .. } => Some(pattern),
        _ => None,
    }
}

const PRIORITY: [&str; 4] = ["/x/y/:id", "/x/y/*", "/x/*", "/x/:key/:id"];

#[test]
fn priority_does_not_depend_on_registration_order() {
    // Every one of the 24 orders gives the same answers.
    let mut orders = vec![vec![0, 1, 2, 3]];
    for _ in 0..23 {
        let mut next = orders.last().unwrap().clone();
        // Next permutation in lexicographic order.
        let i = (0..3).rev().find(|&i| next[i] < next[i + 1]).unwrap();
        let j = (i + 1..4).rev().find(|&j| next[j] > next[i]).unwrap();
        next.swap(i, j);
        next[i + 1..].reverse();
        orders.push(next);
    }
    for order in orders {
        let routes = order
            .iter()
            .fold(Router::new(), |r, &i| {
                r.get(PRIORITY[i], named(PRIORITY[i]))
            })
            .build()
            .unwrap();
        let cases = [
            ("/x/y/123", "/x/y/:id"),
            ("/x/y/123/345", "/x/y/*"),
            ("/x/q/123", "/x/:key/:id"),
            ("/x/a.jpg", "/x/*"),
        ];
        for (path, want) in cases {
            assert_eq!(
                found(&routes, Method::GET, path),
                Some(want),
                "{path} with order {order:?}"
            );
        }
    }
}

#[test]
fn literal_beats_param_beats_wildcard_through_the_client() {
    let routes = Router::new()
        .get("/users/*", named("wild"))
        .get("/users/:id", named("param"))
        .get("/users/me", named("literal"))
        .build()
        .unwrap();
    let client = Client::new(routes);
    for (path, want) in [
        ("/users/me", "literal"),
        ("/users/42", "param"),
        ("/users/42/posts", "wild"),
    ] {
        assert_eq!(
            client.get(path).send_blocking().unwrap().text(),
            want,
            "{path}"
        );
    }
}

#[test]
fn params_are_percent_decoded_and_malformed_escapes_are_400() {
    let echo = handler(|req: Request| async move {
        format!(
            "{}|{}",
            req.param("id").unwrap_or("-"),
            req.param("rest").unwrap_or("-")
        )
    });
    let routes = Router::new().get("/u/:id/*rest", echo).build().unwrap();
    let client = Client::new(routes);
    assert_eq!(
        client
            .get("/u/a%20b/c/d%2Fe")
            .send_blocking()
            .unwrap()
            .text(),
        "a b|c/d/e"
    );
    assert_eq!(
        client.get("/u/caf%C3%A9/x").send_blocking().unwrap().text(),
        "café|x"
    );
    for bad in ["/u/a%2/x", "/u/%zz/x", "/u/%ff/x", "/u/x/%"] {
        let res = client.get(bad).send_blocking().unwrap();
        assert_eq!(res.status, Status::BAD_REQUEST, "{bad}");
    }
}

#[test]
fn a_bare_wildcard_is_named_star_and_may_be_empty() {
    let routes = Router::new()
        .get(
            "/files/*",
            handler(|req: Request| async move { format!("[{}]", req.param("*").unwrap_or("?")) }),
        )
        .build()
        .unwrap();
    let client = Client::new(routes);
    assert_eq!(
        client.get("/files/a/b").send_blocking().unwrap().text(),
        "[a/b]"
    );
    assert_eq!(client.get("/files/").send_blocking().unwrap().text(), "[]");
}

/// A layer that adds a header, to see where it runs.
fn tag(tag: &'static str) -> impl FnOnce(SharedApp) -> SharedApp {
    move |app: SharedApp| {
        app.wrap(from_fn(
            move |req: Request, respond: Respond, next: Next<SharedApp>| {
                let respond = respond.map(move |res| res.with_header("X-Layer", tag));
                next.call(req, respond)
            },
        ))
        .shared()
    }
}

#[test]
fn branches_nest_and_their_layers_run_only_for_them() {
    let inner = Router::new().get("/it", named("Here we go"));
    let change = Router::new().branch("/for", inner);
    let test = Router::new()
        .branch("/change", change)
        .layer(tag("test-branch"));
    let routes = Router::new()
        .get("/", named("home"))
        .branch("/test", test)
        .build()
        .unwrap();
    let client = Client::new(routes);
    let res = client.get("/test/change/for/it").send_blocking().unwrap();
    assert_eq!(res.text(), "Here we go");
    assert_eq!(res.header("x-layer"), Some("test-branch"));
    let res = client.get("/").send_blocking().unwrap();
    assert_eq!(res.text(), "home");
    assert_eq!(
        res.header("x-layer"),
        None,
        "the branch's layer stays in the branch"
    );
}

#[test]
fn not_found_and_a_replaceable_fallback() {
    let routes = Router::new().get("/a", named("a")).build().unwrap();
    assert_eq!(
        Client::new(routes)
            .get("/b")
            .send_blocking()
            .unwrap()
            .status,
        Status::NOT_FOUND
    );
    let routes = Router::new()
        .get("/a", named("a"))
        .fallback(|_req: Request, respond: Respond| async move {
            respond.send((Status::NOT_FOUND, "nothing here, friend"))
        })
        .build()
        .unwrap();
    assert_eq!(
        Client::new(routes)
            .get("/b")
            .send_blocking()
            .unwrap()
            .text(),
        "nothing here, friend"
    );
}

#[test]
fn method_not_allowed_lists_the_methods() {
    let routes = Router::new()
        .get("/heartbeat", named("ok"))
        .build()
        .unwrap();
    let res = Client::new(routes)
        .delete("/heartbeat")
        .send_blocking()
        .unwrap();
    assert_eq!(res.status, Status::METHOD_NOT_ALLOWED);
    assert_eq!(res.header("allow"), Some("GET, HEAD"));
    let routes = Router::new()
        .get("/r", named("get"))
        .post("/r", named("post"))
        .head("/r", named("head"))
        .build()
        .unwrap();
    assert_eq!(
        routes.find(&Method::PUT, "/r"),
        Found::NotAllowed {
            allow: "GET, POST, HEAD".into()
        }
    );
}

#[test]
fn head_is_served_by_get_without_body_bytes() {
    let routes = Router::new()
        .get("/page", named("twelve bytes"))
        .build()
        .unwrap();
    let client = Client::new(routes);
    let raw = client
        .raw_blocking(b"HEAD /page HTTP/1.1\r\nHost: a\r\n\r\n")
        .unwrap();
    let text = String::from_utf8(raw).unwrap();
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(text.contains("Content-Length: 12\r\n"));
    assert!(text.ends_with("\r\n\r\n"), "no body bytes: {text:?}");
}

#[test]
fn options_without_a_route_is_204_with_allow() {
    let routes = Router::new()
        .get("/r", named("get"))
        .delete("/r", named("delete"))
        .build()
        .unwrap();
    let client = Client::new(routes);
    let res = client
        .request(Method::OPTIONS, "/r")
        .send_blocking()
        .unwrap();
    assert_eq!(res.status, Status::NO_CONTENT);
    assert_eq!(res.header("allow"), Some("GET, HEAD, DELETE"));
    let routes = Router::new()
        .options("/r", named("custom"))
        .build()
        .unwrap();
    assert_eq!(
        Client::new(routes)
            .request(Method::OPTIONS, "/r")
            .send_blocking()
            .unwrap()
            .text(),
        "custom"
    );
}

#[test]
fn any_method_and_extension_methods() {
    let routes = Router::new()
        .any("/any", named("any"))
        .get("/any", named("get"))
        .route(
            Method::from_bytes(b"PURGE").unwrap(),
            "/cache",
            named("purged"),
        )
        .build()
        .unwrap();
    let client = Client::new(routes);
    assert_eq!(
        client.get("/any").send_blocking().unwrap().text(),
        "get",
        "the exact method wins"
    );
    assert_eq!(client.put("/any").send_blocking().unwrap().text(), "any");
    let purge = Method::from_bytes(b"PURGE").unwrap();
    assert_eq!(
        client
            .request(purge, "/cache")
            .send_blocking()
            .unwrap()
            .text(),
        "purged"
    );
}

#[test]
fn trailing_slash_matches_by_default_and_can_be_strict() {
    let loose = Router::new().get("/a", named("a")).build().unwrap();
    assert_eq!(found(&loose, Method::GET, "/a/"), Some("/a"));
    let strict = Router::new()
        .get("/a", named("a"))
        .trailing_slash(false)
        .build()
        .unwrap();
    assert_eq!(found(&strict, Method::GET, "/a/"), None);
    assert_eq!(found(&strict, Method::GET, "/a"), Some("/a"));
}

#[test]
fn invalid_patterns_fail_at_build_naming_the_pattern() {
    let cases = [
        (Router::new().get("/:", named("x")), "/:"),
        (Router::new().get("/x/*/y", named("x")), "/x/*/y"),
        (Router::new().get("/:id/:id", named("x")), "/:id/:id"),
        (
            Router::new()
                .get("/a/:id", named("x"))
                .get("/a/:other", named("y")),
            "/a/:other",
        ),
        (
            Router::new().branch("/b", Router::new().get("/:", named("x"))),
            "/b/:",
        ),
    ];
    for (router, pattern) in cases {
        let e = router.build().unwrap_err();
        assert_eq!(e.pattern(), pattern);
        assert!(e.to_string().contains(pattern), "{e}");
    }
    // The same shape under another method is not a duplicate.
    assert!(Router::new()
        .get("/a/:id", named("x"))
        .post("/a/:other", named("y"))
        .build()
        .is_ok());
}

#[test]
fn a_route_can_be_wrapped_on_its_own() {
    use lath_app::AppExt;
    let routes = Router::new()
        .get("/plain", named("plain"))
        .get("/tagged", named("tagged").shared().wrap(tag("route")))
        .build()
        .unwrap();
    let client = Client::new(routes);
    assert_eq!(
        client
            .get("/tagged")
            .send_blocking()
            .unwrap()
            .header("x-layer"),
        Some("route")
    );
    assert_eq!(
        client
            .get("/plain")
            .send_blocking()
            .unwrap()
            .header("x-layer"),
        None
    );
}

#[test]
fn options_asterisk_lists_what_the_server_serves() {
    // RFC 9110 §9.3.7: `OPTIONS *` is about the server, not a resource.
    let routes = Router::new()
        .get("/a", named("a"))
        .post("/b", named("b"))
        .route(Method::from_bytes(b"PURGE").unwrap(), "/c", named("c"))
        .build()
        .unwrap();
    let raw = Client::new(routes)
        .raw_blocking(b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n")
        .unwrap();
    let text = String::from_utf8_lossy(&raw);
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(
        text.contains("Allow: GET, HEAD, POST, OPTIONS, PURGE\r\n"),
        "{text}"
    );
    assert!(text.contains("Content-Length: 0\r\n"), "{text}");
}

#[test]
fn connect_is_405_with_allow_unless_a_route_asks_for_it() {
    // RFC 9110 §9.3.6, §15.5.6: CONNECT targets an authority.
    let plain = Router::new().get("/", named("root")).build().unwrap();
    let raw = Client::new(plain)
        .raw_blocking(b"CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n")
        .unwrap();
    let text = String::from_utf8_lossy(&raw);
    assert!(
        text.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"),
        "{text}"
    );
    assert!(text.contains("Allow: GET, HEAD, OPTIONS\r\n"), "{text}");

    let tunnels = Router::new()
        .get("/", named("root"))
        .connect(handler(|req: Request| async move {
            format!("tunnel to {}", req.target())
        }))
        .build()
        .unwrap();
    // A 2xx to CONNECT turns the connection into a tunnel (no framing).
    let raw = Client::new(tunnels)
        .raw_blocking(b"CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n")
        .unwrap();
    assert!(String::from_utf8_lossy(&raw).starts_with("HTTP/1.1 200 OK\r\n"));
}

#[test]
fn a_branchs_layers_see_the_routers_own_405_and_options_answers() {
    let stamp = from_fn(|req, respond: Respond, next| async move {
        next.call(req, respond.map(|res| res.with_header("X-Branch", "api")))
            .await
    });
    let api = Router::new()
        .get("/items", handler(|_req: Request| async { "[]" }))
        .layer(stamp);
    let routes = Router::new()
        .branch("/api", api)
        .get("/", handler(|_req: Request| async { "home" }))
        .build()
        .unwrap();
    let client = Client::new(routes);
    let options = client.options("/api/items").send_blocking().unwrap();
    assert_eq!(
        (options.status.code(), options.header("allow")),
        (204, Some("GET, HEAD"))
    );
    assert_eq!(options.header("x-branch"), Some("api"));
    let refused = client.delete("/api/items").send_blocking().unwrap();
    assert_eq!(
        (refused.status.code(), refused.header("allow")),
        (405, Some("GET, HEAD"))
    );
    assert_eq!(refused.header("x-branch"), Some("api"));
    // Outside the branch, its layers do not run.
    let home = client.delete("/").send_blocking().unwrap();
    assert_eq!((home.status.code(), home.header("x-branch")), (405, None));
}
