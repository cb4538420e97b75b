package libquant

// #include <lq/lq.h>
// #include <stdlib.h>
import "C"

import (
	"runtime"
	"unsafe"
)

// Stat names a calibration statistic (enum lq_calib_stat).
type Stat int

// The statistics of lq_calib.h and their sizes.
const (
	StatMeanAbs Stat = C.LQ_CALIB_MEAN_ABS // [in] mean |x| per channel
	StatMaxAbs  Stat = C.LQ_CALIB_MAX_ABS  // [in] max |x| per channel
	StatSumSq   Stat = C.LQ_CALIB_SUM_SQ   // [in] sum x^2 per channel
	StatMeanSq  Stat = C.LQ_CALIB_MEAN_SQ  // [in] sum x^2 / N: the importance matrix for Quantize
	StatHessian Stat = C.LQ_CALIB_HESSIAN  // [in * in] 2/N X^T X, row-major
	StatSamples Stat = C.LQ_CALIB_SAMPLES  // [samples * in] the sampled activation rows
)

// Calibration holds the activation statistics of one linear layer's input
// (an lq_calib), for gptq, awq, smoothquant and llm_int8. Many goroutines may
// read a set nobody modifies. Release it with Close.
type Calibration struct {
	ptr *C.lq_calib
}

func newCalibration(make func(**C.lq_calib) C.lq_status) (*Calibration, error) {
	if err := CheckVersion(); err != nil {
		return nil, err
	}
	c := &Calibration{}
	if err := call(func() C.lq_status { return make(&c.ptr) }); err != nil {
		return nil, err
	}
	runtime.SetFinalizer(c, func(c *Calibration) {
		if c.ptr != nil {
			leaked("calibration")
			c.Close()
		}
	})
	return c, nil
}

// NewCalibration makes an empty set for a layer with inFeatures inputs.
func NewCalibration(inFeatures int64) (*Calibration, error) {
	return newCalibration(func(out **C.lq_calib) C.lq_status { return C.lq_calib_create(C.int64_t(inFeatures), out) })
}

// LoadCalibration reads a set written by Save.
func LoadCalibration(path string) (*Calibration, error) {
	p := C.CString(path)
	defer C.free(unsafe.Pointer(p))
	return newCalibration(func(out **C.lq_calib) C.lq_status { return C.lq_calib_load(p, out) })
}

func (c *Calibration) live() error {
	if c == nil || c.ptr == nil {
		return errorf(ErrInvalid, "the calibration set is closed")
	}
	return nil
}

// Add adds activation rows (tokens x in_features floats, row-major).
func (c *Calibration) Add(x []float32) error {
	if err := c.live(); err != nil {
		return err
	}
	defer runtime.KeepAlive(c)
	tokens, err := rowsOf(len(x), c.Features(), "activation")
	if err != nil {
		return err
	}
	return call(func() C.lq_status { return C.lq_calib_add(c.ptr, floatPtr(x), C.int64_t(tokens)) })
}

// Merge adds everything other has seen.
func (c *Calibration) Merge(other *Calibration) error {
	if err := c.live(); err != nil {
		return err
	}
	if err := other.live(); err != nil {
		return err
	}
	defer runtime.KeepAlive(c)
	defer runtime.KeepAlive(other)
	return call(func() C.lq_status { return C.lq_calib_merge(c.ptr, other.ptr) })
}

// SetMaxSamples keeps at most n activation rows as a sample (default 512).
func (c *Calibration) SetMaxSamples(n int64) error {
	if err := c.live(); err != nil {
		return err
	}
	defer runtime.KeepAlive(c)
	return call(func() C.lq_status { return C.lq_calib_set_max_samples(c.ptr, C.int64_t(n)) })
}

// Features is in_features (0 once closed).
func (c *Calibration) Features() int64 {
	defer runtime.KeepAlive(c)
	return int64(C.lq_calib_features(c.ptr))
}

// Tokens is the number of activation rows added.
func (c *Calibration) Tokens() int64 {
	defer runtime.KeepAlive(c)
	return int64(C.lq_calib_tokens(c.ptr))
}

// Samples is the number of activation rows kept as a sample.
func (c *Calibration) Samples() int64 {
	defer runtime.KeepAlive(c)
	return int64(C.lq_calib_samples(c.ptr))
}

// Get copies a statistic out (see Stat for the sizes).
func (c *Calibration) Get(stat Stat) ([]float32, error) {
	if err := c.live(); err != nil {
		return nil, err
	}
	defer runtime.KeepAlive(c)
	n := c.Features()
	count := n
	switch stat {
	case StatHessian:
		count = n * n
	case StatSamples:
		count = c.Samples() * n
	}
	out := make([]float32, count)
	err := call(func() C.lq_status { return C.lq_calib_get(c.ptr, C.int(stat), floatPtr(out), C.int64_t(count)) })
	return out, err
}

// ScaleChannels transforms the set as if input channel j had been
// multiplied by mult[j].
func (c *Calibration) ScaleChannels(mult []float32) error {
	if err := c.live(); err != nil {
		return err
	}
	defer runtime.KeepAlive(c)
	if int64(len(mult)) != c.Features() {
		return errorf(ErrShape, "%d factors for %d channels", len(mult), c.Features())
	}
	return call(func() C.lq_status { return C.lq_calib_scale_channels(c.ptr, floatPtr(mult)) })
}

// Save writes the set (atomically) in libquant's calibration file format.
func (c *Calibration) Save(path string) error {
	if err := c.live(); err != nil {
		return err
	}
	defer runtime.KeepAlive(c)
	p := C.CString(path)
	defer C.free(unsafe.Pointer(p))
	return call(func() C.lq_status { return C.lq_calib_save(c.ptr, p) })
}

// Close frees the set. Closing twice is harmless.
func (c *Calibration) Close() error {
	if c != nil && c.ptr != nil {
		C.lq_calib_free(c.ptr)
		c.ptr = nil
	}
	return nil
}

// ImatrixFormat is an importance-matrix file format.
type ImatrixFormat int

// The formats of lq_calib.h.
const (
	ImatrixDat  ImatrixFormat = C.LQ_IMATRIX_DAT  // llama.cpp's legacy binary layout
	ImatrixGGUF ImatrixFormat = C.LQ_IMATRIX_GGUF // GGUF with <name>.in_sum2 and <name>.counts
)

// Imatrix holds importance matrices per weight name, as llama.cpp's
// llama-imatrix writes them (an lq_imatrix). Release it with Close.
type Imatrix struct {
	ptr *C.lq_imatrix
}

func newImatrix(make func(**C.lq_imatrix) C.lq_status) (*Imatrix, error) {
	if err := CheckVersion(); err != nil {
		return nil, err
	}
	im := &Imatrix{}
	if err := call(func() C.lq_status { return make(&im.ptr) }); err != nil {
		return nil, err
	}
	runtime.SetFinalizer(im, func(im *Imatrix) {
		if im.ptr != nil {
			leaked("imatrix")
			im.Close()
		}
	})
	return im, nil
}

// NewImatrix makes an empty set of importance matrices.
func NewImatrix() (*Imatrix, error) {
	return newImatrix(func(out **C.lq_imatrix) C.lq_status { return C.lq_imatrix_create(out) })
}

// LoadImatrix reads a .dat or GGUF importance-matrix file.
func LoadImatrix(path string) (*Imatrix, error) {
	p := C.CString(path)
	defer C.free(unsafe.Pointer(p))
	return newImatrix(func(out **C.lq_imatrix) C.lq_status { return C.lq_imatrix_load(p, out) })
}

func (im *Imatrix) live() error {
	if im == nil || im.ptr == nil {
		return errorf(ErrInvalid, "the importance matrix is closed")
	}
	return nil
}

// Add records weight name's input statistics from a calibration set.
func (im *Imatrix) Add(name string, c *Calibration) error {
	if err := im.live(); err != nil {
		return err
	}
	if err := c.live(); err != nil {
		return err
	}
	defer runtime.KeepAlive(im)
	defer runtime.KeepAlive(c)
	n := C.CString(name)
	defer C.free(unsafe.Pointer(n))
	return call(func() C.lq_status { return C.lq_imatrix_add(im.ptr, n, c.ptr) })
}

// Names lists the weight names, sorted.
func (im *Imatrix) Names() []string {
	defer runtime.KeepAlive(im)
	names := make([]string, int(C.lq_imatrix_count(im.ptr)))
	for i := range names {
		names[i] = C.GoString(C.lq_imatrix_name(im.ptr, C.int64_t(i)))
	}
	return names
}

// Get is weight name's importance vector (the Imatrix of QuantizeOptions).
func (im *Imatrix) Get(name string) ([]float32, error) {
	if err := im.live(); err != nil {
		return nil, err
	}
	defer runtime.KeepAlive(im)
	n := C.CString(name)
	defer C.free(unsafe.Pointer(n))
	count := int64(C.lq_imatrix_length(im.ptr, n))
	if count <= 0 {
		return nil, errorf(ErrInvalid, "no importance matrix for '%s'", name)
	}
	out := make([]float32, count)
	err := call(func() C.lq_status { return C.lq_imatrix_get(im.ptr, n, floatPtr(out), C.int64_t(count)) })
	return out, err
}

// Save writes every entry (atomically); dataset ("" for none) names the
// calibration text.
func (im *Imatrix) Save(path string, format ImatrixFormat, dataset string) error {
	if err := im.live(); err != nil {
		return err
	}
	defer runtime.KeepAlive(im)
	p := C.CString(path)
	defer C.free(unsafe.Pointer(p))
	var d *C.char
	if dataset != "" {
		d = C.CString(dataset)
		defer C.free(unsafe.Pointer(d))
	}
	return call(func() C.lq_status { return C.lq_imatrix_save(im.ptr, p, C.int(format), d) })
}

// Close frees the set. Closing twice is harmless.
func (im *Imatrix) Close() error {
	if im != nil && im.ptr != nil {
		C.lq_imatrix_free(im.ptr)
		im.ptr = nil
	}
	return nil
}

// GPTQQuantize runs GPTQ and also returns the column order: perm[j] is the
// source column stored at column j (the identity unless act_order with
// groups and without static_groups). ctx may be nil.
func GPTQQuantize(ctx *Context, src *Tensor, scheme *Scheme, calib *Calibration) (*Tensor, []int32, error) {
	for _, err := range []error{src.live(), scheme.live(), calib.live()} {
		if err != nil {
			return nil, nil, err
		}
	}
	defer runtime.KeepAlive(src)
	defer runtime.KeepAlive(scheme)
	defer runtime.KeepAlive(calib)
	shape := src.Shape()
	perm := make([]int32, shape[len(shape)-1])
	var permPtr *C.int32_t
	if len(perm) > 0 {
		permPtr = (*C.int32_t)(unsafe.Pointer(&perm[0]))
	}
	q := &Tensor{}
	err := withCtx(ctx, func(c *C.lq_ctx) error {
		return call(func() C.lq_status {
			return C.lq_gptq_quantize(c, src.ptr, scheme.ptr, calib.ptr, &q.ptr, permPtr)
		})
	}, func() { q.Close() })
	if err != nil {
		return nil, nil, err
	}
	q.track()
	return q, perm, nil
}

// tensorArray is the weights' handles (a Go slice holding C pointers, which
// cgo lets C read during the call) and their common input width.
func tensorArray(weights []*Tensor) ([]*C.lq_tensor, int64, error) {
	if len(weights) == 0 {
		return nil, 0, errorf(ErrInvalid, "no weights given")
	}
	done, err := weights[0].use()
	if err != nil {
		return nil, 0, err
	}
	_, k, err := weightDims(weights[0])
	done()
	if err != nil {
		return nil, 0, err
	}
	arr := make([]*C.lq_tensor, len(weights))
	for i, w := range weights {
		if err := w.live(); err != nil {
			return nil, 0, err
		}
		arr[i] = w.ptr
	}
	return arr, k, nil
}

// AWQSearch finds AWQ's per-input-channel scales for the weights [out_i, in]
// that share the input calib describes (an awq scheme).
func AWQSearch(ctx *Context, scheme *Scheme, calib *Calibration, weights []*Tensor) ([]float32, error) {
	return scalesFor(ctx, scheme, calib, weights, true)
}

// SmoothQuantScales computes SmoothQuant's scales for the weights fed by one
// norm (a smoothquant scheme).
func SmoothQuantScales(scheme *Scheme, calib *Calibration, weights []*Tensor) ([]float32, error) {
	return scalesFor(nil, scheme, calib, weights, false)
}

func scalesFor(ctx *Context, scheme *Scheme, calib *Calibration, weights []*Tensor, awq bool) ([]float32, error) {
	if err := scheme.live(); err != nil {
		return nil, err
	}
	if err := calib.live(); err != nil {
		return nil, err
	}
	arr, k, err := tensorArray(weights)
	if err != nil {
		return nil, err
	}
	defer runtime.KeepAlive(weights)
	defer runtime.KeepAlive(scheme)
	defer runtime.KeepAlive(calib)
	scales := make([]float32, k)
	err = withCtx(ctx, func(c *C.lq_ctx) error {
		return call(func() C.lq_status {
			if awq {
				return C.lq_awq_search(c, scheme.ptr, calib.ptr, &arr[0], C.int(len(arr)), floatPtr(scales))
			}
			return C.lq_smoothquant_scales(scheme.ptr, calib.ptr, &arr[0], C.int(len(arr)), floatPtr(scales))
		})
	}, nil)
	return scales, err
}

// ScalesApply moves scales into a layer, in place: prev's outputs (a norm
// weight, or the last rows of a linear weight; may be nil) and prevBias (may
// be nil) are divided by them, the columns of every next weight multiplied.
// Tensors read from a file cannot be changed (their bytes are the file's).
func ScalesApply(scales []float32, prev, prevBias *Tensor, next []*Tensor) error {
	for _, t := range append([]*Tensor{prev, prevBias}, next...) {
		if t != nil && t.parent != nil {
			return errorf(ErrInvalid, "tensor '%s' borrows a file's bytes and cannot be changed", t.Name())
		}
	}
	arr, _, err := tensorArray(next)
	if err != nil {
		return err
	}
	defer runtime.KeepAlive(next)
	defer runtime.KeepAlive(prev)
	defer runtime.KeepAlive(prevBias)
	var p, b *C.lq_tensor
	if prev != nil {
		p = prev.ptr
	}
	if prevBias != nil {
		b = prevBias.ptr
	}
	return call(func() C.lq_status {
		return C.lq_scales_apply(floatPtr(scales), C.int64_t(len(scales)), p, b, &arr[0], C.int(len(arr)))
	})
}

// MatmulW8A8 is Y = X W^T with w an int8:channel:sym tensor (smoothquant or
// llm_int8), every row of x quantized to int8 on the fly.
func MatmulW8A8(ctx *Context, x []float32, w *Tensor) ([]float32, error) {
	y, _, err := int8Product(ctx, x, w, false, 0)
	return y, err
}

// MatmulLLMInt8 is LLM.int8(): the columns of x with an |x| >= threshold in
// float, the rest in int8 (threshold <= 0: the scheme's). It also returns the
// number of outlier columns.
func MatmulLLMInt8(ctx *Context, x []float32, w *Tensor, threshold float64) ([]float32, int64, error) {
	return int8Product(ctx, x, w, true, threshold)
}

func int8Product(ctx *Context, x []float32, w *Tensor, mixed bool, threshold float64) ([]float32, int64, error) {
	done, err := w.use()
	if err != nil {
		return nil, 0, err
	}
	defer done()
	n, k, err := weightDims(w)
	if err != nil {
		return nil, 0, err
	}
	m, err := rowsOf(len(x), k, "activation")
	if err != nil {
		return nil, 0, err
	}
	y := make([]float32, m*n)
	var outliers C.int64_t
	err = withCtx(ctx, func(c *C.lq_ctx) error {
		return call(func() C.lq_status {
			if mixed {
				return C.lq_matmul_llm_int8(c, floatPtr(x), C.int64_t(m), w.ptr, C.double(threshold), floatPtr(y), &outliers)
			}
			return C.lq_matmul_w8a8(c, floatPtr(x), C.int64_t(m), w.ptr, floatPtr(y))
		})
	}, nil)
	return y, int64(outliers), err
}

// MethodError reports what the scheme's method buys on this layer: its
// relative squared output error on the calibration tokens, and plain
// round-to-nearest's.
func MethodError(ctx *Context, src *Tensor, scheme *Scheme, calib *Calibration) (method, rtn float64, err error) {
	for _, e := range []error{src.live(), scheme.live(), calib.live()} {
		if e != nil {
			return 0, 0, e
		}
	}
	defer runtime.KeepAlive(src)
	defer runtime.KeepAlive(scheme)
	defer runtime.KeepAlive(calib)
	var em, er C.double
	err = withCtx(ctx, func(c *C.lq_ctx) error {
		return call(func() C.lq_status { return C.lq_method_error(c, src.ptr, scheme.ptr, calib.ptr, &em, &er) })
	}, nil)
	return float64(em), float64(er), err
}
