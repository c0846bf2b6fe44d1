//! Test-only crate: see api/ and browser/.
