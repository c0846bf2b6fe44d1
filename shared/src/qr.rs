//! The check-in link as a QR code the host's screen shows: drawn by the
//! server, and by the console's bundle when the host's screen is offline.
//! The members' bundle never reaches it.

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// An SVG QR code of `text`, scaled by its container, without an XML
/// declaration, ready to sit inside HTML; an empty string when the text is
/// too long for any QR version (a link here never is).
pub fn svg(text: &str) -> String {
    // Medium error correction: a phone screen filmed by another phone.
    let Ok(code) = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M) else {
        return String::new();
    };
    let svg = code
        .render::<svg::Color>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build();
    svg.find("<svg")
        .map(|start| svg[start..].to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_link_becomes_an_svg_picture() {
        let picture = super::svg("http://127.0.0.1:3000/checkin?event=ev-1&code=ABCDE-FGHJK");
        assert!(picture.starts_with("<svg"), "{picture}");
        assert!(picture.contains("<path"), "{picture}");
        assert!(super::svg(&"x".repeat(10_000)).is_empty());
    }
}
