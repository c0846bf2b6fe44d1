//! Unit enums read from their snake_case codes ("theme_day", "full").
//!
//! serde's derived enum reader handles every shape an enum can take (maps,
//! variant indices); each one cost the phone's download about a kilobyte,
//! and there are a dozen. These enums are only ever their code, so one small
//! reader does: the text, then an exact match against the enum's codes.

use serde::de::{Deserializer, Error};
use serde::Deserialize;

/// Reads `T` from its code, one of `all` as `code` spells them.
pub fn deserialize<'de, D, T>(
    deserializer: D,
    all: &[T],
    code: fn(T) -> &'static str,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Copy,
{
    let text = String::deserialize(deserializer)?;
    all.iter()
        .copied()
        .find(|v| code(*v) == text)
        .ok_or_else(|| D::Error::custom(format_args!("unknown code “{text}”")))
}

/// Implements `Deserialize` for a unit enum with `ALL` and `as_str`.
macro_rules! deserialize_by_code {
    ($name:ty) => {
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $crate::codes::deserialize(d, &<$name>::ALL, <$name>::as_str)
            }
        }
    };
}
pub(crate) use deserialize_by_code;

#[cfg(test)]
mod tests {
    use crate::ledger::{Grade, Kind};
    use crate::org::{MemberStatus, OrgKind, Role};

    #[test]
    fn reads_exactly_the_codes_it_writes() {
        for k in Kind::ALL {
            let json = serde_json::to_string(k).unwrap();
            assert_eq!(json, format!("\"{}\"", k.as_str()));
            assert_eq!(serde_json::from_str::<Kind>(&json).unwrap(), *k);
        }
        for r in Role::ALL {
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(serde_json::from_str::<Role>(&json).unwrap(), r);
        }
        assert_eq!(
            serde_json::from_str::<MemberStatus>("\"probationary\"").unwrap(),
            MemberStatus::Probationary
        );
        assert_eq!(
            serde_json::from_str::<OrgKind>("\"general_branch\"").unwrap(),
            OrgKind::GeneralBranch
        );
        // Map keys read the same way.
        let grades: std::collections::BTreeMap<Grade, u8> =
            serde_json::from_str(r#"{"excellent": 1, "basic": 2}"#).unwrap();
        assert_eq!(
            grades.keys().copied().collect::<Vec<_>>(),
            [Grade::Excellent, Grade::Basic]
        );
    }

    #[test]
    fn refuses_labels_other_cases_and_non_text() {
        // Labels and loose spellings are for imports (FromStr), not the wire.
        for bad in [
            "\"正式\"",
            "\"Full\"",
            "\" full\"",
            "0",
            "null",
            "{\"full\":null}",
        ] {
            assert!(serde_json::from_str::<MemberStatus>(bad).is_err(), "{bad}");
        }
        assert!(serde_json::from_str::<Role>("\"支部书记\"").is_err());
        let err = serde_json::from_str::<Kind>("\"party\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("party"), "{err}");
    }
}
