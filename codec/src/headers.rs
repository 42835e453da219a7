//! Header fields: order and original case kept, lookup case-insensitive
//! (RFC 9110 §5).

use std::fmt;

use bytes::Bytes;

use crate::grammar::{is_field_value, is_token, list_elements};

/// One field line: a name and a value, as sent or as given.
#[derive(Clone, PartialEq, Eq)]
pub struct Field {
    name: Bytes,
    value: Bytes,
}

impl Field {
    /// The field name in its original case.
    pub fn name(&self) -> &str {
        // Parsed names are tokens; names given by callers are checked to be
        // tokens before they are written, and a non-UTF-8 one reads as "".
        std::str::from_utf8(&self.name).unwrap_or("")
    }

    /// The raw field name.
    pub fn name_bytes(&self) -> &[u8] {
        &self.name
    }

    /// The field value, trimmed of surrounding whitespace when parsed.
    pub fn value(&self) -> &[u8] {
        &self.value
    }

    /// The field value as a shared [`Bytes`] handle.
    pub fn value_bytes(&self) -> &Bytes {
        &self.value
    }

    /// Is the name `name`, ignoring ASCII case?
    #[inline]
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name.as_bytes())
    }

    /// Are the name and value safe to serialize: a token name and a value
    /// free of CR, LF, NUL and other controls (RFC 9112 §11.1)?
    pub fn is_valid(&self) -> bool {
        is_token(&self.name) && is_field_value(&self.value)
    }
}

impl fmt::Debug for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}",
            String::from_utf8_lossy(&self.name),
            String::from_utf8_lossy(&self.value)
        )
    }
}

/// An ordered list of header fields. Repeated names are kept as separate
/// lines; lookups ignore ASCII case.
///
/// Values given by callers are stored as they are and validated when a head
/// is written, so a response can never be split by a CR or LF in a value.
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
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Headers {
    fields: Vec<Field>,
}

impl Headers {
    /// An empty list.
    pub fn new() -> Headers {
        Headers { fields: Vec::new() }
    }

    /// An empty list with room for `n` fields.
    pub fn with_capacity(n: usize) -> Headers {
        Headers {
            fields: Vec::with_capacity(n),
        }
    }

    /// The number of field lines.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Are there no fields?
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The value of the first field named `name`.
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.fields.iter().find(|f| f.is(name)).map(Field::value)
    }

    /// The value of the first field named `name`, if it is UTF-8.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(|v| std::str::from_utf8(v).ok())
    }

    /// The values of every field named `name`, in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.fields
            .iter()
            .filter(move |f| f.is(name))
            .map(Field::value)
    }

    /// Is there a field named `name`?
    pub fn contains(&self, name: &str) -> bool {
        self.fields.iter().any(|f| f.is(name))
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
        self.fields.push(Field {
            name: name.into(),
            value: value.into(),
        });
    }

    /// Replaces every field named `name` with one line holding `value`.
    pub fn insert(&mut self, name: impl Into<Bytes>, value: impl Into<Bytes>) {
        let name = name.into();
        let value = value.into();
        let mut kept = false;
        self.fields.retain_mut(|f| {
            if !f.name.eq_ignore_ascii_case(&name) {
                return true;
            }
            if kept {
                return false;
            }
            kept = true;
            f.value = value.clone();
            true
        });
        if !kept {
            self.fields.push(Field { name, value });
        }
    }

    /// Removes every field named `name`; says whether there was one.
    pub fn remove(&mut self, name: &str) -> bool {
        let before = self.fields.len();
        self.fields.retain(|f| !f.is(name));
        before != self.fields.len()
    }

    /// The fields in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Field> {
        self.fields.iter()
    }

    pub(crate) fn push(&mut self, field: Field) {
        self.fields.push(field);
    }

    pub(crate) fn field(name: Bytes, value: Bytes) -> Field {
        Field { name, value }
    }
}

impl<'a> IntoIterator for &'a Headers {
    type Item = &'a Field;
    type IntoIter = std::slice::Iter<'a, Field>;
    fn into_iter(self) -> Self::IntoIter {
        self.fields.iter()
    }
}

impl fmt::Debug for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.fields).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_replaces_every_line_of_a_name_in_place() {
        let mut h = Headers::new();
        h.append("A", "1");
        h.append("B", "2");
        h.append("a", "3");
        h.insert("A", "4");
        let names: Vec<_> = h.iter().map(|f| (f.name(), f.value().to_vec())).collect();
        assert_eq!(names, vec![("A", b"4".to_vec()), ("B", b"2".to_vec())]);
        assert!(h.remove("b"));
        assert!(!h.remove("b"));
        assert_eq!(h.len(), 1);
    }

    #[test]
    fn tokens_are_case_insensitive_list_elements() {
        let mut h = Headers::new();
        h.append("Connection", "Keep-Alive, Upgrade");
        assert!(h.has_token("connection", "upgrade"));
        assert!(h.has_token("connection", "keep-alive"));
        assert!(!h.has_token("connection", "close"));
    }

    #[test]
    fn validity() {
        assert!(Headers::field("X-A".into(), "b c".into()).is_valid());
        assert!(!Headers::field("X A".into(), "b".into()).is_valid());
        assert!(!Headers::field("X".into(), "b\r\nEvil: 1".into()).is_valid());
        assert!(!Headers::field("X".into(), "b\0".into()).is_valid());
        assert!(!Headers::field("".into(), "b".into()).is_valid());
    }
}
