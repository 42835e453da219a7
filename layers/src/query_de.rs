//! Deserializing a query string into a type (`req.query_as::<T>()`).
//!
//! Values are text: numbers and booleans are parsed from it, a key given
//! more than once (or written `key[]`) is a sequence, a missing key is
//! `None` for an `Option`.

use std::fmt;

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserializer;

use crate::Query;

/// Why a query did not fit the type.
///
/// ```
/// use lath::prelude::*;
/// #[derive(Debug, serde::Deserialize)]
/// struct Page { page: u32 }
/// let app = handler(|req: Request| async move { req.query_as::<Page>().map(|p| p.page.to_string()) });
/// let res = Client::new(app).get("/?page=-1").send_blocking().unwrap();
/// assert_eq!(res.status.code(), 400);
/// assert!(res.text().contains("page"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError(String);

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for QueryError {}

impl de::Error for QueryError {
    fn custom<T: fmt::Display>(msg: T) -> QueryError {
        QueryError(msg.to_string())
    }
}

/// Deserializes `query` into `T`.
pub(crate) fn from_query<'de, T: serde::Deserialize<'de>>(
    query: &'de Query,
) -> Result<T, QueryError> {
    T::deserialize(QueryDeserializer { query })
}

struct QueryDeserializer<'a> {
    query: &'a Query,
}

impl<'de> Deserializer<'de> for QueryDeserializer<'de> {
    type Error = QueryError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, QueryError> {
        let keys = self.query.keys();
        visitor.visit_map(Entries {
            query: self.query,
            keys: keys.into_iter(),
            current: None,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

struct Entries<'a> {
    query: &'a Query,
    keys: std::vec::IntoIter<&'a str>,
    current: Option<&'a str>,
}

impl<'de> MapAccess<'de> for Entries<'de> {
    type Error = QueryError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, QueryError> {
        match self.keys.next() {
            Some(key) => {
                self.current = Some(key);
                seed.deserialize(key.into_deserializer()).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, QueryError> {
        let key = self
            .current
            .take()
            .ok_or_else(|| QueryError("value without a key".into()))?;
        let values = self.query.get_all(key);
        seed.deserialize(Values { key, values })
            .map_err(|e| QueryError(format!("{key}: {e}")))
    }
}

/// The values of one key.
struct Values<'a> {
    key: &'a str,
    values: Vec<&'a str>,
}

impl<'a> Values<'a> {
    fn one(&self) -> Result<&'a str, QueryError> {
        match self.values.as_slice() {
            [one] => Ok(one),
            _ => Err(QueryError(format!(
                "expected one value for {}, got {}",
                self.key,
                self.values.len()
            ))),
        }
    }
}

macro_rules! parsed {
    ($($method:ident => $visit:ident,)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, QueryError> {
            let text = self.one()?;
            let value = text
                .parse()
                .map_err(|_| QueryError(format!("{text:?} is not a {}", stringify!($method).trim_start_matches("deserialize_"))))?;
            visitor.$visit(value)
        }
    )*};
}

impl<'de> Deserializer<'de> for Values<'de> {
    type Error = QueryError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, QueryError> {
        if self.values.len() == 1 {
            visitor.visit_borrowed_str(self.values[0])
        } else {
            self.deserialize_seq(visitor)
        }
    }

    parsed! {
        deserialize_i8 => visit_i8,
        deserialize_i16 => visit_i16,
        deserialize_i32 => visit_i32,
        deserialize_i64 => visit_i64,
        deserialize_u8 => visit_u8,
        deserialize_u16 => visit_u16,
        deserialize_u32 => visit_u32,
        deserialize_u64 => visit_u64,
        deserialize_f32 => visit_f32,
        deserialize_f64 => visit_f64,
        deserialize_char => visit_char,
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, QueryError> {
        match self.one()? {
            "true" | "1" | "on" | "yes" => visitor.visit_bool(true),
            "false" | "0" | "off" | "no" | "" => visitor.visit_bool(false),
            other => Err(QueryError(format!("{other:?} is not a bool"))),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, QueryError> {
        visitor.visit_some(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, QueryError> {
        let key = self.key;
        visitor.visit_seq(Items {
            key,
            items: self.values.into_iter(),
        })
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, QueryError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, QueryError> {
        visitor.visit_enum(self.one()?.into_deserializer())
    }

    serde::forward_to_deserialize_any! {
        i128 u128 str string bytes byte_buf unit unit_struct tuple
        tuple_struct map struct identifier ignored_any
    }
}

struct Items<'a> {
    key: &'a str,
    items: std::vec::IntoIter<&'a str>,
}

impl<'de> SeqAccess<'de> for Items<'de> {
    type Error = QueryError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, QueryError> {
        match self.items.next() {
            Some(item) => seed
                .deserialize(Values {
                    key: self.key,
                    values: vec![item],
                })
                .map(Some),
            None => Ok(None),
        }
    }
}
