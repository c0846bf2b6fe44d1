//! Times as the interface writes and reads them. Plain digits, because
//! chrono's strftime machinery (its format-string parser and formatter)
//! costs the phone's bundle more than these few fixed shapes.

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};

/// 09:30
pub fn hm(t: &impl Timelike) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

/// 05-12
pub fn md(t: &impl Datelike) -> String {
    format!("{:02}-{:02}", t.month(), t.day())
}

/// 05月12日 09:30
pub fn md_hm<T: Datelike + Timelike>(t: &T) -> String {
    format!("{:02}月{:02}日 {}", t.month(), t.day(), hm(t))
}

/// 2026-05-12 09:30
pub fn ymd_hm<T: Datelike + Timelike>(t: &T) -> String {
    format!("{}-{} {}", t.year(), md(t), hm(t))
}

/// A local time as a `datetime-local` input gives it: 2026-05-12T09:30.
pub fn parse_local_minute(text: &str) -> Option<NaiveDateTime> {
    const SHAPE: &[u8; 16] = b"dddd-dd-ddTdd:dd";
    let bytes = text.as_bytes();
    let shaped = bytes.len() == SHAPE.len()
        && bytes.iter().zip(SHAPE).all(|(b, s)| match s {
            b'd' => b.is_ascii_digit(),
            s => b == s,
        });
    if !shaped {
        return None;
    }
    let number = |from: usize, to: usize| text[from..to].parse::<u32>().ok();
    NaiveDate::from_ymd_opt(number(0, 4)? as i32, number(5, 7)?, number(8, 10)?)?.and_hms_opt(
        number(11, 13)?,
        number(14, 16)?,
        0,
    )
}

/// Serde for a time in JSON, read with chrono's RFC 3339 parser only.
/// chrono's own `Deserialize` goes through its general `FromStr`, which
/// brings its whole format-item parser (RFC 2822 included) to the phone;
/// what chrono writes is RFC 3339, so this reads the same JSON.
pub mod rfc3339 {
    use chrono::{DateTime, FixedOffset};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(t: &DateTime<FixedOffset>, s: S) -> Result<S::Ok, S::Error> {
        t.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<FixedOffset>, D::Error> {
        let text = String::deserialize(d)?;
        DateTime::parse_from_rfc3339(&text).map_err(serde::de::Error::custom)
    }
}

/// [`rfc3339`] for an optional time (`null` or absent is `None`).
pub mod opt_rfc3339 {
    use chrono::{DateTime, FixedOffset};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(
        t: &Option<DateTime<FixedOffset>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        t.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<DateTime<FixedOffset>>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|text| DateTime::parse_from_rfc3339(&text).map_err(serde::de::Error::custom))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    #[test]
    fn shapes_match_strftime() {
        let t = DateTime::parse_from_rfc3339("2026-05-02T09:05:00+08:00").expect("t");
        assert_eq!(hm(&t), t.format("%H:%M").to_string());
        assert_eq!(md(&t), t.format("%m-%d").to_string());
        assert_eq!(md_hm(&t), t.format("%m月%d日 %H:%M").to_string());
        assert_eq!(ymd_hm(&t), t.format("%Y-%m-%d %H:%M").to_string());
    }

    #[test]
    fn reads_what_a_datetime_input_gives_and_nothing_else() {
        let want = NaiveDateTime::parse_from_str("2026-05-12T09:30", "%Y-%m-%dT%H:%M").ok();
        assert_eq!(parse_local_minute("2026-05-12T09:30"), want);
        for bad in [
            "",
            "2026-05-12",
            "2026-05-12T9:30",
            "2026-13-12T09:30",
            "2026-02-30T09:30",
            "2026-05-12T24:00",
            "2026-05-12T09:30:00",
            "2026/05/12T09:30",
            "２026-05-12T09:30",
            "+026-05-12T09:30",
        ] {
            assert_eq!(parse_local_minute(bad), None, "{bad}");
        }
    }

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Timed {
        #[serde(with = "super::rfc3339")]
        at: chrono::DateTime<chrono::FixedOffset>,
        #[serde(default, with = "super::opt_rfc3339")]
        until: Option<chrono::DateTime<chrono::FixedOffset>>,
    }

    #[test]
    fn json_times_read_what_chrono_writes() {
        for text in ["2026-05-02T09:05:00+08:00", "2026-05-02T01:05:00.250Z"] {
            let t = DateTime::parse_from_rfc3339(text).expect("t");
            let timed = Timed {
                at: t,
                until: Some(t),
            };
            let json = serde_json::to_string(&timed).expect("json");
            // Written exactly as chrono's own Serialize writes it.
            assert_eq!(
                json,
                format!(
                    r#"{{"at":{0},"until":{0}}}"#,
                    serde_json::to_string(&t).expect("t")
                )
            );
            assert_eq!(serde_json::from_str::<Timed>(&json).expect("read"), timed);
        }
        let absent: Timed =
            serde_json::from_str(r#"{"at":"2026-05-02T09:05:00+08:00"}"#).expect("absent");
        assert_eq!(absent.until, None);
        let null: Timed =
            serde_json::from_str(r#"{"at":"2026-05-02T09:05:00+08:00","until":null}"#)
                .expect("null");
        assert_eq!(null.until, None);
        for bad in [
            r#"{"at":"2026-05-02 09:05"}"#,
            r#"{"at":"Sat, 2 May 2026 09:05:00 +0800"}"#,
            r#"{"at":5}"#,
        ] {
            assert!(serde_json::from_str::<Timed>(bad).is_err(), "{bad}");
        }
    }
}
