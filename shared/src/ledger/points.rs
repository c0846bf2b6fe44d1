//! Points as exact hundredths: 1.5 hours × 2 points is 3.00, never 2.9999.
//! The arithmetic saturates: whatever a record or rulebook holds, a sum
//! never wraps around or panics (rulebooks bound their numbers besides).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Points(i64);

impl Points {
    pub const ZERO: Points = Points(0);

    pub const fn from_hundredths(h: i64) -> Self {
        Points(h)
    }

    pub const fn whole(n: i64) -> Self {
        Points(n * 100)
    }

    /// From a decimal, rounded to hundredths; `None` when not finite or absurd.
    pub fn from_f64(x: f64) -> Option<Self> {
        let h = (x * 100.0).round();
        (x.is_finite() && h.abs() < 1e15).then_some(Points(h as i64))
    }

    pub fn hundredths(self) -> i64 {
        self.0
    }

    pub fn as_f64(self) -> f64 {
        self.0 as f64 / 100.0
    }

    pub fn is_positive(self) -> bool {
        self.0 > 0
    }

    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// `self` per hour for `hours` (given in hundredths of an hour).
    pub fn times_hours(self, hour_hundredths: i64) -> Points {
        self.share(hour_hundredths, 100)
    }

    /// `self × numerator / denominator`, as the share of a whole; zero for
    /// a zero denominator. Worked in 128 bits, so only the result saturates.
    pub fn share(self, numerator: i64, denominator: i64) -> Points {
        match denominator {
            0 => Points::ZERO,
            d => {
                let exact = i128::from(self.0) * i128::from(numerator) / i128::from(d);
                Points(exact.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
            }
        }
    }
}

impl Add for Points {
    type Output = Points;
    fn add(self, rhs: Points) -> Points {
        Points(self.0.saturating_add(rhs.0))
    }
}

impl Sub for Points {
    type Output = Points;
    fn sub(self, rhs: Points) -> Points {
        Points(self.0.saturating_sub(rhs.0))
    }
}

impl Neg for Points {
    type Output = Points;
    fn neg(self) -> Points {
        Points(self.0.saturating_neg())
    }
}

impl AddAssign for Points {
    fn add_assign(&mut self, rhs: Points) {
        self.0 = self.0.saturating_add(rhs.0);
    }
}

impl Sum for Points {
    fn sum<I: Iterator<Item = Points>>(iter: I) -> Points {
        iter.fold(Points::ZERO, |a, b| a + b)
    }
}

impl fmt::Display for Points {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let (whole, frac) = (self.0.unsigned_abs() / 100, self.0.unsigned_abs() % 100);
        match frac {
            0 => write!(f, "{sign}{whole}"),
            f2 if f2 % 10 == 0 => write!(f, "{sign}{whole}.{}", f2 / 10),
            f2 => write!(f, "{sign}{whole}.{f2:02}"),
        }
    }
}

/// Serialized as a plain number (3, -2, 1.5), which is what people write.
impl Serialize for Points {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0 % 100 == 0 {
            s.serialize_i64(self.0 / 100)
        } else {
            s.serialize_f64(self.as_f64())
        }
    }
}

impl<'de> Deserialize<'de> for Points {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let x = f64::deserialize(d)?;
        Points::from_f64(x)
            .ok_or_else(|| serde::de::Error::custom("points must be a finite number"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_and_readable() {
        assert_eq!(Points::from_f64(1.5).unwrap().to_string(), "1.5");
        assert_eq!(Points::from_f64(-2.0).unwrap().to_string(), "-2");
        assert_eq!(Points::from_hundredths(305).to_string(), "3.05");
        assert_eq!(Points::whole(2).times_hours(150), Points::whole(3));
        assert_eq!(serde_json::to_string(&Points::whole(5)).unwrap(), "5");
        assert_eq!(
            serde_json::from_str::<Points>("0.25").unwrap(),
            Points::from_hundredths(25)
        );
        assert!(Points::from_f64(f64::NAN).is_none());
    }

    #[test]
    fn sums_never_wrap() {
        let max = Points::from_hundredths(i64::MAX);
        assert_eq!(max + Points::whole(1), max);
        assert_eq!(-max - Points::whole(5), Points::from_hundredths(i64::MIN));
        assert_eq!(max.times_hours(2400), max);
        assert_eq!(max.share(10_000, 3), max);
        assert_eq!(max.share(1, 3), Points::from_hundredths(i64::MAX / 3));
        assert_eq!(
            Points::whole(3).times_hours(150),
            Points::from_hundredths(450)
        );
        assert_eq!(Points::whole(10).share(1, 0), Points::ZERO);
        assert_eq!([max, max].into_iter().sum::<Points>(), max);
        assert!(!Points::from_hundredths(i64::MIN).to_string().is_empty());
    }
}
