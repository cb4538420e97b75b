//! Calibration, the calibrated-method extras, matrix products and model files.
mod common;

use common::{matmul_ref, noise, rel_err, temp_dir};
use libquant::*;

type TestResult = std::result::Result<(), Error>;

const K: usize = 256;

/// Activations with one outlier channel (5), and a weight [64, K].
fn layer() -> (Vec<f32>, Vec<f32>) {
    let mut x = noise(300 * K, 1);
    for row in x.chunks_mut(K) {
        row[5] *= 20.0;
    }
    (x, noise(64 * K, 2))
}

fn calib_of(x: &[f32]) -> Result<Calibration> {
    let mut c = Calibration::new(K as i64)?;
    c.add(&x[..100 * K])?;
    c.add(&x[100 * K..])?;
    Ok(c)
}

#[test]
fn calibration_statistics_and_files() -> TestResult {
    let (x, _) = layer();
    let mut c = calib_of(&x)?;
    assert_eq!((c.features(), c.tokens(), c.samples()), (K as i64, 300, 300));
    let mean_sq = c.get(Stat::MeanSq)?;
    let want: f64 = x.chunks(K).map(|r| (r[5] as f64).powi(2)).sum::<f64>() / 300.0;
    // a float running mean of 300 squares: gamma_300 = 1.8e-5 of it, far inside 1e-3
    assert!((mean_sq[5] as f64 - want).abs() < 1e-3 * want);
    assert_eq!(c.get(Stat::Hessian)?.len(), K * K);
    assert_eq!(c.get(Stat::Samples)?.len(), 300 * K);
    c.set_max_samples(10)?;
    assert_eq!(c.samples(), 10);
    assert_eq!(c.add(&x[..100]).unwrap_err().status(), Status::SHAPE);
    let mut bad = x[..K].to_vec();
    bad[3] = f32::NAN;
    assert_eq!(c.add(&bad).unwrap_err().status(), Status::NONFINITE);
    assert_eq!(c.tokens(), 300);

    let dir = temp_dir("calib");
    c.save(dir.join("layer.lqcalib"))?;
    let back = Calibration::load(dir.join("layer.lqcalib"))?;
    assert_eq!((back.tokens(), back.get(Stat::Hessian)?), (300, c.get(Stat::Hessian)?));
    c.merge(&back)?;
    assert_eq!(c.tokens(), 600);
    assert_eq!(c.merge(&Calibration::new(8)?).unwrap_err().status(), Status::SHAPE);
    std::fs::write(dir.join("junk"), b"junk").unwrap();
    assert_eq!(Calibration::load(dir.join("junk")).unwrap_err().status(), Status::FORMAT);
    assert_eq!(Calibration::load(dir.join("missing")).unwrap_err().status(), Status::IO);
    std::fs::remove_dir_all(dir).unwrap();
    Ok(())
}

#[test]
fn gptq_and_method_error() -> TestResult {
    let (x, w) = layer();
    let calib = calib_of(&x)?;
    let src = Tensor::from_f32(&w, &[64, K as i64])?;
    let gptq = Scheme::parse("gptq:int4:g64")?;
    let g = Quantize::new(&gptq).calib(&calib).run(&src)?;
    let r = quantize(&src, &Scheme::parse("int4:g64")?)?;
    assert!(output_error(None, &src, &g, &x)? < output_error(None, &src, &r, &x)?);
    let (method, rtn) = method_error(None, &src, &gptq, &calib)?;
    assert!(0.0 < method && method < rtn);
    assert_eq!(Quantize::new(&gptq).run(&src).unwrap_err().status(), Status::INVALID);

    let (q, perm) = gptq_quantize(None, &src, &Scheme::parse("gptq:int4:g64:act_order")?, &calib)?;
    let mut sorted = perm.clone();
    sorted.sort();
    assert_eq!(sorted, (0..K as i32).collect::<Vec<_>>());
    assert_eq!(perm[0], 5); // the outlier channel leads the activation order
    let permuted: Vec<f32> = x.chunks(K).flat_map(|r| perm.iter().map(move |&p| r[p as usize])).collect();
    let approx = matmul_ref(&permuted, &q.dequantize()?, K);
    assert!(rel_err(&approx, &matmul_ref(&x, &w, K)) < 0.1);
    Ok(())
}

#[test]
fn scales_and_int8_products() -> TestResult {
    let (x, w) = layer();
    let calib = calib_of(&x)?;
    let src = Tensor::from_f32(&w, &[64, K as i64])?;
    let half = Tensor::from_f32(&w[..32 * K], &[32, K as i64])?;
    let s = awq_search(None, &Scheme::parse("awq:int4:g64")?, &calib, &[&src, &half])?;
    let argmax = |v: &[f32]| v.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap().0;
    assert_eq!((s.len(), argmax(&s)), (K, 5));
    let sq = smoothquant_scales(&Scheme::parse("smoothquant:int8:alpha=0.5")?, &calib, &[&src])?;
    assert_eq!(argmax(&sq), 5);
    assert_eq!(smoothquant_scales(&Scheme::parse("int8")?, &calib, &[&src]).unwrap_err().status(), Status::INVALID);

    let mut norm = Tensor::copy_from_f32(&vec![1.0; K], &[K as i64])?;
    let mut next = Tensor::copy_from_f32(&w, &[64, K as i64])?;
    scales_apply(&vec![2.0; K], Some(&mut norm), None, &mut [&mut next])?;
    assert!(norm.as_f32().unwrap().iter().all(|&v| v == 0.5));
    assert_eq!(next.as_f32().unwrap()[7], w[7] * 2.0);
    let mut borrowed = Tensor::from_f32(&w, &[64, K as i64])?;
    assert_eq!(scales_apply(&vec![2.0; K], None, None, &mut [&mut borrowed]).unwrap_err().status(), Status::INVALID);

    let q = quantize(&src, &Scheme::parse("llm_int8:int8")?)?;
    let exact = matmul_ref(&x[..8 * K], &q.dequantize()?, K);
    let y = matmul_w8a8(None, &x[..8 * K], &q)?;
    assert!(rel_err(&y, &exact) < 0.05);
    let (y2, outliers) = matmul_llm_int8(None, &x[..8 * K], &q, 6.0)?;
    assert!(outliers >= 1 && rel_err(&y2, &exact) < rel_err(&y, &exact));
    Ok(())
}

#[test]
fn matmul_with_quantized_weights() -> TestResult {
    let (_, w) = layer();
    let x = noise(20 * K, 9); // no outlier: small products quantize x to 8 bits
    let src = Tensor::from_f32(&w, &[64, K as i64])?;
    // float order only: each output within gamma_256 = 1.5e-5 of sum |x w|, but the
    // errors of the outputs are independent, so their norm is ~sqrt(256) u = 1e-6 of
    // the outputs'; 1e-5 leaves 10x
    assert!(rel_err(&matmul(None, &x[..20 * K], &src)?, &matmul_ref(&x[..20 * K], &w, K)) < 1e-5);
    let q = quantize(&src, &Scheme::parse("q4_k")?)?;
    let deq = q.dequantize()?;
    let mut ctx = Context::new()?;
    ctx.set_threads(2)?;
    for rows in [20, 3] {
        let y = matmul(Some(&mut ctx), &x[..rows * K], &q)?;
        assert!(rel_err(&y, &matmul_ref(&x[..rows * K], &deq, K)) < 0.02, "{rows} rows");
    }
    assert_eq!(matmul(None, &x[..100], &q).unwrap_err().status(), Status::SHAPE);
    let (y8, y32) = (matmul_v2(None, &x[..20 * K], &q, Activations::Int8)?, matmul_v2(None, &x[..20 * K], &q, Activations::F32)?);
    assert_eq!(matmul_v2(None, &x[..20 * K], &q, Activations::Auto)?, matmul(None, &x[..20 * K], &q)?);
    // f32 activations: float order only, as above
    assert!(y8 != y32 && rel_err(&y32, &matmul_ref(&x[..20 * K], &deq, K)) < 1e-5);

    let scales: Vec<f32> = w.chunks(K).map(|r| r.iter().fold(0.0f32, |m, v| m.max(v.abs())) / 127.0).collect();
    let codes: Vec<i8> = w.iter().enumerate().map(|(i, v)| (v / scales[i / K]).round() as i8).collect();
    let y = matmul_w8a8_raw(None, &x[..4 * K], &codes, &scales)?;
    let deq: Vec<f32> = codes.iter().enumerate().map(|(i, &c)| c as f32 * scales[i / K]).collect();
    assert!(rel_err(&y, &matmul_ref(&x[..4 * K], &deq, K)) < 0.05);
    assert_eq!(matmul_w8a8_raw(None, &x[..4 * K], &codes[..100], &scales).unwrap_err().status(), Status::SHAPE);
    Ok(())
}

#[test]
fn imatrix_files() -> TestResult {
    let (x, w) = layer();
    let calib = calib_of(&x)?;
    let mut im = Imatrix::new()?;
    im.add("blk.0.ffn_up.weight", &calib)?;
    im.add("blk.0.attn_q.weight", &calib)?;
    assert_eq!(im.names(), ["blk.0.attn_q.weight", "blk.0.ffn_up.weight"]);
    assert_eq!(im.get("blk.0.attn_q.weight")?, calib.get(Stat::MeanSq)?);
    assert!(im.get("nope").unwrap_err().message().contains("nope"));
    let dir = temp_dir("imatrix");
    for (format, file) in [(ImatrixFormat::Dat, "im.dat"), (ImatrixFormat::Gguf, "im.gguf")] {
        im.save(dir.join(file), format, Some("wiki.train"))?;
        let back = Imatrix::load(dir.join(file))?;
        assert_eq!(back.names(), im.names());
        let (a, b) = (back.get("blk.0.ffn_up.weight")?, im.get("blk.0.ffn_up.weight")?);
        // the file holds sums (mean * calls) read back as means: one rounding each way
        assert!(rel_err(&a, &b) < 1e-6, "{file}");
    }
    let src = Tensor::from_f32(&w, &[64, K as i64])?;
    let weights = im.get("blk.0.attn_q.weight")?;
    Quantize::new(&Scheme::parse("q4_k")?).imatrix(&weights).run(&src)?;
    std::fs::remove_dir_all(dir).unwrap();
    Ok(())
}

#[test]
fn gguf_files() -> TestResult {
    let w = noise(32 * K, 3);
    let dir = temp_dir("gguf");
    let mut g = Gguf::new()?;
    g.set("general.architecture", &GgufValue::String("llama".into()))?;
    g.set("llama.block_count", &GgufValue::U32(2))?;
    g.set("x.f", &GgufValue::F32(1.5))?;
    g.set("x.b", &GgufValue::Bool(true))?;
    let tokens = GgufValue::Array(vec![GgufValue::String("<s>".into()), GgufValue::String("hé".into())]);
    g.set("tokenizer.ggml.tokens", &tokens)?;
    g.set("scores", &GgufValue::Array(vec![GgufValue::F32(0.5), GgufValue::F32(-1.0)]))?;
    let mixed = GgufValue::Array(vec![GgufValue::F32(0.5), GgufValue::I32(1)]);
    assert_eq!(g.set("bad", &mixed).unwrap_err().status(), Status::INVALID);
    g.set("gone", &GgufValue::I64(-5))?;
    g.remove("gone")?;
    let mut q = quantize(&Tensor::from_f32(&w, &[32, K as i64])?, &Scheme::parse("q4_k")?)?;
    q.set_name("blk.0.attn_q.weight")?;
    g.add_tensor(&q)?;
    assert_eq!(g.add_tensor(&q).unwrap_err().status(), Status::INVALID); // duplicate
    let floats: Vec<u8> = (0..8).flat_map(|i| (i as f32).to_le_bytes()).collect();
    g.add_raw("blk.0.raw", 0, &[2, 4], &floats)?;
    g.save(None, dir.join("m.gguf"))?;

    let h = Gguf::open(dir.join("m.gguf"))?;
    assert_eq!(
        h.keys(),
        ["general.architecture", "llama.block_count", "x.f", "x.b", "tokenizer.ggml.tokens", "scores"]
    );
    assert_eq!(h.get("llama.block_count")?, GgufValue::U32(2));
    assert_eq!((h.get("x.f")?, h.get("x.b")?), (GgufValue::F32(1.5), GgufValue::Bool(true)));
    assert_eq!(h.get("tokenizer.ggml.tokens")?, tokens);
    assert_eq!(h.get("scores")?, GgufValue::Array(vec![GgufValue::F32(0.5), GgufValue::F32(-1.0)]));
    assert_eq!(h.get("missing").unwrap_err().status(), Status::INVALID);
    assert_eq!(h.tensor_names(), ["blk.0.attn_q.weight", "blk.0.raw"]);
    let info = h.tensor_info("blk.0.attn_q.weight")?;
    assert_eq!((info.ggml_type, info.shape.clone(), info.nbytes), (12, vec![32, K as i64], q.nbytes() as u64));
    let t = h.tensor("blk.0.attn_q.weight")?;
    assert!(t.is_borrowed() && t.bytes() == q.bytes() && h.raw("blk.0.attn_q.weight")? == q.bytes());
    assert_eq!(t.dequantize()?, q.dequantize()?);
    assert_eq!(h.tensor("blk.0.raw")?.dequantize()?, (0..8).map(|i| i as f32).collect::<Vec<_>>());
    drop(t);

    std::fs::write(dir.join("bad.gguf"), b"GGUF\x02\x00\x00\x00junkjunkjunkjunkjunkjunk").unwrap();
    assert_eq!(Gguf::open(dir.join("bad.gguf")).unwrap_err().status(), Status::FORMAT);
    assert_eq!(Gguf::open(dir.join("missing.gguf")).unwrap_err().status(), Status::IO);
    assert_eq!(g.save(None, dir.join("no/such/dir.gguf")).unwrap_err().status(), Status::IO);
    std::fs::remove_dir_all(dir).unwrap();
    Ok(())
}

#[test]
fn safetensors_files() -> TestResult {
    let w = noise(32 * K, 4);
    let dir = temp_dir("safetensors");
    let mut st = Safetensors::new()?;
    let mut a = Tensor::copy_from_f32(&w, &[32, K as i64])?;
    a.set_name("model.layers.0.w")?;
    st.add_tensor(&a)?;
    st.add_raw("scale", "F8_E4M3", &[4], &[0x38, 0x40, 0x48, 0x50])?;
    st.set_metadata("format", Some("pt"))?;
    st.save(None, dir.join("one.safetensors"), 0)?;
    st.save(None, dir.join("model.safetensors"), 20000)?;
    let mut q = quantize(&a, &Scheme::parse("q4_k")?)?;
    q.set_name("q")?;
    assert_eq!(st.add_tensor(&q).unwrap_err().status(), Status::UNSUPPORTED);

    for file in ["one.safetensors", "model.safetensors.index.json"] {
        let s = Safetensors::open(dir.join(file))?;
        let mut names = s.names();
        names.sort();
        assert_eq!(names, ["model.layers.0.w", "scale"]);
        assert_eq!(s.info("scale")?, SafetensorsInfo { dtype: "F8_E4M3".into(), shape: vec![4], nbytes: 4 });
        assert_eq!(s.raw("scale")?, [0x38, 0x40, 0x48, 0x50]);
        assert_eq!(s.tensor("model.layers.0.w")?.dequantize()?, w);
        if file == "one.safetensors" {
            assert_eq!(s.metadata(), [("format".to_string(), "pt".to_string())]);
        }
    }
    assert!(dir.join("model-00001-of-00002.safetensors").exists());
    std::fs::write(dir.join("junk.safetensors"), [0xff; 16]).unwrap();
    assert_eq!(Safetensors::open(dir.join("junk.safetensors")).unwrap_err().status(), Status::FORMAT);
    std::fs::remove_dir_all(dir).unwrap();
    Ok(())
}

/// Eight scoped threads multiply one tensor borrowed from a GGUF file at once
/// (f32 and 8-bit activations, 1 and 40 rows): every result is bit-identical
/// to the call made alone. The scope joins the threads before the file can
/// be dropped (Gguf::tensor's compile_fail examples show the rest).
#[test]
fn threads_share_a_file_tensor() -> TestResult {
    let dir = temp_dir("threads");
    let mut g = Gguf::new()?;
    let mut q = quantize(&Tensor::from_f32(&noise(96 * K, 4), &[96, K as i64])?, &Scheme::parse("q4_0")?)?;
    q.set_name("w")?;
    g.add_tensor(&q)?;
    g.save(None, dir.join("m.gguf"))?;
    let h = Gguf::open(dir.join("m.gguf"))?;
    let t = h.tensor("w")?;
    let x = noise(40 * K, 5);
    let calls = [(1, Activations::F32), (1, Activations::Int8), (40, Activations::F32), (40, Activations::Int8)];
    let want: Vec<Vec<f32>> = calls.iter().map(|&(m, a)| matmul_v2(None, &x[..m * K], &t, a)).collect::<Result<_>>()?;
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let (t, x, want) = (&t, &x, &want);
                s.spawn(move || -> Result<()> {
                    for j in 0..calls.len() * 3 {
                        let c = (i + j) % calls.len();
                        let (m, a) = calls[c];
                        assert_eq!(matmul_v2(None, &x[..m * K], t, a)?, want[c], "thread {i}, call {c}");
                    }
                    Ok(())
                })
            })
            .collect();
        handles.into_iter().try_for_each(|th| th.join().expect("a thread panicked"))
    })?;
    drop(t);
    drop(h);
    std::fs::remove_dir_all(&dir).unwrap();
    Ok(())
}
