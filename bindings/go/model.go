package libquant

// #define LQ_EXPERIMENTAL_API
// #include <lq/lq.h>
// #include <stdlib.h>
import "C"

import (
	"runtime"
	"unsafe"
)

// ModelField names a number Model.Info reports (enum lq_model_field).
type ModelField int

// The fields of lq_model.h.
const (
	ModelNVocab     ModelField = C.LQ_MODEL_N_VOCAB
	ModelNEmbd      ModelField = C.LQ_MODEL_N_EMBD
	ModelNLayer     ModelField = C.LQ_MODEL_N_LAYER
	ModelNHead      ModelField = C.LQ_MODEL_N_HEAD
	ModelNHeadKV    ModelField = C.LQ_MODEL_N_HEAD_KV
	ModelHeadDim    ModelField = C.LQ_MODEL_HEAD_DIM
	ModelNFF        ModelField = C.LQ_MODEL_N_FF
	ModelNCtxTrain  ModelField = C.LQ_MODEL_N_CTX_TRAIN
	ModelNCtx       ModelField = C.LQ_MODEL_N_CTX
	ModelKVType     ModelField = C.LQ_MODEL_KV_TYPE
	ModelKVBytes    ModelField = C.LQ_MODEL_KV_BYTES
	ModelWeightSize ModelField = C.LQ_MODEL_WEIGHT_BYTES
	ModelNParams    ModelField = C.LQ_MODEL_N_PARAMS
	ModelTokenBOS   ModelField = C.LQ_MODEL_TOKEN_BOS
	ModelTokenEOS   ModelField = C.LQ_MODEL_TOKEN_EOS
	ModelTokenUNK   ModelField = C.LQ_MODEL_TOKEN_UNK
	ModelAddBOS     ModelField = C.LQ_MODEL_ADD_BOS
	ModelNPast      ModelField = C.LQ_MODEL_N_PAST
)

// EvalResults is what Perplexity and KLDivergence measure (enum
// lq_eval_result). The KL fields are NaN for Perplexity.
type EvalResults struct {
	PPL, NLL, NLLStderr  float64
	Scored, Windows      int64
	Seconds              float64
	TokensPerSecond      float64 // tokens run through a model per second
	ModelTokensPerSecond float64 // of the evaluated model alone
	KLD, KLDStderr       float64 // mean KL(base || model), nats, and its standard error
	SameTop, BasePPL     float64 // share of positions with the base's top token; the base's perplexity
}

func evalResults(r *[C.LQ_EVAL_COUNT_V2]C.double) EvalResults {
	return EvalResults{
		PPL: float64(r[C.LQ_EVAL_PPL]), NLL: float64(r[C.LQ_EVAL_NLL]),
		NLLStderr: float64(r[C.LQ_EVAL_NLL_STDERR]),
		Scored:    int64(r[C.LQ_EVAL_SCORED]), Windows: int64(r[C.LQ_EVAL_WINDOWS]),
		Seconds: float64(r[C.LQ_EVAL_SECONDS]), TokensPerSecond: float64(r[C.LQ_EVAL_TOKENS_PER_SECOND]),
		ModelTokensPerSecond: float64(r[C.LQ_EVAL_MODEL_TOKENS_PER_SECOND]),
		KLD:                  float64(r[C.LQ_EVAL_KLD]), KLDStderr: float64(r[C.LQ_EVAL_KLD_STDERR]),
		SameTop: float64(r[C.LQ_EVAL_SAME_TOP]), BasePPL: float64(r[C.LQ_EVAL_BASE_PPL]),
	}
}

// Model is a llama-architecture GGUF model in libquant's reference runner
// (an lq_model). It holds its KV cache, so it serves one sequence from one
// goroutine at a time. A model made by Quantize points into its base's
// weights: close it before the base (the base's Close fails while it is
// open). Close is idempotent; a finalizer frees a forgotten model.
type Model struct {
	ptr      *C.lq_model
	base     *Model // the model this one points into, kept alive
	children int    // open models quantized from this one
}

func newModel(base *Model, make func(**C.lq_model) C.lq_status, ctx *Context) (*Model, error) {
	if err := CheckVersion(); err != nil {
		return nil, err
	}
	// A local out-pointer: cgo refuses &m.ptr, as m holds a Go pointer (base).
	var p *C.lq_model
	err := withCtx(ctx, func(*C.lq_ctx) error {
		return call(func() C.lq_status { return make(&p) })
	}, func() { C.lq_model_free(p) })
	if err != nil {
		return nil, err
	}
	m := &Model{ptr: p, base: base}
	if base != nil {
		base.children++
	}
	runtime.SetFinalizer(m, func(m *Model) {
		if m.ptr != nil {
			leaked("model")
			m.Close()
		}
	})
	return m, nil
}

// LoadModel loads a GGUF model with a KV cache of nCtx tokens (0: the
// training context) in kv elements. ctx may be nil.
func LoadModel(ctx *Context, path string, nCtx int64, kv KVType) (*Model, error) {
	p := C.CString(path)
	defer C.free(unsafe.Pointer(p))
	return newModel(nil, func(out **C.lq_model) C.lq_status {
		return C.lq_model_load(ctxPtr(ctx), p, C.int64_t(nCtx), C.int(kv), out)
	}, ctx)
}

func ctxPtr(ctx *Context) *C.lq_ctx {
	if ctx == nil {
		return nil
	}
	return ctx.ptr
}

func (m *Model) live() error {
	if m == nil || m.ptr == nil {
		return errorf(ErrInvalid, "the model is closed")
	}
	return nil
}

// Info is one number about the model (-1 for a closed model or an unknown field).
func (m *Model) Info(field ModelField) int64 {
	if m == nil || m.ptr == nil {
		return -1
	}
	defer runtime.KeepAlive(m)
	return int64(C.lq_model_info(m.ptr, C.int(field)))
}

func tokenPtr(t []int32) *C.int32_t {
	if len(t) == 0 {
		return nil
	}
	return (*C.int32_t)(unsafe.Pointer(&t[0]))
}

// Tokenize gives the token ids of text as llama.cpp's tokenizer does, BOS
// first when addBOS and the vocabulary asks for it.
func (m *Model) Tokenize(text string, addBOS bool) ([]int32, error) {
	if err := m.live(); err != nil {
		return nil, err
	}
	defer runtime.KeepAlive(m)
	cs := C.CString(text)
	defer C.free(unsafe.Pointer(cs))
	var p *C.int32_t
	var n C.int64_t
	bos := C.int(0)
	if addBOS {
		bos = 1
	}
	if err := call(func() C.lq_status {
		return C.lq_model_tokenize(m.ptr, cs, C.size_t(len(text)), bos, &p, &n)
	}); err != nil {
		return nil, err
	}
	return takeIDs(p, n), nil
}

// TokenizeV2 is lq_model_tokenize_v2: BOS / EOS when asked and the
// vocabulary asks for them, user-defined token names in the text read as
// those tokens, and control ones ("<|im_start|>", "<s>") too with
// parseSpecial, as llama.cpp's llama_tokenize.
func (m *Model) TokenizeV2(text string, addBOS, addEOS, parseSpecial bool) ([]int32, error) {
	if err := m.live(); err != nil {
		return nil, err
	}
	defer runtime.KeepAlive(m)
	cs := C.CString(text)
	defer C.free(unsafe.Pointer(cs))
	flags := C.int(0)
	if addBOS {
		flags |= C.LQ_TOKENIZE_ADD_BOS
	}
	if addEOS {
		flags |= C.LQ_TOKENIZE_ADD_EOS
	}
	if parseSpecial {
		flags |= C.LQ_TOKENIZE_PARSE_SPECIAL
	}
	var p *C.int32_t
	var n C.int64_t
	if err := call(func() C.lq_status {
		return C.lq_model_tokenize_v2(m.ptr, cs, C.size_t(len(text)), flags, &p, &n)
	}); err != nil {
		return nil, err
	}
	return takeIDs(p, n), nil
}

// takeIDs copies the n ids the library wrote at p and frees p.
func takeIDs(p *C.int32_t, n C.int64_t) []int32 {
	defer C.lq_free(unsafe.Pointer(p))
	out := make([]int32, int(n))
	if n > 0 {
		copy(out, unsafe.Slice((*int32)(unsafe.Pointer(p)), int(n)))
	}
	return out
}

// TokenText is the vocabulary text of token; false outside the vocabulary.
func (m *Model) TokenText(token int32) (string, bool) {
	if m.live() != nil {
		return "", false
	}
	defer runtime.KeepAlive(m)
	p := C.lq_model_token_text(m.ptr, C.int32_t(token))
	if p == nil {
		return "", false
	}
	return C.GoString(p), true
}

// Eval runs tokens at positions pos, pos+1, ... (the cache keeps what came
// before pos) and returns the logits of tokens[logitsFrom:], one row of
// Info(ModelNVocab) floats per token.
func (m *Model) Eval(ctx *Context, tokens []int32, pos int64, logitsFrom int) ([]float32, error) {
	if err := m.live(); err != nil {
		return nil, err
	}
	if logitsFrom < 0 || logitsFrom > len(tokens) {
		return nil, errorf(ErrInvalid, "logitsFrom %d outside [0, %d]", logitsFrom, len(tokens))
	}
	defer runtime.KeepAlive(m)
	logits := make([]float32, (len(tokens)-logitsFrom)*int(m.Info(ModelNVocab)))
	err := withCtx(ctx, func(c *C.lq_ctx) error {
		return call(func() C.lq_status {
			return C.lq_model_eval(c, m.ptr, tokenPtr(tokens), C.int64_t(len(tokens)), C.int64_t(pos),
				C.int64_t(logitsFrom), floatPtr(logits))
		})
	}, nil)
	return logits, err
}

// Perplexity over tokens as llama.cpp's perplexity tool computes it:
// windows of nCtx tokens every stride tokens (0: adjacent), scoring the
// second half of each.
func (m *Model) Perplexity(ctx *Context, tokens []int32, nCtx, stride int64) (EvalResults, error) {
	if err := m.live(); err != nil {
		return EvalResults{}, err
	}
	defer runtime.KeepAlive(m)
	var r [C.LQ_EVAL_COUNT_V2]C.double
	err := withCtx(ctx, func(c *C.lq_ctx) error {
		return call(func() C.lq_status {
			return C.lq_model_perplexity(c, m.ptr, tokenPtr(tokens), C.int64_t(len(tokens)), C.int64_t(nCtx),
				C.int64_t(stride), &r[0], C.LQ_EVAL_COUNT_V2)
		})
	}, nil)
	return evalResults(&r), err
}

// KLDivergence of m's next-token distribution from base's, over the windows
// of Perplexity.
func (m *Model) KLDivergence(ctx *Context, base *Model, tokens []int32, nCtx, stride int64) (EvalResults, error) {
	for _, err := range []error{m.live(), base.live()} {
		if err != nil {
			return EvalResults{}, err
		}
	}
	if m == base {
		return EvalResults{}, errorf(ErrInvalid, "a model's KL divergence from itself")
	}
	defer runtime.KeepAlive(m)
	defer runtime.KeepAlive(base)
	var r [C.LQ_EVAL_COUNT_V2]C.double
	err := withCtx(ctx, func(c *C.lq_ctx) error {
		return call(func() C.lq_status {
			return C.lq_model_kl_divergence(c, base.ptr, m.ptr, tokenPtr(tokens), C.int64_t(len(tokens)),
				C.int64_t(nCtx), C.int64_t(stride), &r[0], C.LQ_EVAL_COUNT_V2)
		})
	}, nil)
	return evalResults(&r), err
}

// Quantize makes a new model: m with its weights quantized in memory to
// scheme (a llama.cpp mixture such as q4_k_m, or any scheme). im may be
// nil; gptq, awq and smoothquant learn from the calib token ids.
func (m *Model) Quantize(ctx *Context, scheme *Scheme, im *Imatrix, calib []int32, nCtx int64, kv KVType) (*Model, error) {
	for _, err := range []error{m.live(), scheme.live()} {
		if err != nil {
			return nil, err
		}
	}
	var imp *C.lq_imatrix
	if im != nil {
		if err := im.live(); err != nil {
			return nil, err
		}
		imp = im.ptr
	}
	defer runtime.KeepAlive(m)
	defer runtime.KeepAlive(scheme)
	defer runtime.KeepAlive(im)
	return newModel(m, func(out **C.lq_model) C.lq_status {
		return C.lq_model_quantize(ctxPtr(ctx), m.ptr, scheme.ptr, imp, tokenPtr(calib),
			C.int64_t(len(calib)), C.int64_t(nCtx), C.int(kv), out)
	}, ctx)
}

// Imatrix is m's importance matrix on tokens, as llama-imatrix computes it
// (windows of nCtx tokens, 0: the cache size).
func (m *Model) Imatrix(ctx *Context, tokens []int32, nCtx int64) (*Imatrix, error) {
	if err := m.live(); err != nil {
		return nil, err
	}
	defer runtime.KeepAlive(m)
	var im *Imatrix
	err := withCtx(ctx, func(c *C.lq_ctx) error {
		var e error
		im, e = newImatrix(func(out **C.lq_imatrix) C.lq_status {
			return C.lq_model_imatrix(c, m.ptr, tokenPtr(tokens), C.int64_t(len(tokens)), C.int64_t(nCtx), out)
		})
		return e
	}, func() { im.Close() })
	return im, err
}

// Close frees the model. It fails with ErrState while models quantized from
// this one are open (they point into its weights). Closing twice is harmless.
func (m *Model) Close() error {
	if m == nil || m.ptr == nil {
		return nil
	}
	if m.children > 0 {
		return errorf(ErrState, "%d models quantized from this one are still open", m.children)
	}
	C.lq_model_free(m.ptr)
	m.ptr = nil
	if m.base != nil {
		m.base.children--
		m.base = nil
	}
	return nil
}
