//! The model runner and the GGUF pipeline, checked against the C library's
//! own tools (lq quantize, lq eval) on the tiny Llama fixture.
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::temp_dir;
use libquant::*;

type TestResult = std::result::Result<(), Error>;

// 4 windows of 128 tokens: small enough for a 2-core machine.
const N_TOKENS: usize = 512;
const N_CTX: i64 = 128;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../tests/model/fixture").join(name)
}

/// The `lq` program of the build the library comes from (pkg-config's
/// prefix: the meson build directory for the uninstalled entry, or the
/// install prefix).
fn lq_tool() -> Option<PathBuf> {
    let out = Command::new("pkg-config").args(["--variable=prefix", "libquant"]).output().ok()?;
    let prefix = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
    [prefix.join("libquant/tools/lq"), prefix.join("bin/lq")].into_iter().find(|p| p.is_file())
}

/// The number after `"key": ` in the part of `json` from `section` on (no
/// JSON crate: the build is offline with no dependencies).
fn json_number(json: &str, section: &str, key: &str) -> f64 {
    let rest = &json[json.find(section).expect(section)..];
    let k = format!("\"{key}\": ");
    let from = rest.find(&k).expect(key) + k.len();
    let end = rest[from..].find([',', '}']).unwrap() + from;
    rest[from..end].trim().parse().unwrap()
}

fn tokens(m: &Model<'_>) -> Result<Vec<i32>> {
    let text = std::fs::read_to_string(fixture("heldout.txt")).unwrap();
    let mut t = m.tokenize(&text, true)?;
    t.truncate(N_TOKENS);
    Ok(t)
}

#[test]
fn quantize_gguf_and_perplexity_equal_the_c_tools() -> TestResult {
    let Some(lq) = lq_tool() else {
        eprintln!("SKIP model: the lq program of this build was not found");
        return Ok(());
    };
    let dir = temp_dir("model");
    let (ours, theirs) = (dir.join("ours.gguf"), dir.join("theirs.gguf"));
    quantize_gguf(None, fixture("tiny-llama-f32.gguf"), &ours, &QuantizeOptions::new("Q4_K_M")?)?;
    let run = Command::new(&lq)
        .args(["quantize".as_ref(), fixture("tiny-llama-f32.gguf").as_os_str(), theirs.as_os_str(), "Q4_K_M".as_ref()])
        .output()
        .unwrap();
    assert!(run.status.success());
    assert!(std::fs::read(&ours).unwrap() == std::fs::read(&theirs).unwrap(), "lq quantize wrote other bytes");

    let eval = Command::new(&lq)
        .arg("eval")
        .arg(fixture("tiny-llama-f32.gguf"))
        .arg("--text")
        .arg(fixture("heldout.txt"))
        .args(["--schemes", "q4_k_m", "--kv", "f16", "--ctx", &N_CTX.to_string()])
        .args(["--max-tokens", &N_TOKENS.to_string(), "--calib-tokens", "0", "--json"])
        .output()
        .unwrap();
    assert!(eval.status.success());
    let json = String::from_utf8(eval.stdout).unwrap();

    let base = Model::load(None, fixture("tiny-llama-f32.gguf"), 0, KvType::F32)?;
    let q = Model::load(None, &ours, 0, KvType::F16)?;
    let t = tokens(&base)?;
    // lq eval prints 10 significant digits: agreement to 1e-9 relative is all
    // the printout can show (the computations are the same C calls).
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs();
    let r = q.perplexity(None, &t, N_CTX, 0)?;
    assert!(close(r.ppl, json_number(&json, "\"results\"", "ppl")), "{} vs lq eval", r.ppl);
    assert_eq!(r.scored, json_number(&json, "\"scored\"", "scored") as i64);
    assert_eq!(r.kld, None);
    let kl = q.kl_divergence(None, &base, &t, N_CTX, 0)?;
    assert!(close(kl.kld.unwrap(), json_number(&json, "\"results\"", "kld")));
    assert_eq!(kl.ppl, r.ppl);
    let b = base.perplexity(None, &t, N_CTX, 0)?;
    assert!(close(b.ppl, json_number(&json, "\"base\"", "ppl")));

    // A mixture quantized in memory has the tensors of the file.
    let mem = base.quantize(None, &"q4_k_m".parse()?, None, &[], 0, KvType::F16)?;
    assert_eq!(mem.perplexity(None, &t, N_CTX, 0)?.ppl, r.ppl);
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}

#[test]
fn tokens_eval_imatrix_and_errors() -> TestResult {
    let base = Model::load(None, fixture("tiny-llama-f32.gguf"), 0, KvType::F32)?;
    let t = tokens(&base)?;
    assert_eq!(t[0] as i64, base.info(sys::LQ_MODEL_TOKEN_BOS));
    assert_eq!(base.token_text(t[0]).as_deref(), Some("<s>"));
    assert_eq!(base.token_text(base.n_vocab() as i32), None);
    assert_eq!(base.tokenize("In the beginning", false)?[..], base.tokenize("In the beginning", true)?[1..]);
    // tokenize_v2 reads control token names ("<s>" in the fixture) only
    // when asked, and adds no EOS (add_eos_token is false).
    let bos = t[0];
    assert_eq!(base.tokenize_v2("<s>In", true, false, true)?[..2], [bos, bos]);
    let plain = base.tokenize_v2("<s>In", true, true, false)?;
    assert_eq!(plain, base.tokenize("<s>In", true)?);
    assert_eq!(plain.iter().filter(|&&x| x == bos).count(), 1);

    let whole = base.eval(None, &t[..8], 0, 0)?;
    assert_eq!(whole.len(), 8 * base.n_vocab());
    assert!(base.eval(None, &t[..5], 0, 5)?.is_empty());
    let rest = base.eval(None, &t[5..8], 5, 0)?;
    // Three tokens and eight take different product kernels (the batch size
    // picks them), so the logits differ in rounding only.
    for (a, b) in rest.iter().zip(&whole[5 * base.n_vocab()..]) {
        assert!((a - b).abs() <= 1e-4 * (1.0 + b.abs()), "{a} vs {b}");
    }

    let im = base.imatrix(None, &t[..256], 0)?;
    assert!(im.names().iter().any(|n| n == "blk.0.attn_q.weight"));
    let dir = temp_dir("model-errors");
    let out = dir.join("q2_k_s.gguf");
    let opts = QuantizeOptions::new("Q2_K_S")?;
    let e = quantize_gguf(None, fixture("tiny-llama-f32.gguf"), &out, &opts).unwrap_err();
    assert_eq!(e.status(), Status::INVALID); // llama.cpp requires an imatrix for Q2_K_S
    assert!(!out.exists());
    assert_eq!(QuantizeOptions::new("Q9_Z").unwrap_err().status(), Status::INVALID);
    assert_eq!(Model::load(None, dir.join("missing.gguf"), 0, KvType::F16).unwrap_err().status(), Status::IO);
    assert_eq!(base.kl_divergence(None, &base, &t, N_CTX, 0).unwrap_err().status(), Status::INVALID);
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}

#[test]
fn file_size_is_the_written_size() -> TestResult {
    let model = fixture("tiny-llama-f32.gguf");
    let size = Gguf::open(&model)?.file_size("Q4_K_M")?;
    let dir = temp_dir("file-size");
    let out = dir.join("q4_k_m.gguf");
    quantize_gguf(None, &model, &out, &QuantizeOptions::new("Q4_K_M")?)?;
    assert_eq!(std::fs::metadata(&out).unwrap().len(), size);
    assert_eq!(Gguf::open(&model)?.file_size("Q4_K_X").unwrap_err().status(), Status::INVALID);
    assert_eq!(Gguf::llama_model(1.0).err().map(|e| e.status()), Some(Status::INVALID));
    std::fs::remove_dir_all(&dir).unwrap();
    Ok(())
}
