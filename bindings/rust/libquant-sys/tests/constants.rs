//! The generated constants agree with the C library: checked at run time
//! through the library's own names and behaviour, so no C compiler is needed.
use libquant_sys::*;
use std::ffi::{c_int, CStr, CString};
use std::ptr;

fn text(p: *const std::ffi::c_char) -> String {
    assert!(!p.is_null());
    unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned()
}

#[test]
fn status_codes_match_their_texts() {
    let table = [
        (LQ_OK, "success"),
        (LQ_ERR_INVALID, "invalid argument"),
        (LQ_ERR_UNSUPPORTED, "unsupported"),
        (LQ_ERR_NOMEM, "out of memory"),
        (LQ_ERR_IO, "input/output error"),
        (LQ_ERR_FORMAT, "malformed data"),
        (LQ_ERR_SHAPE, "shape mismatch"),
        (LQ_ERR_NONFINITE, "non-finite value"),
        (LQ_ERR_CANCELLED, "cancelled by the caller"),
        (LQ_ERR_NUMERIC, "numerical failure"),
        (LQ_ERR_STATE, "object in the wrong state"),
        (LQ_ERR_INTERNAL, "internal error"),
    ];
    for (code, want) in table {
        assert_eq!(text(unsafe { lq_status_str(code) }), want, "status {code}");
    }
    // One past the last known code is not a status (catches a missing constant).
    assert_eq!(text(unsafe { lq_status_str(LQ_ERR_INTERNAL - 1) }), "unknown status");
}

#[test]
fn type_ids_match_their_names() {
    let table = [
        (LQ_TYPE_F32, "f32"),
        (LQ_TYPE_F16, "f16"),
        (LQ_TYPE_BF16, "bf16"),
        (LQ_TYPE_F64, "f64"),
        (LQ_TYPE_I8, "i8"),
        (LQ_TYPE_U8, "u8"),
        (LQ_TYPE_I16, "i16"),
        (LQ_TYPE_I32, "i32"),
        (LQ_TYPE_I64, "i64"),
        (LQ_TYPE_INT8, "int8"),
        (LQ_TYPE_INT4, "int4"),
        (LQ_TYPE_INT3, "int3"),
        (LQ_TYPE_INT2, "int2"),
        (LQ_TYPE_NF4, "nf4"),
        (LQ_TYPE_FP4, "fp4"),
        (LQ_TYPE_FP8_E4M3, "fp8_e4m3"),
        (LQ_TYPE_FP8_E5M2, "fp8_e5m2"),
        (LQ_TYPE_Q4_0, "q4_0"),
        (LQ_TYPE_Q4_1, "q4_1"),
        (LQ_TYPE_Q5_0, "q5_0"),
        (LQ_TYPE_Q5_1, "q5_1"),
        (LQ_TYPE_Q8_0, "q8_0"),
        (LQ_TYPE_Q8_1, "q8_1"),
        (LQ_TYPE_Q2_K, "q2_k"),
        (LQ_TYPE_Q3_K, "q3_k"),
        (LQ_TYPE_Q4_K, "q4_k"),
        (LQ_TYPE_Q5_K, "q5_k"),
        (LQ_TYPE_Q6_K, "q6_k"),
        (LQ_TYPE_Q8_K, "q8_k"),
        (LQ_TYPE_IQ4_NL, "iq4_nl"),
        (LQ_TYPE_IQ4_XS, "iq4_xs"),
        (LQ_TYPE_TQ1_0, "tq1_0"),
        (LQ_TYPE_TQ2_0, "tq2_0"),
        (LQ_TYPE_MXFP4, "mxfp4"),
        (LQ_TYPE_NVFP4, "nvfp4"),
        (LQ_TYPE_IQ2_XXS, "iq2_xxs"),
        (LQ_TYPE_IQ2_XS, "iq2_xs"),
        (LQ_TYPE_IQ2_S, "iq2_s"),
        (LQ_TYPE_IQ3_XXS, "iq3_xxs"),
        (LQ_TYPE_IQ3_S, "iq3_s"),
        (LQ_TYPE_IQ1_S, "iq1_s"),
        (LQ_TYPE_IQ1_M, "iq1_m"),
    ];
    for (id, name) in table {
        assert_eq!(text(unsafe { lq_type_name(id) }), name, "type {id}");
        let c = CString::new(name).unwrap();
        let mut back = -1;
        assert_eq!(unsafe { lq_type_from_name(c.as_ptr(), &mut back) }, LQ_OK);
        assert_eq!(back, id);
        assert_eq!(unsafe { lq_type_is_quantized(id) } != 0, id >= LQ_TYPE_INT8, "{name}");
    }
    // Every value the C enum names is declared here: the gaps are not types.
    let declared: Vec<lq_type> = table.iter().map(|t| t.0).collect();
    for id in 0..64 {
        if !declared.contains(&id) {
            assert!(unsafe { lq_type_name(id) }.is_null(), "type {id} exists in C but not here");
        }
    }
    assert_eq!(unsafe { lq_type_ggml_id(LQ_TYPE_Q4_K) }, 12); // ggml's GGML_TYPE_Q4_K
}

fn parse(text: &str) -> *mut lq_scheme {
    let c = CString::new(text).unwrap();
    let mut s = ptr::null_mut();
    assert_eq!(unsafe { lq_scheme_parse(c.as_ptr(), &mut s) }, LQ_OK, "{text}");
    s
}

fn get_int(s: *const lq_scheme, param: i32) -> i64 {
    let mut v = i64::MIN;
    assert_eq!(unsafe { lq_scheme_get_int(s, param, &mut v) }, LQ_OK, "param {param}");
    v
}

#[test]
fn scheme_params_and_methods() {
    let s = parse("gptq:int4:g64:asym:act_order:static_groups:damp=0.05");
    assert_eq!(get_int(s, LQ_PARAM_TYPE), LQ_TYPE_INT4 as i64);
    assert_eq!(get_int(s, LQ_PARAM_METHOD), LQ_METHOD_GPTQ as i64);
    assert_eq!(get_int(s, LQ_PARAM_BITS), 4);
    assert_eq!(get_int(s, LQ_PARAM_GROUP_SIZE), 64);
    assert_eq!(get_int(s, LQ_PARAM_SYMMETRIC), 0);
    assert_eq!(get_int(s, LQ_PARAM_SCALE_TYPE), LQ_TYPE_F16 as i64);
    assert_eq!(get_int(s, LQ_PARAM_ACT_ORDER), 1);
    assert_eq!(get_int(s, LQ_PARAM_STATIC_GROUPS), 1);
    assert_eq!(get_int(s, LQ_PARAM_MIXTURE), 0);
    let mut f = 0.0;
    assert_eq!(unsafe { lq_scheme_get_float(s, LQ_PARAM_DAMP, &mut f) }, LQ_OK);
    assert_eq!(f, 0.05);
    assert_eq!(unsafe { lq_scheme_get_float(s, LQ_PARAM_GROUP_SIZE, &mut f) }, LQ_ERR_INVALID);
    assert_eq!(unsafe { lq_scheme_get_int(s, LQ_PARAM_ITERS + 1, &mut 0) }, LQ_ERR_INVALID);
    unsafe { lq_scheme_free(s) };

    for (text, method, param, value) in [
        ("int8:channel", LQ_METHOD_RTN, LQ_PARAM_GROUP_SIZE, LQ_GROUP_CHANNEL as i64),
        ("int8:tensor", LQ_METHOD_RTN, LQ_PARAM_GROUP_SIZE, LQ_GROUP_TENSOR as i64),
        ("awq:int4", LQ_METHOD_AWQ, LQ_PARAM_TYPE, LQ_TYPE_INT4 as i64),
        ("hqq:int4:iters=7", LQ_METHOD_HQQ, LQ_PARAM_ITERS, 7),
        ("nf4:b128:dq", LQ_METHOD_RTN, LQ_PARAM_BLOCK_SIZE, 128),
        ("nf4:b128:dq", LQ_METHOD_RTN, LQ_PARAM_DOUBLE_QUANT, 1),
        ("smoothquant:int8", LQ_METHOD_SMOOTHQUANT, LQ_PARAM_TYPE, LQ_TYPE_INT8 as i64),
        ("llm_int8:int8", LQ_METHOD_LLM_INT8, LQ_PARAM_TYPE, LQ_TYPE_INT8 as i64),
        ("q4_k_m", LQ_METHOD_RTN, LQ_PARAM_TYPE, LQ_TYPE_Q4_K as i64),
    ] {
        let s = parse(text);
        assert_eq!(get_int(s, LQ_PARAM_METHOD), method as i64, "{text}");
        assert_eq!(get_int(s, param), value, "{text} param {param}");
        unsafe { lq_scheme_free(s) };
    }
    for (text, param) in
        [("smoothquant:int8:alpha=0.25", LQ_PARAM_ALPHA), ("llm_int8:int8:threshold=0.25", LQ_PARAM_THRESHOLD)]
    {
        let s = parse(text);
        let mut f = 0.0;
        assert_eq!(unsafe { lq_scheme_get_float(s, param, &mut f) }, LQ_OK, "{text}");
        assert_eq!(f, 0.25, "{text}");
        unsafe { lq_scheme_free(s) };
    }
}

#[test]
fn metric_indices() {
    let reference = [1.0f32, 2.0, 3.0, 4.0];
    let test = [1.0f32, 2.0, 3.0, 2.0];
    let mut m = [0.0f64; LQ_METRIC_COUNT_V1 as usize];
    let rc = unsafe { lq_error_metrics(reference.as_ptr(), test.as_ptr(), 4, m.as_mut_ptr(), m.len() as i32) };
    assert_eq!(rc, LQ_OK);
    assert_eq!(m[LQ_METRIC_MSE as usize], 1.0);
    assert_eq!(m[LQ_METRIC_RMSE as usize], 1.0);
    assert_eq!(m[LQ_METRIC_MAX_ABS as usize], 2.0);
    // small integers summed in double: exact but for the final log and root (1e-15)
    assert!((m[LQ_METRIC_SQNR_DB as usize] - 10.0 * (30.0f64 / 4.0).log10()).abs() < 1e-9);
    assert!((m[LQ_METRIC_COSINE as usize] - 22.0 / (30.0f64.sqrt() * 18.0f64.sqrt())).abs() < 1e-9);
    // Asking for one more than the library knows is refused (catches a missing index).
    let mut more = [0.0f64; LQ_METRIC_COUNT_V1 as usize + 1];
    let rc = unsafe { lq_error_metrics(reference.as_ptr(), test.as_ptr(), 4, more.as_mut_ptr(), more.len() as i32) };
    assert_eq!(rc, LQ_ERR_INVALID);
}

#[test]
fn kv_types() {
    for (id, name) in [(LQ_KV_F32, "f32"), (LQ_KV_F16, "f16"), (LQ_KV_INT8, "int8"), (LQ_KV_FP8, "fp8")] {
        assert_eq!(text(unsafe { lq_kv_type_name(id) }), name);
    }
    assert!(unsafe { lq_kv_type_name(LQ_KV_FP8 + 1) }.is_null());
}

#[test]
fn data_modes_copy_and_borrow() {
    let mut data = [1.0f32, 2.0];
    let shape = [2i64];
    let mut borrowed = ptr::null_mut();
    let mut copied = ptr::null_mut();
    unsafe {
        assert_eq!(
            lq_tensor_wrap(
                LQ_TYPE_F32,
                1,
                shape.as_ptr(),
                data.as_ptr().cast(),
                8,
                LQ_BORROW,
                ptr::null(),
                &mut borrowed
            ),
            LQ_OK
        );
        assert_eq!(
            lq_tensor_wrap(LQ_TYPE_F32, 1, shape.as_ptr(), data.as_ptr().cast(), 8, LQ_COPY, ptr::null(), &mut copied),
            LQ_OK
        );
        assert_eq!(lq_tensor_data(borrowed), data.as_ptr().cast());
        assert_ne!(lq_tensor_data(copied), data.as_ptr().cast());
        data[0] = 5.0;
        assert_eq!(*lq_tensor_data(copied).cast::<f32>(), 1.0);
        assert_eq!(
            lq_tensor_wrap(
                LQ_TYPE_F32,
                1,
                shape.as_ptr(),
                data.as_ptr().cast(),
                8,
                LQ_COPY + 1,
                ptr::null(),
                &mut copied
            ),
            LQ_ERR_INVALID
        );
        lq_tensor_free(borrowed);
        lq_tensor_free(copied);
    }
}

#[test]
fn limits_and_versions() {
    let name = CString::new("x".repeat(LQ_MAX_NAME as usize)).unwrap();
    let longer = CString::new("x".repeat(LQ_MAX_NAME as usize + 1)).unwrap();
    let shape = [1i64; LQ_MAX_DIMS as usize + 1];
    let mut t = ptr::null_mut();
    unsafe {
        assert_eq!(lq_tensor_create(LQ_TYPE_F32, LQ_MAX_DIMS, shape.as_ptr(), name.as_ptr(), &mut t), LQ_OK);
        assert_eq!(lq_tensor_set_name(t, longer.as_ptr()), LQ_ERR_INVALID);
        lq_tensor_free(t);
        assert_eq!(
            lq_tensor_create(LQ_TYPE_F32, LQ_MAX_DIMS + 1, shape.as_ptr(), ptr::null(), &mut t),
            LQ_ERR_INVALID
        );
        let n = lq_version_number();
        assert_eq!((n / 10000, n / 100 % 100), HEADER_VERSION);
        assert_eq!(text(lq_version_string()), format!("{}.{}.{}", n / 10000, n / 100 % 100, n % 100));
    }
}

#[test]
fn calib_stats_and_imatrix_formats() {
    let n = 8i64;
    let mut c = ptr::null_mut();
    let x: Vec<f32> = (0..4 * n).map(|i| i as f32 / 7.0 - 1.0).collect();
    unsafe {
        assert_eq!(lq_calib_create(n, &mut c), LQ_OK);
        assert_eq!(lq_calib_add(c, x.as_ptr(), 4), LQ_OK);
        let mut out = vec![0.0f32; (n * n) as usize];
        // Each statistic has the size lq_calib.h gives it; one more id is refused.
        for (stat, count) in [
            (LQ_CALIB_MEAN_ABS, n),
            (LQ_CALIB_MAX_ABS, n),
            (LQ_CALIB_SUM_SQ, n),
            (LQ_CALIB_MEAN_SQ, n),
            (LQ_CALIB_HESSIAN, n * n),
            (LQ_CALIB_SAMPLES, 4 * n),
        ] {
            assert_eq!(lq_calib_get(c, stat, out.as_mut_ptr(), count), LQ_OK, "stat {stat}");
            assert_eq!(lq_calib_get(c, stat, out.as_mut_ptr(), count - 1), LQ_ERR_SHAPE, "stat {stat}");
        }
        assert_eq!(lq_calib_get(c, LQ_CALIB_SAMPLES + 1, out.as_mut_ptr(), n), LQ_ERR_INVALID);
        // The ids are in the documented order: MAX_ABS, then MEAN_ABS, of channel 0.
        let channel0: Vec<f32> = x.iter().step_by(n as usize).map(|v| v.abs()).collect();
        assert_eq!(lq_calib_get(c, LQ_CALIB_MAX_ABS, out.as_mut_ptr(), n), LQ_OK);
        assert_eq!(out[0], channel0.iter().cloned().fold(0.0, f32::max));
        assert_eq!(lq_calib_get(c, LQ_CALIB_MEAN_ABS, out.as_mut_ptr(), n), LQ_OK);
        // a float mean of 4 values of order 1: a few roundings of 6e-8
        assert!((out[0] - channel0.iter().sum::<f32>() / 4.0).abs() < 1e-6);

        let mut im = ptr::null_mut();
        assert_eq!(lq_imatrix_create(&mut im), LQ_OK);
        let name = CString::new("blk.0.w").unwrap();
        assert_eq!(lq_imatrix_add(im, name.as_ptr(), c), LQ_OK);
        let dir = std::env::temp_dir().join(format!("lq-sys-consts-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = CString::new(dir.join("im").to_str().unwrap()).unwrap();
        assert_eq!(lq_imatrix_save(im, path.as_ptr(), LQ_IMATRIX_GGUF, ptr::null()), LQ_OK);
        assert_eq!(&std::fs::read(dir.join("im")).unwrap()[..4], b"GGUF");
        assert_eq!(lq_imatrix_save(im, path.as_ptr(), LQ_IMATRIX_DAT, ptr::null()), LQ_OK);
        assert_ne!(&std::fs::read(dir.join("im")).unwrap()[..4], b"GGUF");
        assert_eq!(lq_imatrix_save(im, path.as_ptr(), LQ_IMATRIX_GGUF + 1, ptr::null()), LQ_ERR_INVALID);
        std::fs::remove_dir_all(dir).unwrap();
        lq_imatrix_free(im);
        lq_calib_free(c);
    }
}

#[test]
fn gguf_value_types_and_name_limit() {
    let mut g = ptr::null_mut();
    unsafe {
        assert_eq!(lq_gguf_create(&mut g), LQ_OK);
        let key = |s: &str| CString::new(s).unwrap();
        let setters: [(c_int, lq_status); 12] = [
            (LQ_GGUF_TYPE_U8, lq_gguf_set_u8(g, key("u8").as_ptr(), 1)),
            (LQ_GGUF_TYPE_I8, lq_gguf_set_i8(g, key("i8").as_ptr(), 1)),
            (LQ_GGUF_TYPE_U16, lq_gguf_set_u16(g, key("u16").as_ptr(), 1)),
            (LQ_GGUF_TYPE_I16, lq_gguf_set_i16(g, key("i16").as_ptr(), 1)),
            (LQ_GGUF_TYPE_U32, lq_gguf_set_u32(g, key("u32").as_ptr(), 1)),
            (LQ_GGUF_TYPE_I32, lq_gguf_set_i32(g, key("i32").as_ptr(), 1)),
            (LQ_GGUF_TYPE_F32, lq_gguf_set_f32(g, key("f32").as_ptr(), 1.0)),
            (LQ_GGUF_TYPE_BOOL, lq_gguf_set_bool(g, key("bool").as_ptr(), 1)),
            (LQ_GGUF_TYPE_STRING, lq_gguf_set_string(g, key("string").as_ptr(), key("s").as_ptr())),
            (LQ_GGUF_TYPE_U64, lq_gguf_set_u64(g, key("u64").as_ptr(), 1)),
            (LQ_GGUF_TYPE_I64, lq_gguf_set_i64(g, key("i64").as_ptr(), 1)),
            (LQ_GGUF_TYPE_F64, lq_gguf_set_f64(g, key("f64").as_ptr(), 1.0)),
        ];
        for (i, (want, rc)) in setters.iter().enumerate() {
            assert_eq!(*rc, LQ_OK);
            assert_eq!(lq_gguf_kv_type(g, i as i64), *want, "{}", text(lq_gguf_kv_key(g, i as i64)));
        }
        let data = [1u8, 2];
        assert_eq!(lq_gguf_set_array(g, key("arr").as_ptr(), LQ_GGUF_TYPE_U8, data.as_ptr().cast(), 2), LQ_OK);
        assert_eq!(lq_gguf_kv_type(g, 12), LQ_GGUF_TYPE_ARRAY);

        let shape = [32i64];
        let bytes = [0u8; 128];
        for (len, want) in [(LQ_GGUF_MAX_NAME, LQ_OK), (LQ_GGUF_MAX_NAME + 1, LQ_ERR_INVALID)] {
            let name = CString::new("t".repeat(len as usize)).unwrap();
            let rc =
                lq_gguf_add_tensor_raw(g, name.as_ptr(), 0, 1, shape.as_ptr(), bytes.as_ptr().cast(), 128, LQ_COPY);
            assert_eq!(rc, want, "name of {len} bytes");
        }
        lq_gguf_free(g);
    }
}
