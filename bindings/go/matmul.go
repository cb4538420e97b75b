package libquant

// #include <lq/lq.h>
import "C"

import (
	"unsafe"
)

// rowsOf is how many rows of k elements n elements make, or a SHAPE error.
func rowsOf(n int, k int64, what string) (int64, error) {
	if k <= 0 || int64(n)%k != 0 {
		return 0, errorf(ErrShape, "%d %s values are not whole rows of %d", n, what, k)
	}
	return int64(n) / k, nil
}

// weightDims is the [n, k] shape of a 2-D weight.
// The caller holds a use of w.
func weightDims(w *Tensor) (int64, int64, error) {
	shape := w.shape()
	if len(shape) != 2 {
		return 0, 0, errorf(ErrShape, "a weight is 2-D [n, k], not %v", shape)
	}
	return shape[0], shape[1], nil
}

// Matmul is Y = X W^T for activations x (m rows of k floats) and a 2-D
// weight w [n, k] of any type; it returns m*n floats. ctx (may be nil) sets
// the thread count.
func Matmul(ctx *Context, x []float32, w *Tensor) ([]float32, error) {
	return MatmulV2(ctx, x, w, ActAuto) // lq_matmul is lq_matmul_v2 with flags 0
}

// Activations says how MatmulV2 takes X (lq_matmul_v2's flags): the
// library's choice (what Matmul does), quantized to 8 bits where the type has
// integer dot products (llama.cpp's numbers), or never quantized.
type Activations uint32

const (
	ActAuto Activations = 0
	Act8Bit Activations = C.LQ_MATMUL_ACT_8BIT
	ActF32  Activations = C.LQ_MATMUL_ACT_F32
)

// MatmulV2 is Matmul with a choice of how X is multiplied.
func MatmulV2(ctx *Context, x []float32, w *Tensor, act Activations) ([]float32, error) {
	done, err := w.use() // w.Close from another goroutine waits for the product
	if err != nil {
		return nil, err
	}
	defer done()
	n, k, err := weightDims(w)
	if err != nil {
		return nil, err
	}
	m, err := rowsOf(len(x), k, "activation")
	if err != nil {
		return nil, err
	}
	y := make([]float32, m*n)
	err = withCtx(ctx, func(c *C.lq_ctx) error {
		return call(func() C.lq_status {
			return C.lq_matmul_v2(c, floatPtr(x), C.int64_t(m), w.ptr, C.uint(act), floatPtr(y))
		})
	}, nil)
	return y, err
}

// MatmulW8A8Raw is Y = X (diag(sw) W)^T for int8 codes w [n, k] (row-major)
// with one scale per output row in sw; each row of x is quantized to int8 on
// the fly.
func MatmulW8A8Raw(ctx *Context, x []float32, w []int8, sw []float32) ([]float32, error) {
	n := int64(len(sw))
	k, err := rowsOf(len(w), n, "int8 weight")
	if err != nil {
		return nil, err
	}
	m, err := rowsOf(len(x), k, "activation")
	if err != nil {
		return nil, err
	}
	y := make([]float32, m*n)
	err = withCtx(ctx, func(c *C.lq_ctx) error {
		return call(func() C.lq_status {
			return C.lq_matmul_w8a8_raw(c, floatPtr(x), C.int64_t(m), C.int64_t(k), (*C.int8_t)(unsafe.Pointer(&w[0])),
				floatPtr(sw), C.int64_t(n), floatPtr(y))
		})
	}, nil)
	return y, err
}
