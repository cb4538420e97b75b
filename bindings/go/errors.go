package libquant

// #include <lq/lq.h>
import "C"

import "fmt"

// Status is an lq_status code. The values are pinned by the C library; a
// Status is an error, so errors.Is(err, ErrShape) matches any *Error with
// that status.
type Status int

// The status codes of lq_core.h.
const (
	OK             Status = C.LQ_OK
	ErrInvalid     Status = C.LQ_ERR_INVALID
	ErrUnsupported Status = C.LQ_ERR_UNSUPPORTED
	ErrNoMem       Status = C.LQ_ERR_NOMEM
	ErrIO          Status = C.LQ_ERR_IO
	ErrFormat      Status = C.LQ_ERR_FORMAT
	ErrShape       Status = C.LQ_ERR_SHAPE
	ErrNonFinite   Status = C.LQ_ERR_NONFINITE
	ErrCancelled   Status = C.LQ_ERR_CANCELLED
	ErrNumeric     Status = C.LQ_ERR_NUMERIC
	ErrState       Status = C.LQ_ERR_STATE
	ErrInternal    Status = C.LQ_ERR_INTERNAL
)

// Error gives the library's short text for the status ("shape mismatch").
func (s Status) Error() string {
	return C.GoString(C.lq_status_str(C.lq_status(s)))
}

// Error is a failed call: its Status and the library's detailed message
// (what failed, on which object, and why).
type Error struct {
	Status  Status
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s (%s)", e.Message, e.Status.Error())
}

// Unwrap lets errors.Is and errors.As reach the Status.
func (e *Error) Unwrap() error { return e.Status }

// errorf makes an *Error for a problem the package finds before calling C.
func errorf(s Status, format string, args ...any) error {
	return &Error{Status: s, Message: "libquant: " + fmt.Sprintf(format, args...)}
}
