package libquant

// #define LQ_EXPERIMENTAL_API
// #include <lq/lq.h>
// #include <stdlib.h>
import "C"

import "unsafe"

// TensorType gives the tensors whose name matches Pattern (a POSIX extended
// regular expression) the ggml type Type, as llama-quantize --tensor-type.
type TensorType struct {
	Pattern, Type string
}

// QuantizeGGUFOptions are llama-quantize's choices (lq_qopts); the zero
// value means none.
type QuantizeGGUFOptions struct {
	Imatrix            string       // an importance matrix file (--imatrix)
	TensorTypes        []TensorType // the first matching pattern wins
	OutputType         string       // --output-tensor-type
	TokenEmbeddingType string       // --token-embedding-type
	Pure               bool         // every quantizable tensor gets the file type's default type
	LeaveOutput        bool         // keep output.weight as it is
	AllowRequantize    bool         // quantize tensors that are already quantized
}

// QuantizeGGUF quantizes the GGUF model in into out with a llama.cpp file
// type ("Q4_K_M", "Q8_0", ...), as llama-quantize does, byte for byte. The
// output appears only when complete. ctx and opts may be nil.
func QuantizeGGUF(ctx *Context, in, out, fileType string, opts *QuantizeGGUFOptions) error {
	if err := CheckVersion(); err != nil {
		return err
	}
	if opts == nil {
		opts = &QuantizeGGUFOptions{}
	}
	var o *C.lq_qopts
	ft := cstr(fileType)
	defer free(ft)
	if err := call(func() C.lq_status { return C.lq_qopts_create(ft, &o) }); err != nil {
		return err
	}
	defer C.lq_qopts_free(o)
	set := func(value string, f func(*C.char) C.lq_status) error {
		if value == "" {
			return nil
		}
		s := cstr(value)
		defer free(s)
		return call(func() C.lq_status { return f(s) })
	}
	steps := []error{
		set(opts.Imatrix, func(s *C.char) C.lq_status { return C.lq_qopts_set_imatrix(o, s) }),
		set(opts.OutputType, func(s *C.char) C.lq_status { return C.lq_qopts_set_output_type(o, s) }),
		set(opts.TokenEmbeddingType, func(s *C.char) C.lq_status { return C.lq_qopts_set_token_embedding_type(o, s) }),
	}
	for _, tt := range opts.TensorTypes {
		p, t := cstr(tt.Pattern), cstr(tt.Type)
		steps = append(steps, call(func() C.lq_status { return C.lq_qopts_add_tensor_type(o, p, t) }))
		free(p)
		free(t)
	}
	for flag, on := range map[C.int]bool{C.LQ_QOPT_PURE: opts.Pure, C.LQ_QOPT_LEAVE_OUTPUT: opts.LeaveOutput,
		C.LQ_QOPT_ALLOW_REQUANTIZE: opts.AllowRequantize} {
		v := C.int(0)
		if on {
			v = 1
		}
		steps = append(steps, call(func() C.lq_status { return C.lq_qopts_set_flag(o, flag, v) }))
	}
	for _, err := range steps {
		if err != nil {
			return err
		}
	}
	i, w := cstr(in), cstr(out)
	defer free(i)
	defer free(w)
	return withCtx(ctx, func(c *C.lq_ctx) error {
		return call(func() C.lq_status { return C.lq_gguf_quantize(c, i, w, o) })
	}, nil)
}

func cstr(s string) *C.char { return C.CString(s) }

func free(p *C.char) { C.free(unsafe.Pointer(p)) }
