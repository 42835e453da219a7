//! Route patterns: `/literal/:param/*rest`, or in braces (the syntax of
//! axum 0.8 and actix) `/literal/{param}/{*rest}`.

use std::fmt;

/// One segment of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    Literal(String),
    Param(String),
    /// The rest of the path; the name is `*` when none was given.
    Wildcard(String),
}

/// A pattern the router cannot build, with the reason.
///
/// ```
/// use lath::prelude::*;
/// let error = Router::new()
///     .get("/items/{id", handler(|_req: Request| async { "item" }))
///     .build()
///     .unwrap_err();
/// assert_eq!(error.pattern(), "/items/{id");
/// assert!(error.to_string().contains("/items/{id"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteError {
    pattern: String,
    reason: &'static str,
}

impl RouteError {
    pub(crate) fn new(pattern: &str, reason: &'static str) -> RouteError {
        RouteError {
            pattern: pattern.to_owned(),
            reason,
        }
    }

    /// The pattern at fault.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let error = Router::new().get("/a/**", handler(|_req: Request| async { "" })).build().unwrap_err();
    /// assert_eq!(error.pattern(), "/a/**");
    /// ```
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// What is wrong with it.
    ///
    /// ```
    /// use lath::prelude::*;
    /// let error = Router::new().get("/file*rest", handler(|_req: Request| async { "" })).build().unwrap_err();
    /// assert!(!error.reason().is_empty());
    /// ```
    pub fn reason(&self) -> &'static str {
        self.reason
    }
}

impl fmt::Display for RouteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "route {:?}: {}", self.pattern, self.reason)
    }
}

impl std::error::Error for RouteError {}

/// Splits a pattern into segments, checking its grammar: literal
/// segments, parameters (`:id` or `{id}`) and a wildcard that takes the
/// rest of the path as the last segment (`*rest`, `{*rest}`, or `*`).
pub(crate) fn parse(pattern: &str) -> Result<Vec<Segment>, RouteError> {
    let bad = |reason| Err(RouteError::new(pattern, reason));
    let Some(rest) = pattern.strip_prefix('/') else {
        return bad("a pattern starts with '/'");
    };
    let mut segments = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let parts: Vec<&str> = if rest.is_empty() {
        Vec::new()
    } else {
        rest.split('/').collect()
    };
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        let (is_wildcard, name) = match part.strip_prefix('{') {
            Some(inner) => match inner.strip_suffix('}') {
                Some(inner) => match inner.strip_prefix('*') {
                    Some(name) => (Some(true), name),
                    None => (Some(false), inner),
                },
                None => return bad(BRACES),
            },
            None => match (part.strip_prefix(':'), part.strip_prefix('*')) {
                (Some(name), _) => (Some(false), name),
                (_, Some(name)) => (Some(true), name),
                _ => (None, *part),
            },
        };
        let segment = match is_wildcard {
            None if part.contains(['{', '}']) => return bad(BRACES),
            None if part.contains('*') => return bad(STAR),
            None if part.is_empty() && !last => return bad("empty segment"),
            None => Segment::Literal((*part).to_owned()),
            Some(wildcard) => {
                if (wildcard && !last) || name.contains(['*', '{', '}']) {
                    return bad(STAR);
                }
                // `*` alone takes the rest unnamed; every other form needs
                // a name.
                let unnamed = wildcard && *part == "*";
                if name.is_empty() && !unnamed {
                    return bad("a parameter needs a name");
                }
                if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    return bad("parameter names are letters, digits and '_'");
                }
                if !name.is_empty() && names.iter().any(|n| n == name) {
                    return bad("two parameters share one name");
                }
                names.push(name.to_owned());
                match (wildcard, unnamed) {
                    (true, true) => Segment::Wildcard("*".to_owned()),
                    (true, false) => Segment::Wildcard(name.to_owned()),
                    (false, _) => Segment::Param(name.to_owned()),
                }
            }
        };
        segments.push(segment);
    }
    // A trailing slash in a pattern is the same route as without it.
    if let Some(Segment::Literal(last)) = segments.last() {
        if last.is_empty() {
            segments.pop();
        }
    }
    Ok(segments)
}

/// Braces that do not hold a whole segment.
const BRACES: &str =
    "braces hold a whole segment, {name} or a last {*rest}; segments are literals, :name or {name}, and a last *rest or {*rest}";

/// A `*` anywhere but as the start of the last segment.
const STAR: &str =
    "a wildcard is the whole last segment, *rest or {*rest}; segments are literals, :name or {name}, and a last *rest or {*rest}";

/// `prefix` + `pattern`, one slash between them.
pub(crate) fn join(prefix: &str, pattern: &str) -> String {
    let prefix = prefix.trim_end_matches('/');
    match pattern {
        "" | "/" if prefix.is_empty() => "/".to_owned(),
        "" | "/" => prefix.to_owned(),
        _ => format!("{prefix}{pattern}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grammar() {
        use Segment::*;
        assert_eq!(parse("/").unwrap(), vec![]);
        assert_eq!(
            parse("/a/:b/*").unwrap(),
            vec![Literal("a".into()), Param("b".into()), Wildcard("*".into())]
        );
        assert_eq!(parse("/a/").unwrap(), vec![Literal("a".into())]);
        assert_eq!(
            parse("/items/{id}/{*rest}").unwrap(),
            vec![
                Literal("items".into()),
                Param("id".into()),
                Wildcard("rest".into())
            ]
        );
        assert_eq!(parse("/f/*path").unwrap(), parse("/f/{*path}").unwrap());
        for (bad, reason) in [
            ("/:", "a parameter needs a name"),
            ("/{}", "a parameter needs a name"),
            ("/{*}", "a parameter needs a name"),
            ("/x/*/y", STAR),
            ("/x/{*rest}/y", STAR),
            ("/a/**", STAR),
            ("/file*rest", STAR),
            ("/a*", STAR),
            ("/items/{id", BRACES),
            ("/items/id}", BRACES),
            ("/items/x{id}", BRACES),
            ("/{a}/{a}", "two parameters share one name"),
            ("/:id/:id", "two parameters share one name"),
            ("/:id/*id", "two parameters share one name"),
            ("/:id/{*id}", "two parameters share one name"),
            ("x", "a pattern starts with '/'"),
            ("/a//b", "empty segment"),
            ("/:a-b", "parameter names are letters, digits and '_'"),
        ] {
            let e = parse(bad).unwrap_err();
            assert_eq!(e.reason(), reason, "{bad}");
            assert!(e.to_string().contains(bad));
        }
    }

    #[test]
    fn joining() {
        assert_eq!(join("/admin", "/users"), "/admin/users");
        assert_eq!(join("/admin/", "/"), "/admin");
        assert_eq!(join("", "/"), "/");
        assert_eq!(join("/", "/x"), "/x");
    }
}
