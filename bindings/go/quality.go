package libquant

// #include <lq/lq.h>
// #include <stdlib.h>
import "C"

import (
	"runtime"
	"unsafe"
)

// GiB is the number of bytes in a GiB, for the estimators' results.
const GiB = float64(1 << 30)

// Metrics is the error of a test array against a reference.
type Metrics struct {
	MSE    float64 // mean of (ref - test)^2
	RMSE   float64
	MaxAbs float64 // max |ref - test|
	SQNRdB float64 // 10 log10(sum ref^2 / sum (ref - test)^2); +Inf when exact
	Cosine float64
}

func metricsFrom(m *[C.LQ_METRIC_COUNT_V1]C.double) Metrics {
	return Metrics{
		MSE:    float64(m[C.LQ_METRIC_MSE]),
		RMSE:   float64(m[C.LQ_METRIC_RMSE]),
		MaxAbs: float64(m[C.LQ_METRIC_MAX_ABS]),
		SQNRdB: float64(m[C.LQ_METRIC_SQNR_DB]),
		Cosine: float64(m[C.LQ_METRIC_COSINE]),
	}
}

// ErrorMetrics compares two float slices of equal length.
func ErrorMetrics(ref, test []float32) (Metrics, error) {
	if err := CheckVersion(); err != nil {
		return Metrics{}, err
	}
	if len(ref) != len(test) {
		return Metrics{}, errorf(ErrShape, "%d reference values against %d test values", len(ref), len(test))
	}
	var m [C.LQ_METRIC_COUNT_V1]C.double
	err := call(func() C.lq_status {
		return C.lq_error_metrics(floatPtr(ref), floatPtr(test), C.int64_t(len(ref)), &m[0], C.int(len(m)))
	})
	return metricsFrom(&m), err
}

// ErrorMetrics compares test (e.g. this tensor quantized) against t, both
// decoded to f32; the shapes must be equal.
func (t *Tensor) ErrorMetrics(test *Tensor) (Metrics, error) {
	doneT, errT := t.use()
	if errT != nil {
		return Metrics{}, errT
	}
	defer doneT()
	doneTest, errTest := test.use()
	if errTest != nil {
		return Metrics{}, errTest
	}
	defer doneTest()
	var m [C.LQ_METRIC_COUNT_V1]C.double
	err := call(func() C.lq_status {
		return C.lq_tensor_error_metrics(nil, t.ptr, test.ptr, &m[0], C.int(len(m)))
	})
	return metricsFrom(&m), err
}

// OutputError is the relative output error of a linear layer,
// ||X W^T - X Wq^T|| / ||X W^T||, for [out, in] tensors w and wq and
// activations x holding whole rows of `in` floats. ctx may be nil.
func OutputError(ctx *Context, w, wq *Tensor, x []float32) (float64, error) {
	doneW, errW := w.use()
	if errW != nil {
		return 0, errW
	}
	defer doneW()
	doneWq, errWq := wq.use()
	if errWq != nil {
		return 0, errWq
	}
	defer doneWq()
	shape := w.shape()
	cols := shape[len(shape)-1]
	if cols <= 0 || int64(len(x))%cols != 0 {
		return 0, errorf(ErrShape, "%d activations are not whole rows of %d", len(x), cols)
	}
	var out C.double
	err := withCtx(ctx, func(c *C.lq_ctx) error {
		return call(func() C.lq_status {
			return C.lq_output_error(c, w.ptr, wq.ptr, floatPtr(x), C.int64_t(int64(len(x))/cols), &out)
		})
	}, nil)
	return float64(out), err
}

// EstimateWeights is the bytes nParams parameters take at scheme (nominal
// bits per weight).
func EstimateWeights(s *Scheme, nParams float64) (float64, error) {
	if err := s.live(); err != nil {
		return 0, err
	}
	defer runtime.KeepAlive(s)
	var out C.double
	err := call(func() C.lq_status { return C.lq_estimate_weights(s.ptr, C.double(nParams), &out) })
	return float64(out), err
}

// KVType is a KV-cache element type for EstimateKV.
type KVType int

// The KV-cache types of lq_quality.h.
const (
	KVF32  KVType = C.LQ_KV_F32
	KVF16  KVType = C.LQ_KV_F16
	KVInt8 KVType = C.LQ_KV_INT8
	KVFP8  KVType = C.LQ_KV_FP8
)

// String is the type's name ("f16"), or "" for an unknown value.
func (k KVType) String() string {
	if p := C.lq_kv_type_name(C.int(k)); p != nil {
		return C.GoString(p)
	}
	return ""
}

// KVTypeFromName finds a KV type by name ("f32", "f16", "int8", "fp8").
func KVTypeFromName(name string) (KVType, error) {
	c := C.CString(name)
	defer C.free(unsafe.Pointer(c))
	var out C.int
	err := call(func() C.lq_status { return C.lq_kv_type_from_name(c, &out) })
	return KVType(out), err
}

// KVCache is the shape of a KV cache for EstimateKV.
type KVCache struct {
	Layers, KVHeads, HeadDim int64
	Ctx                      int64 // context length in tokens
	Batch                    int64
	Type                     KVType
}

// EstimateKV is the bytes the KV cache takes.
func EstimateKV(kv KVCache) (float64, error) {
	if err := CheckVersion(); err != nil {
		return 0, err
	}
	var out C.double
	err := call(func() C.lq_status {
		return C.lq_estimate_kv(C.int64_t(kv.Layers), C.int64_t(kv.KVHeads), C.int64_t(kv.HeadDim),
			C.int64_t(kv.Ctx), C.int64_t(kv.Batch), C.int(kv.Type), &out)
	})
	return float64(out), err
}
