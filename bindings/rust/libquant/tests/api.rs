//! The safe API: errors, schemes, tensors, quantize, metrics, estimators.
mod common;

use std::ops::ControlFlow;
use std::sync::{Arc, Mutex};

use common::{cross_imatrix, cross_input, quantize_or_skip};
use libquant::*;

type TestResult = std::result::Result<(), Error>;

#[test]
fn errors_carry_status_and_message() {
    let e = Scheme::parse("int4:g100x").unwrap_err();
    assert_eq!(e.status(), Status::INVALID);
    assert!(e.message().contains("lq_scheme_parse") && e.message().contains("g100x"), "{e}");
    assert_eq!(e.to_string(), format!("{} (invalid argument)", e.message()));
    assert_eq!(Status::SHAPE.text(), "shape mismatch");
    assert_eq!(Status(-999).text(), "unknown status");
    let e = Scheme::parse("int4\0").unwrap_err();
    assert!(e.status() == Status::INVALID && e.message().contains("NUL"));
}

#[test]
fn error_message_is_read_on_the_failing_thread() {
    let other = std::thread::spawn(|| Scheme::parse("bogus-one").unwrap_err());
    let here = Scheme::parse("bogus-two").unwrap_err();
    let there = other.join().unwrap();
    assert!(here.message().contains("bogus-two") && there.message().contains("bogus-one"));
}

#[test]
fn versions() {
    assert!(compatible(((version_number() / 10000), version_number() / 100 % 100), EXPECTED_VERSION));
    assert!(!compatible((0, 2), (0, 1)) && compatible((1, 3), (1, 2)) && !compatible((2, 0), (1, 0)));
    assert!(build_info().contains(&format!("version={}", version())));
    check_version().unwrap();
}

#[test]
fn schemes() -> TestResult {
    let mut s = Scheme::parse("GPTQ:int4:g64:asym:act_order")?;
    assert_eq!(s.as_str(), "gptq:int4:g64:asym:act_order");
    assert_eq!((s.ty()?, s.method()?, s.method()?.name()), (Type::INT4, Method::GPTQ, Some("gptq")));
    assert_eq!((s.get_int(Param::BITS)?, s.get_int(Param::GROUP_SIZE)?), (4, 64));
    assert_eq!(s.get_float(Param::DAMP)?, 0.01);
    assert_eq!(s.get_int(Param::DAMP).unwrap_err().status(), Status::INVALID);
    let before = s.to_string();
    assert_eq!(s.set_int(Param::BITS, 3).unwrap_err().status(), Status::INVALID); // read-only
    assert_eq!(s.to_string(), before);
    s.set_int(Param::GROUP_SIZE, GROUP_CHANNEL)?;
    s.set_float(Param::DAMP, 0.1)?;
    let copy = s.clone();
    assert_eq!(copy, s);
    assert_eq!(Scheme::parse(s.as_str())?, s);
    s.set_int(Param::SYMMETRIC, 1)?;
    assert_ne!(copy, s);
    assert_eq!(format!("{:?}", Scheme::parse("q4_k")?), "Scheme(\"q4_k\")");
    assert_eq!(Scheme::parse("f16")?.tensor_bytes(256, 512)?, 256 * 512 * 2);
    assert_eq!(Type::from_name("Q4_K")?, Type::Q4_K);
    assert_eq!((Type::Q4_K.name(), Type(99).name(), Type::Q4_K.ggml_id()), (Some("q4_k"), None, Some(12)));
    assert!(Type::NF4.is_quantized() && !Type::BF16.is_quantized());
    Ok(())
}

#[test]
fn tensors_borrow_and_copy() -> TestResult {
    let w = cross_input(4, 256);
    let borrowed = Tensor::from_f32(&w, &[4, 256])?;
    assert_eq!(borrowed.as_f32().unwrap().as_ptr(), w.as_ptr());
    assert_eq!(borrowed.bytes().len(), 4 * 256 * 4);
    let mut copied = Tensor::copy_from_f32(&w, &[4, 256])?;
    assert_ne!(copied.as_f32().unwrap().as_ptr(), w.as_ptr());
    copied.as_f32_mut().unwrap()[0] = 42.0;
    assert_eq!(copied.dequantize()?[0], 42.0);
    copied.set_name("blk.0.ffn_up.weight")?;
    assert_eq!(copied.name(), "blk.0.ffn_up.weight");
    assert_eq!(copied.set_name(&"x".repeat(300)).unwrap_err().status(), Status::INVALID);
    assert_eq!(Tensor::from_f32(&w, &[4, 255]).unwrap_err().status(), Status::SHAPE);
    assert_eq!(Tensor::from_f32(&w, &[]).unwrap_err().status(), Status::INVALID);
    assert_eq!(Tensor::from_f32(&w, &[1, 1, 1, 1, 1024]).unwrap_err().status(), Status::INVALID);
    let z = Tensor::zeros(Type::F16, &[2, 3])?;
    assert_eq!((z.ty(), z.shape(), z.nbytes(), z.scheme_str()), (Type::F16, vec![2, 3], 12, None));
    assert!(z.scheme()?.is_none());
    let bits: Vec<u16> = vec![0x3c00; 8]; // 1.0 in f16
    assert_eq!(Tensor::from_half_bits(&bits, &[8], Type::F16)?.dequantize()?, vec![1.0; 8]);
    assert_eq!(Tensor::from_half_bits(&bits, &[8], Type::F32).unwrap_err().status(), Status::INVALID);
    Ok(())
}

#[test]
fn f16_and_bf16_round_trips() -> TestResult {
    let w = cross_input(256, 512);
    let src = Tensor::from_f32(&w, &[256, 512])?;
    let q = quantize(&src, &Scheme::parse("f16")?)?;
    assert_eq!((q.ty(), q.shape(), q.scheme_str()), (Type::F16, vec![256, 512], Some("f16")));
    assert_eq!((q.nbytes(), q.bits_per_weight()), (256 * 512 * 2, 16.0));
    assert_eq!(q.dequantize()?, w); // every value is a multiple of 1/256
    assert_eq!(q.scheme()?.unwrap().as_str(), "f16");
    let b = quantize(&src, &Scheme::parse("bf16")?)?;
    let m = src.error_metrics(&b)?;
    assert!(m.rmse > 0.0 && m.rmse < 0.01 && m.cosine > 0.9999);
    let again = Tensor::copy_quantized(&Scheme::parse("bf16")?, &[256, 512], b.bytes())?;
    assert_eq!(again.dequantize()?, b.dequantize()?);
    let view = Tensor::wrap_quantized(&Scheme::parse("bf16")?, &[512, 256], b.bytes())?;
    assert_eq!(view.bytes().as_ptr(), b.bytes().as_ptr());
    let short = &b.bytes()[..100];
    assert_eq!(
        Tensor::wrap_quantized(&Scheme::parse("bf16")?, &[256, 512], short).unwrap_err().status(),
        Status::SHAPE
    );
    let mut out = vec![0.0; 10];
    assert_eq!(b.dequantize_into(&mut out).unwrap_err().status(), Status::SHAPE);
    Ok(())
}

#[test]
fn convert_to_another_float_type() -> TestResult {
    let w = cross_input(256, 512);
    let src = Tensor::from_f32(&w, &[256, 512])?;
    let Some(q) = quantize_or_skip(&src, "q4_k")? else { return Ok(()) };
    let (b, f) = (q.convert(Type::BF16)?, q.convert(Type::F32)?);
    assert_eq!((b.ty(), b.shape(), b.scheme_str(), f.ty()), (Type::BF16, vec![256, 512], None, Type::F32));
    assert_eq!(f.as_f32().unwrap(), &q.dequantize()?[..]);
    assert_eq!(q.convert(Type::INT8).unwrap_err().status(), Status::INVALID);
    Ok(())
}

#[test]
fn int4_and_q4_k() -> TestResult {
    let w = cross_input(256, 512);
    let src = Tensor::from_f32(&w, &[256, 512])?;
    for (scheme, max_bpw) in [("int4:g128", 4.3), ("q4_k", 4.6)] {
        let Some(q) = quantize_or_skip(&src, scheme)? else { continue };
        assert!(q.bits_per_weight() <= max_bpw, "{scheme}: {}", q.bits_per_weight());
        assert_eq!(q.nbytes() as u64, Scheme::parse(scheme)?.tensor_bytes(256, 512)?);
        let back = q.dequantize()?;
        let m = error_metrics(&w, &back)?;
        let rms = (w.iter().map(|&x| (x as f64) * (x as f64)).sum::<f64>() / w.len() as f64).sqrt();
        assert!(m.rmse > 0.0 && m.rmse < 0.1 * rms, "{scheme}: rmse {}", m.rmse);
        assert_eq!(src.error_metrics(&q)?, m);
    }
    Ok(())
}

#[test]
fn imatrix_length_is_checked() -> TestResult {
    let w = cross_input(2, 256);
    let src = Tensor::from_f32(&w, &[2, 256])?;
    let s = Scheme::parse("q4_k")?;
    let e = Quantize::new(&s).imatrix(&[1.0; 3]).run(&src).unwrap_err();
    assert!(e.status() == Status::SHAPE && e.message().contains("imatrix"));
    let bad = vec![-1.0f32; 256];
    let e = Quantize::new(&Scheme::parse("f16")?).imatrix(&bad).run(&src).unwrap_err();
    assert_eq!(e.status(), Status::INVALID);
    match Quantize::new(&s).imatrix(&cross_imatrix(256)).run(&src) {
        Ok(q) => assert_eq!(q.ty(), Type::Q4_K),
        Err(e) => assert_eq!(e.status(), Status::UNSUPPORTED),
    }
    Ok(())
}

#[test]
fn nonfinite_input_is_named() -> TestResult {
    let mut w = vec![1.0f32; 2 * 256];
    w[256 + 7] = f32::NAN;
    let e = quantize(&Tensor::from_f32(&w, &[2, 256])?, &Scheme::parse("f16")?).unwrap_err();
    assert_eq!(e.status(), Status::NONFINITE);
    assert!(e.message().contains("row 1, column 7"), "{e}");
    Ok(())
}

#[test]
fn progress_reports_and_cancels() -> TestResult {
    let w = cross_input(256, 512);
    let src = Tensor::from_f32(&w, &[256, 512])?;
    let bf16 = Scheme::parse("bf16")?;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let mut ctx = Context::new()?;
    ctx.set_threads(2)?;
    ctx.set_progress(move |stage, f| {
        log.lock().unwrap().push((stage.to_string(), f));
        ControlFlow::Continue(())
    })?;
    let q = Quantize::new(&bf16).context(&mut ctx).run(&src)?;
    let seen = seen.lock().unwrap().clone();
    assert!(!seen.is_empty() && seen.iter().all(|(s, f)| !s.is_empty() && (0.0..=1.0).contains(f)));
    assert_eq!(seen.last().unwrap().1, 1.0);
    assert_eq!(q.dequantize_with(&mut ctx)?.len(), 256 * 512);

    ctx.set_progress(|_, _| ControlFlow::Break(()))?;
    let e = Quantize::new(&bf16).context(&mut ctx).run(&src).unwrap_err();
    assert_eq!(e.status(), Status::CANCELLED);
    ctx.clear_progress()?;
    Quantize::new(&bf16).context(&mut ctx).run(&src)?;
    assert_eq!(ctx.set_threads(5000).unwrap_err().status(), Status::INVALID);
    Ok(())
}

#[test]
fn panic_in_progress_cancels_then_resumes() -> TestResult {
    let w = cross_input(64, 256);
    let src = Tensor::from_f32(&w, &[64, 256])?;
    let bf16 = Scheme::parse("bf16")?;
    let mut ctx = Context::new()?;
    ctx.set_progress(|_, _| panic!("boom from progress"))?;
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = Quantize::new(&bf16).context(&mut ctx).run(&src);
    }));
    let payload = caught.unwrap_err();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom from progress"));
    ctx.clear_progress()?;
    Quantize::new(&bf16).context(&mut ctx).run(&src)?; // the context still works
    Ok(())
}

#[test]
fn results_do_not_depend_on_threads() -> TestResult {
    let w = cross_input(256, 512);
    let src = Tensor::from_f32(&w, &[256, 512])?;
    let s = Scheme::parse("bf16")?;
    let mut one = Context::new()?;
    one.set_threads(1)?;
    let a = Quantize::new(&s).context(&mut one).run(&src)?;
    let b = quantize(&src, &s)?;
    assert_eq!(a.bytes(), b.bytes());
    Ok(())
}

#[test]
fn tensors_and_schemes_are_shared_across_threads() -> TestResult {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<Tensor<'static>>();
    send_sync::<Scheme>();
    send::<Context>();
    let w = cross_input(256, 512);
    let q = Arc::new(quantize(&Tensor::from_f32(&w, &[256, 512])?, &Scheme::parse("bf16")?)?);
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let q = Arc::clone(&q);
            std::thread::spawn(move || q.dequantize().map(|v| v.iter().map(|&x| x as f64).sum::<f64>()))
        })
        .collect();
    let sums: Vec<f64> = handles.into_iter().map(|h| h.join().unwrap()).collect::<Result<_>>()?;
    assert_eq!(sums[0], sums[1]);
    Ok(())
}

#[test]
fn metrics_output_error_and_estimates() -> TestResult {
    let w = cross_input(256, 512);
    let shifted: Vec<f32> = w.iter().map(|x| x + 1.0 / 64.0).collect();
    let m = error_metrics(&w, &shifted)?;
    // the cross inputs are multiples of 1/256 below 2: x + 1/64 is exact in float,
    // and the metrics are exact but for double rounding (1e-16)
    assert!((m.rmse - 1.0 / 64.0).abs() < 1e-9 && (m.max_abs - 1.0 / 64.0).abs() < 1e-9);
    assert_eq!(error_metrics(&w, &w)?.sqnr_db, f64::INFINITY);
    assert_eq!(error_metrics(&w, &w[1..]).unwrap_err().status(), Status::SHAPE);

    let src = Tensor::from_f32(&w, &[256, 512])?;
    let x = cross_input(8, 512);
    let f16 = quantize(&src, &Scheme::parse("f16")?)?;
    assert_eq!(output_error(None, &src, &f16, &x)?, 0.0);
    let bf16 = quantize(&src, &Scheme::parse("bf16")?)?;
    let mut ctx = Context::new()?;
    let e = output_error(Some(&mut ctx), &src, &bf16, &x)?;
    // bf16 keeps 8 significant bits: relative error up to 2^-9 = 2e-3 per weight
    assert!(e > 0.0 && e < 1e-2);
    assert_eq!(output_error(None, &src, &bf16, &x[..100]).unwrap_err().status(), Status::SHAPE);

    assert_eq!(estimate_weights(&Scheme::parse("f16")?, GIB)? / GIB, 2.0);
    let kv =
        KvCache { layers: 32, kv_heads: 8, head_dim: 128, ctx: 4096, batch: 1, kv_type: KvType::from_name("int8")? };
    assert_eq!(estimate_kv(&kv)?, (2 * 32 * 8 * 4096 * (128 + 4)) as f64);
    assert_eq!(KvType::INT8.name(), Some("int8"));
    let bad = KvCache { layers: 0, ..kv };
    assert_eq!(estimate_kv(&bad).unwrap_err().status(), Status::INVALID);
    Ok(())
}
