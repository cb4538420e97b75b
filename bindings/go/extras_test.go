package libquant_test

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"

	"libquant.dev/go/libquant"
)

const k = 256

// noise is reproducible pseudo-random floats in [-1, 1) (a 64-bit LCG).
func noise(n int, seed uint64) []float32 {
	s := seed*6364136223846793005 + 1442695040888963407
	out := make([]float32, n)
	for i := range out {
		s = s*6364136223846793005 + 1442695040888963407
		out[i] = float32(s>>40)/float32(1<<23) - 1
	}
	return out
}

// layer is activations with one outlier channel (5) and a weight [64, k].
func layer() ([]float32, []float32) {
	x := noise(300*k, 1)
	for r := 0; r < 300; r++ {
		x[r*k+5] *= 20
	}
	return x, noise(64*k, 2)
}

func relErr(a, b []float32) float64 {
	var num, den float64
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		num += d * d
		den += float64(b[i]) * float64(b[i])
	}
	return math.Sqrt(num / den)
}

func matmulRef(x, w []float32) []float32 {
	m, n := len(x)/k, len(w)/k
	y := make([]float32, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for t := 0; t < k; t++ {
				s += float64(x[i*k+t]) * float64(w[j*k+t])
			}
			y[i*n+j] = float32(s)
		}
	}
	return y
}

func argmax(v []float32) int {
	best := 0
	for i := range v {
		if v[i] > v[best] {
			best = i
		}
	}
	return best
}

func calibOf(t *testing.T, x []float32) *libquant.Calibration {
	c := ok(libquant.NewCalibration(k))(t)
	t.Cleanup(func() { c.Close() })
	noErr(t, c.Add(x[:100*k]))
	noErr(t, c.Add(x[100*k:]))
	return c
}

func tensor(t *testing.T, w []float32, shape ...int64) *libquant.Tensor {
	tt := ok(libquant.NewTensorF32(w, shape))(t)
	t.Cleanup(func() { tt.Close() })
	return tt
}

func TestCalibration(t *testing.T) {
	x, _ := layer()
	c := calibOf(t, x)
	if c.Features() != k || c.Tokens() != 300 || c.Samples() != 300 {
		t.Fatal(c.Features(), c.Tokens(), c.Samples())
	}
	var want float64
	for r := 0; r < 300; r++ {
		want += float64(x[r*k+5]) * float64(x[r*k+5])
	}
	want /= 300
	// a float running mean of 300 squares: gamma_300 = 1.8e-5 of it, far inside 1e-3
	if got := ok(c.Get(libquant.StatMeanSq))(t)[5]; math.Abs(float64(got)-want) > 1e-3*want {
		t.Fatal(got, want)
	}
	if len(ok(c.Get(libquant.StatHessian))(t)) != k*k || len(ok(c.Get(libquant.StatSamples))(t)) != 300*k {
		t.Fatal("statistic sizes")
	}
	wantStatus(t, c.Add(x[:100]), libquant.ErrShape)
	bad := append([]float32(nil), x[:k]...)
	bad[3] = float32(math.NaN())
	wantStatus(t, c.Add(bad), libquant.ErrNonFinite)

	dir := t.TempDir()
	noErr(t, c.Save(filepath.Join(dir, "layer.lqcalib")))
	back := ok(libquant.LoadCalibration(filepath.Join(dir, "layer.lqcalib")))(t)
	defer back.Close()
	if back.Tokens() != 300 || !reflect.DeepEqual(ok(back.Get(libquant.StatHessian))(t), ok(c.Get(libquant.StatHessian))(t)) {
		t.Fatal("load")
	}
	noErr(t, c.Merge(back))
	if c.Tokens() != 600 {
		t.Fatal(c.Tokens())
	}
	noErr(t, c.SetMaxSamples(10))
	if c.Samples() != 10 {
		t.Fatal(c.Samples())
	}
	noErr(t, os.WriteFile(filepath.Join(dir, "junk"), []byte("junk"), 0o644))
	_, err := libquant.LoadCalibration(filepath.Join(dir, "junk"))
	wantStatus(t, err, libquant.ErrFormat)
	_, err = libquant.LoadCalibration(filepath.Join(dir, "missing"))
	wantStatus(t, err, libquant.ErrIO)
}

func TestGPTQAndMethodError(t *testing.T) {
	x, w := layer()
	c := calibOf(t, x)
	src := tensor(t, w, 64, k)
	gptq := parse(t, "gptq:int4:g64")
	g := ok(libquant.Quantize(src, gptq, &libquant.QuantizeOptions{Calib: c}))(t)
	defer g.Close()
	r := ok(libquant.QuantizeF32(w, []int64{64, k}, "int4:g64"))(t)
	defer r.Close()
	if ok(libquant.OutputError(nil, src, g, x))(t) >= ok(libquant.OutputError(nil, src, r, x))(t) {
		t.Fatal("gptq did not beat rtn")
	}
	method, rtn, err := libquant.MethodError(nil, src, gptq, c)
	if err != nil || !(0 < method && method < rtn) {
		t.Fatal(method, rtn, err)
	}
	q, perm, err := libquant.GPTQQuantize(nil, src, parse(t, "gptq:int4:g64:act_order"), c)
	noErr(t, err)
	defer q.Close()
	sorted := append([]int32(nil), perm...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	for i, p := range sorted {
		if p != int32(i) {
			t.Fatal("perm is not a permutation")
		}
	}
	if perm[0] != 5 {
		t.Fatal(perm[:4])
	}
	permuted := make([]float32, len(x))
	for r := 0; r < 300; r++ {
		for j, p := range perm {
			permuted[r*k+j] = x[r*k+int(p)]
		}
	}
	if e := relErr(matmulRef(permuted, ok(q.Dequantize())(t)), matmulRef(x, w)); e > 0.1 {
		t.Fatal(e)
	}
}

func TestScalesAndInt8Products(t *testing.T) {
	x, w := layer()
	c := calibOf(t, x)
	src := tensor(t, w, 64, k)
	half := tensor(t, w[:32*k], 32, k)
	s := ok(libquant.AWQSearch(nil, parse(t, "awq:int4:g64"), c, []*libquant.Tensor{src, half}))(t)
	if len(s) != k || argmax(s) != 5 {
		t.Fatal(len(s), argmax(s))
	}
	sq := ok(libquant.SmoothQuantScales(parse(t, "smoothquant:int8:alpha=0.5"), c, []*libquant.Tensor{src}))(t)
	if argmax(sq) != 5 {
		t.Fatal(argmax(sq))
	}
	_, err := libquant.SmoothQuantScales(parse(t, "int8"), c, []*libquant.Tensor{src})
	wantStatus(t, err, libquant.ErrInvalid)

	ones := make([]float32, k)
	twos := make([]float32, k)
	for i := range ones {
		ones[i], twos[i] = 1, 2
	}
	norm := tensor(t, ones, k)
	next := tensor(t, w, 64, k)
	noErr(t, libquant.ScalesApply(twos, norm, nil, []*libquant.Tensor{next}))
	if n := ok(norm.Dequantize())(t); n[0] != 0.5 || ok(next.Dequantize())(t)[7] != 2*w[7] {
		t.Fatal("scales not applied")
	}

	q := ok(libquant.QuantizeF32(w, []int64{64, k}, "llm_int8:int8"))(t)
	defer q.Close()
	exact := matmulRef(x[:8*k], ok(q.Dequantize())(t))
	y := ok(libquant.MatmulW8A8(nil, x[:8*k], q))(t)
	if relErr(y, exact) > 0.05 {
		t.Fatal(relErr(y, exact))
	}
	y2, outliers, err := libquant.MatmulLLMInt8(nil, x[:8*k], q, 6)
	if err != nil || outliers < 1 || relErr(y2, exact) >= relErr(y, exact) {
		t.Fatal(outliers, err)
	}
}

func TestMatmul(t *testing.T) {
	_, w := layer()
	x := noise(20*k, 9) // no outlier: small products quantize x to 8 bits
	src := tensor(t, w, 64, k)
	// float order only: each output within gamma_256 = 1.5e-5 of sum |x w|, but the
	// errors of 1280 outputs are independent, so their norm is ~sqrt(256) u = 1e-6
	// of the outputs'; 1e-5 leaves 10x, and any real error is far larger
	if e := relErr(ok(libquant.Matmul(nil, x, src))(t), matmulRef(x, w)); e > 1e-5 {
		t.Fatal(e)
	}
	q := ok(libquant.QuantizeF32(w, []int64{64, k}, "q4_k"))(t)
	defer q.Close()
	deq := ok(q.Dequantize())(t)
	ctx := ok(libquant.NewContext())(t)
	defer ctx.Close()
	noErr(t, ctx.SetThreads(2))
	for _, rows := range []int{20, 3} {
		// 8-bit activations: each within half a step of 1/127 of its block's largest
		if e := relErr(ok(libquant.Matmul(ctx, x[:rows*k], q))(t), matmulRef(x[:rows*k], deq)); e > 0.02 {
			t.Fatal(rows, e)
		}
	}
	_, err := libquant.Matmul(nil, x[:100], q)
	wantStatus(t, err, libquant.ErrShape)
	y8 := ok(libquant.MatmulV2(nil, x, q, libquant.Act8Bit))(t)
	y32 := ok(libquant.MatmulV2(nil, x, q, libquant.ActF32))(t)
	// f32 activations: float order only, as in the first check
	if e := relErr(y32, matmulRef(x, deq)); e > 1e-5 || relErr(y8, y32) == 0 {
		t.Fatal(e)
	}
	if e := relErr(ok(libquant.MatmulV2(nil, x, q, libquant.ActAuto))(t), y8); e != 0 {
		t.Fatal(e)
	}

	scales := make([]float32, 64)
	codes := make([]int8, 64*k)
	deq8 := make([]float32, 64*k)
	for r := 0; r < 64; r++ {
		for j := 0; j < k; j++ {
			scales[r] = float32(math.Max(float64(scales[r]), math.Abs(float64(w[r*k+j]))/127))
		}
		for j := 0; j < k; j++ {
			codes[r*k+j] = int8(math.Round(float64(w[r*k+j] / scales[r])))
			deq8[r*k+j] = float32(codes[r*k+j]) * scales[r]
		}
	}
	y := ok(libquant.MatmulW8A8Raw(nil, x[:4*k], codes, scales))(t)
	if e := relErr(y, matmulRef(x[:4*k], deq8)); e > 0.05 {
		t.Fatal(e)
	}
	_, err = libquant.MatmulW8A8Raw(nil, x[:4*k], codes[:100], scales)
	wantStatus(t, err, libquant.ErrShape)
}

func TestImatrix(t *testing.T) {
	x, w := layer()
	c := calibOf(t, x)
	im := ok(libquant.NewImatrix())(t)
	defer im.Close()
	noErr(t, im.Add("blk.0.ffn_up.weight", c))
	noErr(t, im.Add("blk.0.attn_q.weight", c))
	if names := im.Names(); !reflect.DeepEqual(names, []string{"blk.0.attn_q.weight", "blk.0.ffn_up.weight"}) {
		t.Fatal(names)
	}
	if !reflect.DeepEqual(ok(im.Get("blk.0.attn_q.weight"))(t), ok(c.Get(libquant.StatMeanSq))(t)) {
		t.Fatal("imatrix differs from mean_sq")
	}
	_, err := im.Get("nope")
	wantStatus(t, err, libquant.ErrInvalid)
	dir := t.TempDir()
	for _, f := range []struct {
		format libquant.ImatrixFormat
		file   string
	}{{libquant.ImatrixDat, "im.dat"}, {libquant.ImatrixGGUF, "im.gguf"}} {
		noErr(t, im.Save(filepath.Join(dir, f.file), f.format, "wiki.train"))
		back := ok(libquant.LoadImatrix(filepath.Join(dir, f.file)))(t)
		// the file holds sums (mean * calls) read back as means: one rounding each way
		if !reflect.DeepEqual(back.Names(), im.Names()) ||
			relErr(ok(back.Get("blk.0.ffn_up.weight"))(t), ok(im.Get("blk.0.ffn_up.weight"))(t)) > 1e-6 {
			t.Fatal(f.file)
		}
		back.Close()
	}
	src := tensor(t, w, 64, k)
	q := ok(libquant.Quantize(src, parse(t, "q4_k"), &libquant.QuantizeOptions{Imatrix: ok(im.Get("blk.0.attn_q.weight"))(t)}))(t)
	q.Close()
}

func TestGGUF(t *testing.T) {
	w := noise(32*k, 3)
	dir := t.TempDir()
	g := ok(libquant.NewGGUF())(t)
	defer g.Close()
	noErr(t, g.Set("general.architecture", "llama"))
	noErr(t, g.Set("llama.block_count", uint32(2)))
	noErr(t, g.Set("x.f", float32(1.5)))
	noErr(t, g.Set("x.b", true))
	noErr(t, g.Set("big", -5))
	noErr(t, g.Set("tokenizer.ggml.tokens", []string{"<s>", "hé"}))
	noErr(t, g.Set("scores", []float32{0.5, -1}))
	noErr(t, g.Set("gone", int8(1)))
	noErr(t, g.Remove("gone"))
	wantStatus(t, g.Set("bad", struct{}{}), libquant.ErrInvalid)
	q := ok(libquant.QuantizeF32(w, []int64{32, k}, "q4_k"))(t)
	defer q.Close()
	noErr(t, q.SetName("blk.0.attn_q.weight"))
	noErr(t, g.AddTensor(q))
	wantStatus(t, g.AddTensor(q), libquant.ErrInvalid) // duplicate
	raw := make([]byte, 0, 32)
	for i := 0; i < 8; i++ {
		bits := math.Float32bits(float32(i))
		raw = append(raw, byte(bits), byte(bits>>8), byte(bits>>16), byte(bits>>24))
	}
	noErr(t, g.AddRaw("blk.0.raw", 0, []int64{2, 4}, raw))
	noErr(t, g.Save(nil, filepath.Join(dir, "m.gguf")))

	h := ok(libquant.OpenGGUF(filepath.Join(dir, "m.gguf")))(t)
	if keys := h.Keys(); !reflect.DeepEqual(keys, []string{"general.architecture", "llama.block_count", "x.f", "x.b", "big", "tokenizer.ggml.tokens", "scores"}) {
		t.Fatal(keys)
	}
	for key, want := range map[string]any{
		"general.architecture": "llama", "llama.block_count": uint32(2), "x.f": float32(1.5), "x.b": true,
		"big": int64(-5), "tokenizer.ggml.tokens": []string{"<s>", "hé"}, "scores": []float32{0.5, -1},
	} {
		if got := ok(h.Get(key))(t); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: %#v, want %#v", key, got, want)
		}
	}
	_, err := h.Get("missing")
	wantStatus(t, err, libquant.ErrInvalid)
	if !reflect.DeepEqual(h.TensorNames(), []string{"blk.0.attn_q.weight", "blk.0.raw"}) {
		t.Fatal(h.TensorNames())
	}
	info := ok(h.TensorInfo("blk.0.attn_q.weight"))(t)
	if info.GGMLType != 12 || !reflect.DeepEqual(info.Shape, []int64{32, k}) || info.NBytes != uint64(q.NBytes()) {
		t.Fatal(info)
	}
	tq := ok(h.Tensor("blk.0.attn_q.weight"))(t)
	if !bytes.Equal(tq.Raw(), q.Raw()) || !bytes.Equal(ok(h.Raw("blk.0.attn_q.weight"))(t), q.Raw()) {
		t.Fatal("raw bytes differ")
	}
	wantStatus(t, libquant.ScalesApply(make([]float32, k), nil, nil, []*libquant.Tensor{tq}), libquant.ErrInvalid)
	wantStatus(t, h.Close(), libquant.ErrState) // tq still borrows the mapping
	tq.Close()
	tr := ok(h.Tensor("blk.0.raw"))(t)
	if got := ok(tr.Dequantize())(t); !reflect.DeepEqual(got, []float32{0, 1, 2, 3, 4, 5, 6, 7}) {
		t.Fatal(got)
	}
	tr.Close()
	noErr(t, h.Close())
	noErr(t, h.Close())

	noErr(t, os.WriteFile(filepath.Join(dir, "bad.gguf"), []byte("GGUF\x02\x00\x00\x00junkjunkjunkjunkjunkjunk"), 0o644))
	_, err = libquant.OpenGGUF(filepath.Join(dir, "bad.gguf"))
	wantStatus(t, err, libquant.ErrFormat)
	_, err = libquant.OpenGGUF(filepath.Join(dir, "missing.gguf"))
	wantStatus(t, err, libquant.ErrIO)
	wantStatus(t, g.Save(nil, filepath.Join(dir, "no", "such", "dir.gguf")), libquant.ErrIO)
}

func TestSafetensors(t *testing.T) {
	w := noise(32*k, 4)
	dir := t.TempDir()
	st := ok(libquant.NewSafetensors())(t)
	defer st.Close()
	a := tensor(t, w, 32, k)
	noErr(t, a.SetName("model.layers.0.w"))
	noErr(t, st.AddTensor(a))
	noErr(t, st.AddRaw("scale", "F8_E4M3", []int64{4}, []byte{0x38, 0x40, 0x48, 0x50}))
	noErr(t, st.SetMetadata("format", "pt"))
	noErr(t, st.SetMetadata("gone", "x"))
	noErr(t, st.DeleteMetadata("gone"))
	noErr(t, st.Save(nil, filepath.Join(dir, "one.safetensors"), 0))
	noErr(t, st.Save(nil, filepath.Join(dir, "model.safetensors"), 20000))
	q := ok(libquant.QuantizeF32(w, []int64{32, k}, "q4_k"))(t)
	defer q.Close()
	noErr(t, q.SetName("q"))
	wantStatus(t, st.AddTensor(q), libquant.ErrUnsupported)

	for _, file := range []string{"one.safetensors", "model.safetensors.index.json"} {
		s := ok(libquant.OpenSafetensors(filepath.Join(dir, file)))(t)
		names := s.Names()
		sort.Strings(names)
		if !reflect.DeepEqual(names, []string{"model.layers.0.w", "scale"}) {
			t.Fatal(names)
		}
		info := ok(s.Info("scale"))(t)
		if info.DType != "F8_E4M3" || !reflect.DeepEqual(info.Shape, []int64{4}) || info.NBytes != 4 {
			t.Fatal(info)
		}
		if !bytes.Equal(ok(s.Raw("scale"))(t), []byte{0x38, 0x40, 0x48, 0x50}) {
			t.Fatal("raw")
		}
		tw := ok(s.Tensor("model.layers.0.w"))(t)
		if !reflect.DeepEqual(ok(tw.Dequantize())(t), w) {
			t.Fatal("tensor values")
		}
		tw.Close()
		if file == "one.safetensors" && !reflect.DeepEqual(s.Metadata(), map[string]string{"format": "pt"}) {
			t.Fatal(s.Metadata())
		}
		noErr(t, s.Close())
	}
	if _, err := os.Stat(filepath.Join(dir, "model-00001-of-00002.safetensors")); err != nil {
		t.Fatal(err)
	}
	noErr(t, os.WriteFile(filepath.Join(dir, "junk.safetensors"), bytes.Repeat([]byte{0xff}, 16), 0o644))
	_, err := libquant.OpenSafetensors(filepath.Join(dir, "junk.safetensors"))
	if !errors.Is(err, libquant.ErrFormat) {
		t.Fatal(err)
	}
}
