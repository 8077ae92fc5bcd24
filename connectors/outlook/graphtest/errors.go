package graphtest

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// A graphError is one Graph error answer: the envelope
// {"error":{"code":…,"message":…,"innerError":{"date":…,"request-id":…}}}
// that every Graph error carries (reference §10.11), its status and any
// headers that go with it.
type graphError struct {
	status  int
	code    string
	message string
	header  http.Header
}

// Error describes e for test failure messages.
func (e *graphError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.code, e.message) }

// errorBody is the wire form of a Graph error.
type errorBody struct {
	Error struct {
		Code       string     `json:"code"`
		Message    string     `json:"message"`
		InnerError innerError `json:"innerError"`
	} `json:"error"`
}

type innerError struct {
	Date            string `json:"date"`
	RequestID       string `json:"request-id"`
	ClientRequestID string `json:"client-request-id"`
}

// innerDateFormat is the form of innerError.date: "2018-06-01T06:31:24".
const innerDateFormat = "2006-01-02T15:04:05"

// Messages Graph and Exchange use, word for word where the reference
// records them.
const (
	// Reference §4.
	msgIrresolvableConflict = "The send or update operation could not be performed because the change key passed in the request does not match the current change key for the item."
	// Reference §6.
	msgTooManyRequests     = "Please retry again later."
	msgMailboxConcurrency  = "Application is over its MailboxConcurrency limit."
	msgItemNotFound        = "The specified object was not found in the store."
	msgAccessDenied        = "Access is denied. Check credentials and try again."
	msgMethodNotAllowed    = "Specified HTTP method is not allowed for the request target."
	msgInvalidFilter       = "The query filter contains one or more invalid nodes."
	msgTokenEmpty          = "Access token is empty."
	msgTokenExpired        = "Access token has expired or is not yet valid."
	msgTokenInvalid        = "CompactToken parsing failed with error code: 80049217"
	msgResyncRequired      = "The delta token is no longer valid, and the app must reset the sync state."
	msgSyncStateNotFoundFm = "The sync state generation is not found; generation=%d;[highest=%d]%s."
)

func newError(status int, code, message string) *graphError {
	return &graphError{status: status, code: code, message: message}
}

func errItemNotFound() *graphError {
	return newError(http.StatusNotFound, "ErrorItemNotFound", msgItemNotFound)
}

func errConflict() *graphError {
	return newError(http.StatusPreconditionFailed, "ErrorIrresolvableConflict", msgIrresolvableConflict)
}

func errAccessDenied() *graphError {
	return newError(http.StatusForbidden, "ErrorAccessDenied", msgAccessDenied)
}

func errMethodNotAllowed() *graphError {
	return newError(http.StatusMethodNotAllowed, "Request_BadRequest", msgMethodNotAllowed)
}

// errSegment is OData's answer to a path it cannot map.
func errSegment(segment string) *graphError {
	return newError(http.StatusBadRequest, "BadRequest", fmt.Sprintf("Resource not found for the segment '%s'.", segment))
}

func errBadRequest(format string, args ...any) *graphError {
	return newError(http.StatusBadRequest, "BadRequest", fmt.Sprintf(format, args...))
}

// errBodyRead is OData's answer to a request body it cannot read.
func errBodyRead(format string, args ...any) *graphError {
	return newError(http.StatusBadRequest, "RequestBodyRead", fmt.Sprintf(format, args...))
}

func errInvalidFilter() *graphError {
	return newError(http.StatusBadRequest, "ErrorInvalidUrlQueryFilter", msgInvalidFilter)
}

// errNotImplemented marks a real Graph feature the fake does not model, so
// that a client using it learns it from the fake rather than from a
// silently wrong answer.
func errNotImplemented(what string) *graphError {
	return newError(http.StatusNotImplemented, "graphtest.NotImplemented", "graphtest does not implement "+what+".")
}

func errTooManyRequests(retry time.Duration) *graphError {
	e := newError(http.StatusTooManyRequests, "TooManyRequests", msgTooManyRequests)
	e.header = retryAfter(retry)
	return e
}

// statusError is the error for an HTTP status injected with Fail: the
// reference's bodies for 412 and 429, Graph's generic codes otherwise.
func statusError(status int, retry time.Duration) *graphError {
	var e *graphError
	switch status {
	case http.StatusTooManyRequests:
		e = errTooManyRequests(0)
	case http.StatusPreconditionFailed:
		e = errConflict()
	case http.StatusNotFound:
		e = errItemNotFound()
	case http.StatusForbidden:
		e = errAccessDenied()
	case http.StatusUnauthorized:
		e = newError(status, "InvalidAuthenticationToken", msgTokenExpired)
	case http.StatusBadRequest:
		e = newError(status, "BadRequest", "Bad request.")
	case http.StatusServiceUnavailable:
		e = newError(status, "serviceNotAvailable", "The service is temporarily unavailable for maintenance or is overloaded. You may repeat the request after a delay.")
	case http.StatusGatewayTimeout:
		e = newError(status, "UnknownError", "")
	default:
		e = newError(status, "generalException", "An unspecified error has occurred.")
	}
	e.header = retryAfter(retry)
	return e
}

// retryAfter renders d as a Retry-After header in whole seconds, rounded up.
func retryAfter(d time.Duration) http.Header {
	if d <= 0 {
		return nil
	}
	secs := int64((d + time.Second - 1) / time.Second)
	return http.Header{"Retry-After": []string{strconv.FormatInt(secs, 10)}}
}
