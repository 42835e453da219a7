//! The route tree: one node per path segment, searched in priority order —
//! literal, then `:param`, then `*` — with backtracking, so priority never
//! depends on the order routes were added and lookup cost follows the
//! path's depth, not the number of routes.

use std::collections::HashMap;
use std::sync::Arc;

use lath_app::{Method, SharedApp};

use super::pattern::{RouteError, Segment};

/// One app registered at an endpoint.
pub(crate) struct Handler {
    /// `None` for `any`.
    pub(crate) method: Option<Method>,
    pub(crate) app: SharedApp,
    /// Branch layers around `app`, outermost first (see `Router::layer`).
    pub(crate) layers: Vec<SharedApp>,
    pub(crate) pattern: lath_app::RouteName,
    /// Parameter names, in the order their values are captured.
    pub(crate) names: Vec<Arc<str>>,
}

/// Where routes end.
#[derive(Default)]
pub(crate) struct Endpoint {
    pub(crate) handlers: Vec<Handler>,
}

impl Endpoint {
    /// The handler for `method`: its own, else `GET`'s for `HEAD`, else `any`.
    pub(crate) fn handler(&self, method: &Method) -> Option<&Handler> {
        let exact = |m: &Method| self.handlers.iter().find(|h| h.method.as_ref() == Some(m));
        exact(method)
            .or_else(|| {
                (*method == Method::HEAD)
                    .then(|| exact(&Method::GET))
                    .flatten()
            })
            .or_else(|| self.handlers.iter().find(|h| h.method.is_none()))
    }

    /// The `Allow` value: the methods registered here, with `HEAD` after
    /// `GET` when `GET` serves it.
    pub(crate) fn allow(&self) -> String {
        let mut methods: Vec<&str> = Vec::new();
        for handler in &self.handlers {
            let Some(method) = &handler.method else {
                continue;
            };
            methods.push(method.as_str());
            let serves_head = *method == Method::GET
                && !self.handlers.iter().any(|h| h.method == Some(Method::HEAD));
            if serves_head {
                methods.push("HEAD");
            }
        }
        methods.join(", ")
    }
}

#[derive(Default)]
pub(crate) struct Node {
    literal: HashMap<String, Node>,
    param: Option<Box<Node>>,
    wildcard: Option<Endpoint>,
    endpoint: Option<Endpoint>,
}

impl Node {
    /// Adds a handler at the end of `segments`.
    pub(crate) fn insert(
        &mut self,
        segments: &[Segment],
        handler: Handler,
    ) -> Result<(), RouteError> {
        let endpoint = match segments.split_first() {
            None => self.endpoint.get_or_insert_with(Endpoint::default),
            Some((Segment::Literal(lit), rest)) => {
                return self
                    .literal
                    .entry(lit.clone())
                    .or_default()
                    .insert(rest, handler)
            }
            Some((Segment::Param(_), rest)) => {
                return self
                    .param
                    .get_or_insert_with(Box::default)
                    .insert(rest, handler)
            }
            Some((Segment::Wildcard(_), _)) => self.wildcard.get_or_insert_with(Endpoint::default),
        };
        if endpoint.handlers.iter().any(|h| h.method == handler.method) {
            return Err(RouteError::new(handler.pattern.as_str(), "duplicate route"));
        }
        endpoint.handlers.push(handler);
        Ok(())
    }

    /// Visits every endpoint that matches `segments` in priority order,
    /// with the captured values (`rest` is the path from each segment on,
    /// for wildcards), until `visit` says stop.
    pub(crate) fn search<'a, 'p>(
        &'a self,
        segments: &[(&'p str, &'p str)],
        captured: &mut Captured<'p>,
        visit: &mut dyn FnMut(&'a Endpoint, &[&'p str]) -> bool,
    ) -> bool {
        let Some(((segment, rest), tail)) = segments.split_first() else {
            if let Some(endpoint) = &self.endpoint {
                if visit(endpoint, captured.as_slice()) {
                    return true;
                }
            }
            // `/x/*` also matches `/x/` and `/x` with an empty rest.
            if let Some(endpoint) = &self.wildcard {
                captured.push("");
                let stop = visit(endpoint, captured.as_slice());
                captured.pop();
                return stop;
            }
            return false;
        };
        if let Some(child) = self.literal.get(*segment) {
            if child.search(tail, captured, visit) {
                return true;
            }
        }
        if let Some(child) = &self.param {
            if !segment.is_empty() {
                captured.push(segment);
                let stop = child.search(tail, captured, visit);
                captured.pop();
                if stop {
                    return true;
                }
            }
        }
        if let Some(endpoint) = &self.wildcard {
            captured.push(rest);
            let stop = visit(endpoint, captured.as_slice());
            captured.pop();
            return stop;
        }
        false
    }
}

/// Values captured on the way down the tree: on the stack for up to eight,
/// so a lookup allocates nothing for ordinary routes.
#[derive(Debug, Default)]
pub(crate) struct Captured<'p> {
    inline: [&'p str; 8],
    len: usize,
    /// Every value, once there are more than `inline` holds.
    spilled: Vec<&'p str>,
}

impl<'p> Captured<'p> {
    pub(crate) fn push(&mut self, value: &'p str) {
        if self.spilled.is_empty() && self.len < self.inline.len() {
            self.inline[self.len] = value;
        } else {
            if self.spilled.is_empty() {
                self.spilled.extend_from_slice(&self.inline);
            }
            self.spilled.push(value);
        }
        self.len += 1;
    }

    pub(crate) fn pop(&mut self) {
        self.len -= 1;
        self.spilled.truncate(self.len);
        if self.len <= self.inline.len() {
            self.spilled.clear();
        }
    }

    pub(crate) fn as_slice(&self) -> &[&'p str] {
        match self.spilled.is_empty() {
            true => &self.inline[..self.len],
            false => &self.spilled,
        }
    }
}

#[cfg(test)]
mod captured_tests {
    use super::Captured;

    #[test]
    fn values_stay_in_order_on_the_stack_and_past_it() {
        let values: Vec<String> = (0..12).map(|i| i.to_string()).collect();
        let mut captured = Captured::default();
        for (n, value) in values.iter().enumerate() {
            captured.push(value);
            assert_eq!(
                captured.as_slice(),
                &values.iter().map(String::as_str).collect::<Vec<_>>()[..=n]
            );
        }
        for n in (0..12).rev() {
            captured.pop();
            assert_eq!(
                captured.as_slice(),
                &values.iter().map(String::as_str).collect::<Vec<_>>()[..n]
            );
        }
        captured.push("again");
        assert_eq!(captured.as_slice(), ["again"]);
    }
}
