package libquant

// #include <lq/lq.h>
// #include <stdlib.h>
import "C"

import (
	"runtime"
	"strconv"
	"unsafe"
)

// Method is how the codes are chosen. Pinned values.
type Method int

// The methods of lq_scheme.h.
const (
	MethodRTN         Method = C.LQ_METHOD_RTN
	MethodGPTQ        Method = C.LQ_METHOD_GPTQ
	MethodAWQ         Method = C.LQ_METHOD_AWQ
	MethodHQQ         Method = C.LQ_METHOD_HQQ
	MethodSmoothQuant Method = C.LQ_METHOD_SMOOTHQUANT
	MethodLLMInt8     Method = C.LQ_METHOD_LLM_INT8
)

var methodNames = [...]string{"rtn", "gptq", "awq", "hqq", "smoothquant", "llm_int8"}

// String is the name the scheme grammar uses.
func (m Method) String() string {
	if m >= 0 && int(m) < len(methodNames) {
		return methodNames[m]
	}
	return "method-" + strconv.Itoa(int(m))
}

// Param names a scheme parameter (enum lq_param).
type Param int

// The parameters of lq_scheme.h; Damp, Alpha and Threshold are floats.
const (
	ParamType         Param = C.LQ_PARAM_TYPE
	ParamMethod       Param = C.LQ_PARAM_METHOD
	ParamBits         Param = C.LQ_PARAM_BITS // read-only
	ParamGroupSize    Param = C.LQ_PARAM_GROUP_SIZE
	ParamSymmetric    Param = C.LQ_PARAM_SYMMETRIC
	ParamBlockSize    Param = C.LQ_PARAM_BLOCK_SIZE
	ParamDoubleQuant  Param = C.LQ_PARAM_DOUBLE_QUANT
	ParamScaleType    Param = C.LQ_PARAM_SCALE_TYPE
	ParamActOrder     Param = C.LQ_PARAM_ACT_ORDER
	ParamStaticGroups Param = C.LQ_PARAM_STATIC_GROUPS
	ParamMixture      Param = C.LQ_PARAM_MIXTURE // read-only
	ParamDamp         Param = C.LQ_PARAM_DAMP
	ParamAlpha        Param = C.LQ_PARAM_ALPHA
	ParamThreshold    Param = C.LQ_PARAM_THRESHOLD
	ParamIters        Param = C.LQ_PARAM_ITERS
)

// Group sizes besides a positive N.
const (
	GroupChannel = C.LQ_GROUP_CHANNEL // one scale per output row
	GroupTensor  = C.LQ_GROUP_TENSOR  // one scale for the whole tensor
)

// Scheme is what to quantize to, and how: ParseScheme("int4:g128"). Many
// goroutines may read one scheme at once; changing it needs exclusive use.
// Release it with Close.
type Scheme struct {
	ptr *C.lq_scheme
}

func newScheme(make func(**C.lq_scheme) C.lq_status) (*Scheme, error) {
	s := &Scheme{}
	if err := call(func() C.lq_status { return make(&s.ptr) }); err != nil {
		return nil, err
	}
	runtime.SetFinalizer(s, func(s *Scheme) {
		if s.ptr != nil {
			leaked("scheme")
			s.Close()
		}
	})
	return s, nil
}

// ParseScheme parses a scheme string (case-insensitive), e.g. "q4_k".
func ParseScheme(text string) (*Scheme, error) {
	if err := CheckVersion(); err != nil {
		return nil, err
	}
	c := C.CString(text)
	defer C.free(unsafe.Pointer(c))
	return newScheme(func(out **C.lq_scheme) C.lq_status { return C.lq_scheme_parse(c, out) })
}

func (s *Scheme) live() error {
	if s == nil || s.ptr == nil {
		return errorf(ErrInvalid, "the scheme is closed")
	}
	return nil
}

// Clone makes an independent copy.
func (s *Scheme) Clone() (*Scheme, error) {
	if err := s.live(); err != nil {
		return nil, err
	}
	defer runtime.KeepAlive(s)
	return newScheme(func(out **C.lq_scheme) C.lq_status { return C.lq_scheme_clone(s.ptr, out) })
}

// String is the canonical form, which parses back to an equal scheme
// ("" once closed).
func (s *Scheme) String() string {
	if s == nil {
		return ""
	}
	defer runtime.KeepAlive(s)
	return C.GoString(C.lq_scheme_string(s.ptr))
}

// Int reads an integer parameter.
func (s *Scheme) Int(p Param) (int64, error) {
	if err := s.live(); err != nil {
		return 0, err
	}
	defer runtime.KeepAlive(s)
	var v C.int64_t
	err := call(func() C.lq_status { return C.lq_scheme_get_int(s.ptr, C.int(p), &v) })
	return int64(v), err
}

// Float reads a float parameter.
func (s *Scheme) Float(p Param) (float64, error) {
	if err := s.live(); err != nil {
		return 0, err
	}
	defer runtime.KeepAlive(s)
	var v C.double
	err := call(func() C.lq_status { return C.lq_scheme_get_float(s.ptr, C.int(p), &v) })
	return float64(v), err
}

// SetInt changes an integer parameter; on error the scheme is unchanged.
func (s *Scheme) SetInt(p Param, v int64) error {
	if err := s.live(); err != nil {
		return err
	}
	defer runtime.KeepAlive(s)
	return call(func() C.lq_status { return C.lq_scheme_set_int(s.ptr, C.int(p), C.int64_t(v)) })
}

// SetFloat changes a float parameter; on error the scheme is unchanged.
func (s *Scheme) SetFloat(p Param, v float64) error {
	if err := s.live(); err != nil {
		return err
	}
	defer runtime.KeepAlive(s)
	return call(func() C.lq_status { return C.lq_scheme_set_float(s.ptr, C.int(p), C.double(v)) })
}

// Type is the element type quantized to.
func (s *Scheme) Type() (Type, error) {
	v, err := s.Int(ParamType)
	return Type(v), err
}

// Method is how the codes are chosen.
func (s *Scheme) Method() (Method, error) {
	v, err := s.Int(ParamMethod)
	return Method(v), err
}

// TensorBytes is the storage a [rows, cols] weight takes, scales included.
func (s *Scheme) TensorBytes(rows, cols int64) (uint64, error) {
	if err := s.live(); err != nil {
		return 0, err
	}
	defer runtime.KeepAlive(s)
	var n C.uint64_t
	err := call(func() C.lq_status {
		return C.lq_scheme_tensor_bytes(s.ptr, C.int64_t(rows), C.int64_t(cols), &n)
	})
	return uint64(n), err
}

// Close frees the scheme. Closing twice is harmless.
func (s *Scheme) Close() error {
	if s != nil && s.ptr != nil {
		C.lq_scheme_free(s.ptr)
		s.ptr = nil
	}
	return nil
}
