//! The phone's position, only when the member asks for it (never required).

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

fn number(value: &JsValue, key: &str) -> Option<f64> {
    js_sys::Reflect::get(value, &JsValue::from_str(key))
        .ok()
        .and_then(|v| v.as_f64())
}

/// Asks the browser once; `done` gets (lat, lon) or why not, in words.
pub fn locate(done: impl Fn(Result<(f64, f64), String>) + 'static) {
    let done = std::rc::Rc::new(done);
    let Some(geo) = web_sys::window().and_then(|w| w.navigator().geolocation().ok()) else {
        done(Err("此浏览器无法定位".into()));
        return;
    };
    let ok = {
        let done = done.clone();
        Closure::once_into_js(move |position: JsValue| {
            let coords = js_sys::Reflect::get(&position, &JsValue::from_str("coords"))
                .unwrap_or(JsValue::UNDEFINED);
            match (number(&coords, "latitude"), number(&coords, "longitude")) {
                (Some(lat), Some(lon)) => done(Ok((lat, lon))),
                _ => done(Err("未能取得位置".into())),
            }
        })
    };
    let failed = {
        let done = done.clone();
        Closure::once_into_js(move |_: JsValue| {
            done(Err("未能取得位置（未授权或无信号），可直接填写地点".into()))
        })
    };
    if geo
        .get_current_position_with_error_callback(ok.unchecked_ref(), Some(failed.unchecked_ref()))
        .is_err()
    {
        done(Err("此浏览器无法定位".into()));
    }
}
