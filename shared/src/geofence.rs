//! An event's geofence: the circle a check-in's position must fall in to
//! count as "at the event". Checked on the phone with no network, by the same
//! arithmetic the server and the secretary's pages use.

use serde::{Deserialize, Serialize};
use std::ops::RangeInclusive;

pub const LAT: RangeInclusive<f64> = -90.0..=90.0;
pub const LON: RangeInclusive<f64> = -180.0..=180.0;
/// From one metre (a room) to 100 km (a whole county's villages).
pub const RADIUS_M: RangeInclusive<f64> = 1.0..=100_000.0;

/// The mean Earth radius (IUGG), in metres.
const EARTH_RADIUS_M: f64 = 6_371_008.8;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Geofence {
    pub lat: f64,
    pub lon: f64,
    pub radius_m: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GeofenceError {
    #[error("纬度应在 -90 到 90 之间")]
    Lat,
    #[error("经度应在 -180 到 180 之间")]
    Lon,
    #[error("签到范围半径应在 1 米到 100 公里之间")]
    Radius,
}

/// Whether a phone's reading is a place on Earth.
pub fn valid_position(lat: f64, lon: f64) -> bool {
    LAT.contains(&lat) && LON.contains(&lon)
}

/// Great-circle distance in metres (haversine): accurate to well under a
/// metre at the scale of a geofence, and cheap enough for every record.
pub fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lat1, lat2) = (a.0.to_radians(), b.0.to_radians());
    let dlat = lat2 - lat1;
    let dlon = (b.1 - a.1).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

impl Geofence {
    /// A fence from what a secretary typed, or the first number out of range.
    pub fn new(lat: f64, lon: f64, radius_m: f64) -> Result<Self, GeofenceError> {
        if !LAT.contains(&lat) {
            return Err(GeofenceError::Lat);
        }
        if !LON.contains(&lon) {
            return Err(GeofenceError::Lon);
        }
        if !RADIUS_M.contains(&radius_m) {
            return Err(GeofenceError::Radius);
        }
        Ok(Geofence { lat, lon, radius_m })
    }

    /// How far `(lat, lon)` is from the fence's centre, in metres.
    pub fn distance_m(&self, lat: f64, lon: f64) -> f64 {
        distance_m((self.lat, self.lon), (lat, lon))
    }

    pub fn contains(&self, lat: f64, lon: f64) -> bool {
        self.distance_m(lat, lon) <= self.radius_m
    }
}

/// A distance in words: metres near, kilometres far.
pub fn distance_label(metres: f64) -> String {
    if metres < 1000.0 {
        format!("{} 米", metres.round() as i64)
    } else {
        format!("{} 公里", crate::decimal::fixed(metres / 1000.0, 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_match_known_ones() {
        // Tiananmen to the Beijing West railway station: about 6.6 km.
        let d = distance_m((39.9087, 116.3975), (39.8946, 116.3220));
        assert!((d - 6_600.0).abs() < 300.0, "{d}");
        // One thousandth of a degree of latitude is about 111 m anywhere.
        let d = distance_m((30.0, 120.0), (30.001, 120.0));
        assert!((d - 111.2).abs() < 0.5, "{d}");
        assert_eq!(distance_m((10.0, 20.0), (10.0, 20.0)), 0.0);
        // Antipodes: half the circumference, no NaN from rounding.
        let d = distance_m((0.0, 0.0), (0.0, 180.0));
        assert!((d - std::f64::consts::PI * EARTH_RADIUS_M).abs() < 1.0);
    }

    #[test]
    fn a_fence_holds_what_is_within_its_radius() {
        let fence = Geofence::new(30.0, 120.0, 150.0).expect("fence");
        assert!(fence.contains(30.001, 120.0));
        assert!(!fence.contains(30.002, 120.0));
        assert_eq!(Geofence::new(91.0, 0.0, 10.0), Err(GeofenceError::Lat));
        assert_eq!(Geofence::new(0.0, -181.0, 10.0), Err(GeofenceError::Lon));
        assert_eq!(Geofence::new(0.0, 0.0, 0.5), Err(GeofenceError::Radius));
        assert_eq!(
            Geofence::new(0.0, 0.0, f64::NAN),
            Err(GeofenceError::Radius)
        );
    }

    #[test]
    fn distances_read_in_metres_or_kilometres() {
        assert_eq!(distance_label(86.4), "86 米");
        assert_eq!(distance_label(2_345.0), "2.3 公里");
    }
}
