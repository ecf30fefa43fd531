//! Enums stored as text: each type's one string mapping (`as_str` and `from_stored`) is turned
//! into its SQLite encoding, its serde form and its `Display` here, so no other layer spells the
//! strings.

/// What a type stored as text provides: its words, both ways.
pub(crate) trait StoredText: Sized {
    /// What the value is, for the error when a stored word is not one this version knows.
    const WHAT: &'static str;
    /// The word stored.
    fn as_str(&self) -> &str;
    /// The value of a stored word, None for a word this version does not know.
    fn from_stored(s: &str) -> Option<Self>;
}

/// Implements `Display`, serde and sqlx's `Type`/`Encode`/`Decode` (as SQLite TEXT) for a
/// [`StoredText`] type.
macro_rules! stored_as_text {
    ($ty:ty) => {
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str($crate::store::text::StoredText::as_str(self))
            }
        }

        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str($crate::store::text::StoredText::as_str(self))
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let word = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                $crate::store::text::parse::<Self>(&word).map_err(serde::de::Error::custom)
            }
        }

        impl sqlx::Type<sqlx::Sqlite> for $ty {
            fn type_info() -> sqlx::sqlite::SqliteTypeInfo {
                <str as sqlx::Type<sqlx::Sqlite>>::type_info()
            }

            fn compatible(ty: &sqlx::sqlite::SqliteTypeInfo) -> bool {
                <str as sqlx::Type<sqlx::Sqlite>>::compatible(ty)
            }
        }

        impl<'q> sqlx::Encode<'q, sqlx::Sqlite> for $ty {
            fn encode_by_ref(
                &self,
                buf: &mut Vec<sqlx::sqlite::SqliteArgumentValue<'q>>,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                let word = $crate::store::text::StoredText::as_str(self).to_owned();
                <String as sqlx::Encode<'q, sqlx::Sqlite>>::encode(word, buf)
            }
        }

        impl<'r> sqlx::Decode<'r, sqlx::Sqlite> for $ty {
            fn decode(
                value: sqlx::sqlite::SqliteValueRef<'r>,
            ) -> Result<Self, sqlx::error::BoxDynError> {
                let word = <&str as sqlx::Decode<'r, sqlx::Sqlite>>::decode(value)?;
                Ok($crate::store::text::parse::<Self>(word)?)
            }
        }
    };
}

pub(crate) use stored_as_text;

/// Reads a stored word, naming the value and the word when it is not one this version knows.
pub(crate) fn parse<T: StoredText>(word: &str) -> Result<T, String> {
    T::from_stored(word).ok_or_else(|| format!("unknown {} {word:?} in the database", T::WHAT))
}
