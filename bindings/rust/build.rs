//! Finds librtipc: RTIPC_LIB_DIR (and RTIPC_INCLUDE_DIR, default
//! RTIPC_LIB_DIR/../include) when set, else `pkg-config rtipc`, which
//! PKG_CONFIG_PATH can point at an installed rtipc.pc or at a build tree's
//! meson-uninstalled directory. RTIPC_RPATH=1 also records the library's
//! directory as an rpath of this crate's programs (for a build tree).

use std::env;
use std::process::Command;

fn pkg_config(args: &[&str]) -> Result<String, String> {
    let out = Command::new("pkg-config")
        .args(args)
        .arg("rtipc")
        .output()
        .map_err(|e| format!("cannot run pkg-config: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn main() {
    for var in [
        "RTIPC_LIB_DIR",
        "RTIPC_INCLUDE_DIR",
        "RTIPC_RPATH",
        "PKG_CONFIG_PATH",
    ] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    let (lib_dirs, cflags) = match env::var("RTIPC_LIB_DIR") {
        Ok(dir) => {
            let inc = env::var("RTIPC_INCLUDE_DIR").unwrap_or_else(|_| format!("{dir}/../include"));
            (vec![dir], format!("-I{inc}"))
        }
        Err(_) => {
            let libs = pkg_config(&["--libs"]).unwrap_or_else(|e| {
                panic!(
                    "librtipc not found: {e}\n\
                     Set PKG_CONFIG_PATH to the directory of rtipc.pc, or RTIPC_LIB_DIR \
                     to the directory of librtipc.so."
                )
            });
            let dirs = libs
                .split_whitespace()
                .filter_map(|w| w.strip_prefix("-L"))
                .map(str::to_string)
                .collect();
            (dirs, pkg_config(&["--cflags"]).unwrap_or_default())
        }
    };
    let rpath = env::var("RTIPC_RPATH").is_ok_and(|v| v == "1");
    for dir in &lib_dirs {
        println!("cargo:rustc-link-search=native={dir}");
        if rpath {
            println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
        }
    }
    println!("cargo:rustc-link-lib=dylib=rtipc");
    // The layout test compiles a C program against the same header.
    println!("cargo:rustc-env=RTIPC_CFLAGS={cflags}");
}
