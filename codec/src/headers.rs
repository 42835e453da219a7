//! Header fields: order and original case kept, lookup case-insensitive
//! (RFC 9110 §5).

use std::fmt;

use bytes::Bytes;

use crate::grammar::list_elements;
use crate::recycle;

/// Where a parsed field's name and value lie within the head's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Span {
    name: (u32, u32),
    value: (u32, u32),
}

impl Span {
    pub(crate) fn new(name: (usize, usize), value: (usize, usize)) -> Span {
        // Heads are bounded by `Limits::max_head`, far below 4 GiB.
        let narrow = |(start, len): (usize, usize)| (start as u32, len as u32);
        Span {
            name: narrow(name),
            value: narrow(value),
        }
    }
}

thread_local! {
    static SPAN_LISTS: recycle::Kept<Span> = const { recycle::Kept::new() };
    static FIELD_LISTS: recycle::Kept<(Bytes, Bytes)> = const { recycle::Kept::new() };
}

/// The spans of parsed fields, in order; the storage is recycled per
/// thread.
#[derive(Debug, Clone, Default)]
pub(crate) struct SpanList(Vec<Span>);

impl Drop for SpanList {
    // Inlined: most lists dropped are empty ones (a head's defaults).
    #[inline]
    fn drop(&mut self) {
        if self.0.capacity() > 0 {
            give_spans(std::mem::take(&mut self.0));
        }
    }
}

#[inline(never)]
fn give_spans(list: Vec<Span>) {
    recycle::give(&SPAN_LISTS, list);
}

impl SpanList {
    pub(crate) fn with_capacity(n: usize) -> SpanList {
        SpanList(recycle::take(&SPAN_LISTS, n))
    }

    pub(crate) fn push(&mut self, span: Span) {
        self.0.push(span);
    }

    fn as_slice(&self) -> &[Span] {
        &self.0
    }

    fn retain(&mut self, keep: impl FnMut(&Span) -> bool) {
        self.0.retain(keep);
    }
}

/// Fields given by callers; the storage is recycled per thread.
#[derive(Clone, Default, PartialEq, Eq)]
struct FieldList(Vec<(Bytes, Bytes)>);

impl Drop for FieldList {
    // Inlined: most lists dropped are empty ones (a head's defaults).
    #[inline]
    fn drop(&mut self) {
        if self.0.capacity() > 0 {
            give_fields(std::mem::take(&mut self.0));
        }
    }
}

#[inline(never)]
fn give_fields(list: Vec<(Bytes, Bytes)>) {
    recycle::give(&FIELD_LISTS, list);
}

impl FieldList {
    fn with_capacity(n: usize) -> FieldList {
        FieldList(recycle::take(&FIELD_LISTS, n))
    }

    fn push(&mut self, field: (Bytes, Bytes)) {
        if self.0.capacity() == 0 {
            *self = FieldList::with_capacity(4);
        }
        self.0.push(field);
    }
}

impl std::ops::Deref for FieldList {
    type Target = Vec<(Bytes, Bytes)>;

    fn deref(&self) -> &Vec<(Bytes, Bytes)> {
        &self.0
    }
}

impl std::ops::DerefMut for FieldList {
    fn deref_mut(&mut self) -> &mut Vec<(Bytes, Bytes)> {
        &mut self.0
    }
}

/// An ordered list of header fields. Repeated names are kept as separate
/// lines; lookups ignore ASCII case.
///
/// Parsed fields point into the head's bytes, so a parsed head shares one
/// buffer with one reference count, not two per field. Fields given by
/// callers come after the parsed ones; they are stored as they are and
/// validated when a head is written, so a response can never be split by a
/// CR or LF in a value.
///
/// ```
/// use lath_codec::Headers;
/// let mut h = Headers::new();
/// h.append("Set-Cookie", "a=1");
/// h.append("set-cookie", "b=2");
/// h.insert("Content-Type", "text/plain");
/// assert_eq!(h.get("content-type"), Some(&b"text/plain"[..]));
/// assert_eq!(h.get_all("SET-COOKIE").count(), 2);
/// ```
#[derive(Clone, Default)]
pub struct Headers {
    source: Bytes,
    parsed: SpanList,
    given: FieldList,
}

impl Headers {
    /// An empty list.
    pub fn new() -> Headers {
        Headers::default()
    }

    /// An empty list with room for `n` fields.
    pub fn with_capacity(n: usize) -> Headers {
        Headers {
            given: FieldList::with_capacity(n),
            ..Headers::default()
        }
    }

    /// Parsed fields that point into `source`.
    pub(crate) fn parsed(source: Bytes, parsed: SpanList) -> Headers {
        Headers {
            source,
            parsed,
            given: FieldList::default(),
        }
    }

    fn part(&self, (start, len): (u32, u32)) -> &[u8] {
        let start = start as usize;
        &self.source[start..start + len as usize]
    }

    /// The number of field lines.
    pub fn len(&self) -> usize {
        self.parsed.as_slice().len() + self.given.len()
    }

    /// Are there no fields?
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value of the first field named `name`.
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.iter_raw()
            .find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| v)
    }

    /// The value of the first field named `name`, if it is UTF-8.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(|v| std::str::from_utf8(v).ok())
    }

    /// The value of the first field named `name` as a shared handle on the
    /// read buffer: no copy.
    pub fn get_bytes(&self, name: &str) -> Option<Bytes> {
        let name = name.as_bytes();
        let parsed = self
            .parsed
            .as_slice()
            .iter()
            .find(|span| self.part(span.name).eq_ignore_ascii_case(name))
            .map(|span| {
                let (start, len) = (span.value.0 as usize, span.value.1 as usize);
                self.source.slice(start..start + len)
            });
        parsed.or_else(|| {
            self.given
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        })
    }

    /// The values of every field named `name`, in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.iter_raw()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| v)
    }

    /// Is there a field named `name`?
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Does any field named `name` list `token` among its comma-separated
    /// elements, ignoring ASCII case (RFC 9110 §5.6.1)?
    pub fn has_token(&self, name: &str, token: &str) -> bool {
        self.get_all(name)
            .flat_map(list_elements)
            .any(|e| e.eq_ignore_ascii_case(token.as_bytes()))
    }

    /// Adds a field line after the existing ones.
    pub fn append(&mut self, name: impl Into<Bytes>, value: impl Into<Bytes>) {
        self.given.push((name.into(), value.into()));
    }

    /// Replaces every field named `name` with one line holding `value`,
    /// placed last. (Only the order of lines of the same name carries
    /// meaning, RFC 9110 §5.3.)
    pub fn insert(&mut self, name: impl Into<Bytes>, value: impl Into<Bytes>) {
        let name = name.into();
        self.remove_bytes(&name);
        self.given.push((name, value.into()));
    }

    /// Removes every field named `name`; says whether there was one.
    pub fn remove(&mut self, name: &str) -> bool {
        self.remove_bytes(name.as_bytes())
    }

    fn remove_bytes(&mut self, name: &[u8]) -> bool {
        let before = self.len();
        let source = &self.source;
        self.parsed.retain(|span| {
            let (start, len) = (span.name.0 as usize, span.name.1 as usize);
            !source[start..start + len].eq_ignore_ascii_case(name)
        });
        self.given.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        before != self.len()
    }

    /// The fields in order, as (name, value). Names are tokens once
    /// validated; a name that is not UTF-8 reads as `""`.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            headers: self,
            parsed: self.parsed.as_slice().iter(),
            given: self.given.iter(),
        }
    }

    /// The fields in order, names as bytes.
    pub(crate) fn iter_raw(&self) -> impl Iterator<Item = (&[u8], &[u8])> + '_ {
        let parsed = self
            .parsed
            .as_slice()
            .iter()
            .map(|s| (self.part(s.name), self.part(s.value)));
        let given = self.given.iter().map(|(n, v)| (&n[..], &v[..]));
        parsed.chain(given)
    }
}

/// An iterator over `(name, value)` pairs of [`Headers`].
#[derive(Debug)]
pub struct Iter<'a> {
    headers: &'a Headers,
    parsed: std::slice::Iter<'a, Span>,
    given: std::slice::Iter<'a, (Bytes, Bytes)>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a str, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let (name, value) = match self.parsed.next() {
            Some(span) => (self.headers.part(span.name), self.headers.part(span.value)),
            None => {
                let (name, value) = self.given.next()?;
                (&name[..], &value[..])
            }
        };
        Some((std::str::from_utf8(name).unwrap_or(""), value))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.parsed.as_slice().len() + self.given.len();
        (n, Some(n))
    }
}

impl<'a> IntoIterator for &'a Headers {
    type Item = (&'a str, &'a [u8]);
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl PartialEq for Headers {
    /// Equal when the same lines stand in the same order, however stored.
    fn eq(&self, other: &Headers) -> bool {
        self.len() == other.len() && self.iter_raw().eq(other.iter_raw())
    }
}

impl Eq for Headers {}

impl fmt::Debug for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.iter_raw().map(|(n, v)| {
                format!(
                    "{}: {}",
                    String::from_utf8_lossy(n),
                    String::from_utf8_lossy(v)
                )
            }))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_replaces_every_line_of_a_name() {
        let mut h = Headers::new();
        h.append("A", "1");
        h.append("B", "2");
        h.append("a", "3");
        h.insert("A", "4");
        let fields: Vec<_> = h.iter().map(|(n, v)| (n, v.to_vec())).collect();
        assert_eq!(fields, vec![("B", b"2".to_vec()), ("A", b"4".to_vec())]);
        assert!(h.remove("b"));
        assert!(!h.remove("b"));
        assert_eq!(h.len(), 1);
    }

    #[test]
    fn parsed_and_given_fields_mix() {
        let source = Bytes::from_static(b"Host: a\r\nX: 1\r\n");
        let spans = [Span::new((0, 4), (6, 1)), Span::new((9, 1), (12, 1))];
        let mut list = SpanList::default();
        spans.into_iter().for_each(|s| list.push(s));
        let mut h = Headers::parsed(source, list);
        h.append("Y", "2");
        assert_eq!(h.get("host"), Some(&b"a"[..]));
        assert_eq!(h.get_bytes("x").unwrap(), "1");
        h.insert("x", "3");
        assert_eq!(h.get("X"), Some(&b"3"[..]));
        let mut given = Headers::new();
        given.append("Host", "a");
        given.append("Y", "2");
        given.append("x", "3");
        assert_eq!(h, given);
    }

    #[test]
    fn many_parsed_fields_spill_to_the_heap() {
        let source = Bytes::from(b"a:1\n".repeat(40));
        let mut list = SpanList::default();
        for i in 0..40 {
            list.push(Span::new((i * 4, 1), (i * 4 + 2, 1)));
        }
        let mut h = Headers::parsed(source, list);
        assert_eq!(h.len(), 40);
        assert_eq!(h.get_all("A").count(), 40);
        assert!(h.remove("a"));
        assert!(h.is_empty());
    }

    #[test]
    fn tokens_are_case_insensitive_list_elements() {
        let mut h = Headers::new();
        h.append("Connection", "Keep-Alive, Upgrade");
        assert!(h.has_token("connection", "upgrade"));
        assert!(h.has_token("connection", "keep-alive"));
        assert!(!h.has_token("connection", "close"));
    }
}
