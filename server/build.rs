//! Compiles style/main.scss into the stylesheet the binary serves.

fn main() {
    let style_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../style");
    println!("cargo:rerun-if-changed={}", style_dir.display());
    let css = grass::from_path(
        style_dir.join("main.scss"),
        &grass::Options::default().style(grass::OutputStyle::Compressed),
    )
    .unwrap_or_else(|e| panic!("style/main.scss does not compile: {e}"));
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("style.css"), css).expect("OUT_DIR is writable");
}
