package libquant_test

import (
	"errors"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"libquant.dev/go/libquant"
)

const hfPrefix = "model.layers.0.mlp.up_proj"

func TestHFRoundTripsThroughAFile(t *testing.T) {
	w := crossInput(256, 512)
	for _, c := range []struct {
		scheme string
		format libquant.HFFormat
	}{{"int4:g128", libquant.HFGPTQv2}, {"int4:g128", libquant.HFAWQ}, {"nf4", libquant.HFBnB4}} {
		q := ok(libquant.QuantizeF32(w, []int64{256, 512}, c.scheme))(t)
		st := ok(libquant.NewSafetensors())(t)
		noErr(t, libquant.HFExport(q, nil, nil, c.format, hfPrefix, st))
		path := filepath.Join(t.TempDir(), "layer.safetensors")
		noErr(t, st.Save(nil, path, 0))
		st.Close()
		back := ok(libquant.OpenSafetensors(path))(t)
		got, perm, err := libquant.HFImport(back, c.format, hfPrefix)
		noErr(t, err)
		// Conversions are exact: the same codes, scales and zero points.
		if got.Scheme() != q.Scheme() || !reflect.DeepEqual(got.Raw(), q.Raw()) {
			t.Fatalf("%s: imported %s differs from %s", c.scheme, got.Scheme(), q.Scheme())
		}
		if (perm != nil) != (c.format == libquant.HFGPTQv2) {
			t.Fatalf("%v: perm %v", c.format, perm)
		}
		for j, p := range perm {
			if int(p) != j {
				t.Fatalf("perm[%d] = %d", j, p)
			}
		}
		want := ok(q.Dequantize())(t)
		if c.format == libquant.HFBnB4 { // bitsandbytes rounds to the quant state's bfloat16
			for i, v := range want {
				b := math.Float32bits(v)
				want[i] = math.Float32frombits((b + 0x7fff + (b>>16)&1) &^ 0xffff)
			}
		}
		if !reflect.DeepEqual(ok(libquant.HFDequantize(back, c.format, hfPrefix, len(w)))(t), want) {
			t.Fatalf("%v: decoded values differ", c.format)
		}
		got.Close()
		back.Close()
		q.Close()
	}
}

func TestHFConfigAndErrors(t *testing.T) {
	s := ok(libquant.ParseScheme("int4:g128"))(t)
	defer s.Close()
	if cfg := ok(libquant.HFConfig(libquant.HFGPTQ, s))(t); !strings.Contains(cfg, `"quant_method"`) {
		t.Fatalf("config %s", cfg)
	}
	q := ok(libquant.QuantizeF32(crossInput(64, 256), []int64{64, 256}, "int8:channel:sym"))(t)
	defer q.Close()
	st := ok(libquant.NewSafetensors())(t)
	defer st.Close()
	if err := libquant.HFExport(q, nil, nil, libquant.HFAWQ, hfPrefix, st); !errors.Is(err, libquant.ErrInvalid) {
		t.Fatalf("awq of int8: %v", err)
	}
	if err := libquant.HFExport(q, []int32{0, 1}, nil, libquant.HFGPTQ, hfPrefix, st); !errors.Is(err, libquant.ErrShape) {
		t.Fatalf("short perm: %v", err)
	}
	if _, _, err := libquant.HFImport(st, libquant.HFGPTQ, "missing"); !errors.Is(err, libquant.ErrFormat) {
		t.Fatalf("missing layer: %v", err)
	}
}
