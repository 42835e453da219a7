//! Request helpers: malformed input never panics.

use std::net::{IpAddr, SocketAddr};

use lath_app::{handler, AppExt, Request};
use lath_layers::{trusted_proxies, Query, RequestExt};
use lath_net::Client;

fn req(headers: &[(&str, &str)]) -> Request {
    headers
        .iter()
        .fold(Request::builder("GET", "/p?x=1"), |b, (k, v)| {
            b.header(k, v)
        })
        .build()
}

#[test]
fn query_pairs_and_arrays() {
    let q = Query::parse("a=1&b=two%20words&a=3&c[]=x&c[]=y&flag&bad=%zz&plus=a+b");
    assert_eq!(q.get("a"), Some("1"));
    assert_eq!(q.get_all("a"), vec!["1", "3"]);
    assert_eq!(q.get_all("c"), vec!["x", "y"]);
    assert_eq!(q.get("b"), Some("two words"));
    assert_eq!(q.get("flag"), Some(""));
    assert_eq!(
        q.get("bad"),
        Some("%zz"),
        "malformed escapes are kept, never a panic"
    );
    assert_eq!(q.get("plus"), Some("a b"));
    assert_eq!(q.keys(), vec!["a", "b", "c", "flag", "bad", "plus"]);
    assert_eq!(req(&[]).query().get("x"), Some("1"));
    assert_eq!(
        Query::parse("a=1&a=2&b=x&c[]=only").to_json().to_string(),
        r#"{"a":["1","2"],"b":"x","c":["only"]}"#
    );
}

#[test]
fn cookies_skip_malformed_pairs() {
    let r = req(&[
        ("Cookie", "a=1; junk; =novalue; b=\"quoted\"; c=x=y"),
        ("Cookie", "d=4;;  e = 5 "),
    ]);
    assert_eq!(r.cookie("a").as_deref(), Some("1"));
    assert_eq!(r.cookie("b").as_deref(), Some("quoted"));
    assert_eq!(r.cookie("c").as_deref(), Some("x=y"));
    assert_eq!(r.cookie("e").as_deref(), Some("5"));
    assert_eq!(r.cookie("junk"), None);
    let names: Vec<String> = r.cookies().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["a", "b", "c", "d", "e"]);
}

#[test]
fn host_and_hostname() {
    assert_eq!(
        req(&[("Host", "example.org:8080")]).host(),
        Some("example.org:8080")
    );
    assert_eq!(
        req(&[("Host", "example.org:8080")]).hostname(),
        Some("example.org")
    );
    assert_eq!(req(&[("Host", "[::1]:80")]).hostname(), Some("::1"));
    assert_eq!(req(&[]).host(), None);
    let absolute = Request::builder("GET", "http://other.example/x")
        .header("Host", "a")
        .build();
    assert_eq!(
        absolute.host(),
        Some("other.example"),
        "the target's authority wins"
    );
}

#[test]
fn accepts_by_q_value_and_specificity() {
    let r = req(&[("Accept", "text/html;q=0.8, application/json, */*;q=0.1")]);
    assert_eq!(r.accepts(&["html", "json"]), Some("json"));
    assert_eq!(r.accepts(&["html", "png"]), Some("html"));
    assert_eq!(r.accepts(&["png"]), Some("png"), "*/* still accepts it");
    let r = req(&[("Accept", "text/*, text/plain;q=0")]);
    assert_eq!(
        r.accepts(&["text", "html"]),
        Some("html"),
        "q=0 refuses the exact type"
    );
    assert_eq!(
        req(&[]).accepts(&["json", "html"]),
        Some("json"),
        "no Accept: the first"
    );
    assert_eq!(req(&[("Accept", "image/png")]).accepts(&["json"]), None);
    for junk in [
        "",
        ",,,",
        "garbage",
        ";q=1",
        "text/html;q=banana",
        "*/*;q=-5",
    ] {
        let _ = req(&[("Accept", junk)]).accepts(&["json", "html"]);
    }
}

#[test]
fn is_matches_the_content_type() {
    let json = req(&[("Content-Type", "application/json; charset=utf-8")]);
    assert!(json.is("json") && json.is("application/*") && !json.is("html"));
    assert!(req(&[("Content-Type", "application/vnd.api+json")]).is("json"));
    assert!(req(&[("Content-Type", "text/plain")]).is("text/*"));
    assert!(!req(&[("Content-Type", "not a type")]).is("json"));
    assert!(!req(&[]).is("json"));
}

#[test]
fn forwarded_addresses_count_only_from_trusted_proxies() {
    let proxy: IpAddr = "10.0.0.1".parse().unwrap();
    let app =
        handler(
            |req: Request| async move { req.ip().map(|ip| ip.to_string()).unwrap_or_default() },
        )
        .wrap(trusted_proxies([proxy]));
    let client = Client::new(app);
    // The in-memory client has no peer: nothing to trust, headers ignored.
    let res = client
        .get("/")
        .header("X-Forwarded-For", "1.2.3.4")
        .send_blocking()
        .unwrap();
    assert_eq!(res.text(), "");

    // Through the layer directly, with a peer address.
    let ip_of = |peer: &str, headers: &[(&str, &str)]| {
        let mut r = req(headers);
        r.set_peer_addr(Some(SocketAddr::new(peer.parse().unwrap(), 5000)));
        let (respond, responded) = lath_app::Respond::channel();
        let app =
            handler(
                |req: Request| async move { req.ip().map(|ip| ip.to_string()).unwrap_or_default() },
            )
            .wrap(trusted_proxies([proxy]));
        block_on(async move {
            lath_app::App::call(&app, r, respond).await;
            let mut res = responded.await;
            req_body(&mut res).await
        })
    };
    assert_eq!(
        ip_of("10.0.0.1", &[("X-Forwarded-For", "1.2.3.4, 10.0.0.1")]),
        "1.2.3.4"
    );
    assert_eq!(
        ip_of("10.0.0.1", &[("Forwarded", "for=\"[2001:db8::1]:4711\"")]),
        "2001:db8::1"
    );
    assert_eq!(
        ip_of("9.9.9.9", &[("X-Forwarded-For", "1.2.3.4")]),
        "9.9.9.9",
        "untrusted peer"
    );
    assert_eq!(
        ip_of("10.0.0.1", &[("X-Forwarded-For", "not-an-ip")]),
        "10.0.0.1"
    );
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    async_std::task::block_on(f)
}

async fn req_body(res: &mut lath_app::Response) -> String {
    use futures::StreamExt;
    let mut body = res.take_body();
    let mut out = Vec::new();
    while let Some(Ok(piece)) = body.next().await {
        out.extend_from_slice(&piece);
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn query_as_a_typed_struct() {
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Search {
        q: String,
        page: u32,
        exact: bool,
        tags: Vec<String>,
        limit: Option<u8>,
    }
    let r = Request::builder("GET", "/s?q=rust+web&page=2&exact=1&tags=a&tags=b").build();
    assert_eq!(
        r.query_as::<Search>().unwrap(),
        Search {
            q: "rust web".into(),
            page: 2,
            exact: true,
            tags: vec!["a".into(), "b".into()],
            limit: None
        }
    );
    let one_tag = Request::builder("GET", "/s?q=x&page=1&exact=0&tags[]=only&limit=5").build();
    let s = one_tag.query_as::<Search>().unwrap();
    assert_eq!((s.tags, s.limit), (vec!["only".to_owned()], Some(5)));
    for bad in [
        "/s?q=x&page=two&exact=1&tags=a",
        "/s?page=1&exact=1&tags=a",
        "/s?q=x&page=1&exact=maybe&tags=a",
    ] {
        let err = Request::builder("GET", bad)
            .build()
            .query_as::<Search>()
            .unwrap_err();
        assert_eq!(err.status().code(), 400, "{bad}");
        assert!(
            err.message().starts_with("invalid query"),
            "{}",
            err.message()
        );
    }
    let bad_page = Request::builder("GET", "/s?q=x&page=two&exact=1&tags=a").build();
    assert!(bad_page
        .query_as::<Search>()
        .unwrap_err()
        .message()
        .contains("page"));
}

#[cfg(feature = "signed")]
#[test]
fn signed_cookies_round_trip_and_resist_tampering() {
    use lath_app::Response;
    use lath_layers::{Cookie, ResponseExt, SignedCookies, Signer};
    let signer = std::sync::Arc::new(Signer::new(b"0123456789abcdef0123456789abcdef").unwrap());
    let (set, read) = (signer.clone(), signer.clone());
    let app = handler(move |req: Request| {
        let (set, read) = (set.clone(), read.clone());
        async move {
            match req.path() {
                "/login" => Response::text("in")
                    .cookie(Cookie::new("user", "ann").path("/").signed_by(&set)),
                _ => Response::text(
                    req.signed_cookie("user", &read)
                        .unwrap_or_else(|| "nobody".into()),
                ),
            }
        }
    });
    let client = Client::new(app);
    let set_cookie = client
        .get("/login")
        .send_blocking()
        .unwrap()
        .header("set-cookie")
        .unwrap()
        .to_owned();
    let pair = set_cookie.split(';').next().unwrap().to_owned();
    assert!(pair.starts_with("user=ann."), "{pair}");
    assert_eq!(
        client
            .get("/me")
            .header("Cookie", &pair)
            .send_blocking()
            .unwrap()
            .text(),
        "ann"
    );
    let forged = pair.replace("ann", "bob");
    assert_eq!(
        client
            .get("/me")
            .header("Cookie", &forged)
            .send_blocking()
            .unwrap()
            .text(),
        "nobody"
    );
    assert_eq!(
        client
            .get("/me")
            .header("Cookie", "user=ann")
            .send_blocking()
            .unwrap()
            .text(),
        "nobody"
    );
}
