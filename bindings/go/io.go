package libquant

// #include <lq/lq.h>
// #include <stdlib.h>
import "C"

import (
	"runtime"
	"sync/atomic"
	"unsafe"
)

// borrowers counts the open tensors that borrow a file's mapped bytes; the
// file refuses to close while any is open. Tensors keep a pointer to it,
// which also keeps the file object alive.
type borrowers struct{ n atomic.Int64 }

func (b *borrowers) check(kind string) error {
	if n := b.n.Load(); n > 0 {
		return errorf(ErrState, "%d tensors still borrow this %s file; close them first", n, kind)
	}
	return nil
}

// cStrings frees the C strings it made, on free().
type cStrings []*C.char

func (s *cStrings) of(str string) *C.char {
	c := C.CString(str)
	*s = append(*s, c)
	return c
}

func (s *cStrings) free() {
	for _, c := range *s {
		C.free(unsafe.Pointer(c))
	}
}

// copyArray copies n elements of type T from C memory.
func copyArray[T any](p unsafe.Pointer, n int) []T {
	out := make([]T, n)
	if n > 0 {
		copy(out, unsafe.Slice((*T)(p), n))
	}
	return out
}

// GGUF is a GGUF file (lq_gguf): OpenGGUF maps and validates one, NewGGUF
// starts an empty one to fill and Save. Tensors read from it borrow its
// mapped bytes: close them before the file. Many goroutines may read a GGUF
// nobody modifies. Release it with Close.
type GGUF struct {
	ptr  *C.lq_gguf
	refs borrowers
}

func newGGUF(make func(**C.lq_gguf) C.lq_status) (*GGUF, error) {
	if err := CheckVersion(); err != nil {
		return nil, err
	}
	g := &GGUF{}
	if err := call(func() C.lq_status { return make(&g.ptr) }); err != nil {
		return nil, err
	}
	runtime.SetFinalizer(g, func(g *GGUF) {
		if g.ptr != nil {
			leaked("gguf")
			g.Close()
		}
	})
	return g, nil
}

// OpenGGUF maps and validates the GGUF file at path.
func OpenGGUF(path string) (*GGUF, error) {
	p := C.CString(path)
	defer C.free(unsafe.Pointer(p))
	return newGGUF(func(out **C.lq_gguf) C.lq_status { return C.lq_gguf_open(p, out) })
}

// NewGGUF makes an empty GGUF to fill and save.
func NewGGUF() (*GGUF, error) {
	return newGGUF(func(out **C.lq_gguf) C.lq_status { return C.lq_gguf_create(out) })
}

func (g *GGUF) live() error {
	if g == nil || g.ptr == nil {
		return errorf(ErrInvalid, "the GGUF file is closed")
	}
	return nil
}

// Keys lists the metadata keys in file order.
func (g *GGUF) Keys() []string {
	defer runtime.KeepAlive(g)
	keys := make([]string, int(C.lq_gguf_kv_count(g.ptr)))
	for i := range keys {
		keys[i] = C.GoString(C.lq_gguf_kv_key(g.ptr, C.int64_t(i)))
	}
	return keys
}

// Get reads key's value as the Go type of its GGUF type: uint8 ... int64,
// float32, float64, bool, string, or a slice of one of those for arrays.
func (g *GGUF) Get(key string) (any, error) {
	if err := g.live(); err != nil {
		return nil, err
	}
	defer runtime.KeepAlive(g)
	k := C.CString(key)
	defer C.free(unsafe.Pointer(k))
	index := C.lq_gguf_find_key(g.ptr, k)
	if index < 0 {
		return nil, errorf(ErrInvalid, "no key '%s'", key)
	}
	var v any
	err := call(func() C.lq_status {
		var rc C.lq_status
		v, rc = g.value(k, C.lq_gguf_kv_type(g.ptr, index))
		return rc
	})
	return v, err
}

// value reads a scalar or array value of GGUF type t (within call()).
func (g *GGUF) value(k *C.char, t C.int) (any, C.lq_status) {
	switch t {
	case C.LQ_GGUF_TYPE_U8:
		var x C.uint8_t
		rc := C.lq_gguf_get_u8(g.ptr, k, &x)
		return uint8(x), rc
	case C.LQ_GGUF_TYPE_I8:
		var x C.int8_t
		rc := C.lq_gguf_get_i8(g.ptr, k, &x)
		return int8(x), rc
	case C.LQ_GGUF_TYPE_U16:
		var x C.uint16_t
		rc := C.lq_gguf_get_u16(g.ptr, k, &x)
		return uint16(x), rc
	case C.LQ_GGUF_TYPE_I16:
		var x C.int16_t
		rc := C.lq_gguf_get_i16(g.ptr, k, &x)
		return int16(x), rc
	case C.LQ_GGUF_TYPE_U32:
		var x C.uint32_t
		rc := C.lq_gguf_get_u32(g.ptr, k, &x)
		return uint32(x), rc
	case C.LQ_GGUF_TYPE_I32:
		var x C.int32_t
		rc := C.lq_gguf_get_i32(g.ptr, k, &x)
		return int32(x), rc
	case C.LQ_GGUF_TYPE_U64:
		var x C.uint64_t
		rc := C.lq_gguf_get_u64(g.ptr, k, &x)
		return uint64(x), rc
	case C.LQ_GGUF_TYPE_I64:
		var x C.int64_t
		rc := C.lq_gguf_get_i64(g.ptr, k, &x)
		return int64(x), rc
	case C.LQ_GGUF_TYPE_F32:
		var x C.float
		rc := C.lq_gguf_get_f32(g.ptr, k, &x)
		return float32(x), rc
	case C.LQ_GGUF_TYPE_F64:
		var x C.double
		rc := C.lq_gguf_get_f64(g.ptr, k, &x)
		return float64(x), rc
	case C.LQ_GGUF_TYPE_BOOL:
		var x C.int
		rc := C.lq_gguf_get_bool(g.ptr, k, &x)
		return x != 0, rc
	case C.LQ_GGUF_TYPE_STRING:
		var p *C.char
		var n C.size_t
		rc := C.lq_gguf_get_string(g.ptr, k, &p, &n)
		return C.GoStringN(p, C.int(n)), rc
	}
	return g.array(k)
}

func (g *GGUF) array(k *C.char) (any, C.lq_status) {
	var elem C.int
	var count C.uint64_t
	if rc := C.lq_gguf_get_array(g.ptr, k, &elem, &count); rc != C.LQ_OK {
		return nil, rc
	}
	if elem == C.LQ_GGUF_TYPE_STRING {
		out := make([]string, int(count))
		for i := range out {
			var p *C.char
			var n C.size_t
			if rc := C.lq_gguf_get_array_string(g.ptr, k, C.uint64_t(i), &p, &n); rc != C.LQ_OK {
				return nil, rc
			}
			out[i] = C.GoStringN(p, C.int(n))
		}
		return out, C.LQ_OK
	}
	var data unsafe.Pointer
	// For an array of arrays this fails with LQ_ERR_FORMAT and the library's message.
	if rc := C.lq_gguf_get_array_data(g.ptr, k, elem, &data, &count); rc != C.LQ_OK {
		return nil, rc
	}
	n := int(count)
	switch elem {
	case C.LQ_GGUF_TYPE_U8:
		return copyArray[uint8](data, n), C.LQ_OK
	case C.LQ_GGUF_TYPE_I8:
		return copyArray[int8](data, n), C.LQ_OK
	case C.LQ_GGUF_TYPE_U16:
		return copyArray[uint16](data, n), C.LQ_OK
	case C.LQ_GGUF_TYPE_I16:
		return copyArray[int16](data, n), C.LQ_OK
	case C.LQ_GGUF_TYPE_U32:
		return copyArray[uint32](data, n), C.LQ_OK
	case C.LQ_GGUF_TYPE_I32:
		return copyArray[int32](data, n), C.LQ_OK
	case C.LQ_GGUF_TYPE_U64:
		return copyArray[uint64](data, n), C.LQ_OK
	case C.LQ_GGUF_TYPE_I64:
		return copyArray[int64](data, n), C.LQ_OK
	case C.LQ_GGUF_TYPE_F32:
		return copyArray[float32](data, n), C.LQ_OK
	case C.LQ_GGUF_TYPE_F64:
		return copyArray[float64](data, n), C.LQ_OK
	}
	bytes := copyArray[uint8](data, n) // bool: one byte each
	out := make([]bool, n)
	for i, b := range bytes {
		out[i] = b != 0
	}
	return out, C.LQ_OK
}

// Set sets key (added at the end, or replaced in place) to value, whose Go
// type gives the GGUF type: uint8 ... int64, float32, float64, bool, string,
// or a slice of one of those (int and uint are stored as i64 and u64).
func (g *GGUF) Set(key string, value any) error {
	if err := g.live(); err != nil {
		return err
	}
	defer runtime.KeepAlive(g)
	var strs cStrings
	defer strs.free()
	k, p := strs.of(key), g.ptr
	var f func() C.lq_status
	switch v := value.(type) {
	case uint8:
		f = func() C.lq_status { return C.lq_gguf_set_u8(p, k, C.uint8_t(v)) }
	case int8:
		f = func() C.lq_status { return C.lq_gguf_set_i8(p, k, C.int8_t(v)) }
	case uint16:
		f = func() C.lq_status { return C.lq_gguf_set_u16(p, k, C.uint16_t(v)) }
	case int16:
		f = func() C.lq_status { return C.lq_gguf_set_i16(p, k, C.int16_t(v)) }
	case uint32:
		f = func() C.lq_status { return C.lq_gguf_set_u32(p, k, C.uint32_t(v)) }
	case int32:
		f = func() C.lq_status { return C.lq_gguf_set_i32(p, k, C.int32_t(v)) }
	case uint64:
		f = func() C.lq_status { return C.lq_gguf_set_u64(p, k, C.uint64_t(v)) }
	case uint:
		f = func() C.lq_status { return C.lq_gguf_set_u64(p, k, C.uint64_t(v)) }
	case int64:
		f = func() C.lq_status { return C.lq_gguf_set_i64(p, k, C.int64_t(v)) }
	case int:
		f = func() C.lq_status { return C.lq_gguf_set_i64(p, k, C.int64_t(v)) }
	case float32:
		f = func() C.lq_status { return C.lq_gguf_set_f32(p, k, C.float(v)) }
	case float64:
		f = func() C.lq_status { return C.lq_gguf_set_f64(p, k, C.double(v)) }
	case bool:
		b := C.int(0)
		if v {
			b = 1
		}
		f = func() C.lq_status { return C.lq_gguf_set_bool(p, k, b) }
	case string:
		s := strs.of(v)
		f = func() C.lq_status { return C.lq_gguf_set_string(p, k, s) }
	case []string:
		arr := make([]*C.char, len(v)+1) // never empty, so &arr[0] is valid
		for i, s := range v {
			arr[i] = strs.of(s)
		}
		f = func() C.lq_status { return C.lq_gguf_set_array_strings(p, k, &arr[0], C.uint64_t(len(v))) }
	default:
		return g.setArray(k, key, value)
	}
	return call(f)
}

// setArray stores a numeric or bool slice.
func (g *GGUF) setArray(k *C.char, key string, value any) error {
	switch v := value.(type) {
	case []uint8:
		return setNumbers(g, k, C.LQ_GGUF_TYPE_U8, v)
	case []int8:
		return setNumbers(g, k, C.LQ_GGUF_TYPE_I8, v)
	case []uint16:
		return setNumbers(g, k, C.LQ_GGUF_TYPE_U16, v)
	case []int16:
		return setNumbers(g, k, C.LQ_GGUF_TYPE_I16, v)
	case []uint32:
		return setNumbers(g, k, C.LQ_GGUF_TYPE_U32, v)
	case []int32:
		return setNumbers(g, k, C.LQ_GGUF_TYPE_I32, v)
	case []uint64:
		return setNumbers(g, k, C.LQ_GGUF_TYPE_U64, v)
	case []int64:
		return setNumbers(g, k, C.LQ_GGUF_TYPE_I64, v)
	case []float32:
		return setNumbers(g, k, C.LQ_GGUF_TYPE_F32, v)
	case []float64:
		return setNumbers(g, k, C.LQ_GGUF_TYPE_F64, v)
	case []bool:
		bytes := make([]uint8, len(v))
		for i, b := range v {
			if b {
				bytes[i] = 1
			}
		}
		return setNumbers(g, k, C.LQ_GGUF_TYPE_BOOL, bytes)
	}
	return errorf(ErrInvalid, "'%s': GGUF cannot store a %T", key, value)
}

func setNumbers[T any](g *GGUF, k *C.char, t C.int, v []T) error {
	var data unsafe.Pointer
	if len(v) > 0 {
		data = unsafe.Pointer(&v[0])
	}
	return call(func() C.lq_status { return C.lq_gguf_set_array(g.ptr, k, t, data, C.uint64_t(len(v))) })
}

// Remove deletes key (an absent key is not an error).
func (g *GGUF) Remove(key string) error {
	if err := g.live(); err != nil {
		return err
	}
	defer runtime.KeepAlive(g)
	k := C.CString(key)
	defer C.free(unsafe.Pointer(k))
	return call(func() C.lq_status { return C.lq_gguf_remove_key(g.ptr, k) })
}

// TensorNames lists the tensors in file order.
func (g *GGUF) TensorNames() []string {
	defer runtime.KeepAlive(g)
	names := make([]string, int(C.lq_gguf_tensor_count(g.ptr)))
	for i := range names {
		names[i] = C.GoString(C.lq_gguf_tensor_name(g.ptr, C.int64_t(i)))
	}
	return names
}

func (g *GGUF) index(name string) (C.int64_t, error) {
	if err := g.live(); err != nil {
		return 0, err
	}
	n := C.CString(name)
	defer C.free(unsafe.Pointer(n))
	i := C.lq_gguf_find_tensor(g.ptr, n)
	if i < 0 {
		return 0, errorf(ErrInvalid, "no tensor '%s'", name)
	}
	return i, nil
}

// GGUFTensorInfo is where a GGUF tensor is and what it holds.
type GGUFTensorInfo struct {
	GGMLType int     // the ggml type id the file stores (0 f32, 1 f16, 12 q4_k, ...)
	Shape    []int64 // outermost first
	NBytes   uint64
	Offset   uint64 // in the data section
}

// TensorInfo describes tensor name.
func (g *GGUF) TensorInfo(name string) (GGUFTensorInfo, error) {
	defer runtime.KeepAlive(g)
	i, err := g.index(name)
	if err != nil {
		return GGUFTensorInfo{}, err
	}
	shape := make([]int64, int(C.lq_gguf_tensor_ndim(g.ptr, i)))
	for d := range shape {
		shape[d] = int64(C.lq_gguf_tensor_dim(g.ptr, i, C.int(d)))
	}
	return GGUFTensorInfo{
		GGMLType: int(C.lq_gguf_tensor_ggml_type(g.ptr, i)),
		Shape:    shape,
		NBytes:   uint64(C.lq_gguf_tensor_nbytes(g.ptr, i)),
		Offset:   uint64(C.lq_gguf_tensor_offset(g.ptr, i)),
	}, nil
}

// Tensor is tensor name, borrowing the file's bytes (no copy): close it
// before the file.
func (g *GGUF) Tensor(name string) (*Tensor, error) {
	defer runtime.KeepAlive(g)
	i, err := g.index(name)
	if err != nil {
		return nil, err
	}
	return newBorrowedTensor(&g.refs, func(out **C.lq_tensor) C.lq_status { return C.lq_gguf_get_tensor(g.ptr, i, out) })
}

// Raw is a copy of tensor name's bytes, whatever its type.
func (g *GGUF) Raw(name string) ([]byte, error) {
	defer runtime.KeepAlive(g)
	i, err := g.index(name)
	if err != nil {
		return nil, err
	}
	var data unsafe.Pointer
	var n C.uint64_t
	if err := call(func() C.lq_status { return C.lq_gguf_tensor_raw(g.ptr, i, &data, &n) }); err != nil {
		return nil, err
	}
	return copyArray[byte](data, int(n)), nil
}

// AddTensor adds a copy of t under its own name.
func (g *GGUF) AddTensor(t *Tensor) error {
	if err := g.live(); err != nil {
		return err
	}
	doneT, errT := t.use()
	if errT != nil {
		return errT
	}
	defer doneT()
	defer runtime.KeepAlive(g)
	return call(func() C.lq_status { return C.lq_gguf_add_tensor(g.ptr, t.ptr, C.LQ_COPY) })
}

// AddRaw adds a copy of raw bytes of any ggml type id GGUF defines.
func (g *GGUF) AddRaw(name string, ggmlType int, shape []int64, data []byte) error {
	if err := g.live(); err != nil {
		return err
	}
	defer runtime.KeepAlive(g)
	dims, ndim, err := cShape(shape)
	if err != nil {
		return err
	}
	n := C.CString(name)
	defer C.free(unsafe.Pointer(n))
	var p unsafe.Pointer
	if len(data) > 0 {
		p = unsafe.Pointer(&data[0])
	}
	return call(func() C.lq_status {
		return C.lq_gguf_add_tensor_raw(g.ptr, n, C.int(ggmlType), ndim, dims, p, C.uint64_t(len(data)), C.LQ_COPY)
	})
}

// Save writes the file atomically (a complete file or nothing). ctx (may be
// nil) reports progress and may cancel.
func (g *GGUF) Save(ctx *Context, path string) error {
	if err := g.live(); err != nil {
		return err
	}
	defer runtime.KeepAlive(g)
	p := C.CString(path)
	defer C.free(unsafe.Pointer(p))
	return withCtx(ctx, func(c *C.lq_ctx) error {
		return call(func() C.lq_status { return C.lq_gguf_save(c, g.ptr, p) })
	}, nil)
}

// Close frees the file. It fails with ErrState while tensors borrowed from
// it are open. Closing twice is harmless.
func (g *GGUF) Close() error {
	if g == nil || g.ptr == nil {
		return nil
	}
	if err := g.refs.check("GGUF"); err != nil {
		return err
	}
	C.lq_gguf_free(g.ptr)
	g.ptr = nil
	return nil
}

// Safetensors is a safetensors file, a sharded model's index, or a folder
// holding one (lq_safetensors); or, from NewSafetensors, tensors to save.
// Tensors read from it borrow its mapped bytes: close them before the file.
type Safetensors struct {
	ptr  *C.lq_safetensors
	refs borrowers
}

func newSafetensors(make func(**C.lq_safetensors) C.lq_status) (*Safetensors, error) {
	if err := CheckVersion(); err != nil {
		return nil, err
	}
	s := &Safetensors{}
	if err := call(func() C.lq_status { return make(&s.ptr) }); err != nil {
		return nil, err
	}
	runtime.SetFinalizer(s, func(s *Safetensors) {
		if s.ptr != nil {
			leaked("safetensors")
			s.Close()
		}
	})
	return s, nil
}

// OpenSafetensors opens a .safetensors file, a model.safetensors.index.json,
// or a folder holding one.
func OpenSafetensors(path string) (*Safetensors, error) {
	p := C.CString(path)
	defer C.free(unsafe.Pointer(p))
	return newSafetensors(func(out **C.lq_safetensors) C.lq_status { return C.lq_safetensors_open(p, out) })
}

// NewSafetensors makes an empty set of tensors to fill and save.
func NewSafetensors() (*Safetensors, error) {
	return newSafetensors(func(out **C.lq_safetensors) C.lq_status { return C.lq_safetensors_create(out) })
}

func (s *Safetensors) live() error {
	if s == nil || s.ptr == nil {
		return errorf(ErrInvalid, "the safetensors file is closed")
	}
	return nil
}

// Names lists the tensors.
func (s *Safetensors) Names() []string {
	defer runtime.KeepAlive(s)
	names := make([]string, int(C.lq_safetensors_tensor_count(s.ptr)))
	for i := range names {
		names[i] = C.GoString(C.lq_safetensors_tensor_name(s.ptr, C.int64_t(i)))
	}
	return names
}

func (s *Safetensors) index(name string) (C.int64_t, error) {
	if err := s.live(); err != nil {
		return 0, err
	}
	n := C.CString(name)
	defer C.free(unsafe.Pointer(n))
	i := C.lq_safetensors_find_tensor(s.ptr, n)
	if i < 0 {
		return 0, errorf(ErrInvalid, "no tensor '%s'", name)
	}
	return i, nil
}

// SafetensorsInfo is what a safetensors tensor holds.
type SafetensorsInfo struct {
	DType  string  // as the file names it: "F32", "BF16", "F8_E4M3", ...
	Shape  []int64 // outermost first; empty for a scalar
	NBytes uint64
}

// Info describes tensor name.
func (s *Safetensors) Info(name string) (SafetensorsInfo, error) {
	defer runtime.KeepAlive(s)
	i, err := s.index(name)
	if err != nil {
		return SafetensorsInfo{}, err
	}
	shape := make([]int64, int(C.lq_safetensors_tensor_ndim(s.ptr, i)))
	for d := range shape {
		shape[d] = int64(C.lq_safetensors_tensor_dim(s.ptr, i, C.int(d)))
	}
	return SafetensorsInfo{
		DType:  C.GoString(C.lq_safetensors_tensor_dtype(s.ptr, i)),
		Shape:  shape,
		NBytes: uint64(C.lq_safetensors_tensor_nbytes(s.ptr, i)),
	}, nil
}

// Tensor is tensor name, borrowing the file's bytes (no copy): close it
// before the file.
func (s *Safetensors) Tensor(name string) (*Tensor, error) {
	defer runtime.KeepAlive(s)
	i, err := s.index(name)
	if err != nil {
		return nil, err
	}
	return newBorrowedTensor(&s.refs, func(out **C.lq_tensor) C.lq_status { return C.lq_safetensors_get_tensor(s.ptr, i, out) })
}

// Raw is a copy of tensor name's bytes, whatever its dtype.
func (s *Safetensors) Raw(name string) ([]byte, error) {
	defer runtime.KeepAlive(s)
	i, err := s.index(name)
	if err != nil {
		return nil, err
	}
	var data unsafe.Pointer
	var n C.uint64_t
	if err := call(func() C.lq_status { return C.lq_safetensors_tensor_raw(s.ptr, i, &data, &n) }); err != nil {
		return nil, err
	}
	return copyArray[byte](data, int(n)), nil
}

// Metadata is __metadata__ as a map.
func (s *Safetensors) Metadata() map[string]string {
	defer runtime.KeepAlive(s)
	meta := map[string]string{}
	for i := C.int64_t(0); i < C.lq_safetensors_meta_count(s.ptr); i++ {
		k := C.lq_safetensors_meta_key(s.ptr, i)
		meta[C.GoString(k)] = C.GoString(C.lq_safetensors_meta_get(s.ptr, k))
	}
	return meta
}

// SetMetadata sets a metadata entry; DeleteMetadata removes one.
func (s *Safetensors) SetMetadata(key, value string) error {
	return s.setMeta(key, &value)
}

// DeleteMetadata removes a metadata entry.
func (s *Safetensors) DeleteMetadata(key string) error {
	return s.setMeta(key, nil)
}

func (s *Safetensors) setMeta(key string, value *string) error {
	if err := s.live(); err != nil {
		return err
	}
	defer runtime.KeepAlive(s)
	var strs cStrings
	defer strs.free()
	k := strs.of(key)
	var v *C.char
	if value != nil {
		v = strs.of(*value)
	}
	return call(func() C.lq_status { return C.lq_safetensors_meta_set(s.ptr, k, v) })
}

// AddTensor adds a copy of a plain-type tensor under its own name.
func (s *Safetensors) AddTensor(t *Tensor) error {
	if err := s.live(); err != nil {
		return err
	}
	doneT, errT := t.use()
	if errT != nil {
		return errT
	}
	defer doneT()
	defer runtime.KeepAlive(s)
	return call(func() C.lq_status { return C.lq_safetensors_add_tensor(s.ptr, t.ptr, C.LQ_COPY) })
}

// AddRaw adds a copy of raw bytes under any safetensors dtype ("F8_E4M3", ...).
func (s *Safetensors) AddRaw(name, dtype string, shape []int64, data []byte) error {
	if err := s.live(); err != nil {
		return err
	}
	defer runtime.KeepAlive(s)
	if len(shape) > C.LQ_SAFETENSORS_MAX_DIMS {
		return errorf(ErrInvalid, "%d dimensions is too many", len(shape))
	}
	var strs cStrings
	defer strs.free()
	n, d := strs.of(name), strs.of(dtype)
	dims := append(shape[:len(shape):len(shape)], 0) // never empty, so &dims[0] is valid
	var p unsafe.Pointer
	if len(data) > 0 {
		p = unsafe.Pointer(&data[0])
	}
	return call(func() C.lq_status {
		return C.lq_safetensors_add_tensor_raw(s.ptr, n, d, C.int(len(shape)), (*C.int64_t)(unsafe.Pointer(&dims[0])), p,
			C.uint64_t(len(data)), C.LQ_COPY)
	})
}

// Save writes atomically; with maxShardBytes > 0, as shards plus an index.
func (s *Safetensors) Save(ctx *Context, path string, maxShardBytes uint64) error {
	if err := s.live(); err != nil {
		return err
	}
	defer runtime.KeepAlive(s)
	p := C.CString(path)
	defer C.free(unsafe.Pointer(p))
	return withCtx(ctx, func(c *C.lq_ctx) error {
		return call(func() C.lq_status { return C.lq_safetensors_save(c, s.ptr, p, C.uint64_t(maxShardBytes)) })
	}, nil)
}

// Close frees the file. It fails with ErrState while tensors borrowed from
// it are open. Closing twice is harmless.
func (s *Safetensors) Close() error {
	if s == nil || s.ptr == nil {
		return nil
	}
	if err := s.refs.check("safetensors"); err != nil {
		return err
	}
	C.lq_safetensors_free(s.ptr)
	s.ptr = nil
	return nil
}
