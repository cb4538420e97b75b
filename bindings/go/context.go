package libquant

// #include <lq/lq.h>
// #include <stdint.h>
// lq_status lq_go_set_progress(lq_ctx *ctx, uintptr_t handle); /* progress.c */
import "C"

import (
	"runtime"
	"runtime/cgo"
)

// ProgressFunc is called on the calling thread with a stage name
// ("quantize", ...) and the fraction done in [0, 1]; returning true cancels
// the call, which then fails with ErrCancelled.
type ProgressFunc func(stage string, fraction float64) (cancel bool)

// progressState is what the C callback reaches through its cgo.Handle.
type progressState struct {
	fn       ProgressFunc
	panicked bool
	panicVal any
}

// Context sets the thread count and progress callback for long calls (an
// lq_ctx). A Context serves one call at a time: do not share it between
// goroutines without a lock. Release it with Close.
type Context struct {
	ptr      *C.lq_ctx
	progress *progressState
	handle   cgo.Handle
}

// NewContext makes a context using all online CPUs, with no progress callback.
func NewContext() (*Context, error) {
	if err := CheckVersion(); err != nil {
		return nil, err
	}
	c := &Context{}
	if err := call(func() C.lq_status { return C.lq_ctx_create(&c.ptr) }); err != nil {
		return nil, err
	}
	runtime.SetFinalizer(c, func(c *Context) {
		if c.ptr != nil {
			leaked("context")
			c.Close()
		}
	})
	return c, nil
}

func (c *Context) live() error {
	if c == nil || c.ptr == nil {
		return errorf(ErrInvalid, "the context is closed")
	}
	return nil
}

// SetThreads sets the threads calls use: 0 = all online CPUs, else 1..1024.
func (c *Context) SetThreads(n int) error {
	if err := c.live(); err != nil {
		return err
	}
	if n != int(C.int(n)) {
		return errorf(ErrInvalid, "%d threads is out of range", n)
	}
	defer runtime.KeepAlive(c)
	return call(func() C.lq_status { return C.lq_ctx_set_threads(c.ptr, C.int(n)) })
}

// Threads is the thread count calls will actually use (0 resolved).
func (c *Context) Threads() int {
	defer runtime.KeepAlive(c)
	return int(C.lq_ctx_threads(c.ptr))
}

// SetProgress installs fn as the progress callback, or removes it when fn
// is nil. A panic inside fn cancels the C call and is re-raised once the
// call has returned.
func (c *Context) SetProgress(fn ProgressFunc) error {
	if err := c.live(); err != nil {
		return err
	}
	defer runtime.KeepAlive(c)
	var state *progressState
	var h cgo.Handle
	if fn != nil {
		state = &progressState{fn: fn}
		h = cgo.NewHandle(state)
	}
	if err := call(func() C.lq_status { return C.lq_go_set_progress(c.ptr, C.uintptr_t(h)) }); err != nil {
		if h != 0 {
			h.Delete()
		}
		return err
	}
	c.dropHandle()
	c.progress, c.handle = state, h
	return nil
}

func (c *Context) dropHandle() {
	if c.handle != 0 {
		c.handle.Delete()
		c.handle = 0
	}
}

// Close frees the context. Closing twice is harmless.
func (c *Context) Close() error {
	if c == nil || c.ptr == nil {
		return nil
	}
	C.lq_ctx_free(c.ptr)
	c.ptr = nil
	c.dropHandle()
	c.progress = nil
	return nil
}

//export goLqProgress
func goLqProgress(handle C.uintptr_t, stage *C.char, fraction C.double) (cancel C.int) {
	state := cgo.Handle(handle).Value().(*progressState)
	if state.panicked {
		return 1
	}
	defer func() {
		// A panic must not unwind through C: cancel, and re-raise afterwards.
		if r := recover(); r != nil {
			state.panicked, state.panicVal = true, r
			cancel = 1
		}
	}()
	if state.fn(C.GoString(stage), float64(fraction)) {
		return 1
	}
	return 0
}

// withCtx passes ctx's pointer (NULL for a nil ctx) to f. If ctx's progress
// callback panicked during f, release runs (to free what f made) and the
// panic is re-raised.
func withCtx(ctx *Context, f func(*C.lq_ctx) error, release func()) error {
	if ctx == nil {
		return f(nil)
	}
	if err := ctx.live(); err != nil {
		return err
	}
	defer runtime.KeepAlive(ctx)
	err := f(ctx.ptr)
	if st := ctx.progress; st != nil && st.panicked {
		val := st.panicVal
		st.panicked, st.panicVal = false, nil
		if release != nil {
			release()
		}
		panic(val)
	}
	return err
}
