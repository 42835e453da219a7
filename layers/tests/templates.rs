//! Templates, views rendered by `Accept`, and error pages, through the
//! in-memory client.

use std::path::PathBuf;

use lath::layers::{errors, renderers, Templates, View};
use lath::{handler, App, AppExt, Client, HttpError, Request, Response, Status};

const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/// A fresh folder of templates for one test.
fn folder(test: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lath-templates-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (name, source) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, source).unwrap();
    }
    dir
}

fn page(templates: &Templates, name: &'static str, context: serde_json::Value) -> impl App {
    let templates = templates.clone();
    handler(move |_req: Request| {
        let (templates, context) = (templates.clone(), context.clone());
        async move { templates.render(name, context) }
    })
}

#[test]
fn inheritance_includes_macros_and_escaping() {
    let dir = folder(
        "inherit",
        &[
            (
                "base.html",
                "<main>{% block main %}{% endblock %}</main>{% include 'parts/footer.html' %}",
            ),
            ("parts/footer.html", "<footer>{{ site }}</footer>"),
            (
                "macros.html",
                "{% macro tag(x) %}<b>{{ x }}</b>{% endmacro %}",
            ),
            (
                "page.html",
                "{% extends 'base.html' %}{% import 'macros.html' as m %}\
                 {% block main %}{{ m.tag(name) }} {{ trusted|safe }}{% endblock %}",
            ),
            ("data.json", "{{ name }}"),
        ],
    );
    let templates = Templates::from_dir(&dir).global("site", "S&P");
    let context = serde_json::json!({"name": "<script>x</script>", "trusted": "<i>ok</i>"});
    let res = Client::new(page(&templates, "page.html", context.clone()))
        .get("/")
        .send_blocking()
        .unwrap();
    assert_eq!(
        res.text(),
        "<main><b>&lt;script&gt;x&lt;&#x2f;script&gt;</b> <i>ok</i></main><footer>S&amp;P</footer>"
    );
    // A JSON template escapes for JSON.
    let json = templates.render_to_string("data.json", context).unwrap();
    assert_eq!(json, r#""<script>x</script>""#);
}

#[test]
fn a_template_error_is_a_500_naming_template_and_line_only_in_debug() {
    let dir = folder("broken", &[("broken.html", "fine\n{{ 1 + }}\n")]);
    for debug in [false, true] {
        let templates = Templates::from_dir(&dir).debug(debug);
        let app = errors(page(&templates, "broken.html", serde_json::json!({}))).debug(debug);
        let res = Client::new(app)
            .get("/")
            .header("Accept", BROWSER)
            .send_blocking()
            .unwrap();
        assert_eq!(res.status, Status::INTERNAL_SERVER_ERROR);
        let text = res.text();
        assert_eq!(text.contains("broken.html, line 2"), debug, "{text}");
        assert!(text.contains("500 Internal Server Error"), "{text}");
    }
    let missing = Templates::from_dir(&dir)
        .debug(true)
        .render("nope.html", ());
    assert!(missing.error().unwrap().message().contains("nope.html"));
}

#[test]
fn reload_reads_an_edited_template_and_without_it_the_first_stays() {
    let dir = folder("reload", &[("a.html", "one")]);
    let kept = Templates::from_dir(&dir);
    let reloading = Templates::from_dir(&dir).reload(true);
    assert_eq!(kept.render_to_string("a.html", ()).unwrap(), "one");
    assert_eq!(reloading.render_to_string("a.html", ()).unwrap(), "one");
    std::fs::write(dir.join("a.html"), "two!").unwrap();
    assert_eq!(kept.render_to_string("a.html", ()).unwrap(), "one");
    assert_eq!(reloading.render_to_string("a.html", ()).unwrap(), "two!");
    std::fs::write(dir.join("b.html"), "new").unwrap();
    assert_eq!(reloading.render_to_string("b.html", ()).unwrap(), "new");
}

#[test]
fn a_view_answers_each_client_as_it_asks() {
    let dir = folder(
        "view",
        &[
            ("user.html", "<p>{{ name }} {{ data }}</p>"),
            ("list.html", "{{ data|length }} items"),
        ],
    );
    let templates = Templates::from_dir(&dir);
    let app = lath::layers::Router::new()
        .get(
            "/user",
            handler(|_req: Request| async {
                Response::from(
                    View::new("user.html", serde_json::json!({"name": "ann"}))
                        .with_status(Status::CREATED),
                )
                .with_header("Set-Cookie", "seen=1")
            }),
        )
        .get(
            "/list",
            handler(|_req: Request| async { View::new("list.html", [1, 2, 3]) }),
        )
        .get(
            "/strict",
            handler(|_req: Request| async { View::new("user.html", ()).strict() }),
        )
        .layer(renderers(templates))
        .build()
        .unwrap();
    let c = Client::new(app);
    // (Accept, content type, body)
    let cases = [
        (Some(BROWSER), "text/html; charset=utf-8", "<p>ann </p>"),
        (
            Some("application/json"),
            "application/json",
            r#"{"name":"ann"}"#,
        ),
        (Some("*/*"), "application/json", r#"{"name":"ann"}"#),
        (None, "application/json", r#"{"name":"ann"}"#),
        (
            Some("text/html;q=0.5, application/json;q=0.9"),
            "application/json",
            r#"{"name":"ann"}"#,
        ),
        (
            Some("application/json;q=0.5, text/html"),
            "text/html; charset=utf-8",
            "<p>ann </p>",
        ),
        // RFC 9110 §12.5.1: without strictness, an unacceptable client
        // still gets the default.
        (Some("image/png"), "application/json", r#"{"name":"ann"}"#),
    ];
    for (accept, content_type, body) in cases {
        let mut req = c.get("/user");
        if let Some(accept) = accept {
            req = req.header("Accept", accept);
        }
        let res = req.send_blocking().unwrap();
        assert_eq!(res.status, Status::CREATED, "{accept:?}");
        assert_eq!(res.header("content-type"), Some(content_type), "{accept:?}");
        assert_eq!(res.text(), body, "{accept:?}");
        assert_eq!(res.header("vary"), Some("Accept"), "{accept:?}");
        assert_eq!(res.header("set-cookie"), Some("seen=1"), "{accept:?}");
    }
    let list = c
        .get("/list")
        .header("Accept", BROWSER)
        .send_blocking()
        .unwrap();
    assert_eq!(list.text(), "3 items");
    assert_eq!(c.get("/list").send_blocking().unwrap().text(), "[1,2,3]");
    let refused = c
        .get("/strict")
        .header("Accept", "image/png")
        .send_blocking()
        .unwrap();
    assert_eq!(refused.status, Status::NOT_ACCEPTABLE);
}

#[test]
fn errors_reach_a_browser_as_the_sites_error_page() {
    let with_own = folder(
        "own-error",
        &[("error.html", "<h1>{{ status }}: {{ message }}</h1>")],
    );
    let without = folder("no-error", &[]);
    for (dir, expected) in [
        (&with_own, "<h1>400: bad &lt;input&gt;</h1>"),
        (&without, "<p>bad &lt;input&gt;</p>"),
    ] {
        let templates = Templates::from_dir(dir);
        let app =
            handler(|_req: Request| async { Err::<(), _>(HttpError::bad_request("bad <input>")) })
                .wrap(|app| errors(app).render(move |e, f| templates.render_error(e, f)));
        let c = Client::new(app);
        let html = c
            .get("/")
            .header("Accept", BROWSER)
            .send_blocking()
            .unwrap();
        assert_eq!(html.status, Status::BAD_REQUEST);
        assert!(html.text().contains(expected), "{}", html.text());
        assert_eq!(html.header("vary"), Some("Accept"));
        let json = c
            .get("/")
            .header("Accept", "application/json")
            .send_blocking()
            .unwrap();
        assert_eq!(
            json.text(),
            r#"{"error":{"message":"bad <input>","status":400}}"#
        );
        let curl = c.get("/").header("Accept", "*/*").send_blocking().unwrap();
        assert_eq!(curl.text(), "bad <input>");
    }
}
