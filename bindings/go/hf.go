package libquant

// #define LQ_EXPERIMENTAL_API
// #include <lq/lq.h>
// #include <stdlib.h>
import "C"

import (
	"runtime"
	"unsafe"
)

// HFFormat is a Hugging Face quantized-checkpoint layout (enum lq_hf_format;
// doc/hf-formats.md).
type HFFormat int

// The layouts of lq_hf.h.
const (
	HFGPTQ      HFFormat = C.LQ_HF_GPTQ       // AutoGPTQ "gptq" (v1)
	HFGPTQv2    HFFormat = C.LQ_HF_GPTQ_V2    // GPTQModel "gptq_v2"
	HFAWQ       HFFormat = C.LQ_HF_AWQ        // AutoAWQ "gemm", int4 only
	HFBnB4      HFFormat = C.LQ_HF_BNB4       // bitsandbytes Linear4bit: nf4, fp4
	HFFP8       HFFormat = C.LQ_HF_FP8        // vLLM / compressed-tensors fp8
	HFInt8      HFFormat = C.LQ_HF_INT8       // bitsandbytes Linear8bitLt (LLM.int8)
	HFFP8Static HFFormat = C.LQ_HF_FP8_STATIC // fp8 plus a static input_scale
	HFNVFP4     HFFormat = C.LQ_HF_NVFP4      // compressed-tensors NVFP4 (ggml nvfp4 weights)
	HFMXFP4     HFFormat = C.LQ_HF_MXFP4      // gpt-oss MXFP4 (ggml mxfp4 weights)
)

// HFExport adds the tensors of quantized weight q ([out, in]) in format to
// st, named "<prefix>.<part>". perm (nil for the identity) is the column
// order GPTQQuantize returned, written as g_idx; calib (may be nil)
// describes the layer's input (HFFP8Static takes its input_scale from it).
func HFExport(q *Tensor, perm []int32, calib *Calibration, format HFFormat, prefix string, st *Safetensors) error {
	for _, err := range []error{q.live(), st.live()} {
		if err != nil {
			return err
		}
	}
	if shape := q.Shape(); perm != nil && int64(len(perm)) != shape[len(shape)-1] {
		return errorf(ErrShape, "%d columns, a perm of %d", shape[len(shape)-1], len(perm))
	}
	var c *C.lq_calib
	if calib != nil {
		if err := calib.live(); err != nil {
			return err
		}
		c = calib.ptr
	}
	defer runtime.KeepAlive(q)
	defer runtime.KeepAlive(st)
	defer runtime.KeepAlive(calib)
	p := C.CString(prefix)
	defer C.free(unsafe.Pointer(p))
	return call(func() C.lq_status {
		return C.lq_hf_export(q.ptr, tokenPtr(perm), c, C.int(format), p, st.ptr)
	})
}

// HFImport reads layer prefix of format from st as a quantized tensor named
// "<prefix>.weight", and for the GPTQ layouts the column order its g_idx
// gives (nil for the other layouts).
func HFImport(st *Safetensors, format HFFormat, prefix string) (*Tensor, []int32, error) {
	if err := st.live(); err != nil {
		return nil, nil, err
	}
	defer runtime.KeepAlive(st)
	var perm []int32
	if format == HFGPTQ || format == HFGPTQv2 {
		if info, err := st.Info(prefix + ".g_idx"); err == nil && len(info.Shape) == 1 {
			perm = make([]int32, info.Shape[0])
		}
	}
	p := C.CString(prefix)
	defer C.free(unsafe.Pointer(p))
	t, err := newTensor(func(out **C.lq_tensor) C.lq_status {
		return C.lq_hf_import(st.ptr, C.int(format), p, out, tokenPtr(perm))
	})
	if err != nil {
		return nil, nil, err
	}
	return t, perm, nil
}

// HFDequantize decodes layer prefix of format to count floats ([out, in]) as
// the reference loaders decode it, with any g_idx.
func HFDequantize(st *Safetensors, format HFFormat, prefix string, count int) ([]float32, error) {
	if err := st.live(); err != nil {
		return nil, err
	}
	defer runtime.KeepAlive(st)
	p := C.CString(prefix)
	defer C.free(unsafe.Pointer(p))
	out := make([]float32, count)
	err := call(func() C.lq_status {
		return C.lq_hf_dequantize(st.ptr, C.int(format), p, floatPtr(out), C.int64_t(count))
	})
	return out, err
}

// HFConfig is the "quantization_config" JSON object for format made with scheme.
func HFConfig(format HFFormat, scheme *Scheme) (string, error) {
	if err := scheme.live(); err != nil {
		return "", err
	}
	defer runtime.KeepAlive(scheme)
	var json *C.char
	if err := call(func() C.lq_status { return C.lq_hf_config(C.int(format), scheme.ptr, &json) }); err != nil {
		return "", err
	}
	defer C.lq_free(unsafe.Pointer(json))
	return C.GoString(json), nil
}
