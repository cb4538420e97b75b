//! Finds libquant for linking, with nothing but std:
//!
//! 1. `LIBQUANT_LIB_DIR`: a directory holding the library (no pkg-config);
//! 2. otherwise `pkg-config --libs --cflags "libquant >= MAJOR.MINOR"`, the
//!    crate's version, which bindings/gen/gen_bindings.py takes from meson.build (honours
//!    `PKG_CONFIG_PATH`, e.g. `<builddir>/meson-uninstalled` for a meson
//!    build tree; the `PKG_CONFIG` variable names another pkg-config binary).
//!
//! Include directories go to dependants as `DEP_QUANT_INCLUDE`.
use std::env;
use std::path::Path;
use std::process::Command;


fn main() {
    for var in ["LIBQUANT_LIB_DIR", "PKG_CONFIG_PATH", "PKG_CONFIG_LIBDIR", "PKG_CONFIG"] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    println!("cargo:rerun-if-changed=build.rs");
    match env::var("LIBQUANT_LIB_DIR") {
        Ok(dir) if !dir.is_empty() => from_dir(&dir),
        _ => from_pkg_config(),
    }
}

fn from_dir(dir: &str) {
    let names = ["libquant.so", "libquant.so.0", "libquant.a", "libquant.dylib", "quant.lib"];
    if !names.iter().any(|n| Path::new(dir).join(n).exists()) {
        fail(&format!(
            "LIBQUANT_LIB_DIR={dir} holds none of {}; point it at the directory with the \
             libquant library (e.g. a meson build directory) or unset it to use pkg-config",
            names.join(", ")
        ));
    }
    println!("cargo:rustc-link-search=native={dir}");
    println!("cargo:rustc-link-lib=quant");
}

fn from_pkg_config() {
    let pkg_config = env::var("PKG_CONFIG").unwrap_or_else(|_| "pkg-config".into());
    // The crate's version is meson.build's (bindings/gen/gen_bindings.py keeps them equal).
    let pkg = format!("libquant >= {}.{}", env!("CARGO_PKG_VERSION_MAJOR"), env!("CARGO_PKG_VERSION_MINOR"));
    let out = match Command::new(&pkg_config).args(["--libs", "--cflags", &pkg]).output() {
        Ok(out) => out,
        Err(e) => fail(&format!("cannot run {pkg_config}: {e}; install pkg-config or set LIBQUANT_LIB_DIR")),
    };
    if !out.status.success() {
        fail(&format!(
            "`{pkg_config} --libs --cflags \"{pkg}\"` failed:\n{}\nPKG_CONFIG_PATH={}\n\
             Install libquant, add its .pc directory to PKG_CONFIG_PATH (for a meson build \
             tree: <builddir>/meson-uninstalled), or set LIBQUANT_LIB_DIR.",
            String::from_utf8_lossy(&out.stderr).trim(),
            env::var("PKG_CONFIG_PATH").unwrap_or_default()
        ));
    }
    let flags = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut includes = Vec::new();
    for flag in flags.split_whitespace() {
        if let Some(dir) = flag.strip_prefix("-L") {
            println!("cargo:rustc-link-search=native={dir}");
        } else if let Some(lib) = flag.strip_prefix("-l") {
            println!("cargo:rustc-link-lib={lib}");
        } else if let Some(dir) = flag.strip_prefix("-I") {
            includes.push(dir.to_string());
        }
    }
    if let Ok(joined) = env::join_paths(&includes) {
        println!("cargo:include={}", joined.to_string_lossy());
    }
}

fn fail(msg: &str) -> ! {
    eprintln!("libquant-sys: {msg}");
    std::process::exit(1);
}
