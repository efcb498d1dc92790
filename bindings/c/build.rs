//! Writes `voiceguard.pc` beside the built libraries (`target/<profile>/`),
//! so `PKG_CONFIG_PATH=target/release pkg-config --cflags --libs voiceguard`
//! works from the build tree. `install.sh` writes one with the real prefix.

use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=voiceguard.pc.in");
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    // OUT_DIR is <target>/<profile>/build/voiceguard-c-<hash>/out (or with a
    // target triple); the libraries land in <target>[/<triple>]/<profile>.
    let Some(lib_dir) = out.ancestors().nth(3) else {
        println!(
            "cargo:warning=cannot place voiceguard.pc: unexpected OUT_DIR {}",
            out.display()
        );
        return;
    };
    let template = match std::fs::read_to_string(manifest.join("voiceguard.pc.in")) {
        Ok(t) => t,
        Err(e) => {
            println!("cargo:warning=cannot read voiceguard.pc.in: {e}");
            return;
        }
    };
    let text = render(&template, lib_dir, &manifest.join("include"));
    let dest = lib_dir.join("voiceguard.pc");
    // Rewrite only on change, so the file's time stays meaningful.
    if std::fs::read_to_string(&dest).ok().as_deref() != Some(text.as_str()) {
        if let Err(e) = std::fs::write(&dest, text) {
            println!("cargo:warning=cannot write {}: {e}", dest.display());
        }
    }
}

fn render(template: &str, lib_dir: &Path, include_dir: &Path) -> String {
    template
        .replace("@PREFIX@", &lib_dir.display().to_string())
        .replace("@LIBDIR@", &lib_dir.display().to_string())
        .replace("@INCLUDEDIR@", &include_dir.display().to_string())
        .replace("@VERSION@", &std::env::var("CARGO_PKG_VERSION").unwrap_or_default())
}
