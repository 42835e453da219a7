//! Request bodies: JSON and forms, typed through serde or normalized
//! (kequapp's `getBody`), all under a size limit.

use std::sync::Arc;

use lath_app::{HttpError, Request, Status};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::future::Future;

use crate::{Query, RequestExt};

fn unprocessable(message: String) -> HttpError {
    HttpError::new(Status::UNPROCESSABLE_CONTENT, message)
}

/// Body helpers on [`Request`] beside its own `bytes` and `text`, each
/// buffering under the request's limit
/// ([`Request::body_limit`](lath_app::Request::body_limit): a
/// [`limit_body`](crate::limit_body) layer's, or 1 MiB; 413 as soon as it
/// is passed).
///
/// ```
/// use lath::prelude::*;
/// #[derive(serde::Deserialize)]
/// struct NewUser { name: String, age: u8 }
/// let app = handler(|mut req: Request| async move {
///     let user: NewUser = req.json().await?;
///     Ok::<_, HttpError>(format!("{} is {}", user.name, user.age))
/// });
/// let client = Client::new(app);
/// let res = client.post("/users").json(&serde_json::json!({"name": "Ada", "age": 36})).send_blocking().unwrap();
/// assert_eq!(res.text(), "Ada is 36");
/// let res = client.post("/users").json(&serde_json::json!({"name": "Ada", "age": "old"})).send_blocking().unwrap();
/// assert_eq!(res.status.code(), 422);
/// ```
pub trait BodyExt {
    /// The body as JSON into `T`: 415 unless the body is JSON, 400 with
    /// line and column when malformed, 422 naming the field that does not
    /// fit.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let app = handler(|mut req: Request| async move {
    ///     let value: serde_json::Value = req.json().await?;
    ///     Ok::<_, HttpError>(Json(value))
    /// });
    /// let client = Client::new(app);
    /// let res = client.post("/").header("Content-Type", "application/json").body("{\"a\":").send_blocking().unwrap();
    /// assert_eq!(res.status.code(), 400); // malformed, with line and column
    /// let res = client.post("/").body("{}").send_blocking().unwrap();
    /// assert_eq!(res.status.code(), 415); // not declared as JSON
    /// ```
    fn json<T: DeserializeOwned + Send>(
        &mut self,
    ) -> impl Future<Output = Result<T, HttpError>> + Send;
    /// An urlencoded form into `T` (fields parsed as the query is, see
    /// [`RequestExt::query_as`]): 415 unless the body is a form, 422
    /// naming the field that does not fit.
    ///
    /// ```
    /// use lath::prelude::*;
    /// #[derive(serde::Deserialize)]
    /// struct Login { user: String, remember: Option<bool> }
    /// let app = handler(|mut req: Request| async move {
    ///     let login: Login = req.form().await?;
    ///     Ok::<_, HttpError>(format!("{} {}", login.user, login.remember.unwrap_or(false)))
    /// });
    /// let res = Client::new(app)
    ///     .post("/login")
    ///     .header("Content-Type", "application/x-www-form-urlencoded")
    ///     .body("user=ada&remember=true")
    ///     .send_blocking()
    ///     .unwrap();
    /// assert_eq!(res.text(), "ada true");
    /// ```
    fn form<T: DeserializeOwned + Send>(
        &mut self,
    ) -> impl Future<Output = Result<T, HttpError>> + Send;
    /// An urlencoded form as its pairs, in order.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let app = handler(|mut req: Request| async move {
    ///     let pairs = req.form_pairs().await?;
    ///     Ok::<_, HttpError>(format!("{pairs:?}"))
    /// });
    /// let res = Client::new(app)
    ///     .post("/")
    ///     .header("Content-Type", "application/x-www-form-urlencoded")
    ///     .body("a=1&b=x+y&a=2")
    ///     .send_blocking()
    ///     .unwrap();
    /// assert_eq!(res.text(), r#"[("a", "1"), ("b", "x y"), ("a", "2")]"#);
    /// ```
    fn form_pairs(
        &mut self,
    ) -> impl Future<Output = Result<Vec<(String, String)>, HttpError>> + Send;
    /// A JSON, urlencoded or `multipart/form-data` body as a JSON object,
    /// normalized by `options` (kequapp's `getBody`). A multipart body's
    /// fields are read as a form's are; its files are left out (read them
    /// with [`BodyExt::multipart`]). Any other type is 415.
    ///
    /// ```
    /// use lath::prelude::*;
    /// use lath::layers::Normalize;
    /// let app = handler(|mut req: Request| async move {
    ///     let options = Normalize::new().required(["name"]).numbers(["age"]).arrays(["tags"]);
    ///     req.normalized(&options).await.map(Json)
    /// });
    /// let client = Client::new(app);
    /// let res = client
    ///     .post("/")
    ///     .header("Content-Type", "application/x-www-form-urlencoded")
    ///     .body("name=Ada&age=36&tags=math")
    ///     .send_blocking()
    ///     .unwrap();
    /// assert_eq!(res.json::<serde_json::Value>().unwrap(), serde_json::json!({"name": "Ada", "age": 36, "tags": ["math"]}));
    /// let res = client.post("/").json(&serde_json::json!({"age": 1})).send_blocking().unwrap();
    /// assert_eq!(res.status.code(), 422); // name is missing
    /// ```
    fn normalized(
        &mut self,
        options: &Normalize,
    ) -> impl Future<Output = Result<Value, HttpError>> + Send;
    /// A whole `multipart/form-data` body: its fields, and its files (small
    /// ones in memory, larger ones in temporary files), under
    /// [`MultipartLimits::default`](crate::MultipartLimits) with the whole
    /// body's limit lowered to the request's (see
    /// [`collect_multipart`](crate::collect_multipart) to set every limit).
    /// 415 unless the body is multipart.
    ///
    /// ```
    /// # fn multipart(fields: &[(&str, Option<&str>, &str)]) -> String {
    /// #     let mut body = String::new();
    /// #     for (name, file, value) in fields {
    /// #         body += "--XyZ\r\nContent-Disposition: form-data; name=\"";
    /// #         body += name;
    /// #         if let Some(file) = file {
    /// #             body += "\"; filename=\"";
    /// #             body += file;
    /// #         }
    /// #         body += "\"\r\n\r\n";
    /// #         body += value;
    /// #         body += "\r\n";
    /// #     }
    /// #     body + "--XyZ--\r\n"
    /// # }
    /// use lath::prelude::*;
    /// let app = handler(|mut req: Request| async move {
    ///     let form = req.multipart().await?;
    ///     let sizes: Vec<u64> = form.files.iter().map(|f| f.size).collect();
    ///     Ok::<_, HttpError>(format!("{} {sizes:?}", form.field("title").unwrap_or("")))
    /// });
    /// let res = Client::new(app)
    ///     .post("/upload")
    ///     .header("Content-Type", "multipart/form-data; boundary=XyZ")
    ///     .body(multipart(&[("title", None, "notes"), ("doc", Some("a.txt"), "hello")]))
    ///     .send_blocking()
    ///     .unwrap();
    /// assert_eq!(res.text(), "notes [5]");
    /// ```
    #[cfg(feature = "multipart")]
    fn multipart(&mut self) -> impl Future<Output = Result<crate::Form, HttpError>> + Send;
}

impl BodyExt for Request {
    async fn json<T: DeserializeOwned + Send>(&mut self) -> Result<T, HttpError> {
        if !self.is("json") {
            return Err(HttpError::unsupported_media_type(
                "expected application/json",
            ));
        }
        let bytes = self.bytes().await?;
        parse_json(&bytes)
    }

    async fn form<T: DeserializeOwned + Send>(&mut self) -> Result<T, HttpError> {
        let query = read_form(self).await?;
        crate::query_de::from_query(&query).map_err(|e| unprocessable(e.to_string()))
    }

    async fn form_pairs(&mut self) -> Result<Vec<(String, String)>, HttpError> {
        let query = read_form(self).await?;
        Ok(query
            .pairs()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect())
    }

    async fn normalized(&mut self, options: &Normalize) -> Result<Value, HttpError> {
        let value = if self.is("json") {
            self.json::<Value>().await?
        } else if self.is("form") {
            read_form(self).await?.to_json()
        } else if cfg!(feature = "multipart") && self.is("multipart/form-data") {
            multipart_fields(self).await?.to_json()
        } else {
            return Err(HttpError::unsupported_media_type(
                "expected application/json, application/x-www-form-urlencoded or multipart/form-data",
            ));
        };
        options.apply(value)
    }

    #[cfg(feature = "multipart")]
    async fn multipart(&mut self) -> Result<crate::Form, HttpError> {
        let mut limits = crate::MultipartLimits::default();
        limits.max_total = limits.max_total.min(self.body_limit());
        crate::collect_multipart(self, limits).await
    }
}

/// A multipart body's fields, as a form's.
#[cfg(feature = "multipart")]
async fn multipart_fields(req: &mut Request) -> Result<Query, HttpError> {
    Ok(Query::from_pairs(req.multipart().await?.fields))
}

#[cfg(not(feature = "multipart"))]
async fn multipart_fields(_req: &mut Request) -> Result<Query, HttpError> {
    Err(HttpError::unsupported_media_type(
        "multipart bodies need the multipart feature",
    ))
}

async fn read_form(req: &mut Request) -> Result<Query, HttpError> {
    if !req.is("form") {
        return Err(HttpError::unsupported_media_type(
            "expected application/x-www-form-urlencoded",
        ));
    }
    let bytes = req.bytes().await?;
    let text =
        std::str::from_utf8(&bytes).map_err(|_| HttpError::bad_request("form is not utf-8"))?;
    Ok(Query::parse(text))
}

/// JSON into `T`, with the errors the helpers promise.
fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, HttpError> {
    let malformed = |e: &serde_json::Error| {
        HttpError::bad_request(format!(
            "malformed json at line {} column {}",
            e.line(),
            e.column()
        ))
    };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let field = if path == "." { "body".to_owned() } else { path };
                unprocessable(format!("{field}: {inner}"))
            }
            _ => malformed(&inner),
        }
    })?;
    // Trailing garbage is malformed too.
    de.end().map_err(|e| malformed(&e))?;
    Ok(value)
}

type Validate = Arc<dyn Fn(&Value) -> Option<String> + Send + Sync>;

/// How [`BodyExt::normalized`] shapes an untyped body (kequapp's getBody
/// options). Problems answer 422.
///
/// ```
/// use lath::layers::Normalize;
/// let options = Normalize::new().booleans(["admin"]).numbers(["age"]);
/// let value = options.apply(serde_json::json!({"admin": "0", "age": "7"})).unwrap();
/// assert_eq!(value, serde_json::json!({"admin": false, "age": 7}));
/// ```
#[derive(Clone, Default)]
pub struct Normalize {
    arrays: Vec<String>,
    required: Vec<String>,
    numbers: Vec<String>,
    booleans: Vec<String>,
    validate: Option<Validate>,
}

impl std::fmt::Debug for Normalize {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Normalize")
            .field("arrays", &self.arrays)
            .field("required", &self.required)
            .field("numbers", &self.numbers)
            .field("booleans", &self.booleans)
            .finish_non_exhaustive()
    }
}

fn names<I: IntoIterator<Item = S>, S: Into<String>>(fields: I) -> Vec<String> {
    fields.into_iter().map(Into::into).collect()
}

impl Normalize {
    /// No options: the body as sent.
    ///
    /// ```
    /// use lath::layers::Normalize;
    /// let same = Normalize::new().apply(serde_json::json!({"a": "1"})).unwrap();
    /// assert_eq!(same, serde_json::json!({"a": "1"}));
    /// ```
    pub fn new() -> Normalize {
        Normalize::default()
    }

    /// These fields are always arrays (`[]` when absent).
    ///
    /// ```
    /// use lath::layers::Normalize;
    /// let options = Normalize::new().arrays(["tags", "ids"]);
    /// let value = options.apply(serde_json::json!({"tags": "one"})).unwrap();
    /// assert_eq!(value, serde_json::json!({"tags": ["one"], "ids": []}));
    /// ```
    pub fn arrays<I: IntoIterator<Item = S>, S: Into<String>>(mut self, fields: I) -> Normalize {
        self.arrays = names(fields);
        self
    }

    /// These fields must be present, not null, not an empty array and
    /// not a blank string (an empty form input); 422 lists every one
    /// missing.
    ///
    /// ```
    /// use lath::layers::Normalize;
    /// let options = Normalize::new().required(["name", "email"]);
    /// let error = options.apply(serde_json::json!({"name": "Ada"})).unwrap_err();
    /// assert_eq!(error.status().code(), 422);
    /// assert!(error.message().contains("email"));
    /// ```
    pub fn required<I: IntoIterator<Item = S>, S: Into<String>>(mut self, fields: I) -> Normalize {
        self.required = names(fields);
        self
    }

    /// These fields (or their elements) become numbers; 422 if one is not.
    ///
    /// ```
    /// use lath::layers::Normalize;
    /// let options = Normalize::new().numbers(["ids"]);
    /// let value = options.apply(serde_json::json!({"ids": ["1", "2.5"]})).unwrap();
    /// assert_eq!(value, serde_json::json!({"ids": [1, 2.5]}));
    /// assert!(options.apply(serde_json::json!({"ids": "x"})).is_err());
    /// ```
    pub fn numbers<I: IntoIterator<Item = S>, S: Into<String>>(mut self, fields: I) -> Normalize {
        self.numbers = names(fields);
        self
    }

    /// These fields become booleans: `""`, `"0"`, `"false"`, `0` and null
    /// are false, anything else true.
    ///
    /// ```
    /// use lath::layers::Normalize;
    /// let options = Normalize::new().booleans(["a", "b", "c"]);
    /// let value = options.apply(serde_json::json!({"a": "on", "b": "false", "c": ""})).unwrap();
    /// assert_eq!(value, serde_json::json!({"a": true, "b": false, "c": false}));
    /// ```
    pub fn booleans<I: IntoIterator<Item = S>, S: Into<String>>(mut self, fields: I) -> Normalize {
        self.booleans = names(fields);
        self
    }

    /// A last check: a message it returns becomes a 422.
    ///
    /// ```
    /// use lath::layers::Normalize;
    /// let options = Normalize::new().validate(|body| match body["password"].as_str() {
    ///     Some(p) if p.len() >= 8 => None,
    ///     _ => Some("password: at least 8 characters".into()),
    /// });
    /// let error = options.apply(serde_json::json!({"password": "short"})).unwrap_err();
    /// assert_eq!((error.status().code(), error.message()), (422, "password: at least 8 characters"));
    /// ```
    pub fn validate(
        mut self,
        check: impl Fn(&Value) -> Option<String> + Send + Sync + 'static,
    ) -> Normalize {
        self.validate = Some(Arc::new(check));
        self
    }

    /// Applies the options to `value`, which must be an object.
    ///
    /// ```
    /// use lath::layers::Normalize;
    /// let value = Normalize::new().numbers(["n"]).apply(serde_json::json!({"n": "42"})).unwrap();
    /// assert_eq!(value["n"], 42);
    /// ```
    pub fn apply(&self, value: Value) -> Result<Value, HttpError> {
        let Value::Object(mut object) = value else {
            return Err(unprocessable("body: expected an object".to_owned()));
        };
        for field in &self.arrays {
            let entry = object.remove(field).unwrap_or(Value::Array(Vec::new()));
            let array = match entry {
                Value::Array(items) => Value::Array(items),
                Value::Null => Value::Array(Vec::new()),
                other => Value::Array(vec![other]),
            };
            object.insert(field.clone(), array);
        }
        let missing: Vec<&str> = self
            .required
            .iter()
            // An empty array is as missing as an absent field.
            .filter(|f| match object.get(*f) {
                None | Some(Value::Null) => true,
                Some(Value::Array(items)) => items.is_empty(),
                // An empty form input is as missing as an absent one.
                Some(Value::String(text)) => text.trim().is_empty(),
                Some(_) => false,
            })
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            return Err(unprocessable(format!(
                "missing required fields: {}",
                missing.join(", ")
            )));
        }
        for field in &self.numbers {
            convert(&mut object, field, |v| match v {
                Value::Number(_) => Ok(v.clone()),
                Value::String(s) => s
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .and_then(|n| {
                        if n.fract() == 0.0 && n.abs() < 9e15 {
                            Some(Value::from(n as i64))
                        } else {
                            serde_json::Number::from_f64(n).map(Value::Number)
                        }
                    })
                    .ok_or_else(|| format!("{field} is not a number")),
                _ => Err(format!("{field} is not a number")),
            })?;
        }
        for field in &self.booleans {
            convert(&mut object, field, |v| {
                Ok(Value::Bool(match v {
                    Value::Bool(b) => *b,
                    Value::String(s) => !matches!(s.as_str(), "" | "0" | "false"),
                    Value::Number(n) => n.as_f64() != Some(0.0),
                    Value::Null => false,
                    _ => true,
                }))
            })?;
        }
        let value = Value::Object(object);
        if let Some(message) = self.validate.as_ref().and_then(|check| check(&value)) {
            return Err(unprocessable(message));
        }
        Ok(value)
    }
}

/// Converts `field` (each element, for an array) with `f`.
fn convert(
    object: &mut Map<String, Value>,
    field: &str,
    f: impl Fn(&Value) -> Result<Value, String>,
) -> Result<(), HttpError> {
    let Some(value) = object.get_mut(field) else {
        return Ok(());
    };
    let converted = match &*value {
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(&f)
                .collect::<Result<_, _>>()
                .map_err(unprocessable)?,
        ),
        other => f(other).map_err(unprocessable)?,
    };
    *value = converted;
    Ok(())
}
