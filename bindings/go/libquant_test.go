package libquant_test

import (
	"bytes"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"

	"libquant.dev/go/libquant"
)

// crossInput is the deterministic input every binding uses (crosscheck/README.md).
func crossInput(rows, cols int64) []float32 {
	w := make([]float32, rows*cols)
	for i := range w {
		w[i] = float32((int64(i)*7919)%1021-510) / 256
	}
	return w
}

func crossImatrix(cols int) []float32 {
	m := make([]float32, cols)
	for c := range m {
		m[c] = 1 + float32(c%7)/8
	}
	return m
}

// ok(f())(t) is f's value, failing the test if f returned an error.
func ok[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func parse(t *testing.T, text string) *libquant.Scheme {
	t.Helper()
	s := ok(libquant.ParseScheme(text))(t)
	t.Cleanup(func() { s.Close() })
	return s
}

func wantStatus(t *testing.T, err error, want libquant.Status) *libquant.Error {
	t.Helper()
	var e *libquant.Error
	if !errors.Is(err, want) || !errors.As(err, &e) {
		t.Fatalf("got %v, want an *Error with %v", err, want)
	}
	return e
}

func TestErrorsCarryStatusAndMessage(t *testing.T) {
	_, err := libquant.ParseScheme("int4:g100x")
	e := wantStatus(t, err, libquant.ErrInvalid)
	if !strings.Contains(e.Message, "lq_scheme_parse") || !strings.Contains(e.Message, "g100x") {
		t.Fatalf("message %q", e.Message)
	}
	if err.Error() != e.Message+" (invalid argument)" {
		t.Fatalf("Error() = %q", err.Error())
	}
	if errors.Is(err, libquant.ErrShape) {
		t.Fatal("matched the wrong status")
	}
	if libquant.ErrShape.Error() != "shape mismatch" || libquant.Status(-999).Error() != "unknown status" {
		t.Fatal("status texts")
	}
}

func TestMessagesStayOnTheirGoroutine(t *testing.T) {
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			name := "bogus" + strings.Repeat("x", i)
			for j := 0; j < 50; j++ {
				_, err := libquant.ParseScheme(name)
				var e *libquant.Error
				if !errors.As(err, &e) || !strings.Contains(e.Message, "'"+name+"'") {
					t.Errorf("goroutine %d got %v", i, err)
					return
				}
			}
		}(i)
	}
	wg.Wait()
}

func TestVersions(t *testing.T) {
	n := libquant.VersionNumber()
	if !libquant.Compatible(n/10000, n/100%100, libquant.ExpectedMajor, libquant.ExpectedMinor) {
		t.Fatalf("loaded %s", libquant.Version())
	}
	if libquant.Compatible(0, 2, 0, 1) || !libquant.Compatible(1, 3, 1, 2) || libquant.Compatible(2, 0, 1, 0) {
		t.Fatal("version rule")
	}
	if !strings.Contains(libquant.BuildInfo(), "version="+libquant.Version()) {
		t.Fatal(libquant.BuildInfo())
	}
	if err := libquant.CheckVersion(); err != nil {
		t.Fatal(err)
	}
}

// TestVersionChild does the work of TestWrongVersion in a child process
// (the check runs once per process); without the fake it only checks success.
func TestVersionChild(t *testing.T) {
	_, err := libquant.ParseScheme("q4_k")
	if os.Getenv("LIBQUANT_EXPECT_VERSION") == "" {
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	_, err2 := libquant.NewContext()
	_, err3 := libquant.ErrorMetrics([]float32{1}, []float32{1})
	for _, e := range []error{err, err2, err3} {
		var le *libquant.Error
		if errors.As(e, &le) {
			os.Stdout.WriteString("child: " + le.Status.Error() + ": " + le.Message + "\n")
		} else {
			os.Stdout.WriteString("child: ok\n")
		}
	}
}

func runVersionChild(t *testing.T, fake string) string {
	cmd := exec.Command(os.Args[0], "-test.run=^TestVersionChild$", "-test.v")
	cmd.Env = append(os.Environ(), "LIBQUANT_EXPECT_VERSION="+fake)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "child: ") {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

func TestWrongVersionIsRefused(t *testing.T) {
	want := "child: unsupported: libquant: version mismatch: the loaded library is " + libquant.Version() +
		", but this package needs 9.4.x"
	if got := runVersionChild(t, "9.4"); got != strings.Repeat(want+"\n", 2)+want {
		t.Fatalf("got\n%s", got)
	}
	want = `child: invalid argument: libquant: LIBQUANT_EXPECT_VERSION="nine" is not MAJOR.MINOR`
	if got := runVersionChild(t, "nine"); got != strings.Repeat(want+"\n", 2)+want {
		t.Fatalf("got\n%s", got)
	}
}

func TestSchemes(t *testing.T) {
	s := parse(t, "GPTQ:int4:g64:asym:act_order")
	if s.String() != "gptq:int4:g64:asym:act_order" {
		t.Fatal(s.String())
	}
	if ty := ok(s.Type())(t); ty != libquant.TypeInt4 || ty.String() != "int4" || !ty.IsQuantized() {
		t.Fatal(ty)
	}
	if m := ok(s.Method())(t); m != libquant.MethodGPTQ || m.String() != "gptq" {
		t.Fatal(m)
	}
	if g := ok(s.Int(libquant.ParamGroupSize))(t); g != 64 {
		t.Fatal(g)
	}
	if d := ok(s.Float(libquant.ParamDamp))(t); d != 0.01 {
		t.Fatal(d)
	}
	_, err := s.Float(libquant.ParamGroupSize)
	wantStatus(t, err, libquant.ErrInvalid)
	wantStatus(t, s.SetInt(libquant.ParamBits, 3), libquant.ErrInvalid)
	if s.String() != "gptq:int4:g64:asym:act_order" {
		t.Fatal("a failed set changed the scheme")
	}
	c := ok(s.Clone())(t)
	defer c.Close()
	if err := c.SetInt(libquant.ParamGroupSize, libquant.GroupChannel); err != nil {
		t.Fatal(err)
	}
	if c.String() == s.String() || !strings.Contains(c.String(), "channel") {
		t.Fatal(c.String())
	}
	if n := ok(parse(t, "f16").TensorBytes(256, 512))(t); n != 256*512*2 {
		t.Fatal(n)
	}
	if ty := ok(libquant.TypeFromName("Q4_K"))(t); ty != libquant.TypeQ4_K || ty.GGMLID() != 12 {
		t.Fatal(ty)
	}
	if libquant.Type(99).String() != "type-99" || libquant.Method(9).String() != "method-9" {
		t.Fatal("unknown names")
	}
	s.Close()
	s.Close()
	_, err = s.Int(libquant.ParamType)
	wantStatus(t, err, libquant.ErrInvalid)
	if s.String() != "" {
		t.Fatal("closed scheme string")
	}
}

func TestF16AndBF16RoundTrips(t *testing.T) {
	w := crossInput(256, 512)
	q := ok(libquant.QuantizeF32(w, []int64{256, 512}, "f16"))(t)
	defer q.Close()
	if q.Type() != libquant.TypeF16 || q.Scheme() != "f16" || q.NBytes() != 256*512*2 || q.BitsPerWeight() != 16 {
		t.Fatal(q.Type(), q.Scheme(), q.NBytes())
	}
	if sh := q.Shape(); len(sh) != 2 || sh[0] != 256 || sh[1] != 512 {
		t.Fatal(sh)
	}
	back := ok(q.Dequantize())(t)
	for i := range w {
		if back[i] != w[i] { // every value is a multiple of 1/256
			t.Fatalf("element %d: %v != %v", i, back[i], w[i])
		}
	}
	b := ok(libquant.QuantizeF32(w, []int64{256, 512}, "bf16"))(t)
	defer b.Close()
	again := ok(libquant.WrapQuantized(parse(t, "bf16"), []int64{256, 512}, b.Raw()))(t)
	defer again.Close()
	if !bytes.Equal(again.Raw(), b.Raw()) {
		t.Fatal("WrapQuantized changed the bytes")
	}
	_, err := libquant.WrapQuantized(parse(t, "bf16"), []int64{256, 512}, b.Raw()[:100])
	wantStatus(t, err, libquant.ErrShape)
	wantStatus(t, b.DequantizeInto(make([]float32, 10), nil), libquant.ErrShape)
}

func TestConvert(t *testing.T) {
	q := ok(libquant.QuantizeF32(crossInput(256, 512), []int64{256, 512}, "q4_k"))(t)
	defer q.Close()
	b := ok(q.Convert(libquant.TypeBF16))(t)
	defer b.Close()
	f := ok(q.Convert(libquant.TypeF32))(t)
	defer f.Close()
	if b.Type() != libquant.TypeBF16 || b.Scheme() != "" || f.Type() != libquant.TypeF32 {
		t.Fatal(b.Type(), b.Scheme(), f.Type())
	}
	if !reflect.DeepEqual(ok(f.Dequantize())(t), ok(q.Dequantize())(t)) {
		t.Fatal("f32 conversion differs from Dequantize")
	}
	_, err := q.Convert(libquant.TypeInt8)
	wantStatus(t, err, libquant.ErrInvalid)
}

func TestInt4AndQ4K(t *testing.T) {
	w := crossInput(256, 512)
	var rms float64
	for _, x := range w {
		rms += float64(x) * float64(x)
	}
	rms = math.Sqrt(rms / float64(len(w)))
	for _, c := range []struct {
		scheme string
		maxBPW float64
	}{{"int4:g128", 4.3}, {"q4_k", 4.6}} {
		q, err := libquant.QuantizeF32(w, []int64{256, 512}, c.scheme)
		if errors.Is(err, libquant.ErrUnsupported) {
			t.Logf("SKIP %s: not in this build (%v)", c.scheme, err)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if q.BitsPerWeight() > c.maxBPW || uint64(q.NBytes()) != ok(parse(t, c.scheme).TensorBytes(256, 512))(t) {
			t.Fatalf("%s: %v bits/weight, %d bytes", c.scheme, q.BitsPerWeight(), q.NBytes())
		}
		m := ok(libquant.ErrorMetrics(w, ok(q.Dequantize())(t)))(t)
		if !(m.RMSE > 0 && m.RMSE < 0.1*rms) {
			t.Fatalf("%s: RMSE %v", c.scheme, m.RMSE)
		}
		src := ok(libquant.NewTensorF32(w, []int64{256, 512}))(t)
		if m2 := ok(src.ErrorMetrics(q))(t); m2 != m {
			t.Fatalf("%s: %+v != %+v", c.scheme, m2, m)
		}
		src.Close()
		q.Close()
	}
}

func TestQuantizeChecksItsInputs(t *testing.T) {
	w := crossInput(2, 256)
	src := ok(libquant.NewTensorF32(w, []int64{2, 256}))(t)
	defer src.Close()
	_, err := libquant.Quantize(src, parse(t, "q4_k"), &libquant.QuantizeOptions{Imatrix: []float32{1, 2, 3}})
	if e := wantStatus(t, err, libquant.ErrShape); !strings.Contains(e.Message, "imatrix") {
		t.Fatal(e)
	}
	neg := make([]float32, 256)
	for i := range neg {
		neg[i] = -1
	}
	_, err = libquant.Quantize(src, parse(t, "f16"), &libquant.QuantizeOptions{Imatrix: neg})
	wantStatus(t, err, libquant.ErrInvalid)
	q, err := libquant.Quantize(src, parse(t, "q4_k"), &libquant.QuantizeOptions{Imatrix: crossImatrix(256)})
	if err == nil {
		q.Close()
	} else {
		wantStatus(t, err, libquant.ErrUnsupported)
	}
	w[256+7] = float32(math.NaN())
	_, err = libquant.QuantizeF32(w, []int64{2, 256}, "f16")
	if e := wantStatus(t, err, libquant.ErrNonFinite); !strings.Contains(e.Message, "row 1, column 7") {
		t.Fatal(e)
	}
	_, err = libquant.NewTensorF32(w, []int64{2, 255})
	wantStatus(t, err, libquant.ErrShape)
	_, err = libquant.NewTensorF32(w, nil)
	wantStatus(t, err, libquant.ErrInvalid)
	_, err = libquant.NewTensorF32(w, []int64{1, 1, 1, 1, 512})
	wantStatus(t, err, libquant.ErrInvalid)
	_, err = libquant.QuantizeF32(crossInput(2, 256), []int64{2, 256}, "gptq:int4")
	if e := wantStatus(t, err, libquant.ErrInvalid); !strings.Contains(e.Message, "calibration") {
		t.Fatal(e)
	}
}

func TestTensorsAndClose(t *testing.T) {
	z := ok(libquant.NewTensor(libquant.TypeF16, []int64{2, 3}))(t)
	if z.NBytes() != 12 || z.Scheme() != "" || !bytes.Equal(z.Raw(), make([]byte, 12)) {
		t.Fatal(z.NBytes(), z.Scheme())
	}
	if err := z.SetName("blk.0.ffn_up.weight"); err != nil || z.Name() != "blk.0.ffn_up.weight" {
		t.Fatal(err, z.Name())
	}
	wantStatus(t, z.SetName(strings.Repeat("x", 300)), libquant.ErrInvalid)
	z.Close()
	z.Close()
	_, err := z.Dequantize()
	wantStatus(t, err, libquant.ErrInvalid)
	if z.NBytes() != 0 || z.Shape() == nil || len(z.Shape()) != 0 {
		t.Fatal("closed accessors")
	}
}

func TestProgressReportsCancelsAndRepanics(t *testing.T) {
	w := crossInput(256, 512)
	src := ok(libquant.NewTensorF32(w, []int64{256, 512}))(t)
	defer src.Close()
	bf16 := parse(t, "bf16")
	ctx := ok(libquant.NewContext())(t)
	defer ctx.Close()
	if err := ctx.SetThreads(2); err != nil || ctx.Threads() != 2 {
		t.Fatal(err, ctx.Threads())
	}
	wantStatus(t, ctx.SetThreads(-1), libquant.ErrInvalid)
	var seen []float64
	noErr(t, ctx.SetProgress(func(stage string, f float64) bool {
		if stage == "" {
			t.Error("empty stage")
		}
		seen = append(seen, f)
		return false
	}))
	q := ok(libquant.Quantize(src, bf16, &libquant.QuantizeOptions{Context: ctx}))(t)
	q.Close()
	if len(seen) == 0 || seen[len(seen)-1] != 1 {
		t.Fatal(seen)
	}
	noErr(t, ctx.SetProgress(func(string, float64) bool { return true }))
	_, err := libquant.Quantize(src, bf16, &libquant.QuantizeOptions{Context: ctx})
	wantStatus(t, err, libquant.ErrCancelled)

	noErr(t, ctx.SetProgress(func(string, float64) bool { panic("boom from progress") }))
	func() {
		defer func() {
			if r := recover(); r != "boom from progress" {
				t.Fatalf("recovered %v", r)
			}
		}()
		libquant.Quantize(src, bf16, &libquant.QuantizeOptions{Context: ctx})
		t.Fatal("no panic")
	}()
	noErr(t, ctx.SetProgress(nil))
	q = ok(libquant.Quantize(src, bf16, &libquant.QuantizeOptions{Context: ctx}))(t)
	q.Close()
}

func TestResultsDoNotDependOnThreads(t *testing.T) {
	w := crossInput(256, 512)
	src := ok(libquant.NewTensorF32(w, []int64{256, 512}))(t)
	defer src.Close()
	one := ok(libquant.NewContext())(t)
	defer one.Close()
	noErr(t, one.SetThreads(1))
	a := ok(libquant.Quantize(src, parse(t, "bf16"), &libquant.QuantizeOptions{Context: one}))(t)
	b := ok(libquant.Quantize(src, parse(t, "bf16"), nil))(t)
	if !bytes.Equal(a.Raw(), b.Raw()) {
		t.Fatal("thread count changed the bytes")
	}
	a.Close()
	b.Close()
}

func TestSharedTensorAcrossGoroutines(t *testing.T) {
	q := ok(libquant.QuantizeF32(crossInput(256, 512), []int64{256, 512}, "bf16"))(t)
	defer q.Close()
	sums := make([]float64, 4)
	var wg sync.WaitGroup
	for i := range sums {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			back, err := q.Dequantize()
			if err != nil {
				t.Error(err)
				return
			}
			for _, x := range back {
				sums[i] += float64(x)
			}
		}(i)
	}
	wg.Wait()
	for _, s := range sums[1:] {
		if s != sums[0] {
			t.Fatal(sums)
		}
	}
}

func TestFinalizerIsASafetyNet(t *testing.T) {
	var mu sync.Mutex
	kinds := map[string]int{}
	libquant.LeakHook = func(kind string) {
		mu.Lock()
		kinds[kind]++
		mu.Unlock()
	}
	defer func() { libquant.LeakHook = nil }()
	func() {
		ok(libquant.NewTensor(libquant.TypeF32, []int64{4}))(t)
		ok(libquant.ParseScheme("q4_k"))(t)
		ok(libquant.NewContext())(t)
	}()
	for i := 0; i < 20; i++ {
		runtime.GC()
		mu.Lock()
		done := kinds["tensor"] > 0 && kinds["scheme"] > 0 && kinds["context"] > 0
		mu.Unlock()
		if done {
			return
		}
	}
	t.Fatalf("finalizers ran for %v", kinds)
}

func TestMetricsOutputErrorAndEstimates(t *testing.T) {
	w := crossInput(256, 512)
	shifted := make([]float32, len(w))
	for i, x := range w {
		shifted[i] = x + 1.0/64
	}
	m := ok(libquant.ErrorMetrics(w, shifted))(t)
	// the cross inputs are multiples of 1/256 below 2: x + 1/64 is exact in float,
	// and the metrics are exact but for double rounding (1e-16)
	if math.Abs(m.RMSE-1.0/64) > 1e-9 || math.Abs(m.MaxAbs-1.0/64) > 1e-9 {
		t.Fatal(m)
	}
	if m := ok(libquant.ErrorMetrics(w, w))(t); !math.IsInf(m.SQNRdB, 1) {
		t.Fatal(m)
	}
	_, err := libquant.ErrorMetrics(w, w[1:])
	wantStatus(t, err, libquant.ErrShape)

	src := ok(libquant.NewTensorF32(w, []int64{256, 512}))(t)
	defer src.Close()
	x := crossInput(8, 512)
	f16 := ok(libquant.QuantizeF32(w, []int64{256, 512}, "f16"))(t)
	defer f16.Close()
	if e := ok(libquant.OutputError(nil, src, f16, x))(t); e != 0 {
		t.Fatal(e)
	}
	bf16 := ok(libquant.QuantizeF32(w, []int64{256, 512}, "bf16"))(t)
	defer bf16.Close()
	ctx := ok(libquant.NewContext())(t)
	defer ctx.Close()
	// bf16 keeps 8 significant bits: relative error up to 2^-9 = 2e-3 per weight
	if e := ok(libquant.OutputError(ctx, src, bf16, x))(t); !(e > 0 && e < 1e-2) {
		t.Fatal(e)
	}
	_, err = libquant.OutputError(nil, src, bf16, x[:100])
	wantStatus(t, err, libquant.ErrShape)

	if b := ok(libquant.EstimateWeights(parse(t, "f16"), libquant.GiB))(t); b/libquant.GiB != 2 {
		t.Fatal(b)
	}
	kvt := ok(libquant.KVTypeFromName("int8"))(t)
	if kvt != libquant.KVInt8 || kvt.String() != "int8" {
		t.Fatal(kvt)
	}
	kv := libquant.KVCache{Layers: 32, KVHeads: 8, HeadDim: 128, Ctx: 4096, Batch: 1, Type: kvt}
	if b := ok(libquant.EstimateKV(kv))(t); b != 2*32*8*4096*(128+4) {
		t.Fatal(b)
	}
	kv.Layers = 0
	_, err = libquant.EstimateKV(kv)
	wantStatus(t, err, libquant.ErrInvalid)
}

// TestCrosscheck writes the cross-language outputs (crosscheck/README.md)
// to $LQ_CROSS_DIR, or a temporary folder.
func TestCrosscheck(t *testing.T) {
	dir := os.Getenv("LQ_CROSS_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cases := ok(os.ReadFile(filepath.Join("..", "crosscheck", "cases.txt")))(t)
	w := crossInput(256, 512)
	src := ok(libquant.NewTensorF32(w, []int64{256, 512}))(t)
	defer src.Close()
	written := 0
	for _, line := range strings.Split(string(cases), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		opts := &libquant.QuantizeOptions{}
		base := strings.ReplaceAll(fields[0], ":", "_")
		if len(fields) > 1 {
			if fields[1] != "imatrix" || len(fields) > 2 {
				t.Fatalf("cases.txt: bad line %q", line)
			}
			opts.Imatrix = crossImatrix(512)
			base += "+imatrix"
		}
		s := parse(t, fields[0])
		q, err := libquant.Quantize(src, s, opts)
		if errors.Is(err, libquant.ErrUnsupported) {
			noErr(t, os.WriteFile(filepath.Join(dir, base+".unsupported"), nil, 0o644))
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if uint64(q.NBytes()) != ok(s.TensorBytes(256, 512))(t) {
			t.Fatalf("%s: %d bytes", line, q.NBytes())
		}
		noErr(t, os.WriteFile(filepath.Join(dir, base+".bin"), q.Raw(), 0o644))
		q.Close()
		written++
	}
	if written < 2 {
		t.Fatal("f16 and bf16 at least")
	}
}

// TestReadmeExample runs the README's program as written, as its own module
// that uses this package through a replace directive (offline).
func TestReadmeExample(t *testing.T) {
	readme := string(ok(os.ReadFile("README.md"))(t))
	block := regexp.MustCompile("(?s)```go\n(.*?)```").FindStringSubmatch(readme)
	if block == nil {
		t.Fatal("README.md has no go example")
	}
	here := ok(os.Getwd())(t)
	dir := t.TempDir()
	gomod := "module readme\n\ngo 1.19\n\nrequire libquant.dev/go/libquant v0.0.0\n\n" +
		"replace libquant.dev/go/libquant => " + here + "\n"
	noErr(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644))
	noErr(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(block[1]), 0o644))
	cmd := exec.Command("go", "run", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off")
	out, err := cmd.CombinedOutput()
	if err != nil && strings.Contains(string(out), "(unsupported)") {
		t.Skipf("the example's codecs are not in this build: %s", out)
	}
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want := regexp.MustCompile(`^int4:g128:sym: 4\.\d{3} bits/weight, RMSE 0\.\d{6}\nq4_k: 4\.\d{3} bits/weight, RMSE 0\.\d{6}\n$`)
	if !want.Match(out) {
		t.Fatalf("output:\n%s", out)
	}
}
