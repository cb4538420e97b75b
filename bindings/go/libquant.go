// Package libquant wraps libquant, the C library that quantizes large
// language model weights (INT8/4/3/2, NF4/FP4, FP8, every GGUF block format)
// and measures what the quantization costs.
//
// The package is built with cgo against the library that pkg-config finds
// (set PKG_CONFIG_PATH; for a meson build tree use
// <builddir>/meson-uninstalled). Handles (Scheme, Tensor, Context) hold C
// memory: release them with Close, which is idempotent; a finalizer frees
// forgotten ones only as a safety net. Failed calls return an *Error that
// carries the Status and the library's message, so errors.Is(err,
// libquant.ErrShape) works.
//
// One file per C header: errors.go and version.go (lq_core.h), context.go,
// types.go, scheme.go, tensor.go, quant.go (lq_quant.h), quality.go, calib.go,
// io.go, matmul.go, model.go (lq_model.h), pipeline.go (lq_pipeline.h), hf.go
// (lq_hf.h).
package libquant

// #cgo pkg-config: libquant
// #include <lq/lq.h>
import "C"

import (
	"runtime"
	"unsafe"
)

// call runs one fallible C call. The library's message is thread-local, so
// the goroutine stays on its OS thread until the message has been read.
func call(f func() C.lq_status) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if rc := f(); rc != C.LQ_OK {
		return &Error{Status: Status(rc), Message: C.GoString(C.lq_last_error())}
	}
	return nil
}

// cShape checks a shape's rank and gives a pointer to its first entry, valid
// while shape is alive.
func cShape(shape []int64) (*C.int64_t, C.int, error) {
	if len(shape) < 1 || len(shape) > C.LQ_MAX_DIMS {
		return nil, 0, errorf(ErrInvalid, "a tensor has 1 to %d dimensions, not %d", C.LQ_MAX_DIMS, len(shape))
	}
	return (*C.int64_t)(unsafe.Pointer(&shape[0])), C.int(len(shape)), nil
}

// floatPtr is the address of a []float32's first element (nil when empty),
// for the duration of one call.
func floatPtr(s []float32) *C.float {
	if len(s) == 0 {
		return nil
	}
	return (*C.float)(unsafe.Pointer(&s[0]))
}

// LeakHook, when set, is called by the finalizer that frees a handle its
// owner forgot to Close, with the kind of handle ("tensor", "scheme",
// "context"). Close is the way to release handles; the hook helps find the
// places that forget.
var LeakHook func(kind string)

func leaked(kind string) {
	if hook := LeakHook; hook != nil {
		hook(kind)
	}
}
