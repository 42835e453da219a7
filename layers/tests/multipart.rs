//! Multipart uploads through the in-memory client.

use lath_app::{handler, Request, Status};
use lath_layers::{collect_multipart, Json, MultipartLimits};
use lath_net::Client;

const BOUNDARY: &str = "XyZzY-boundary";

/// A multipart body from (name, file name, data) parts.
fn body(parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, file, data) in parts {
        out.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match file {
            Some(f) => out.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
            ),
            None => out.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes()),
        }
        out.extend_from_slice(data);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    out
}

fn client(limits: MultipartLimits) -> Client {
    Client::new(handler(move |mut req: Request| {
        let limits = limits.clone();
        async move {
            let form = collect_multipart(&mut req, limits).await?;
            let mut files = Vec::new();
            for f in &form.files {
                let data = f
                    .read()
                    .await
                    .map_err(|_| lath_app::HttpError::internal())?;
                files.push(serde_json::json!({
                    "field": f.field, "filename": f.file_name, "size": f.size,
                    "on_disk": f.path().map(|p| p.display().to_string()),
                    "data": String::from_utf8_lossy(&data),
                }));
            }
            Ok::<_, lath_app::HttpError>(Json(
                serde_json::json!({"fields": form.fields, "files": files}),
            ))
        }
    }))
}

fn upload(client: &Client, body: Vec<u8>) -> (Status, serde_json::Value, String) {
    let res = client
        .post("/files")
        .header(
            "Content-Type",
            &format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body)
        .send_blocking()
        .unwrap();
    let json = serde_json::from_slice(&res.body).unwrap_or(serde_json::Value::Null);
    (res.status, json, res.text())
}

#[test]
fn fields_and_files_including_awkward_data() {
    let tricky: &[u8] = b"line one\r\nline two\r\n--XyZzY-boundar not quite\r\n--";
    let (status, json, text) = upload(
        &client(MultipartLimits::default()),
        body(&[
            ("title", None, b"hello"),
            ("doc", Some("../../secret/notes.txt"), tricky),
            ("empty", Some("e.bin"), b""),
        ]),
    );
    assert_eq!(status, Status::OK, "{text}");
    assert_eq!(json["fields"][0], serde_json::json!(["title", "hello"]));
    assert_eq!(
        json["files"][0]["filename"], "notes.txt",
        "no path components"
    );
    assert_eq!(
        json["files"][0]["data"],
        String::from_utf8_lossy(tricky).as_ref()
    );
    assert_eq!(json["files"][0]["size"], tricky.len());
    assert_eq!(json["files"][1]["size"], 0);
}

#[test]
fn large_files_are_spooled_and_removed_after_the_request() {
    let mut limits = MultipartLimits::default();
    limits.memory_threshold = 1024;
    let big = vec![b'z'; 200_000];
    let (status, json, text) = upload(&client(limits), body(&[("big", Some("big.bin"), &big)]));
    assert_eq!(status, Status::OK, "{text}");
    assert_eq!(json["files"][0]["size"], 200_000);
    let path = json["files"][0]["on_disk"]
        .as_str()
        .expect("spooled to disk");
    assert!(
        !std::path::Path::new(path).exists(),
        "the temporary file is gone"
    );
}

#[test]
fn uploaded_files_can_be_kept() {
    let kept = std::env::temp_dir().join(format!("lath-kept-{}", std::process::id()));
    std::fs::create_dir_all(&kept).unwrap();
    let to = kept.clone();
    let mut limits = MultipartLimits::default();
    limits.memory_threshold = 1024;
    let app = handler(move |mut req: Request| {
        let (limits, to) = (limits.clone(), to.clone());
        async move {
            let form = collect_multipart(&mut req, limits).await?;
            for (i, file) in form.files.into_iter().enumerate() {
                file.persist(to.join(format!("upload-{i}")))
                    .await
                    .map_err(|e| lath_app::HttpError::internal().with_detail(e.to_string()))?;
            }
            Ok::<_, lath_app::HttpError>("kept")
        }
    });
    let big = vec![b'b'; 50_000];
    let parts = body(&[
        ("small", Some("s.txt"), b"tiny"),
        ("big", Some("b.bin"), &big),
    ]);
    let (status, _, text) = upload(&Client::new(app), parts);
    assert_eq!((status, text.as_str()), (Status::OK, "kept"));
    assert_eq!(std::fs::read(kept.join("upload-0")).unwrap(), b"tiny");
    assert_eq!(std::fs::read(kept.join("upload-1")).unwrap(), big);
    std::fs::remove_dir_all(&kept).unwrap();
}

#[test]
fn limits_answer_413_naming_themselves() {
    let mut limits = MultipartLimits::default();
    limits.max_parts = 3;
    limits.max_file = 10;
    limits.max_field = 5;
    let c = client(limits);
    let many: Vec<(&str, Option<&str>, &[u8])> = (0..4).map(|_| ("f", None, &b"x"[..])).collect();
    let (status, _, text) = upload(&c, body(&many));
    assert_eq!(
        (status, text.as_str()),
        (Status::CONTENT_TOO_LARGE, "more than 3 parts")
    );
    let (status, _, text) = upload(&c, body(&[("doc", Some("a"), b"0123456789X")]));
    assert_eq!(
        (status, text.as_str()),
        (Status::CONTENT_TOO_LARGE, "file larger than 10 bytes")
    );
    let (status, _, text) = upload(&c, body(&[("name", None, b"toolong")]));
    assert_eq!(
        (status, text.as_str()),
        (Status::CONTENT_TOO_LARGE, "field larger than 5 bytes")
    );
}

#[test]
fn malformed_bodies_are_400_never_a_hang() {
    let c = client(MultipartLimits::default());
    let mut truncated = body(&[("doc", Some("a.txt"), b"some data")]);
    truncated.truncate(truncated.len() - 20);
    let (status, _, text) = upload(&c, truncated);
    assert_eq!(status, Status::BAD_REQUEST, "{text}");
    let (status, _, _) = upload(&c, b"no boundaries at all".to_vec());
    assert_eq!(status, Status::BAD_REQUEST);
    let res = c
        .post("/files")
        .header("Content-Type", "multipart/form-data")
        .body("x")
        .send_blocking()
        .unwrap();
    assert_eq!(
        (res.status, res.text().as_str()),
        (Status::BAD_REQUEST, "multipart body without a boundary")
    );
    let res = c
        .post("/files")
        .header("Content-Type", "text/plain")
        .body("x")
        .send_blocking()
        .unwrap();
    assert_eq!(res.status, Status::UNSUPPORTED_MEDIA_TYPE);
}

#[test]
fn the_request_reads_multipart_under_its_own_body_limit() {
    use lath_app::AppExt;
    use lath_layers::{limit_body, BodyExt};
    let app = handler(|mut req: Request| async move {
        let form = req.multipart().await?;
        Ok::<_, lath_app::HttpError>(format!(
            "{} {} {}",
            form.field("title").unwrap_or("-"),
            form.files.len(),
            form.files.first().map_or(0, |f| f.size)
        ))
    })
    .wrap(limit_body(4096));
    let client = Client::new(app);
    let small = body(&[("title", None, b"hi"), ("doc", Some("a.txt"), b"abc")]);
    let (status, _, text) = upload(&client, small);
    assert_eq!((status, text.as_str()), (Status::OK, "hi 1 3"));
    let large = body(&[("doc", Some("a.bin"), &[7u8; 8192])]);
    assert_eq!(upload(&client, large).0, Status::CONTENT_TOO_LARGE);
    let res = client.post("/files").body("plain").send_blocking().unwrap();
    assert_eq!(res.status, Status::UNSUPPORTED_MEDIA_TYPE);
}

#[test]
fn normalized_reads_multipart_fields_as_a_form() {
    use lath_layers::{BodyExt, Normalize};
    let app = handler(|mut req: Request| async move {
        let options = Normalize::new()
            .required(["name"])
            .numbers(["age"])
            .arrays(["tags"]);
        req.normalized(&options).await.map(Json)
    });
    let client = Client::new(app);
    let (status, json, text) = upload(
        &client,
        body(&[
            ("name", None, b"Ada"),
            ("age", None, b"36"),
            ("tags", None, b"math"),
            ("tags", None, b"engines"),
            ("photo", Some("ada.png"), b"\x89PNG"),
        ]),
    );
    assert_eq!(status, Status::OK, "{text}");
    assert_eq!(
        json,
        serde_json::json!({"name": "Ada", "age": 36, "tags": ["math", "engines"]})
    );
    let (status, _, text) = upload(&client, body(&[("age", None, b"x")]));
    assert_eq!(status, Status::UNPROCESSABLE_CONTENT, "{text}");
}
