//! Literal semantics the constraints need: well-formed lexical forms, ordering, language ranges.

use std::cmp::Ordering;
use std::str::FromStr;

use oxrdf::vocab::{rdf, xsd};
use oxrdf::{Literal, NamedNodeRef, Term};
use oxsdatatypes::{
    Boolean, Date, DateTime, DayTimeDuration, Decimal, Double, Duration, Float, GDay, GMonth,
    GMonthDay, GYear, GYearMonth, Integer, Time, YearMonthDuration,
};

/// Whether `literal` has datatype `datatype` and, for the XSD types the engine knows, a
/// lexical form in the type's lexical space (`"abc"^^xsd:integer` does not).
pub(crate) fn has_datatype(literal: &Literal, datatype: NamedNodeRef<'_>) -> bool {
    if literal.datatype() != datatype {
        return false;
    }
    if datatype == rdf::LANG_STRING {
        return literal.language().is_some();
    }
    is_well_formed(literal.value(), datatype)
}

fn is_well_formed(value: &str, datatype: NamedNodeRef<'_>) -> bool {
    let integer_in = |min: i128, max: i128| {
        Integer::from_str(value).is_ok()
            && value
                .trim_start_matches('+')
                .parse::<i128>()
                .is_ok_and(|v| (min..=max).contains(&v))
    };
    match datatype
        .as_str()
        .strip_prefix("http://www.w3.org/2001/XMLSchema#")
    {
        Some(
            "string" | "anyURI" | "normalizedString" | "token" | "language" | "NMTOKEN" | "Name"
            | "NCName",
        ) => true,
        Some("boolean") => Boolean::from_str(value).is_ok(),
        Some("decimal") => Decimal::from_str(value).is_ok(),
        Some("integer") => Integer::from_str(value).is_ok() || is_big_integer(value),
        Some("long") => integer_in(i64::MIN.into(), i64::MAX.into()),
        Some("int") => integer_in(i32::MIN.into(), i32::MAX.into()),
        Some("short") => integer_in(i16::MIN.into(), i16::MAX.into()),
        Some("byte") => integer_in(i8::MIN.into(), i8::MAX.into()),
        Some("unsignedLong") => integer_in(0, u64::MAX.into()),
        Some("unsignedInt") => integer_in(0, u32::MAX.into()),
        Some("unsignedShort") => integer_in(0, u16::MAX.into()),
        Some("unsignedByte") => integer_in(0, u8::MAX.into()),
        Some("nonNegativeInteger") => big_integer_sign(value).is_some_and(|s| s >= 0),
        Some("positiveInteger") => big_integer_sign(value).is_some_and(|s| s > 0),
        Some("nonPositiveInteger") => big_integer_sign(value).is_some_and(|s| s <= 0),
        Some("negativeInteger") => big_integer_sign(value).is_some_and(|s| s < 0),
        Some("double") => Double::from_str(value).is_ok(),
        Some("float") => Float::from_str(value).is_ok(),
        Some("dateTime") => DateTime::from_str(value).is_ok(),
        Some("dateTimeStamp") => DateTime::from_str(value).is_ok_and(|d| d.timezone().is_some()),
        Some("date") => Date::from_str(value).is_ok(),
        Some("time") => Time::from_str(value).is_ok(),
        Some("duration") => Duration::from_str(value).is_ok(),
        Some("dayTimeDuration") => DayTimeDuration::from_str(value).is_ok(),
        Some("yearMonthDuration") => YearMonthDuration::from_str(value).is_ok(),
        Some("gYear") => GYear::from_str(value).is_ok(),
        Some("gYearMonth") => GYearMonth::from_str(value).is_ok(),
        Some("gMonth") => GMonth::from_str(value).is_ok(),
        Some("gDay") => GDay::from_str(value).is_ok(),
        Some("gMonthDay") => GMonthDay::from_str(value).is_ok(),
        _ => true,
    }
}

/// Integers longer than the fixed-width parser takes are still integers.
fn is_big_integer(value: &str) -> bool {
    let digits = value.strip_prefix(['+', '-']).unwrap_or(value);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// The sign of an integer lexical form (-1, 0, 1), or `None` if it is not one.
fn big_integer_sign(value: &str) -> Option<i8> {
    if !is_big_integer(value) {
        return None;
    }
    let negative = value.starts_with('-');
    let digits = value.trim_start_matches(['+', '-']);
    if digits.bytes().all(|b| b == b'0') {
        Some(0)
    } else if negative {
        Some(-1)
    } else {
        Some(1)
    }
}

/// The kinds of literal value the ordering constraints compare.
enum Comparable {
    Decimal(Decimal),
    Double(Double),
    String(String),
    Boolean(bool),
    DateTime(DateTime),
    Date(Date),
    Time(Time),
    Duration(Duration),
}

fn comparable(term: &Term) -> Option<Comparable> {
    let Term::Literal(literal) = term else {
        return None;
    };
    let value = literal.value();
    let datatype = literal.datatype();
    if literal.language().is_some() {
        return None;
    }
    if datatype == xsd::STRING {
        return Some(Comparable::String(value.to_owned()));
    }
    if !is_well_formed(value, datatype) {
        return None;
    }
    let local = datatype
        .as_str()
        .strip_prefix("http://www.w3.org/2001/XMLSchema#")?;
    Some(match local {
        "double" => Comparable::Double(Double::from_str(value).ok()?),
        "float" => Comparable::Double(Float::from_str(value).ok()?.into()),
        "decimal" | "integer" | "long" | "int" | "short" | "byte" | "unsignedLong"
        | "unsignedInt" | "unsignedShort" | "unsignedByte" | "nonNegativeInteger"
        | "positiveInteger" | "nonPositiveInteger" | "negativeInteger" => {
            Comparable::Decimal(Decimal::from_str(value).ok()?)
        }
        "boolean" => Comparable::Boolean(Boolean::from_str(value).ok()?.into()),
        "dateTime" | "dateTimeStamp" => Comparable::DateTime(DateTime::from_str(value).ok()?),
        "date" => Comparable::Date(Date::from_str(value).ok()?),
        "time" => Comparable::Time(Time::from_str(value).ok()?),
        "duration" | "dayTimeDuration" | "yearMonthDuration" => {
            Comparable::Duration(Duration::from_str(value).ok()?)
        }
        _ => return None,
    })
}

/// The order of two terms as SPARQL's `<` sees them; `None` when they are not comparable
/// (IRIs, blank nodes, different value spaces, ill-formed literals, indeterminate times).
pub(crate) fn compare(left: &Term, right: &Term) -> Option<Ordering> {
    use Comparable as C;
    match (comparable(left)?, comparable(right)?) {
        (C::Decimal(a), C::Decimal(b)) => Some(a.cmp(&b)),
        (C::Decimal(a), C::Double(b)) => Double::from(a).partial_cmp(&b),
        (C::Double(a), C::Decimal(b)) => a.partial_cmp(&Double::from(b)),
        (C::Double(a), C::Double(b)) => a.partial_cmp(&b),
        (C::String(a), C::String(b)) => Some(a.cmp(&b)),
        (C::Boolean(a), C::Boolean(b)) => Some(a.cmp(&b)),
        (C::DateTime(a), C::DateTime(b)) => a.partial_cmp(&b),
        (C::Date(a), C::Date(b)) => a.partial_cmp(&b),
        (C::Time(a), C::Time(b)) => a.partial_cmp(&b),
        (C::Duration(a), C::Duration(b)) => a.partial_cmp(&b),
        _ => None,
    }
}

/// `langMatches` basic filtering (RFC 4647 §3.3.1); `ranges` are lower case.
pub(crate) fn language_matches(tag: &str, range: &str) -> bool {
    if range == "*" {
        return !tag.is_empty();
    }
    let tag = tag.to_ascii_lowercase();
    tag == range || (tag.starts_with(range) && tag.as_bytes().get(range.len()) == Some(&b'-'))
}

/// The string a length or pattern constraint looks at: an IRI or a literal's lexical form.
pub(crate) fn string_value(term: &Term) -> Option<&str> {
    match term {
        Term::NamedNode(n) => Some(n.as_str()),
        Term::Literal(l) => Some(l.value()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(value: &str, datatype: NamedNodeRef<'_>) -> Term {
        Literal::new_typed_literal(value, datatype).into()
    }

    #[test]
    fn ill_formed_lexical_forms_do_not_have_their_datatype() {
        let check = |v: &str, d| has_datatype(&Literal::new_typed_literal(v, d), d);
        assert!(check("42", xsd::INTEGER));
        assert!(!check("abc", xsd::INTEGER));
        assert!(!check("300", xsd::BYTE));
        assert!(check("2024-01-01T00:00:00Z", xsd::DATE_TIME));
        assert!(!check("2024-13-01T00:00:00Z", xsd::DATE_TIME));
        assert!(!check("2024-01-01T00:00:00", xsd::DATE_TIME_STAMP));
        assert!(check("123456789012345678901234567890", xsd::INTEGER));
        assert!(!check("-1", xsd::NON_NEGATIVE_INTEGER));
    }

    #[test]
    fn numbers_compare_across_numeric_types_and_not_with_strings() {
        assert_eq!(
            compare(&typed("1.5", xsd::DECIMAL), &typed("2", xsd::INTEGER)),
            Some(Ordering::Less)
        );
        assert_eq!(
            compare(&typed("1e3", xsd::DOUBLE), &typed("1000", xsd::INTEGER)),
            Some(Ordering::Equal)
        );
        assert_eq!(
            compare(&typed("1", xsd::STRING), &typed("1", xsd::INTEGER)),
            None
        );
        assert_eq!(
            compare(&typed("x", xsd::INTEGER), &typed("1", xsd::INTEGER)),
            None
        );
    }

    #[test]
    fn language_ranges_match_prefixes_at_subtag_boundaries() {
        assert!(language_matches("en-US", "en"));
        assert!(language_matches("en", "en"));
        assert!(!language_matches("eng", "en"));
        assert!(language_matches("fr", "*"));
    }
}
