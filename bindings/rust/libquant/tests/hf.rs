//! Hugging Face layouts: export, import, decode, config.
mod common;

use common::{cross_input, temp_dir};
use libquant::*;

type TestResult = std::result::Result<(), Error>;

const PREFIX: &str = "model.layers.0.mlp.up_proj";

#[test]
fn round_trips_through_a_file() -> TestResult {
    let w = cross_input(256, 512);
    let src = Tensor::from_f32(&w, &[256, 512])?;
    let dir = temp_dir("hf");
    for (scheme, format) in [("int4:g128", HfFormat::GptqV2), ("int4:g128", HfFormat::Awq), ("nf4", HfFormat::Bnb4)] {
        let q = quantize(&src, &scheme.parse()?)?;
        let mut st = Safetensors::new()?;
        hf_export(&q, None, None, format, PREFIX, &mut st)?;
        assert!(st.names().iter().all(|n| n.starts_with(PREFIX)));
        let path = dir.join("layer.safetensors");
        st.save(None, &path, 0)?;
        let back = Safetensors::open(&path)?;
        let (got, perm) = hf_import(&back, format, PREFIX)?;
        // Conversions are exact: the same codes, scales and zero points.
        assert_eq!(got.scheme_str(), q.scheme_str(), "{format:?}");
        assert_eq!(got.bytes(), q.bytes(), "{format:?}");
        assert_eq!(perm.is_some(), format == HfFormat::GptqV2);
        if let Some(p) = perm {
            assert_eq!(p, (0..512).collect::<Vec<i32>>());
        }
        let mut want = q.dequantize()?;
        if format == HfFormat::Bnb4 {
            // bitsandbytes rounds to the quant state's dtype, bfloat16
            for v in want.iter_mut() {
                let b = v.to_bits();
                *v = f32::from_bits((b + 0x7fff + ((b >> 16) & 1)) & !0xffff);
            }
        }
        assert_eq!(hf_dequantize(&back, format, PREFIX, w.len())?, want);
    }
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}

#[test]
fn config_and_errors() -> TestResult {
    let json = hf_config(HfFormat::Gptq, &"int4:g128".parse()?)?;
    assert!(json.contains("\"quant_method\"") && json.contains("\"gptq\""), "{json}");
    let w = cross_input(64, 256);
    let src = Tensor::from_f32(&w, &[64, 256])?;
    let q = quantize(&src, &"int8:channel:sym".parse()?)?;
    let mut st = Safetensors::new()?;
    let e = hf_export(&q, None, None, HfFormat::Awq, PREFIX, &mut st).unwrap_err();
    assert_eq!(e.status(), Status::INVALID);
    assert!(e.message().contains("awq"), "{}", e.message());
    assert_eq!(
        hf_export(&q, Some(&[0, 1]), None, HfFormat::Gptq, PREFIX, &mut st).unwrap_err().status(),
        Status::SHAPE
    );
    assert_eq!(hf_import(&st, HfFormat::Gptq, "missing").unwrap_err().status(), Status::FORMAT);
    Ok(())
}
