package libquant_test

import (
	"errors"
	"path/filepath"
	"reflect"
	"sync"
	"testing"

	"libquant.dev/go/libquant"
)

// Eight goroutines multiply one tensor borrowed from a GGUF file at once
// (f32 and 8-bit activations, 1 and 40 rows): every result is bit-identical
// to the call made alone.
func TestGoroutinesShareATensor(t *testing.T) {
	h, w := gguf(t, 96)
	defer h.Close()
	defer w.Close()
	x := noise(40*k, 5)
	type product struct {
		m   int
		act libquant.Activations
	}
	calls := []product{{1, libquant.ActF32}, {1, libquant.Act8Bit}, {40, libquant.ActF32}, {40, libquant.Act8Bit}}
	want := make([][]float32, len(calls))
	for i, c := range calls {
		want[i] = ok(libquant.MatmulV2(nil, x[:c.m*k], w, c.act))(t)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8*3*len(calls))
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for j := 0; j < 3*len(calls); j++ {
				c := (g + j) % len(calls)
				y, err := libquant.MatmulV2(nil, x[:calls[c].m*k], w, calls[c].act)
				if err == nil && !reflect.DeepEqual(y, want[c]) {
					err = errors.New("a product differs from the single-threaded one")
				}
				if err != nil {
					errs <- err
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// Closing a file's tensor while another goroutine multiplies with it waits
// for the product; later products fail cleanly, and then the file closes.
// 20 rounds, closing at different moments.
func TestCloseWhileAnotherGoroutineMultiplies(t *testing.T) {
	x := noise(32*k, 6)
	for round := 0; round < 20; round++ {
		h, w := gguf(t, 512)
		want := ok(libquant.Matmul(nil, x, w))(t)
		started := make(chan struct{})
		var bad []string
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				if i == 1 {
					close(started)
				}
				y, err := libquant.Matmul(nil, x, w)
				if err != nil {
					if !errors.Is(err, libquant.ErrInvalid) {
						bad = append(bad, err.Error())
					}
					if i == 0 {
						close(started)
					}
					return
				}
				if !reflect.DeepEqual(y, want) {
					bad = append(bad, "a product differs")
				}
			}
		}()
		<-started
		noErr(t, w.Close())
		noErr(t, h.Close()) // no tensor borrows the file any more
		wg.Wait()
		if len(bad) > 0 {
			t.Fatalf("round %d: %v", round, bad)
		}
	}
}

// gguf writes a q4_0 weight [n, k] to a GGUF file and opens it: the file
// and the tensor borrowed from it.
func gguf(t *testing.T, n int64) (*libquant.GGUF, *libquant.Tensor) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "m.gguf")
	g := ok(libquant.NewGGUF())(t)
	defer g.Close()
	q := ok(libquant.QuantizeF32(noise(int(n)*k, 4), []int64{n, k}, "q4_0"))(t)
	defer q.Close()
	noErr(t, q.SetName("w"))
	noErr(t, g.AddTensor(q))
	noErr(t, g.Save(nil, path))
	h := ok(libquant.OpenGGUF(path))(t)
	return h, ok(h.Tensor("w"))(t)
}
