//! The console's entry point: hydrates the pages of secretaries, officers
//! and committees, which a member's phone never downloads.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    vanguard_app::hydrate(vanguard_app::console::App);
}
