//! A sheet chosen in a file input, sent to a server function: its name and
//! its bytes as base64 (server functions take text).

/// Reads the file chosen by the input `ev` fired on, then calls `send`
/// with its name and content; nothing when no file was chosen.
pub fn read_chosen(ev: leptos::ev::Event, send: impl FnOnce(String, String) + 'static) {
    #[cfg(feature = "hydrate")]
    {
        use base64::Engine;
        use wasm_bindgen::JsCast;
        let Some(file) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            .and_then(|input| input.files())
            .and_then(|files| files.get(0))
        else {
            return;
        };
        let name = file.name();
        wasm_bindgen_futures::spawn_local(async move {
            let Ok(buffer) = wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await else {
                return;
            };
            let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
            send(
                name,
                base64::engine::general_purpose::STANDARD.encode(bytes),
            );
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (ev, send);
}
