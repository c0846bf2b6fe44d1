//! Gzip copies of the site's bundle, written once at build time and served
//! in place of the originals to browsers that accept gzip (leptos_axum's
//! static files look for `NAME.gz`). Zopfli's gzip is the standard format,
//! about 5% smaller than `gzip -9`: the phone's first download is mostly
//! this bundle, over whatever network the member has.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The files worth a compressed copy: the bundle, its loader and styles.
const EXTENSIONS: &[&str] = &["wasm", "js", "css"];

/// One file compressed: where, and its size before and after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compressed {
    pub path: PathBuf,
    pub original: u64,
    pub gzipped: u64,
}

/// Writes `FILE.gz` beside every `.wasm`, `.js` and `.css` file directly in
/// `dir`. Each copy is written to a temporary name and renamed, so a server
/// reading the directory never serves half a file.
pub fn precompress_dir(dir: &Path) -> io::Result<Vec<Compressed>> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<io::Result<_>>()?;
    files.retain(|p| {
        p.is_file()
            && p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| EXTENSIONS.contains(&e))
    });
    files.sort();
    files.iter().map(|path| precompress_file(path)).collect()
}

fn precompress_file(path: &Path) -> io::Result<Compressed> {
    let data = fs::read(path)?;
    let mut gzipped = Vec::with_capacity(data.len() / 3);
    zopfli::compress(
        zopfli::Options::default(),
        zopfli::Format::Gzip,
        data.as_slice(),
        &mut gzipped,
    )?;
    let mut target = path.as_os_str().to_owned();
    target.push(".gz");
    let target = PathBuf::from(target);
    let mut partial = target.as_os_str().to_owned();
    partial.push(".partial");
    fs::write(&partial, &gzipped)?;
    fs::rename(&partial, &target)?;
    Ok(Compressed {
        path: path.to_path_buf(),
        original: data.len() as u64,
        gzipped: gzipped.len() as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn gunzip(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut out)
            .expect("a valid gzip stream");
        out
    }

    #[test]
    fn writes_gzip_copies_of_the_bundle_only() {
        let dir = tempfile::tempdir().unwrap();
        // Repetitive, like code: it must shrink.
        let wasm: Vec<u8> = (0..200_000u32)
            .map(|i| (i % 251) as u8 ^ (i / 997) as u8)
            .collect();
        fs::write(dir.path().join("app.wasm"), &wasm).unwrap();
        fs::write(
            dir.path().join("app.js"),
            "export function start() {}\n".repeat(50),
        )
        .unwrap();
        fs::write(dir.path().join("notes.txt"), "not served compressed").unwrap();

        let done = precompress_dir(dir.path()).unwrap();
        let names: Vec<_> = done
            .iter()
            .map(|c| c.path.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["app.js", "app.wasm"]);
        let gz = fs::read(dir.path().join("app.wasm.gz")).unwrap();
        assert_eq!(gunzip(&gz), wasm);
        let entry = &done[1];
        assert_eq!(entry.original, wasm.len() as u64);
        assert_eq!(entry.gzipped, gz.len() as u64);
        assert!(entry.gzipped < entry.original / 4, "{entry:?}");
        assert!(!dir.path().join("notes.txt.gz").exists());
        assert!(!dir.path().join("app.wasm.gz.partial").exists());
    }

    #[test]
    fn a_missing_directory_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(precompress_dir(&dir.path().join("absent")).is_err());
    }
}
