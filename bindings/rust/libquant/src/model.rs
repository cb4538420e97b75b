//! The reference Llama runner (`lq_model.h`): load a GGUF model, tokenize,
//! run the forward pass, measure perplexity and KL divergence, quantize in
//! memory, compute an importance matrix.
//!
//! Experimental tier (`LQ_EXPERIMENTAL_API`): may change in a minor release.
use std::ffi::CStr;
use std::marker::PhantomData;
use std::path::Path;
use std::ptr::{self, NonNull};

use libquant_sys as sys;

use crate::calib::{c_path, new_imatrix, Imatrix};
use crate::context::{with_ctx, Context};
use crate::error::{check, Error, Result, Status};
use crate::quality::KvType;
use crate::scheme::Scheme;
use crate::version::check_version;

/// What [`Model::perplexity`] and [`Model::kl_divergence`] measure
/// (`enum lq_eval_result`). The KL entries are `None` for perplexity.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EvalResults {
    /// exp(mean negative log-likelihood).
    pub ppl: f64,
    /// Mean negative log-likelihood, nats per token.
    pub nll: f64,
    /// Standard error of that mean.
    pub nll_stderr: f64,
    /// Tokens scored.
    pub scored: i64,
    /// Windows evaluated.
    pub windows: i64,
    /// Wall-clock time of the forward passes.
    pub seconds: f64,
    /// Tokens run through a model per second.
    pub tokens_per_second: f64,
    /// Tokens per second of the evaluated model alone.
    pub model_tokens_per_second: f64,
    /// Mean KL(base || model), nats.
    pub kld: Option<f64>,
    /// Standard error of that mean.
    pub kld_stderr: Option<f64>,
    /// Share of positions whose most likely token is the base's.
    pub same_top: Option<f64>,
    /// Perplexity of the base model.
    pub base_ppl: Option<f64>,
}

const N_RESULTS: usize = sys::LQ_EVAL_COUNT_V2 as usize;

impl EvalResults {
    fn from_array(r: &[f64; N_RESULTS]) -> EvalResults {
        let at = |i: std::ffi::c_int| r[i as usize];
        let kl = |i| Some(at(i)).filter(|v| !v.is_nan()); // NaN for perplexity
        EvalResults {
            ppl: at(sys::LQ_EVAL_PPL),
            nll: at(sys::LQ_EVAL_NLL),
            nll_stderr: at(sys::LQ_EVAL_NLL_STDERR),
            scored: at(sys::LQ_EVAL_SCORED) as i64,
            windows: at(sys::LQ_EVAL_WINDOWS) as i64,
            seconds: at(sys::LQ_EVAL_SECONDS),
            tokens_per_second: at(sys::LQ_EVAL_TOKENS_PER_SECOND),
            model_tokens_per_second: at(sys::LQ_EVAL_MODEL_TOKENS_PER_SECOND),
            kld: kl(sys::LQ_EVAL_KLD),
            kld_stderr: kl(sys::LQ_EVAL_KLD_STDERR),
            same_top: kl(sys::LQ_EVAL_SAME_TOP),
            base_ppl: kl(sys::LQ_EVAL_BASE_PPL),
        }
    }
}

/// A llama-architecture GGUF model in libquant's reference runner (an
/// `lq_model`). `'a` is what it borrows: `'static` for a model loaded from a
/// file, the base model for one made by [`Model::quantize`].
///
/// A model holds its KV cache, so it runs one sequence at a time: it is
/// `Send` but not `Sync`. A base and a model quantized from it may run in two
/// threads at once (the C header allows it).
pub struct Model<'a> {
    ptr: NonNull<sys::lq_model>,
    _borrow: PhantomData<&'a ()>,
}

// SAFETY: the C model may move between threads; it is used from one thread
// at a time because Model is not Sync.
unsafe impl Send for Model<'_> {}

fn new_model<'a>(p: *mut sys::lq_model) -> Result<Model<'a>> {
    NonNull::new(p)
        .map(|ptr| Model { ptr, _borrow: PhantomData })
        .ok_or_else(|| Error::new(Status::INTERNAL, "libquant: the library returned a NULL model"))
}

impl Model<'static> {
    /// Loads a GGUF model with a KV cache of `n_ctx` tokens (0: the training
    /// context) in `kv` elements.
    pub fn load(ctx: Option<&mut Context>, path: impl AsRef<Path>, n_ctx: i64, kv: KvType) -> Result<Model<'static>> {
        check_version()?;
        let c = c_path(path.as_ref())?;
        let mut p = ptr::null_mut();
        // SAFETY: valid C string and out-pointer; ctx is NULL or live.
        with_ctx(ctx, |cx| check(unsafe { sys::lq_model_load(cx, c.as_ptr(), n_ctx, kv.0, &mut p) }))?;
        new_model(p)
    }
}

impl<'a> Model<'a> {
    fn m(&self) -> *mut sys::lq_model {
        self.ptr.as_ptr()
    }

    /// One number about the model: `field` is an `LQ_MODEL_*` constant of
    /// [`crate::sys`]; -1 for an unknown field.
    pub fn info(&self, field: i32) -> i64 {
        // SAFETY: live handle.
        unsafe { sys::lq_model_info(self.m(), field) }
    }

    /// The vocabulary size (logits per token).
    pub fn n_vocab(&self) -> usize {
        self.info(sys::LQ_MODEL_N_VOCAB) as usize
    }

    /// The KV cache capacity in tokens.
    pub fn n_ctx(&self) -> i64 {
        self.info(sys::LQ_MODEL_N_CTX)
    }

    /// The token ids of `text` as llama.cpp's tokenizer gives them, BOS
    /// first when `add_bos` and the vocabulary asks for it.
    /// The text is plain text: no token names in it are read
    /// ([`Model::tokenize_v2`] reads them).
    pub fn tokenize(&self, text: &str, add_bos: bool) -> Result<Vec<i32>> {
        let (mut p, mut n) = (ptr::null_mut(), 0i64);
        // SAFETY: text is len bytes (no NUL needed); valid out-pointers.
        check(unsafe {
            sys::lq_model_tokenize(self.m(), text.as_ptr().cast(), text.len(), add_bos as i32, &mut p, &mut n)
        })?;
        Ok(Self::take_ids(p, n))
    }

    /// As `lq_model_tokenize_v2`: BOS / EOS when asked and the vocabulary
    /// asks for them, user-defined token names in the text read as those
    /// tokens, and control ones ("<|im_start|>", "<s>") too with
    /// `parse_special`, as llama.cpp's llama_tokenize.
    pub fn tokenize_v2(&self, text: &str, add_bos: bool, add_eos: bool, parse_special: bool) -> Result<Vec<i32>> {
        let flags = if add_bos { sys::LQ_TOKENIZE_ADD_BOS } else { 0 }
            | if add_eos { sys::LQ_TOKENIZE_ADD_EOS } else { 0 }
            | if parse_special { sys::LQ_TOKENIZE_PARSE_SPECIAL } else { 0 };
        let (mut p, mut n) = (ptr::null_mut(), 0i64);
        // SAFETY: text is len bytes (no NUL needed); valid out-pointers.
        check(unsafe { sys::lq_model_tokenize_v2(self.m(), text.as_ptr().cast(), text.len(), flags, &mut p, &mut n) })?;
        Ok(Self::take_ids(p, n))
    }

    /// The n ids the library wrote at p, which is freed.
    fn take_ids(p: *mut i32, n: i64) -> Vec<i32> {
        if p.is_null() {
            return Vec::new();
        }
        // SAFETY: the library wrote n ids at p, which we free right after copying.
        let v = unsafe { std::slice::from_raw_parts(p, n as usize) }.to_vec();
        unsafe { sys::lq_free(p.cast()) };
        v
    }

    /// The vocabulary text of `token`, or None outside the vocabulary.
    pub fn token_text(&self, token: i32) -> Option<String> {
        // SAFETY: live handle; the text is copied at once.
        let p = unsafe { sys::lq_model_token_text(self.m(), token) };
        (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
    }

    /// Runs `tokens` at positions pos, pos+1, ... (the cache keeps what came
    /// before pos) and returns the logits of tokens[logits_from..], one row
    /// of [`Model::n_vocab`] per token.
    pub fn eval(&self, ctx: Option<&mut Context>, tokens: &[i32], pos: i64, logits_from: usize) -> Result<Vec<f32>> {
        if logits_from > tokens.len() {
            return Err(Error::new(
                Status::INVALID,
                format!("libquant: logits_from {logits_from} is past the {} tokens", tokens.len()),
            ));
        }
        let mut logits = vec![0.0f32; (tokens.len() - logits_from) * self.n_vocab()];
        let out = if logits.is_empty() { ptr::null_mut() } else { logits.as_mut_ptr() };
        // SAFETY: tokens and logits hold what the call reads and writes.
        with_ctx(ctx, |cx| {
            check(unsafe {
                sys::lq_model_eval(cx, self.m(), tokens.as_ptr(), tokens.len() as i64, pos, logits_from as i64, out)
            })
        })?;
        Ok(logits)
    }

    /// Perplexity over `tokens` as llama.cpp's perplexity tool computes it:
    /// windows of `n_ctx` tokens every `stride` tokens (0: adjacent),
    /// scoring the second half of each.
    pub fn perplexity(
        &self,
        ctx: Option<&mut Context>,
        tokens: &[i32],
        n_ctx: i64,
        stride: i64,
    ) -> Result<EvalResults> {
        let mut r = [0.0f64; N_RESULTS];
        // SAFETY: tokens and r hold what the call reads and writes.
        with_ctx(ctx, |cx| {
            check(unsafe {
                sys::lq_model_perplexity(
                    cx,
                    self.m(),
                    tokens.as_ptr(),
                    tokens.len() as i64,
                    n_ctx,
                    stride,
                    r.as_mut_ptr(),
                    N_RESULTS as i32,
                )
            })
        })?;
        Ok(EvalResults::from_array(&r))
    }

    /// KL divergence of this model's next-token distribution from `base`'s,
    /// over the windows of [`Model::perplexity`].
    pub fn kl_divergence(
        &self,
        ctx: Option<&mut Context>,
        base: &Model<'_>,
        tokens: &[i32],
        n_ctx: i64,
        stride: i64,
    ) -> Result<EvalResults> {
        if base.ptr == self.ptr {
            return Err(Error::new(Status::INVALID, "libquant: a model's KL divergence from itself"));
        }
        let mut r = [0.0f64; N_RESULTS];
        // SAFETY: two distinct live models; tokens and r sized for the call.
        with_ctx(ctx, |cx| {
            check(unsafe {
                sys::lq_model_kl_divergence(
                    cx,
                    base.m(),
                    self.m(),
                    tokens.as_ptr(),
                    tokens.len() as i64,
                    n_ctx,
                    stride,
                    r.as_mut_ptr(),
                    N_RESULTS as i32,
                )
            })
        })?;
        Ok(EvalResults::from_array(&r))
    }

    /// A new model: this one with its weights quantized in memory to
    /// `scheme` (a llama.cpp mixture such as `q4_k_m`, or any scheme). gptq,
    /// awq and smoothquant learn from the `calib` token ids. The new model
    /// points into this one's weights, so it borrows it.
    pub fn quantize(
        &self,
        ctx: Option<&mut Context>,
        scheme: &Scheme,
        imatrix: Option<&Imatrix>,
        calib: &[i32],
        n_ctx: i64,
        kv: KvType,
    ) -> Result<Model<'_>> {
        let im = imatrix.map_or(ptr::null(), |i| i.as_ptr());
        let cal = if calib.is_empty() { ptr::null() } else { calib.as_ptr() };
        let mut p = ptr::null_mut();
        // SAFETY: live handles; calib holds n_calib ids; valid out-pointer.
        with_ctx(ctx, |cx| {
            check(unsafe {
                sys::lq_model_quantize(cx, self.m(), scheme.as_ptr(), im, cal, calib.len() as i64, n_ctx, kv.0, &mut p)
            })
        })?;
        new_model(p)
    }

    /// The importance matrix of this model on `tokens`, as llama-imatrix
    /// computes it (windows of `n_ctx` tokens, 0: the cache size).
    pub fn imatrix(&self, ctx: Option<&mut Context>, tokens: &[i32], n_ctx: i64) -> Result<Imatrix> {
        let mut p = ptr::null_mut();
        // SAFETY: tokens holds n ids; valid out-pointer.
        with_ctx(ctx, |cx| {
            check(unsafe { sys::lq_model_imatrix(cx, self.m(), tokens.as_ptr(), tokens.len() as i64, n_ctx, &mut p) })
        })?;
        new_imatrix(p)
    }
}

impl Drop for Model<'_> {
    fn drop(&mut self) {
        // SAFETY: owned handle, freed once; models made from it borrow it, so
        // the borrow checker has dropped them already.
        unsafe { sys::lq_model_free(self.m()) }
    }
}

impl std::fmt::Debug for Model<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("n_layer", &self.info(sys::LQ_MODEL_N_LAYER))
            .field("n_params", &self.info(sys::LQ_MODEL_N_PARAMS))
            .field("n_ctx", &self.n_ctx())
            .finish()
    }
}
