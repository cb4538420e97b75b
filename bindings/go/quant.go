package libquant

// #include <lq/lq.h>
import "C"

import "runtime"

// QuantizeOptions are the optional inputs of Quantize.
type QuantizeOptions struct {
	// Context sets threads and progress; nil means all CPUs, no callback.
	Context *Context
	// Imatrix holds one non-negative weight per column of the source,
	// weighting each column's error (the ggml block formats use it, as
	// llama.cpp's --imatrix does).
	Imatrix []float32
	// Calib is the calibration set gptq, awq, smoothquant and llm_int8 use.
	Calib *Calibration
}

// Quantize quantizes src (f32, f16 or bf16) with scheme into a new tensor.
// opts may be nil. A build without the scheme's type or method returns an
// error matching ErrUnsupported.
func Quantize(src *Tensor, scheme *Scheme, opts *QuantizeOptions) (*Tensor, error) {
	doneSrc, errSrc := src.use()
	if errSrc != nil {
		return nil, errSrc
	}
	defer doneSrc()
	if err := scheme.live(); err != nil {
		return nil, err
	}
	defer runtime.KeepAlive(scheme)
	if opts == nil {
		opts = &QuantizeOptions{}
	}
	var imatrix *C.float
	if opts.Imatrix != nil {
		shape := src.shape()
		if cols := shape[len(shape)-1]; int64(len(opts.Imatrix)) != cols {
			return nil, errorf(ErrShape, "the imatrix has %d weights; the rows of the source have %d",
				len(opts.Imatrix), cols)
		}
		imatrix = floatPtr(opts.Imatrix)
	}
	var calib *C.lq_calib
	if opts.Calib != nil {
		if err := opts.Calib.live(); err != nil {
			return nil, err
		}
		calib = opts.Calib.ptr
		defer runtime.KeepAlive(opts.Calib)
	}
	q := &Tensor{}
	err := withCtx(opts.Context, func(c *C.lq_ctx) error {
		return call(func() C.lq_status { return C.lq_quantize(c, src.ptr, scheme.ptr, calib, imatrix, &q.ptr) })
	}, func() { q.Close() })
	if err != nil {
		return nil, err
	}
	q.track()
	return q, nil
}

// QuantizeF32 quantizes a row-major float32 array of the given shape with
// the scheme string: the short form of Quantize.
func QuantizeF32(w []float32, shape []int64, scheme string) (*Tensor, error) {
	src, err := NewTensorF32(w, shape)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	s, err := ParseScheme(scheme)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return Quantize(src, s, nil)
}
