//! Room configurations: the schema (the keys a room has, each with a type and a default, from
//! `[[modules.mod_muc_light.config_schema]]`) and the validation of the key/value pairs clients
//! send. Values are kept as canonical strings: integers and floats are parsed and written back.

use std::collections::BTreeMap;

pub use crate::config::ConfigField;
use crate::xml::{InvalidChar, check_chars};

/// A room's configuration: every schema key with its value, sorted by key.
pub type RoomConfig = BTreeMap<String, String>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldType {
    String,
    Integer,
    Float,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub ty: FieldType,
    /// The default, canonical.
    pub default: String,
}

/// Why a key was refused: the reference's reasons, `not_found` and `type_error`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    NotFound,
    TypeError,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::NotFound => "not_found",
            Reason::TypeError => "type_error",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("validation failed for key {key}: {}", reason.as_str())]
    Invalid { key: String, reason: Reason },
    /// A string value XML cannot carry (configurations travel in MUC Light's XML).
    #[error("the value of {key} contains {ch}")]
    InvalidChar { key: String, ch: InvalidChar },
}

/// The keys rooms have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schema {
    fields: BTreeMap<String, Field>,
}

/// A plain XML element name: a letter or `_`, then letters, digits, `-`, `_` or `.`.
fn is_element_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// The canonical form of a float: the shortest text that reads back as the same number, with a
/// decimal point (`1.0`, `0.25`, `1e300`).
fn float_text(f: f64) -> String {
    format!("{f:?}")
}

impl Schema {
    /// The schema the options describe; refuses empty or repeated field names and items with
    /// other than exactly one default.
    pub fn from_options(items: &[ConfigField]) -> Result<Schema, String> {
        let mut fields = BTreeMap::new();
        for item in items {
            if item.field.is_empty() {
                return Err("a field name is empty".into());
            }
            if !is_element_name(&item.field) {
                return Err(format!(
                    "the field name {:?} is not an XML element name (configurations travel as \
                     XML elements named after their keys)",
                    item.field
                ));
            }
            let field = match (&item.string_value, item.integer_value, item.float_value) {
                (Some(s), None, None) => {
                    check_chars(s)
                        .map_err(|c| format!("the default of {:?} contains {c}", item.field))?;
                    Field {
                        ty: FieldType::String,
                        default: s.clone(),
                    }
                }
                (None, Some(i), None) => Field {
                    ty: FieldType::Integer,
                    default: i.to_string(),
                },
                (None, None, Some(f)) if f.is_finite() => Field {
                    ty: FieldType::Float,
                    default: float_text(f),
                },
                _ => {
                    return Err(format!(
                        "{:?} needs exactly one of string_value, integer_value and a finite \
                         float_value",
                        item.field
                    ));
                }
            };
            if fields.insert(item.field.clone(), field).is_some() {
                return Err(format!("the field {:?} is defined twice", item.field));
            }
        }
        Ok(Schema { fields })
    }

    pub fn field(&self, key: &str) -> Option<&Field> {
        self.fields.get(key)
    }

    /// Every key with its default.
    pub fn defaults(&self) -> RoomConfig {
        self.fields
            .iter()
            .map(|(k, f)| (k.clone(), f.default.clone()))
            .collect()
    }

    /// The given pairs as a configuration change: later duplicates win, every key must be in
    /// the schema and parse as its type. The first offending key in key order is reported.
    pub fn validate(&self, pairs: &[(String, String)]) -> Result<RoomConfig, ConfigError> {
        let merged: RoomConfig = pairs.iter().cloned().collect();
        merged
            .into_iter()
            .map(|(key, value)| {
                let value = self.parse(&key, &value)?;
                Ok((key, value))
            })
            .collect()
    }

    fn parse(&self, key: &str, value: &str) -> Result<String, ConfigError> {
        let invalid = |reason| ConfigError::Invalid {
            key: key.to_string(),
            reason,
        };
        let field = self.field(key).ok_or_else(|| invalid(Reason::NotFound))?;
        match field.ty {
            FieldType::String => {
                check_chars(value).map_err(|ch| ConfigError::InvalidChar {
                    key: key.to_string(),
                    ch,
                })?;
                Ok(value.to_string())
            }
            FieldType::Integer => value
                .parse::<i64>()
                .map(|i| i.to_string())
                .map_err(|_| invalid(Reason::TypeError)),
            FieldType::Float => match value.parse::<f64>() {
                Ok(f) if f.is_finite() => Ok(float_text(f)),
                _ => Err(invalid(Reason::TypeError)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Schema {
        let field = |name: &str, s: Option<&str>, i: Option<i64>, f: Option<f64>| ConfigField {
            field: name.into(),
            string_value: s.map(str::to_string),
            integer_value: i,
            float_value: f,
        };
        Schema::from_options(&[
            field("roomname", Some("Untitled"), None, None),
            field("subject", Some(""), None, None),
            field("lines", None, Some(30), None),
            field("ratio", None, None, Some(0.5)),
        ])
        .unwrap()
    }

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_cover_every_key_in_order() {
        let d = schema().defaults();
        assert_eq!(
            d.iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect::<Vec<_>>(),
            [
                ("lines", "30"),
                ("ratio", "0.5"),
                ("roomname", "Untitled"),
                ("subject", "")
            ]
        );
    }

    #[test]
    fn values_are_typed_and_canonical() {
        let c = schema()
            .validate(&pairs(&[
                ("lines", "+007"),
                ("ratio", "2"),
                ("subject", "x"),
            ]))
            .unwrap();
        assert_eq!(c["lines"], "7");
        assert_eq!(c["ratio"], "2.0");
        assert_eq!(c["subject"], "x");
        assert_eq!(c.len(), 3);
    }

    #[test]
    fn later_duplicates_win() {
        let c = schema()
            .validate(&pairs(&[("subject", "a"), ("subject", "b")]))
            .unwrap();
        assert_eq!(c["subject"], "b");
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused() {
        let s = schema();
        assert_eq!(
            s.validate(&pairs(&[("badkey", "x")])),
            Err(ConfigError::Invalid {
                key: "badkey".into(),
                reason: Reason::NotFound
            })
        );
        for (k, v) in [
            ("lines", "x"),
            ("lines", "1.5"),
            ("ratio", "NaN"),
            ("ratio", "inf"),
        ] {
            assert_eq!(
                s.validate(&pairs(&[(k, v)])),
                Err(ConfigError::Invalid {
                    key: k.into(),
                    reason: Reason::TypeError
                }),
                "{k}={v}"
            );
        }
        assert!(matches!(
            s.validate(&pairs(&[("roomname", "a\u{0}")])),
            Err(ConfigError::InvalidChar { .. })
        ));
        // The first offending key in key order.
        assert_eq!(
            s.validate(&pairs(&[("zz", "x"), ("lines", "x")])),
            Err(ConfigError::Invalid {
                key: "lines".into(),
                reason: Reason::TypeError
            })
        );
    }

    #[test]
    fn schema_options_are_checked() {
        let bad = |f: ConfigField| Schema::from_options(&[f]).is_err();
        let base = ConfigField {
            field: "k".into(),
            string_value: None,
            integer_value: None,
            float_value: None,
        };
        assert!(bad(base.clone()));
        assert!(bad(ConfigField {
            string_value: Some("a".into()),
            integer_value: Some(1),
            ..base.clone()
        }));
        assert!(bad(ConfigField {
            field: String::new(),
            string_value: Some("a".into()),
            ..base.clone()
        }));
        assert!(bad(ConfigField {
            field: "two words".into(),
            string_value: Some("a".into()),
            ..base.clone()
        }));
        assert!(bad(ConfigField {
            float_value: Some(f64::NAN),
            ..base.clone()
        }));
        let ok = ConfigField {
            string_value: Some("a".into()),
            ..base
        };
        assert!(Schema::from_options(&[ok.clone(), ok]).is_err());
    }
}
