package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/contactbridge/contactbridge/store"
)

// An apiError is a refusal the handler decides itself, with the status and
// respcode to answer.
type apiError struct {
	status int
	code   respcode
	msg    string
}

func (e *apiError) Error() string { return e.msg }

// badRequest returns a 400 apiError with code and a message for the log.
func badRequest(code respcode, format string, args ...any) error {
	return &apiError{status: http.StatusBadRequest, code: code, msg: fmt.Sprintf(format, args...)}
}

// fail answers the request with the status and respcode that err calls for.
// invalid is the respcode of a store.ErrInvalid in this request's context
// (a bad record in a write, a bad query in a read).
func (s *server) fail(c *call, op string, err error, invalid respcode) {
	var ae *apiError
	status, code := http.StatusInternalServerError, codeUnknown
	switch {
	case errors.As(err, &ae):
		status, code = ae.status, ae.code
	case errors.Is(err, store.ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, store.ErrPreconditionFailed):
		status = http.StatusPreconditionFailed
	case errors.Is(err, store.ErrOverQuota):
		// The spec's form, the one Firefox recognises (reference §5.10a).
		status, code = http.StatusBadRequest, codeOverQuota
	case errors.Is(err, store.ErrSizeLimit):
		status, code = http.StatusBadRequest, codeSizeLimit
	case errors.Is(err, store.ErrBatchNotFound):
		// Not 404 (reference §5.6, §9 item 18).
		status = http.StatusBadRequest
	case errors.Is(err, store.ErrInvalid):
		status, code = http.StatusBadRequest, invalid
	case errors.Is(err, context.Canceled) && c.r.Context().Err() != nil:
		// The client went away; nobody reads the answer.
		s.log.DebugContext(c.r.Context(), "request canceled", "op", op, "user", c.user)
		return
	}
	attrs := []any{"op", op, "user", c.user, "status", status, "code", int(code)}
	if c.collection != "" {
		attrs = append(attrs, "collection", c.collection)
	}
	if status >= 500 {
		s.log.ErrorContext(c.r.Context(), "request failed", append(attrs, "err", err)...)
	} else {
		s.log.DebugContext(c.r.Context(), "request refused", append(attrs, "err", err)...)
	}
	sendCode(c.w, status, code)
}
