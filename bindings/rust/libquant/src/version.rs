//! Library versions and the load-time compatibility check.
use std::sync::OnceLock;

use libquant_sys as sys;

use crate::error::{static_str, Error, Result, Status};

/// The library version this crate was written for (major, minor). A library
/// of the same major version and at least this minor serves it; before 1.0
/// the minor must match exactly, since 0.x minor releases may change the API.
pub const EXPECTED_VERSION: (u32, u32) = sys::HEADER_VERSION;

/// For tests: `MAJOR.MINOR` to pretend the crate expects another version.
const EXPECT_ENV: &str = "LIBQUANT_EXPECT_VERSION";

/// The running library's version number (major * 10000 + minor * 100 + patch).
pub fn version_number() -> u32 {
    // SAFETY: no arguments, no state.
    unsafe { sys::lq_version_number() }
}

/// The running library's version string, e.g. "0.1.0".
pub fn version() -> &'static str {
    // SAFETY: a static string.
    unsafe { static_str(sys::lq_version_string()) }
}

/// One line describing the library build ("key=value" pairs).
pub fn build_info() -> &'static str {
    // SAFETY: a static string.
    unsafe { static_str(sys::lq_build_info()) }
}

/// Whether a library of version `have` serves a crate written for `want`.
pub fn compatible(have: (u32, u32), want: (u32, u32)) -> bool {
    have.0 == want.0 && if have.0 == 0 { have.1 == want.1 } else { have.1 >= want.1 }
}

fn expected() -> Result<(u32, u32)> {
    let Ok(fake) = std::env::var(EXPECT_ENV) else {
        return Ok(EXPECTED_VERSION);
    };
    let parsed = fake.split_once('.').and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)));
    parsed.ok_or_else(|| Error::new(Status::INVALID, format!("libquant: {EXPECT_ENV}={fake:?} is not MAJOR.MINOR")))
}

/// Checks once per process that the loaded library is compatible; every
/// call that makes a libquant object goes through it. A mismatch is an
/// UNSUPPORTED error naming both versions.
pub fn check_version() -> Result<()> {
    static RESULT: OnceLock<Result<()>> = OnceLock::new();
    RESULT
        .get_or_init(|| {
            let want = expected()?;
            let n = version_number();
            if compatible((n / 10000, n / 100 % 100), want) {
                return Ok(());
            }
            Err(Error::new(
                Status::UNSUPPORTED,
                format!(
                    "libquant: version mismatch: the loaded library is {}, but this crate needs {}.{}.x",
                    version(),
                    want.0,
                    want.1
                ),
            ))
        })
        .clone()
}
