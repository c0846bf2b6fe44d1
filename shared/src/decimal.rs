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

#[cfg(test)]
mod tests {
    use super::*;

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
