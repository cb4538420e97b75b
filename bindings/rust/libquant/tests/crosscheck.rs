//! The cross-language check (crosscheck/README.md): quantize the shared input
//! with every case and write the raw bytes to $LQ_CROSS_DIR (or a temporary
//! folder) for run-tests.sh to compare with C and the other bindings.
mod common;

use std::fs;
use std::path::PathBuf;

use common::{cross_imatrix, cross_input};
use libquant::{Quantize, Scheme, Status, Tensor};

#[test]
fn write_crosscheck_outputs() {
    let dir = std::env::var_os("LQ_CROSS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join(format!("lq-cross-rust-{}", std::process::id())));
    fs::create_dir_all(&dir).unwrap();
    let cases = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../crosscheck/cases.txt");
    let w = cross_input(256, 512);
    let src = Tensor::from_f32(&w, &[256, 512]).unwrap();
    let imatrix = cross_imatrix(512);
    let mut written = 0;
    for line in fs::read_to_string(cases).unwrap().lines() {
        let mut words = line.split_whitespace();
        let Some(scheme_text) = words.next().filter(|w| !w.starts_with('#')) else { continue };
        let with_imatrix = match words.next() {
            None => false,
            Some("imatrix") => true,
            Some(other) => panic!("cases.txt: unknown flag {other}"),
        };
        let base = scheme_text.replace(':', "_") + if with_imatrix { "+imatrix" } else { "" };
        let scheme = Scheme::parse(scheme_text).unwrap();
        let mut job = Quantize::new(&scheme);
        if with_imatrix {
            job = job.imatrix(&imatrix);
        }
        match job.run(&src) {
            Ok(q) => {
                assert_eq!(q.nbytes() as u64, scheme.tensor_bytes(256, 512).unwrap());
                fs::write(dir.join(base + ".bin"), q.bytes()).unwrap();
                written += 1;
            }
            Err(e) if e.status() == Status::UNSUPPORTED => fs::write(dir.join(base + ".unsupported"), b"").unwrap(),
            Err(e) => panic!("{scheme_text}: {e}"),
        }
    }
    assert!(written >= 2, "f16 and bf16 at least");
}
