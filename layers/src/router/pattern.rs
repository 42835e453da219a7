//! Route patterns: `/literal/:param/*rest`.

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
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// What is wrong with it.
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

/// Splits a pattern into segments, checking its grammar.
pub(crate) fn parse(pattern: &str) -> Result<Vec<Segment>, RouteError> {
    let bad = |reason| Err(RouteError::new(pattern, reason));
    let Some(rest) = pattern.strip_prefix('/') else {
        return bad("a pattern starts with '/'");
    };
    let mut segments = Vec::new();
    let mut names: Vec<&str> = Vec::new();
    let parts: Vec<&str> = if rest.is_empty() {
        Vec::new()
    } else {
        rest.split('/').collect()
    };
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        let segment = if let Some(name) = part.strip_prefix(':') {
            if name.is_empty() {
                return bad("a parameter needs a name");
            }
            if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return bad("parameter names are letters, digits and '_'");
            }
            Segment::Param(name.to_owned())
        } else if let Some(name) = part.strip_prefix('*') {
            if !last {
                return bad("a wildcard must be the last segment");
            }
            if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return bad("parameter names are letters, digits and '_'");
            }
            Segment::Wildcard(if name.is_empty() {
                "*".to_owned()
            } else {
                name.to_owned()
            })
        } else if part.is_empty() && !last {
            return bad("empty segment");
        } else {
            Segment::Literal((*part).to_owned())
        };
        if let Segment::Param(name) | Segment::Wildcard(name) = &segment {
            if names.contains(&name.as_str()) {
                return bad("two parameters share one name");
            }
            names.push(parts[i].trim_start_matches([':', '*']));
        }
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
        for (bad, reason) in [
            ("/:", "a parameter needs a name"),
            ("/x/*/y", "a wildcard must be the last segment"),
            ("/:id/:id", "two parameters share one name"),
            ("/:id/*id", "two parameters share one name"),
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
