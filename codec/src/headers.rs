//! Header fields: order and original case kept, lookup case-insensitive
//! (RFC 9110 §5).

use std::fmt;
use std::mem::ManuallyDrop;

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
pub(crate) struct SpanList(ManuallyDrop<Vec<Span>>);

// The lists are `ManuallyDrop`: what `drop` leaves behind is always an
// empty list, so no drop glue need run after it.
impl Drop for SpanList {
    // Inlined: most lists dropped are empty ones (a head's defaults).
    #[inline]
    fn drop(&mut self) {
        if self.0.capacity() > 0 {
            give_spans(std::mem::take(&mut *self.0));
        }
    }
}

#[inline(never)]
fn give_spans(list: Vec<Span>) {
    recycle::give(&SPAN_LISTS, list);
}

impl SpanList {
    pub(crate) fn with_capacity(n: usize) -> SpanList {
        SpanList(ManuallyDrop::new(recycle::take(&SPAN_LISTS, n)))
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
struct FieldList(ManuallyDrop<Vec<(Bytes, Bytes)>>);

impl Drop for FieldList {
    // Inlined: most lists dropped are empty ones (a head's defaults).
    #[inline]
    fn drop(&mut self) {
        if self.0.capacity() > 0 {
            give_fields(std::mem::take(&mut *self.0));
        }
    }
}

#[inline(never)]
fn give_fields(list: Vec<(Bytes, Bytes)>) {
    recycle::give(&FIELD_LISTS, list);
}

impl FieldList {
    fn with_capacity(n: usize) -> FieldList {
        FieldList(ManuallyDrop::new(recycle::take(&FIELD_LISTS, n)))
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
/// validated when a head is written (a [`Field`] was validated when it was
/// made), so a response can never be split by a CR or LF in a value.
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
    /// A checked field added first, kept inline: most responses carry one
    /// (their `Content-Type`), and then need no list. Goes before `given`.
    first: Option<Field>,
    given: FieldList,
    /// A given field may be invalid: it came through
    /// [`append`](Headers::append) or [`insert`](Headers::insert), not as a
    /// [`Field`] checked when it was made.
    given_unchecked: bool,
}

/// A header field checked once, when it is made — at compile time when
/// made in a `const` — so a head holding it needs no check for it when it
/// is written. For the fields an app sends on every response.
///
/// ```
/// use lath_codec::{Field, Headers};
///
/// const CACHE_NOTHING: Field = Field::new("Cache-Control", "no-store");
///
/// let mut headers = Headers::new();
/// headers.append_field(CACHE_NOTHING);
/// assert_eq!(headers.get("cache-control"), Some(&b"no-store"[..]));
/// ```
///
/// An invalid field does not compile in a `const`, and panics elsewhere:
///
/// ```compile_fail
/// use lath_codec::Field;
/// const SPLIT: Field = Field::new("X-Split", "a\r\nInjected: yes");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    name: &'static str,
    value: &'static str,
}

impl Field {
    /// The field `name: value`.
    ///
    /// # Panics
    ///
    /// When `name` is not a token or `value` holds a byte no field value
    /// may hold (RFC 9110 §5.1, §5.5): CR, LF, NUL, another control or
    /// DEL.
    pub const fn new(name: &'static str, value: &'static str) -> Field {
        assert!(
            crate::grammar::is_field_const(name.as_bytes(), value.as_bytes()),
            "an invalid header field"
        );
        Field { name, value }
    }

    /// The field's name.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The field's value.
    pub const fn value(&self) -> &'static str {
        self.value
    }
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
            first: None,
            given: FieldList::default(),
            given_unchecked: false,
        }
    }

    /// Must the fields be checked before they go out? Parsed fields and
    /// fields added by name and value must; [`Field`]s were.
    pub(crate) fn needs_check(&self) -> bool {
        self.given_unchecked || !self.parsed.as_slice().is_empty()
    }

    fn part(&self, (start, len): (u32, u32)) -> &[u8] {
        let start = start as usize;
        &self.source[start..start + len as usize]
    }

    /// The number of field lines.
    pub fn len(&self) -> usize {
        self.parsed.as_slice().len() + usize::from(self.first.is_some()) + self.given.len()
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
        let first = || {
            let field = self
                .first
                .filter(|f| f.name.as_bytes().eq_ignore_ascii_case(name))?;
            Some(Bytes::from_static(field.value.as_bytes()))
        };
        parsed.or_else(first).or_else(|| {
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
        self.given_unchecked = true;
        self.given.push((name.into(), value.into()));
    }

    /// Adds `field` after the existing ones. It was checked when it was
    /// made, so writing the head does not check it again.
    ///
    /// ```
    /// use lath_codec::{Field, Headers};
    /// let mut headers = Headers::new();
    /// headers.append_field(Field::new("Vary", "Accept"));
    /// headers.append_field(Field::new("Vary", "Origin"));
    /// assert_eq!(headers.get_all("vary").count(), 2);
    /// ```
    pub fn append_field(&mut self, field: Field) {
        if self.first.is_none() && self.given.is_empty() {
            self.first = Some(field);
            return;
        }
        let name = Bytes::from_static(field.name.as_bytes());
        let value = Bytes::from_static(field.value.as_bytes());
        self.given.push((name, value));
    }

    /// Replaces every field of `field`'s name with `field`, placed last;
    /// as [`insert`](Headers::insert) for a field checked when it was
    /// made.
    ///
    /// ```
    /// use lath_codec::{Field, Headers};
    /// let mut headers = Headers::new();
    /// headers.append("Content-Type", "text/plain");
    /// headers.insert_field(Field::new("Content-Type", "text/html"));
    /// assert_eq!(headers.get("content-type"), Some(&b"text/html"[..]));
    /// ```
    pub fn insert_field(&mut self, field: Field) {
        self.remove(field.name);
        self.append_field(field);
    }

    /// Replaces every field named `name` with one line holding `value`,
    /// placed last. (Only the order of lines of the same name carries
    /// meaning, RFC 9110 §5.3.)
    pub fn insert(&mut self, name: impl Into<Bytes>, value: impl Into<Bytes>) {
        let name = name.into();
        self.remove_bytes(&name);
        self.given_unchecked = true;
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
        if self
            .first
            .is_some_and(|f| f.name.as_bytes().eq_ignore_ascii_case(name))
        {
            self.first = None;
        }
        self.given.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        before != self.len()
    }

    /// The fields in order, as (name, value). Names are tokens once
    /// validated; a name that is not UTF-8 reads as `""`.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            headers: self,
            parsed: self.parsed.as_slice().iter(),
            first: self.first,
            given: self.given.iter(),
        }
    }

    /// The fields in order, each name and value as [`Bytes`] that share
    /// this list's storage: nothing is copied, and a field given as
    /// `'static` text stays static. For handing a head to a library that
    /// keeps its fields as `Bytes`.
    ///
    /// ```
    /// use lath_codec::{Field, Headers};
    /// let mut headers = Headers::new();
    /// headers.append_field(Field::new("Content-Type", "text/plain"));
    /// headers.append("X-Id", "7");
    /// let fields: Vec<_> = headers.iter_shared().collect();
    /// assert_eq!(fields[0].0, "Content-Type");
    /// assert_eq!(fields[1].1, "7");
    /// ```
    pub fn iter_shared(&self) -> impl Iterator<Item = (Bytes, Bytes)> + '_ {
        let slice = |(start, len): (u32, u32)| {
            let start = start as usize;
            self.source.slice(start..start + len as usize)
        };
        let parsed = self
            .parsed
            .as_slice()
            .iter()
            .map(move |span| (slice(span.name), slice(span.value)));
        let first = self.first.iter().map(|field| {
            (
                Bytes::from_static(field.name.as_bytes()),
                Bytes::from_static(field.value.as_bytes()),
            )
        });
        let given = self.given.iter().cloned();
        parsed.chain(first).chain(given)
    }

    /// Calls `f` with each field in order, names as bytes, until it fails:
    /// a plain loop per kind of storage, cheaper than the chained
    /// iterator on a path taken per response.
    pub(crate) fn try_for_each_raw<E>(
        &self,
        mut f: impl FnMut(&[u8], &[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        for span in self.parsed.as_slice() {
            f(self.part(span.name), self.part(span.value))?;
        }
        if let Some(field) = &self.first {
            f(field.name.as_bytes(), field.value.as_bytes())?;
        }
        for (name, value) in self.given.iter() {
            f(name, value)?;
        }
        Ok(())
    }

    /// Calls `f` with each field in order, names as bytes.
    pub(crate) fn for_each_raw(&self, mut f: impl FnMut(&[u8], &[u8])) {
        let _ = self.try_for_each_raw(|name, value| {
            f(name, value);
            Ok::<(), std::convert::Infallible>(())
        });
    }

    /// The fields in order, names as bytes.
    pub(crate) fn iter_raw(&self) -> impl Iterator<Item = (&[u8], &[u8])> + '_ {
        let parsed = self
            .parsed
            .as_slice()
            .iter()
            .map(|s| (self.part(s.name), self.part(s.value)));
        let first = self
            .first
            .iter()
            .map(|f| (f.name.as_bytes(), f.value.as_bytes()));
        let given = self.given.iter().map(|(n, v)| (&n[..], &v[..]));
        parsed.chain(first).chain(given)
    }
}

/// An iterator over `(name, value)` pairs of [`Headers`].
#[derive(Debug)]
pub struct Iter<'a> {
    headers: &'a Headers,
    parsed: std::slice::Iter<'a, Span>,
    first: Option<Field>,
    given: std::slice::Iter<'a, (Bytes, Bytes)>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a str, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let (name, value) = match self.parsed.next() {
            Some(span) => (self.headers.part(span.name), self.headers.part(span.value)),
            None if self.first.is_some() => {
                let field = self.first.take()?;
                (field.name.as_bytes(), field.value.as_bytes())
            }
            None => {
                let (name, value) = self.given.next()?;
                (&name[..], &value[..])
            }
        };
        Some((std::str::from_utf8(name).unwrap_or(""), value))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.parsed.as_slice().len() + usize::from(self.first.is_some()) + self.given.len();
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
    fn shared_fields_point_into_the_parsed_bytes_in_order() {
        let source = Bytes::from(b"Host: a\r\nX: 1\r\n".to_vec());
        let spans = [Span::new((0, 4), (6, 1)), Span::new((9, 1), (12, 1))];
        let mut list = SpanList::default();
        spans.into_iter().for_each(|s| list.push(s));
        let mut h = Headers::parsed(source.clone(), list);
        h.append_field(Field::new("C", "3"));
        h.append("Y", "2");
        let shared: Vec<_> = h.iter_shared().collect();
        let plain: Vec<_> = h.iter().map(|(n, v)| (n.as_bytes(), v)).collect();
        assert_eq!(shared.len(), plain.len());
        for ((name, value), (n, v)) in shared.iter().zip(plain) {
            assert_eq!((&name[..], &value[..]), (n, v));
        }
        // No copy: the parsed value is the source's own byte.
        assert_eq!(shared[0].1.as_ptr(), source[6..].as_ptr());
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
    fn checked_fields_keep_their_place_among_the_others() {
        const A: Field = Field::new("A", "1");
        const C: Field = Field::new("C", "3");
        let mut h = Headers::new();
        h.append_field(A);
        h.append("B", "2");
        h.append_field(C);
        let mut plain = Headers::new();
        plain.append("A", "1");
        plain.append("B", "2");
        plain.append("C", "3");
        assert_eq!(h, plain);
        assert_eq!(h.iter().size_hint(), (3, Some(3)));
        assert_eq!(h.get_bytes("a").unwrap(), "1");
        assert!(h.remove("a"));
        h.append_field(A);
        let names: Vec<_> = h.iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["B", "C", "A"], "appended last, after a removal");
        h.insert_field(Field::new("b", "4"));
        let names: Vec<_> = h.iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["C", "A", "b"]);
    }

    #[test]
    fn only_fields_added_unchecked_are_checked_at_write() {
        let mut h = Headers::new();
        h.append_field(Field::new("Content-Type", "text/plain"));
        h.insert_field(Field::new("Vary", "Accept"));
        assert!(!h.needs_check());
        h.append("X", "1");
        assert!(h.needs_check());
        let mut parsed = SpanList::default();
        parsed.push(Span::new((0, 1), (2, 1)));
        assert!(Headers::parsed(Bytes::from_static(b"a:b"), parsed).needs_check());
    }

    #[test]
    #[should_panic(expected = "an invalid header field")]
    fn a_field_that_could_split_a_message_is_refused_when_made() {
        let value = String::from("a\r\nInjected: yes").leak();
        let _ = Field::new("X", value);
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
