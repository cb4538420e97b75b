package libquant

// #include <lq/lq.h>
// #include <stdlib.h>
import "C"

import (
	"runtime"
	"sync"
	"unsafe"
)

// Tensor is a libquant tensor: name, shape (outermost first, 1 to 4
// dimensions), element type and bytes, owned by C memory. Tensors made from
// Go slices copy them (cgo forbids C keeping Go pointers). Many goroutines
// may read one tensor at once; SetName needs exclusive use. Release it with
// Close, which waits for the calls other goroutines are making with the
// tensor (Matmul, Dequantize, ...) to finish; calls started after it fail
// with ErrInvalid.
type Tensor struct {
	ptr *C.lq_tensor
	// parent counts this tensor while it borrows a file's bytes (and keeps
	// the file object alive); nil for tensors that own their bytes.
	parent  *borrowers
	mu      sync.Mutex
	idle    *sync.Cond // signalled when uses drops to 0
	uses    int        // calls running with ptr
	closing bool
}

// use holds the tensor open for one call: Close waits until done is
// called. Inside, read t.ptr and the unlocked helpers (shape), not the
// public accessors, which take a use of their own.
func (t *Tensor) use() (done func(), err error) {
	if t == nil {
		return nil, errorf(ErrInvalid, "the tensor is closed")
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ptr == nil || t.closing {
		return nil, errorf(ErrInvalid, "the tensor is closed")
	}
	t.uses++
	return func() {
		t.mu.Lock()
		if t.uses--; t.uses == 0 && t.idle != nil {
			t.idle.Broadcast()
		}
		t.mu.Unlock()
		runtime.KeepAlive(t)
	}, nil
}

func newTensor(make func(**C.lq_tensor) C.lq_status) (*Tensor, error) {
	t := &Tensor{}
	if err := call(func() C.lq_status { return make(&t.ptr) }); err != nil {
		return nil, err
	}
	t.track()
	return t, nil
}

// newBorrowedTensor makes a tensor over a file's bytes, counted by parent.
func newBorrowedTensor(parent *borrowers, make func(**C.lq_tensor) C.lq_status) (*Tensor, error) {
	t, err := newTensor(make)
	if err == nil {
		t.parent = parent
		parent.n.Add(1)
	}
	return t, err
}

func (t *Tensor) track() {
	runtime.SetFinalizer(t, func(t *Tensor) {
		if t.ptr != nil {
			leaked("tensor")
			t.Close()
		}
	})
}

// NewTensorF32 makes an f32 tensor holding a copy of data, whose length
// must be the product of shape.
func NewTensorF32(data []float32, shape []int64) (*Tensor, error) {
	if err := CheckVersion(); err != nil {
		return nil, err
	}
	dims, ndim, err := cShape(shape)
	if err != nil {
		return nil, err
	}
	return newTensor(func(out **C.lq_tensor) C.lq_status {
		return C.lq_tensor_wrap(C.LQ_TYPE_F32, ndim, dims, unsafe.Pointer(floatPtr(data)), C.size_t(4*len(data)),
			C.LQ_COPY, nil, out)
	})
}

// NewTensor makes a zero-filled tensor of a plain type.
func NewTensor(t Type, shape []int64) (*Tensor, error) {
	if err := CheckVersion(); err != nil {
		return nil, err
	}
	dims, ndim, err := cShape(shape)
	if err != nil {
		return nil, err
	}
	return newTensor(func(out **C.lq_tensor) C.lq_status {
		return C.lq_tensor_create(C.lq_type(t), ndim, dims, nil, out)
	})
}

// WrapQuantized makes a quantized tensor holding a copy of raw, bytes
// already in the scheme's layout (for example another tensor's Raw()).
func WrapQuantized(s *Scheme, shape []int64, raw []byte) (*Tensor, error) {
	if err := s.live(); err != nil {
		return nil, err
	}
	defer runtime.KeepAlive(s)
	dims, ndim, err := cShape(shape)
	if err != nil {
		return nil, err
	}
	var data unsafe.Pointer
	if len(raw) > 0 {
		data = unsafe.Pointer(&raw[0])
	}
	return newTensor(func(out **C.lq_tensor) C.lq_status {
		return C.lq_tensor_wrap_quantized(s.ptr, ndim, dims, data, C.size_t(len(raw)), C.LQ_COPY, nil, out)
	})
}

func (t *Tensor) live() error {
	if t == nil || t.ptr == nil {
		return errorf(ErrInvalid, "the tensor is closed")
	}
	return nil
}

// The accessors return zero values once the tensor is closed.

// Type is the element type.
func (t *Tensor) Type() Type {
	done, err := t.use()
	if err != nil {
		return 0
	}
	defer done()
	return Type(C.lq_tensor_type(t.ptr))
}

// Shape is the size of each dimension, outermost first.
func (t *Tensor) Shape() []int64 {
	done, err := t.use()
	if err != nil {
		return []int64{}
	}
	defer done()
	return t.shape()
}

// shape is Shape for a caller holding a use.
func (t *Tensor) shape() []int64 {
	shape := make([]int64, int(C.lq_tensor_ndim(t.ptr)))
	for i := range shape {
		shape[i] = int64(C.lq_tensor_dim(t.ptr, C.int(i)))
	}
	return shape
}

// NumEl is the number of elements.
func (t *Tensor) NumEl() int64 {
	done, err := t.use()
	if err != nil {
		return 0
	}
	defer done()
	return int64(C.lq_tensor_numel(t.ptr))
}

// NBytes is the storage size, scales and zero points included.
func (t *Tensor) NBytes() int {
	done, err := t.use()
	if err != nil {
		return 0
	}
	defer done()
	return int(C.lq_tensor_nbytes(t.ptr))
}

// BitsPerWeight is 8 * NBytes / NumEl.
func (t *Tensor) BitsPerWeight() float64 {
	done, err := t.use()
	if err != nil {
		return 0
	}
	defer done()
	return float64(C.lq_tensor_bits_per_weight(t.ptr))
}

// Name is the tensor's name.
func (t *Tensor) Name() string {
	done, err := t.use()
	if err != nil {
		return ""
	}
	defer done()
	return C.GoString(C.lq_tensor_name(t.ptr))
}

// SetName renames the tensor (at most 256 bytes).
func (t *Tensor) SetName(name string) error {
	if err := t.live(); err != nil {
		return err
	}
	defer runtime.KeepAlive(t)
	c := C.CString(name)
	defer C.free(unsafe.Pointer(c))
	return call(func() C.lq_status { return C.lq_tensor_set_name(t.ptr, c) })
}

// Scheme is the canonical string of the scheme a quantized tensor was made
// with, or "" for a plain tensor.
func (t *Tensor) Scheme() string {
	done, err := t.use()
	if err != nil {
		return ""
	}
	defer done()
	if s := C.lq_tensor_scheme(t.ptr); s != nil {
		return C.GoString(C.lq_scheme_string(s))
	}
	return ""
}

// Raw is a copy of the tensor's bytes: row-major values for plain types,
// the packed layout of doc/formats.md for quantized ones.
func (t *Tensor) Raw() []byte {
	done, err := t.use()
	if err != nil {
		return []byte{}
	}
	defer done()
	n := C.lq_tensor_nbytes(t.ptr)
	p := C.lq_tensor_data(t.ptr)
	if n == 0 || p == nil {
		return []byte{}
	}
	out := make([]byte, int(n))
	copy(out, unsafe.Slice((*byte)(p), int(n)))
	return out
}

// Dequantize decodes the values to a new []float32.
func (t *Tensor) Dequantize() ([]float32, error) {
	return t.DequantizeWith(nil)
}

// DequantizeWith is Dequantize with a context (threads, progress; nil for
// the defaults).
func (t *Tensor) DequantizeWith(ctx *Context) ([]float32, error) {
	if err := t.live(); err != nil {
		return nil, err
	}
	out := make([]float32, t.NumEl())
	if err := t.DequantizeInto(out, ctx); err != nil {
		return nil, err
	}
	return out, nil
}

// Convert decodes the values to a new tensor of a float type (TypeF32,
// TypeF16 or TypeBF16), e.g. to store a quantized weight as bf16.
func (t *Tensor) Convert(to Type) (*Tensor, error) {
	done, err := t.use()
	if err != nil {
		return nil, err
	}
	defer done()
	return newTensor(func(out **C.lq_tensor) C.lq_status { return C.lq_dequantize(nil, t.ptr, C.lq_type(to), out) })
}

// DequantizeInto decodes into dst, whose length must equal NumEl.
func (t *Tensor) DequantizeInto(dst []float32, ctx *Context) error {
	done, err := t.use()
	if err != nil {
		return err
	}
	defer done()
	return withCtx(ctx, func(c *C.lq_ctx) error {
		return call(func() C.lq_status {
			return C.lq_dequantize_f32(c, t.ptr, floatPtr(dst), C.int64_t(len(dst)))
		})
	}, nil)
}

// Close frees the tensor, after the calls other goroutines are making with
// it have finished (it waits for them). Closing twice is harmless.
func (t *Tensor) Close() error {
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ptr == nil || t.closing {
		return nil
	}
	t.closing = true
	if t.idle == nil {
		t.idle = sync.NewCond(&t.mu)
	}
	for t.uses > 0 {
		t.idle.Wait()
	}
	C.lq_tensor_free(t.ptr)
	t.ptr = nil
	t.closing = false
	if t.parent != nil {
		t.parent.n.Add(-1)
		t.parent = nil
	}
	return nil
}
