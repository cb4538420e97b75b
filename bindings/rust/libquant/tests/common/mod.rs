//! Helpers shared by the integration tests (included with `mod common;`).
#![allow(dead_code)]
use libquant::{Error, Status, Tensor};

/// The deterministic input every binding uses (crosscheck/README.md).
pub fn cross_input(rows: i64, cols: i64) -> Vec<f32> {
    (0..rows * cols).map(|i| ((i * 7919) % 1021 - 510) as f32 / 256.0).collect()
}

pub fn cross_imatrix(cols: i64) -> Vec<f32> {
    (0..cols).map(|c| 1.0 + (c % 7) as f32 / 8.0).collect()
}

/// Ok(Some(tensor)), or Ok(None) when this build lacks the codec (the test
/// then reports itself as skipped and returns).
pub fn quantize_or_skip(src: &Tensor<'_>, scheme: &str) -> Result<Option<Tensor<'static>>, Error> {
    match libquant::quantize(src, &scheme.parse()?) {
        Ok(q) => Ok(Some(q)),
        Err(e) if e.status() == Status::UNSUPPORTED => {
            eprintln!("SKIP {scheme}: not in this build ({})", e.message());
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Reproducible pseudo-random floats in [-1, 1) (a 64-bit LCG; no crates here).
pub fn noise(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u64 << 23) as f32) - 1.0
        })
        .collect()
}

/// A fresh temporary folder for one test.
pub fn temp_dir(test: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("lq-rust-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Relative Frobenius distance of `a` from `b`.
pub fn rel_err(a: &[f32], b: &[f32]) -> f64 {
    let num: f64 = a.iter().zip(b).map(|(x, y)| ((x - y) as f64).powi(2)).sum();
    let den: f64 = b.iter().map(|y| (*y as f64).powi(2)).sum();
    (num / den).sqrt()
}

/// x [m, k] times w^T for w [n, k], in f64.
pub fn matmul_ref(x: &[f32], w: &[f32], k: usize) -> Vec<f32> {
    let (m, n) = (x.len() / k, w.len() / k);
    let mut y = vec![0.0f32; m * n];
    for i in 0..m {
        for j in 0..n {
            y[i * n + j] = (0..k).map(|t| x[i * k + t] as f64 * w[j * k + t] as f64).sum::<f64>() as f32;
        }
    }
    y
}
