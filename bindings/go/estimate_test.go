package libquant_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"libquant.dev/go/libquant"
)

func TestFileSizeIsTheWrittenSize(t *testing.T) {
	g, err := libquant.OpenGGUF(fixture("tiny-llama-f32.gguf"))
	noErr(t, err)
	defer g.Close()
	size, err := g.FileSize("Q4_K_M")
	noErr(t, err)
	out := filepath.Join(t.TempDir(), "q4_k_m.gguf")
	noErr(t, libquant.QuantizeGGUF(nil, fixture("tiny-llama-f32.gguf"), out, "Q4_K_M", nil))
	st, err := os.Stat(out)
	noErr(t, err)
	if uint64(st.Size()) != size {
		t.Fatalf("FileSize says %d bytes, QuantizeGGUF wrote %d", size, st.Size())
	}
	if _, err := g.FileSize("Q4_K_X"); !errors.Is(err, libquant.ErrInvalid) {
		t.Fatalf("an unknown file type: %v", err)
	}
}

func TestLlamaModel70B(t *testing.T) {
	g, err := libquant.LlamaModel(70e9)
	noErr(t, err)
	defer g.Close()
	// the Llama-3-70B shape; real Q4_K_M files add their ~8 MB tokenizer
	size, err := g.FileSize("q4_k_m")
	noErr(t, err)
	if size != 42512575136 {
		t.Fatalf("70B Q4_K_M: %d bytes", size)
	}
	if _, err := libquant.LlamaModel(1); !errors.Is(err, libquant.ErrInvalid) {
		t.Fatalf("1 parameter: %v", err)
	}
}
