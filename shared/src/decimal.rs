//! Numbers as the interface writes them, with a fixed number of decimals,
//! in integer arithmetic. Rust's float formatting (`{}` or `{:.1}` on an
//! f64) brings the whole shortest-representation algorithm into the phone's
//! bundle; every figure here needs at most four places.

/// `value` rounded to `places` decimals (at most 6), half away from zero.
pub fn fixed(value: f64, places: u32) -> String {
    let places = places.min(6);
    let scale = 10u64.pow(places);
    if !value.is_finite() {
        return "—".into();
    }
    let scaled = (value.abs() * scale as f64).round();
    // Beyond u64 nothing the interface shows is meaningful.
    let scaled = if scaled >= u64::MAX as f64 {
        u64::MAX
    } else {
        scaled as u64
    };
    let sign = if value < 0.0 && scaled != 0 { "-" } else { "" };
    let (whole, frac) = (scaled / scale, scaled % scale);
    if places == 0 {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{frac:0width$}", width = places as usize)
    }
}

/// `value` with up to `places` decimals and no trailing zeros: 2.5, 2, 0.25.
pub fn short(value: f64, places: u32) -> String {
    let text = fixed(value, places);
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// A plain decimal as people type one (`2`, `1.5`, `0.25`, `.5`): digits
/// with at most one point, 15 digits at most. Chinese keyboards give
/// full-width digits and points (`１．５`, `１。５`), read as the ASCII ones.
/// Anything else, signs and exponents included, is `None`. The value is the
/// one `str::parse` gives, without bringing Rust's general float parser to
/// the phone.
pub fn parse(text: &str) -> Option<f64> {
    let text = half_width(text);
    let (whole, frac) = text.split_once('.').unwrap_or((&text, ""));
    let digits = whole.len() + frac.len();
    let plain = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if digits == 0 || digits > 15 || !plain(whole) || !plain(frac) {
        return None;
    }
    // Every digit as one integer below 10^15 < 2^53, so it and the power
    // of ten are exact as f64 and the one division rounds correctly.
    let n = whole
        .bytes()
        .chain(frac.bytes())
        .fold(0u64, |n, b| n * 10 + u64::from(b - b'0'));
    Some(n as f64 / 10u64.pow(frac.len() as u32) as f64)
}

/// Full-width digits and points as their ASCII forms; other characters
/// are kept (and refused by the parser).
fn half_width(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            '．' | '。' => '.',
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_digits_and_points_read_as_people_mean_them() {
        assert_eq!(parse("１．５"), Some(1.5));
        assert_eq!(parse("２。２５"), Some(2.25));
        assert_eq!(parse("1５"), Some(15.0));
        assert_eq!(parse("１，５"), None);
        assert_eq!(parse("－１"), None);
    }
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn parse_gives_what_rust_gives(whole in "[0-9]{0,8}", frac in proptest::option::of("[0-9]{0,7}")) {
            let text = match &frac {
                Some(f) => format!("{whole}.{f}"),
                None => whole.clone(),
            };
            let want = if whole.is_empty() && frac.as_deref().unwrap_or("").is_empty() {
                None
            } else {
                text.parse::<f64>().ok()
            };
            prop_assert_eq!(parse(&text), want, "{}", text);
        }
    }

    #[test]
    fn parse_refuses_what_is_not_a_plain_decimal() {
        for bad in [
            "",
            ".",
            "-1",
            "+1",
            "1e2",
            "inf",
            "NaN",
            "1.2.3",
            " 1",
            "1,5",
            "1234567890123456",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
        assert_eq!(parse("2"), Some(2.0));
        assert_eq!(parse(".5"), Some(0.5));
        assert_eq!(parse("5."), Some(5.0));
        assert_eq!(parse("0.1"), Some(0.1));
    }

    #[test]
    fn fixed_places_round_half_away_from_zero() {
        assert_eq!(fixed(1.25, 1), "1.3");
        assert_eq!(fixed(-1.25, 1), "-1.3");
        assert_eq!(fixed(39.908_749, 4), "39.9087");
        assert_eq!(fixed(116.397_55, 4), "116.3976");
        assert_eq!(fixed(0.04, 1), "0.0");
        assert_eq!(fixed(-0.04, 1), "0.0");
        assert_eq!(fixed(1536.0, 0), "1536");
        assert_eq!(fixed(2.0, 2), "2.00");
        assert_eq!(fixed(f64::NAN, 1), "—");
    }

    #[test]
    fn short_drops_trailing_zeros() {
        assert_eq!(short(2.5, 2), "2.5");
        assert_eq!(short(2.0, 2), "2");
        assert_eq!(short(0.25, 2), "0.25");
        assert_eq!(short(-3.10, 2), "-3.1");
        assert_eq!(short(10.0, 0), "10");
    }

    #[test]
    fn agrees_with_rusts_formatting_where_that_rounds_the_same() {
        for i in 0..2000 {
            let v = i as f64 * 0.37 - 300.0;
            assert_eq!(fixed(v, 2), format!("{v:.2}"), "{v}");
        }
    }
}
