package libquant

// #include <lq/lq.h>
// #include <stdlib.h>
import "C"

import (
	"strconv"
	"unsafe"
)

// Type is an element type: plain numbers or a quantized format. The values
// are pinned by the C library.
type Type int

// The element types of lq_types.h.
const (
	TypeF32     Type = C.LQ_TYPE_F32
	TypeF16     Type = C.LQ_TYPE_F16
	TypeBF16    Type = C.LQ_TYPE_BF16
	TypeF64     Type = C.LQ_TYPE_F64
	TypeI8      Type = C.LQ_TYPE_I8
	TypeU8      Type = C.LQ_TYPE_U8
	TypeI16     Type = C.LQ_TYPE_I16
	TypeI32     Type = C.LQ_TYPE_I32
	TypeI64     Type = C.LQ_TYPE_I64
	TypeInt8    Type = C.LQ_TYPE_INT8
	TypeInt4    Type = C.LQ_TYPE_INT4
	TypeInt3    Type = C.LQ_TYPE_INT3
	TypeInt2    Type = C.LQ_TYPE_INT2
	TypeNF4     Type = C.LQ_TYPE_NF4
	TypeFP4     Type = C.LQ_TYPE_FP4
	TypeFP8E4M3 Type = C.LQ_TYPE_FP8_E4M3
	TypeFP8E5M2 Type = C.LQ_TYPE_FP8_E5M2
	TypeQ4_0    Type = C.LQ_TYPE_Q4_0
	TypeQ4_1    Type = C.LQ_TYPE_Q4_1
	TypeQ5_0    Type = C.LQ_TYPE_Q5_0
	TypeQ5_1    Type = C.LQ_TYPE_Q5_1
	TypeQ8_0    Type = C.LQ_TYPE_Q8_0
	TypeQ8_1    Type = C.LQ_TYPE_Q8_1
	TypeQ2_K    Type = C.LQ_TYPE_Q2_K
	TypeQ3_K    Type = C.LQ_TYPE_Q3_K
	TypeQ4_K    Type = C.LQ_TYPE_Q4_K
	TypeQ5_K    Type = C.LQ_TYPE_Q5_K
	TypeQ6_K    Type = C.LQ_TYPE_Q6_K
	TypeQ8_K    Type = C.LQ_TYPE_Q8_K
	TypeIQ4_NL  Type = C.LQ_TYPE_IQ4_NL
	TypeIQ4_XS  Type = C.LQ_TYPE_IQ4_XS
	TypeTQ1_0   Type = C.LQ_TYPE_TQ1_0
	TypeTQ2_0   Type = C.LQ_TYPE_TQ2_0
	TypeMXFP4   Type = C.LQ_TYPE_MXFP4
	TypeNVFP4   Type = C.LQ_TYPE_NVFP4
	TypeIQ2_XXS Type = C.LQ_TYPE_IQ2_XXS
	TypeIQ2_XS  Type = C.LQ_TYPE_IQ2_XS
	TypeIQ2_S   Type = C.LQ_TYPE_IQ2_S
	TypeIQ3_XXS Type = C.LQ_TYPE_IQ3_XXS
	TypeIQ3_S   Type = C.LQ_TYPE_IQ3_S
	TypeIQ1_S   Type = C.LQ_TYPE_IQ1_S
	TypeIQ1_M   Type = C.LQ_TYPE_IQ1_M
)

// String is the lower-case name ("q4_k"), or "type-N" for a value that is
// not a type.
func (t Type) String() string {
	if p := C.lq_type_name(C.lq_type(t)); p != nil {
		return C.GoString(p)
	}
	return "type-" + strconv.Itoa(int(t))
}

// IsQuantized reports whether t is a quantized format.
func (t Type) IsQuantized() bool { return C.lq_type_is_quantized(C.lq_type(t)) != 0 }

// GGMLID is the ggml_type id GGUF files use, or -1.
func (t Type) GGMLID() int { return int(C.lq_type_ggml_id(C.lq_type(t))) }

// TypeFromName finds a type by name (case-insensitive).
func TypeFromName(name string) (Type, error) {
	c := C.CString(name)
	defer C.free(unsafe.Pointer(c))
	var out C.lq_type
	err := call(func() C.lq_status { return C.lq_type_from_name(c, &out) })
	return Type(out), err
}
