package libquant

// #define LQ_EXPERIMENTAL_API
// #include <lq/lq.h>
// #include <stdlib.h>
import "C"

import (
	"runtime"
	"unsafe"
)

// FileSize is the exact size in bytes of the file QuantizeGGUF (and
// llama-quantize) writes from the model g in the llama.cpp file type
// fileType ("Q4_K_M", ...) with default options and no importance matrix:
// the header and every tensor at the type the file type's rules give it
// (lq_estimate_file_size). Only the metadata and tensor list are read.
// Experimental tier.
func (g *GGUF) FileSize(fileType string) (uint64, error) {
	if err := g.live(); err != nil {
		return 0, err
	}
	defer runtime.KeepAlive(g)
	c := C.CString(fileType)
	defer C.free(unsafe.Pointer(c))
	var out C.uint64_t
	err := call(func() C.lq_status { return C.lq_estimate_file_size(g.ptr, c, &out) })
	return uint64(out), err
}

// LlamaModel is a Llama-3-style model of about nParams parameters, as
// metadata and declared tensors without bytes, to size with FileSize (the
// shape rule is lq_estimate_llama_model's, in lq_quality.h). Experimental
// tier. Release it with Close.
func LlamaModel(nParams float64) (*GGUF, error) {
	return newGGUF(func(out **C.lq_gguf) C.lq_status {
		return C.lq_estimate_llama_model(C.double(nParams), out)
	})
}
