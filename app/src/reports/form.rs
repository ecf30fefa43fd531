//! Form fields as GET forms and the command line give them: every value optional text, a blank
//! one meaning unset. One parser, so every report answers a bad value the same way: a message
//! naming the field and the value, which the edges turn into a 400 or a CLI error.

use std::str::FromStr;

/// A type a form field parses into, with the words for what a value of it must be.
pub trait FieldValue: FromStr {
    /// What a valid value is, for the error message ("a valid number").
    const WHAT: &'static str;
}

impl FieldValue for f64 {
    const WHAT: &'static str = "a valid number";
}

impl FieldValue for i64 {
    const WHAT: &'static str = "a whole number";
}

impl FieldValue for u32 {
    const WHAT: &'static str = "a whole number of 0 or more";
}

impl FieldValue for usize {
    const WHAT: &'static str = "a whole number of 0 or more";
}

/// The value, trimmed, when one was given (blank counts as unset).
pub fn given(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|s| !s.is_empty())
}

/// Parses the field `name`: None when unset, Err naming the field when the value does not parse.
pub fn number<T: FieldValue>(name: &str, value: Option<&str>) -> Result<Option<T>, String> {
    given(value)
        .map(|s| {
            s.parse::<T>()
                .map_err(|_| format!("'{name}={s}' is not {}", T::WHAT))
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_is_unset_and_values_are_trimmed() {
        assert_eq!(number::<f64>("threshold", None), Ok(None));
        assert_eq!(number::<f64>("threshold", Some("  ")), Ok(None));
        assert_eq!(number::<f64>("threshold", Some(" 2.5 ")), Ok(Some(2.5)));
        assert_eq!(number::<u32>("max", Some("12")), Ok(Some(12)));
    }

    #[test]
    fn a_bad_value_names_the_field_and_what_it_must_be() {
        assert_eq!(
            number::<f64>("threshold", Some("ten")),
            Err("'threshold=ten' is not a valid number".to_string())
        );
        assert_eq!(
            number::<u32>("max", Some("-1")),
            Err("'max=-1' is not a whole number of 0 or more".to_string())
        );
        assert_eq!(
            number::<i64>("period", Some("1.5")),
            Err("'period=1.5' is not a whole number".to_string())
        );
    }
}
