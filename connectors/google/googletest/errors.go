package googletest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// An apiError is one Google error answer: the body
// {"error":{"code":…,"message":…,"status":…,"details":[…]}} that every Google
// API sends (reference §1.3, §2.2, §5), plus any headers that go with it.
type apiError struct {
	code    int
	status  string
	message string
	details []any
	header  http.Header
}

// Error describes e for test failure messages.
func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.code, e.status, e.message) }

// errorBody is the wire form; details is left out when empty, as Google does.
type errorBody struct {
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Status  string `json:"status"`
		Details []any  `json:"details,omitempty"`
	} `json:"error"`
}

func (e *apiError) body() []byte {
	var b errorBody
	b.Error.Code = e.code
	b.Error.Message = e.message
	b.Error.Status = e.status
	b.Error.Details = e.details
	out, _ := json.Marshal(b)
	return out
}

func (e *apiError) write(w http.ResponseWriter) {
	for k, vs := range e.header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(e.code)
	_, _ = w.Write(e.body())
}

// canonical gives the google.rpc.Code name and the stock message Google's
// front end uses for an HTTP status.
func canonical(code int) (status, message string) {
	switch code {
	case http.StatusBadRequest:
		return "INVALID_ARGUMENT", "Request contains an invalid argument."
	case http.StatusUnauthorized:
		return "UNAUTHENTICATED", msgInvalidCredentials
	case http.StatusForbidden:
		return "PERMISSION_DENIED", "The caller does not have permission"
	case http.StatusNotFound:
		return "NOT_FOUND", "Requested entity was not found."
	case http.StatusConflict:
		return "ABORTED", "The operation was aborted."
	case http.StatusTooManyRequests:
		return "RESOURCE_EXHAUSTED", msgQuota
	case 499:
		return "CANCELLED", "The operation was cancelled."
	case http.StatusInternalServerError:
		return "INTERNAL", "Internal error encountered."
	case http.StatusNotImplemented:
		return "UNIMPLEMENTED", "Operation is not implemented, or supported, or enabled."
	case http.StatusServiceUnavailable:
		return "UNAVAILABLE", "The service is currently unavailable."
	case http.StatusGatewayTimeout:
		return "DEADLINE_EXCEEDED", "Deadline expired before operation could complete."
	}
	return "UNKNOWN", http.StatusText(code)
}

// statusError is the error Google's front end gives for an HTTP status with
// no more specific cause; a 429 carries the QuotaFailure body seen on People
// API writes (reference §5).
func statusError(code int) *apiError {
	status, msg := canonical(code)
	e := &apiError{code: code, status: status, message: msg}
	if code == http.StatusTooManyRequests {
		e.details = []any{quotaFailureDetail()}
	}
	return e
}

const (
	msgQuota = "Resource has been exhausted (e.g. check quota)."

	// What Google answers for a bad, expired or missing access token.
	msgInvalidCredentials = "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
	msgMissingCredentials = "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."

	// Reference §1.3.
	msgExpiredSyncToken = "Sync token is expired. Clear local cache and retry call without the sync token."
	// Reference §2.2.
	msgStalePersonETag = "Request person.etag is different than the current person.etag. Clear local cache and get the latest person."
	msgStaleSourceETag = "Request person.metadata.sources.etag is different than the current person.metadata.sources.etag. Clear local cache and get the latest person."
	msgMissingETag     = "Request must set person.etag or person.metadata.sources.etag for the source that is being updated."
	msgNotFound        = "Requested entity was not found."

	peopleDomain = "people.googleapis.com"
)

func invalidArgument(format string, args ...any) *apiError {
	return &apiError{code: http.StatusBadRequest, status: "INVALID_ARGUMENT", message: fmt.Sprintf(format, args...)}
}

// badRequest is an INVALID_ARGUMENT naming the offending field the way
// Google does, in a google.rpc.BadRequest detail.
func badRequest(field, message string) *apiError {
	e := invalidArgument("%s", message)
	e.details = []any{badRequestDetail{
		Type:            "type.googleapis.com/google.rpc.BadRequest",
		FieldViolations: []fieldViolation{{Field: field, Description: message}},
	}}
	return e
}

func failedPrecondition(message string) *apiError {
	return &apiError{code: http.StatusBadRequest, status: "FAILED_PRECONDITION", message: message}
}

func notFound() *apiError {
	return &apiError{code: http.StatusNotFound, status: "NOT_FOUND", message: msgNotFound}
}

type errorInfoDetail struct {
	Type     string            `json:"@type"`
	Reason   string            `json:"reason"`
	Domain   string            `json:"domain"`
	Metadata map[string]string `json:"metadata,omitempty"`
}

func errorInfo(reason, domain string, metadata map[string]string) errorInfoDetail {
	return errorInfoDetail{Type: "type.googleapis.com/google.rpc.ErrorInfo", Reason: reason, Domain: domain, Metadata: metadata}
}

type fieldViolation struct {
	Field       string `json:"field"`
	Description string `json:"description"`
}

type badRequestDetail struct {
	Type            string           `json:"@type"`
	FieldViolations []fieldViolation `json:"fieldViolations"`
}

type quotaViolation struct {
	Subject     string `json:"subject"`
	Description string `json:"description"`
}

type quotaFailure struct {
	Type       string           `json:"@type"`
	Violations []quotaViolation `json:"violations"`
}

// quotaFailureDetail is the detail of the 429 captured from a People API
// write (reference §5).
func quotaFailureDetail() quotaFailure {
	return quotaFailure{
		Type:       "type.googleapis.com/google.rpc.QuotaFailure",
		Violations: []quotaViolation{{Subject: "QUOTA_EXCEEDED", Description: "FBS quota limit exceeded"}},
	}
}

// expiredSyncToken is the answer to an expired sync token (reference §1.3,
// §10.2): HTTP 400 FAILED_PRECONDITION with ErrorInfo reason
// EXPIRED_SYNC_TOKEN unless Options asks for the 410 or INVALID_ARGUMENT
// variants.
func (s *Server) expiredSyncToken() *apiError {
	code := s.opts.ExpiredSyncTokenHTTPStatus
	if code == 0 {
		code = http.StatusBadRequest
	}
	status := s.opts.ExpiredSyncTokenStatus
	if status == "" {
		status = "FAILED_PRECONDITION"
	}
	return &apiError{code: code, status: status, message: msgExpiredSyncToken,
		details: []any{errorInfo("EXPIRED_SYNC_TOKEN", peopleDomain, nil)}}
}

// retryAfter renders d as a Retry-After header in whole seconds, rounded up.
func retryAfter(d time.Duration) http.Header {
	if d <= 0 {
		return nil
	}
	secs := int64((d + time.Second - 1) / time.Second)
	return http.Header{"Retry-After": []string{strconv.FormatInt(secs, 10)}}
}

// writeJSON writes a successful answer. Google pretty-prints unless the
// request says prettyPrint=false.
func writeJSON(w http.ResponseWriter, r *http.Request, v any) {
	var out []byte
	if r.URL.Query().Get("prettyPrint") == "false" {
		out, _ = json.Marshal(v)
	} else {
		out, _ = json.MarshalIndent(v, "", "  ")
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
	_, _ = w.Write([]byte("\n"))
}
