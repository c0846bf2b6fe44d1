//! Now, on either side: the browser's clock (the standard library has none
//! on wasm32), or the server's.

use chrono::{DateTime, FixedOffset};

pub fn now() -> DateTime<FixedOffset> {
    #[cfg(feature = "hydrate")]
    {
        chrono::DateTime::from_timestamp_millis(js_sys::Date::now() as i64)
            .unwrap_or_default()
            .fixed_offset()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        chrono::Utc::now().fixed_offset()
    }
}
