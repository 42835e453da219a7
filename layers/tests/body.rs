//! Body helpers: content types, statuses, normalization, limits.

use lath_app::{handler, AppExt, Request, Status};
use lath_layers::{limit_body, BodyExt, Json, Normalize, Router};
use lath_net::Client;
use serde_json::Value;

#[derive(serde::Deserialize, serde::Serialize)]
struct User {
    name: String,
    age: u32,
}

fn client() -> Client {
    let routes = Router::new()
        .post(
            "/json",
            handler(|mut req: Request| async move { req.json::<User>().await.map(Json) }),
        )
        .post(
            "/form",
            handler(|mut req: Request| async move { req.form::<User>().await.map(Json) }),
        )
        .post(
            "/pairs",
            handler(|mut req: Request| async move {
                req.form_pairs().await.map(|pairs| {
                    pairs
                        .iter()
                        .map(|(k, v)| format!("{k}={v};"))
                        .collect::<String>()
                })
            }),
        )
        .post(
            "/users",
            handler(|mut req: Request| async move {
                let options = Normalize::new()
                    .required(["name"])
                    .numbers(["age"])
                    .arrays(["ownedPets"])
                    .booleans(["admin"])
                    .validate(|v| {
                        (v["name"] == "root").then(|| "name root is reserved".to_owned())
                    });
                req.normalized(&options).await.map(Json)
            }),
        )
        .post(
            "/tags",
            handler(|mut req: Request| async move {
                let options = Normalize::new().arrays(["tags"]).required(["tags"]);
                req.normalized(&options).await.map(Json)
            }),
        )
        .post(
            "/small",
            handler(|mut req: Request| async move { req.json::<Value>().await.map(Json) })
                .wrap(limit_body(16)),
        )
        .build()
        .unwrap();
    Client::new(routes)
}

fn post(path: &str, content_type: &str, body: &str) -> (Status, String) {
    let res = client()
        .post(path)
        .header("Content-Type", content_type)
        .body(body.to_owned())
        .send_blocking()
        .unwrap();
    (res.status, res.text())
}

const JSON: &str = "application/json";
const FORM: &str = "application/x-www-form-urlencoded";

#[test]
fn typed_json() {
    assert_eq!(
        post("/json", JSON, r#"{"name":"ann","age":7}"#),
        (Status::OK, r#"{"name":"ann","age":7}"#.into())
    );
    let (status, text) = post("/json", "text/plain", r#"{"name":"ann","age":7}"#);
    assert_eq!(status, Status::UNSUPPORTED_MEDIA_TYPE, "{text}");
    let (status, text) = post("/json", JSON, "{\"name\":\n \"ann\", age}");
    assert_eq!(status, Status::BAD_REQUEST);
    assert_eq!(text, "malformed json at line 2 column 9");
    assert_eq!(
        post("/json", JSON, r#"{"name":"ann","age":7} trailing"#).0,
        Status::BAD_REQUEST
    );
    let (status, text) = post("/json", JSON, r#"{"name":"ann","age":"seven"}"#);
    assert_eq!(status, Status::UNPROCESSABLE_CONTENT);
    assert!(text.starts_with("age: invalid type"), "{text}");
    let (status, text) = post("/json", JSON, r#"{"age":7}"#);
    assert_eq!(status, Status::UNPROCESSABLE_CONTENT);
    assert!(text.contains("missing field `name`"), "{text}");
    assert_eq!(
        post(
            "/json",
            "application/vnd.api+json",
            r#"{"name":"a","age":1}"#
        )
        .0,
        Status::OK
    );
}

#[test]
fn typed_and_untyped_forms() {
    assert_eq!(
        post("/form", FORM, "name=ann+b&age=7"),
        (Status::OK, r#"{"name":"ann b","age":7}"#.into())
    );
    assert_eq!(
        post("/form", JSON, "name=ann&age=7").0,
        Status::UNSUPPORTED_MEDIA_TYPE
    );
    let (status, text) = post("/form", FORM, "name=ann&age=old");
    assert_eq!(status, Status::UNPROCESSABLE_CONTENT);
    assert!(text.contains("age"), "{text}");
    assert_eq!(
        post("/pairs", FORM, "a=1&b=%20x&a=2"),
        (Status::OK, "a=1;b= x;a=2;".into())
    );
}

#[test]
fn normalization_of_json_and_forms() {
    let (status, text) = post(
        "/users",
        JSON,
        r#"{"name":"ann","age":"41","ownedPets":"cat","admin":"0"}"#,
    );
    assert_eq!(status, Status::OK, "{text}");
    assert_eq!(
        text,
        r#"{"admin":false,"age":41,"name":"ann","ownedPets":["cat"]}"#
    );
    let (status, text) = post(
        "/users",
        FORM,
        "name=bo&age=3&ownedPets=cat&ownedPets=dog&admin=yes",
    );
    assert_eq!(status, Status::OK, "{text}");
    assert_eq!(
        text,
        r#"{"admin":true,"age":3,"name":"bo","ownedPets":["cat","dog"]}"#
    );
    let (_, text) = post("/users", FORM, "name=cy");
    assert_eq!(
        text, r#"{"name":"cy","ownedPets":[]}"#,
        "arrays default to empty"
    );
}

#[test]
fn a_required_array_needs_an_element() {
    let missing = (
        Status::UNPROCESSABLE_CONTENT,
        "missing required fields: tags".to_owned(),
    );
    assert_eq!(post("/tags", JSON, r#"{"tags":[]}"#), missing);
    assert_eq!(post("/tags", JSON, "{}"), missing);
    assert_eq!(post("/tags", FORM, "other=1"), missing);
    assert_eq!(post("/tags", FORM, "tags=a").1, r#"{"tags":["a"]}"#);
}

#[test]
fn normalization_errors_are_422() {
    assert_eq!(
        post("/users", JSON, r#"{"name":null,"age":1}"#),
        (
            Status::UNPROCESSABLE_CONTENT,
            "missing required fields: name".into()
        )
    );
    assert_eq!(
        post("/users", JSON, r#"{"name":"a","age":"many"}"#),
        (Status::UNPROCESSABLE_CONTENT, "age is not a number".into())
    );
    assert_eq!(
        post("/users", JSON, r#"{"name":"root"}"#),
        (
            Status::UNPROCESSABLE_CONTENT,
            "name root is reserved".into()
        )
    );
    assert_eq!(
        post("/users", JSON, "[1,2]").0,
        Status::UNPROCESSABLE_CONTENT
    );
    assert_eq!(
        post("/users", "text/plain", "name=a").0,
        Status::UNSUPPORTED_MEDIA_TYPE
    );
}

#[test]
fn limits_default_to_one_mib_and_follow_the_layer() {
    let big = format!("{{\"name\":\"{}\",\"age\":1}}", "x".repeat(1 << 20));
    assert_eq!(post("/json", JSON, &big).0, Status::CONTENT_TOO_LARGE);
    assert_eq!(post("/small", JSON, r#"{"a":1}"#).0, Status::OK);
    assert_eq!(
        post("/small", JSON, r#"{"a":"0123456789"}"#).0,
        Status::CONTENT_TOO_LARGE
    );
    // A chunked body past the limit is refused as soon as it passes it.
    let mut chunked = String::from(
        "POST /small HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
    );
    for piece in [r#"{"a":"0123456"#, r#"789abcdef"}"#] {
        chunked.push_str(&format!("{:x}\r\n{piece}\r\n", piece.len()));
    }
    chunked.push_str("0\r\n\r\n");
    let raw = client().raw_blocking(chunked.as_bytes()).unwrap();
    assert!(String::from_utf8(raw).unwrap().starts_with("HTTP/1.1 413"));
}
