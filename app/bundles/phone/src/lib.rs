//! The phone's entry point: hydrates the member's pages. Nothing of the
//! console is reachable from here, so none of it is in this WASM.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    vanguard_app::hydrate(vanguard_app::member::App);
}
