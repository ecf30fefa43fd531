//! Compiles style/main.scss into the stylesheet the binary serves.

fn main() {
    // Read at run time: a build script compiled in one checkout and reused by another (a shared
    // CARGO_TARGET_DIR) must still find this checkout's styles.
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let style_dir = std::path::Path::new(&manifest).join("../style");
    println!("cargo:rerun-if-changed={}", style_dir.display());
    let css = grass::from_path(
        style_dir.join("main.scss"),
        &grass::Options::default().style(grass::OutputStyle::Compressed),
    )
    .unwrap_or_else(|e| panic!("style/main.scss does not compile: {e}"));
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("style.css"), css).expect("OUT_DIR is writable");
}
