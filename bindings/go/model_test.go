package libquant_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"libquant.dev/go/libquant"
)

// 4 windows of 128 tokens: small enough for a 2-core machine.
const (
	modelTokens = 512
	modelCtx    = 128
)

func fixture(name string) string {
	return filepath.Join("..", "..", "tests", "model", "fixture", name)
}

// lqTool is the lq program of the build the library comes from
// (pkg-config's prefix: the meson build directory for the uninstalled
// entry, or the install prefix), or "".
func lqTool() string {
	out, err := exec.Command("pkg-config", "--variable=prefix", "libquant").Output()
	if err != nil {
		return ""
	}
	prefix := strings.TrimSpace(string(out))
	for _, p := range []string{filepath.Join(prefix, "libquant", "tools", "lq"), filepath.Join(prefix, "bin", "lq")} {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	return ""
}

func modelTokensOf(t *testing.T, m *libquant.Model) []int32 {
	text := ok(os.ReadFile(fixture("heldout.txt")))(t)
	return ok(m.Tokenize(string(text), true))(t)[:modelTokens]
}

// lq eval prints 10 significant digits: agreement to 1e-9 relative is all
// the printout can show (the computations are the same C calls).
func closeTo(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Abs(b) }

func TestModelMatchesTheCTools(t *testing.T) {
	lq := lqTool()
	if lq == "" {
		t.Skip("the lq program of this build was not found (pkg-config --variable=prefix)")
	}
	dir := t.TempDir()
	ours, theirs := filepath.Join(dir, "ours.gguf"), filepath.Join(dir, "theirs.gguf")
	noErr(t, libquant.QuantizeGGUF(nil, fixture("tiny-llama-f32.gguf"), ours, "Q4_K_M", nil))
	noErr(t, exec.Command(lq, "quantize", fixture("tiny-llama-f32.gguf"), theirs, "Q4_K_M").Run())
	if !bytes.Equal(ok(os.ReadFile(ours))(t), ok(os.ReadFile(theirs))(t)) {
		t.Fatal("QuantizeGGUF wrote other bytes than lq quantize")
	}
	out := ok(exec.Command(lq, "eval", fixture("tiny-llama-f32.gguf"), "--text", fixture("heldout.txt"),
		"--schemes", "q4_k_m", "--kv", "f16", "--ctx", strconv.Itoa(modelCtx),
		"--max-tokens", strconv.Itoa(modelTokens), "--calib-tokens", "0", "--json").Output())(t)
	var want struct {
		Base struct {
			PPL float64 `json:"ppl"`
		} `json:"base"`
		Results []struct {
			PPL float64 `json:"ppl"`
			KLD float64 `json:"kld"`
		} `json:"results"`
	}
	noErr(t, json.Unmarshal(out, &want))

	base := ok(libquant.LoadModel(nil, fixture("tiny-llama-f32.gguf"), 0, libquant.KVF32))(t)
	defer base.Close()
	q := ok(libquant.LoadModel(nil, ours, 0, libquant.KVF16))(t)
	defer q.Close()
	tokens := modelTokensOf(t, base)
	r := ok(q.Perplexity(nil, tokens, modelCtx, 0))(t)
	if !closeTo(r.PPL, want.Results[0].PPL) || !math.IsNaN(r.KLD) {
		t.Fatalf("perplexity %v, lq eval %v", r, want.Results[0].PPL)
	}
	kl := ok(q.KLDivergence(nil, base, tokens, modelCtx, 0))(t)
	if !closeTo(kl.KLD, want.Results[0].KLD) || kl.PPL != r.PPL {
		t.Fatalf("KL %v, lq eval %v", kl, want.Results[0].KLD)
	}
	if b := ok(base.Perplexity(nil, tokens, modelCtx, 0))(t); !closeTo(b.PPL, want.Base.PPL) {
		t.Fatalf("base perplexity %v, lq eval %v", b.PPL, want.Base.PPL)
	}

	// A mixture quantized in memory has the tensors of the file.
	s := ok(libquant.ParseScheme("q4_k_m"))(t)
	defer s.Close()
	mem := ok(base.Quantize(nil, s, nil, nil, 0, libquant.KVF16))(t)
	if p := ok(mem.Perplexity(nil, tokens, modelCtx, 0))(t).PPL; p != r.PPL {
		t.Fatalf("in memory %v, file %v", p, r.PPL)
	}
	if err := base.Close(); !errors.Is(err, libquant.ErrState) {
		t.Fatalf("closing a base with an open quantized model: %v", err)
	}
	noErr(t, mem.Close())
}

func TestModelTokensEvalImatrixAndErrors(t *testing.T) {
	base := ok(libquant.LoadModel(nil, fixture("tiny-llama-f32.gguf"), 0, libquant.KVF32))(t)
	defer base.Close()
	tokens := modelTokensOf(t, base)
	if text, found := base.TokenText(tokens[0]); !found || text != "<s>" || int64(tokens[0]) != base.Info(libquant.ModelTokenBOS) {
		t.Fatalf("first token %d %q", tokens[0], text)
	}
	// TokenizeV2 reads control token names ("<s>" in the fixture) only when
	// asked, and adds no EOS (add_eos_token is false).
	bos := tokens[0]
	if ids := ok(base.TokenizeV2("<s>In", true, false, true))(t); len(ids) < 2 || ids[0] != bos || ids[1] != bos {
		t.Fatalf("<s>In with specials read: %v", ids)
	}
	plain := ok(base.TokenizeV2("<s>In", true, true, false))(t)
	if v1 := ok(base.Tokenize("<s>In", true))(t); !reflect.DeepEqual(plain, v1) || plain[1] == bos {
		t.Fatalf("<s>In as text: %v, Tokenize %v", plain, v1)
	}
	vocab := int(base.Info(libquant.ModelNVocab))
	whole := ok(base.Eval(nil, tokens[:8], 0, 0))(t)
	if len(whole) != 8*vocab {
		t.Fatalf("%d logits", len(whole))
	}
	ok(base.Eval(nil, tokens[:5], 0, 5))(t)
	rest := ok(base.Eval(nil, tokens[5:8], 5, 0))(t)
	// Three tokens and eight take different product kernels (the batch size
	// picks them), so the logits differ in rounding only.
	for i, v := range rest {
		if w := whole[5*vocab+i]; math.Abs(float64(v-w)) > 1e-4*(1+math.Abs(float64(w))) {
			t.Fatalf("logit %d: %v vs %v", i, v, w)
		}
	}
	im := ok(base.Imatrix(nil, tokens[:256], 0))(t)
	defer im.Close()
	dir := t.TempDir()
	imPath := filepath.Join(dir, "im.dat")
	noErr(t, im.Save(imPath, libquant.ImatrixDat, ""))
	out := filepath.Join(dir, "q2_k_s.gguf")
	// llama.cpp requires an importance matrix for Q2_K_S.
	if err := libquant.QuantizeGGUF(nil, fixture("tiny-llama-f32.gguf"), out, "Q2_K_S", nil); !errors.Is(err, libquant.ErrInvalid) {
		t.Fatalf("Q2_K_S without an imatrix: %v", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("a failed QuantizeGGUF left a file")
	}
	noErr(t, libquant.QuantizeGGUF(nil, fixture("tiny-llama-f32.gguf"), out, "Q2_K_S",
		&libquant.QuantizeGGUFOptions{Imatrix: imPath, TensorTypes: []libquant.TensorType{{Pattern: "ffn_down", Type: "q8_0"}}}))
	g := ok(libquant.OpenGGUF(out))(t)
	defer g.Close()
	if info := ok(g.TensorInfo("blk.0.ffn_down.weight"))(t); info.GGMLType != ok(libquant.TypeFromName("q8_0"))(t).GGMLID() {
		t.Fatalf("ffn_down has ggml type %d, not q8_0", info.GGMLType)
	}
	if _, err := libquant.LoadModel(nil, filepath.Join(dir, "missing.gguf"), 0, libquant.KVF16); !errors.Is(err, libquant.ErrIO) {
		t.Fatalf("missing model: %v", err)
	}
	if _, err := base.KLDivergence(nil, base, tokens, modelCtx, 0); !errors.Is(err, libquant.ErrInvalid) {
		t.Fatalf("KL from itself: %v", err)
	}
}
