//! Hand-written parsing and rendering of the custom scalars. The newtypes and the async-graphql
//! glue are generated (`generated::scalars`); each codec trait is implemented here for
//! [`Codecs`]. A parse error is the *reason* the API reports, rendered as the reference renders
//! it: atoms bare (`failed_to_parse_jid`), strings in double quotes.

use async_graphql::Value;
use chrono::{DateTime, SecondsFormat, Utc};

use crate::generated::scalars::*;
use crate::jid::Jid;
use crate::xml::Element;

/// The implementor of every generated scalar codec trait.
pub struct Codecs;

fn string(value: &Value) -> Option<&str> {
    match value {
        Value::String(s) => Some(s),
        _ => None,
    }
}

fn parse_jid(
    value: &Value,
    f: fn(&str) -> Result<Jid, crate::jid::JidError>,
) -> Result<Jid, String> {
    let s = string(value).ok_or(crate::jid::JidError::Parse.as_str())?;
    f(s).map_err(|e| e.as_str().to_string())
}

impl JidCodec for Codecs {
    type Repr = Jid;
    fn parse(value: &Value) -> Result<Jid, String> {
        parse_jid(value, Jid::parse)
    }
    fn to_value(repr: &Jid) -> Value {
        Value::String(repr.to_string())
    }
}

impl BareJidCodec for Codecs {
    type Repr = Jid;
    fn parse(value: &Value) -> Result<Jid, String> {
        parse_jid(value, Jid::parse_bare)
    }
    fn to_value(repr: &Jid) -> Value {
        Value::String(repr.to_string())
    }
}

impl FullJidCodec for Codecs {
    type Repr = Jid;
    fn parse(value: &Value) -> Result<Jid, String> {
        parse_jid(value, Jid::parse_full)
    }
    fn to_value(repr: &Jid) -> Value {
        Value::String(repr.to_string())
    }
}

/// A name scalar: non-empty, and valid for its stringprep profile.
fn parse_name(
    value: &Value,
    what: &str,
    prep: fn(&str) -> Option<String>,
) -> Result<String, String> {
    match string(value) {
        Some("") => Err(format!("empty_{what}")),
        Some(s) => prep(s).ok_or_else(|| format!("failed_to_parse_{what}")),
        None => Err(format!("failed_to_parse_{what}")),
    }
}

impl UserNameCodec for Codecs {
    type Repr = String;
    fn parse(value: &Value) -> Result<String, String> {
        parse_name(value, "user_name", crate::jid::prep_user_name)
    }
    fn to_value(repr: &String) -> Value {
        Value::String(repr.clone())
    }
}

impl RoomNameCodec for Codecs {
    type Repr = String;
    fn parse(value: &Value) -> Result<String, String> {
        parse_name(value, "room_name", crate::jid::prep_user_name)
    }
    fn to_value(repr: &String) -> Value {
        Value::String(repr.clone())
    }
}

impl DomainNameCodec for Codecs {
    type Repr = String;
    fn parse(value: &Value) -> Result<String, String> {
        parse_name(value, "domain_name", |s| crate::jid::prep_domain(s).ok())
    }
    fn to_value(repr: &String) -> Value {
        Value::String(repr.clone())
    }
}

impl ResourceNameCodec for Codecs {
    type Repr = String;
    fn parse(value: &Value) -> Result<String, String> {
        parse_name(value, "resource_name", crate::jid::prep_resource_name)
    }
    fn to_value(repr: &String) -> Value {
        Value::String(repr.clone())
    }
}

impl NonEmptyStringCodec for Codecs {
    type Repr = String;
    /// As in the reference, only emptiness is checked: a number or boolean passes as its text.
    fn parse(value: &Value) -> Result<String, String> {
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Boolean(b) => b.to_string(),
            _ => String::new(),
        };
        if text.is_empty() {
            Err("\"Given string is empty\"".into())
        } else {
            Ok(text)
        }
    }
    fn to_value(repr: &String) -> Value {
        Value::String(repr.clone())
    }
}

fn integer(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        _ => None,
    }
}

impl PosIntCodec for Codecs {
    type Repr = i64;
    fn parse(value: &Value) -> Result<i64, String> {
        integer(value)
            .filter(|i| *i > 0)
            .ok_or_else(|| "\"Value is not a positive integer\"".into())
    }
    fn to_value(repr: &i64) -> Value {
        Value::from(*repr)
    }
}

impl NonNegIntCodec for Codecs {
    type Repr = i64;
    fn parse(value: &Value) -> Result<i64, String> {
        integer(value)
            .filter(|i| *i >= 0)
            .ok_or_else(|| "\"Value is not a non-negative integer\"".into())
    }
    fn to_value(repr: &i64) -> Value {
        Value::from(*repr)
    }
}

/// Longest DateTime input: room for a nanosecond fraction and an offset, with margin; longer
/// inputs (a fraction of thousands of digits) are refused before parsing.
pub const MAX_DATETIME_LEN: usize = 64;

/// Strict RFC 3339 with an offset or `Z`; fractional seconds optional and rounded to
/// microseconds, as everything is stored with microsecond precision.
pub fn parse_datetime(s: &str) -> Option<DateTime<Utc>> {
    let bytes = s.as_bytes();
    if bytes.len() < 20
        || bytes.len() > MAX_DATETIME_LEN
        || !matches!(bytes[10], b'T' | b't')
        || !bytes[..4].iter().all(u8::is_ascii_digit)
    {
        return None;
    }
    let parsed = DateTime::parse_from_rfc3339(s).ok()?.with_timezone(&Utc);
    let micros = parsed.timestamp_micros()
        + i64::from((parsed.timestamp_subsec_nanos() % 1000 >= 500) as u8);
    DateTime::from_timestamp_micros(micros)
}

/// `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
pub fn format_datetime(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

impl DateTimeCodec for Codecs {
    type Repr = DateTime<Utc>;
    fn parse(value: &Value) -> Result<DateTime<Utc>, String> {
        string(value)
            .and_then(parse_datetime)
            .ok_or_else(|| "failed_to_parse_datetime".into())
    }
    fn to_value(repr: &DateTime<Utc>) -> Value {
        Value::String(format_datetime(repr))
    }
}

impl XmlElementCodec for Codecs {
    type Repr = Element;
    fn parse(value: &Value) -> Result<Element, String> {
        let s = string(value).ok_or("\"expected <\"")?;
        Element::parse(s).map_err(|reason| format!("\"{reason}\""))
    }
    fn to_value(repr: &Element) -> Value {
        Value::String(repr.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes_are_strict_and_rounded() {
        let t = parse_datetime("2022-04-17T12:58:30.1234567+02:00").unwrap();
        assert_eq!(format_datetime(&t), "2022-04-17T10:58:30.123457Z");
        assert_eq!(
            format_datetime(&parse_datetime("2022-04-17T12:58:30Z").unwrap()),
            "2022-04-17T12:58:30.000000Z"
        );
        assert!(parse_datetime("2022-04-17 12:58:30Z").is_none());
        assert!(parse_datetime("2022-04-17T25:58:30Z").is_none());
        assert!(parse_datetime("20222-04-17T12:58:30Z").is_none());
        assert!(parse_datetime("2022-04-17T12:58:30").is_none());
        // Bounded: a long fraction is refused before chrono sees it.
        let long = |digits: usize| format!("2022-04-17T12:58:30.{}Z", "1".repeat(digits));
        assert_eq!(long(43).len(), MAX_DATETIME_LEN);
        assert!(parse_datetime(&long(43)).is_some());
        assert!(parse_datetime(&long(44)).is_none());
        assert!(parse_datetime(&long(1_000_000)).is_none());
    }

    #[test]
    fn integers() {
        assert_eq!(<Codecs as PosIntCodec>::parse(&Value::from(5)), Ok(5));
        assert!(<Codecs as PosIntCodec>::parse(&Value::from(0)).is_err());
        assert!(<Codecs as PosIntCodec>::parse(&Value::from("5")).is_err());
        assert_eq!(<Codecs as NonNegIntCodec>::parse(&Value::from(0)), Ok(0));
    }

    #[test]
    fn names() {
        assert_eq!(
            <Codecs as UserNameCodec>::parse(&Value::from("")),
            Err("empty_user_name".to_string())
        );
        assert_eq!(
            <Codecs as ResourceNameCodec>::parse(&Value::from("\n")),
            Err("failed_to_parse_resource_name".to_string())
        );
        assert_eq!(
            <Codecs as DomainNameCodec>::parse(&Value::from("LocalHost")),
            Ok("localhost".to_string())
        );
    }
}
