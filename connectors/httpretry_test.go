package connectors

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		value  string
		want   time.Duration
		wantOK bool
	}{
		{"absent", "", 0, false},
		{"seconds", "7", 7 * time.Second, true},
		{"zero", "0", 0, true},
		{"negative", "-3", 0, false},
		{"date ahead", now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{"date past", now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"garbage", "soon", 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := http.Header{}
			if c.value != "" {
				h.Set("Retry-After", c.value)
			}
			got, ok := RetryAfter(h, now)
			if got != c.want || ok != c.wantOK {
				t.Errorf("RetryAfter(%q) = %v, %v; want %v, %v", c.value, got, ok, c.want, c.wantOK)
			}
		})
	}
}

func TestBackoffBounded(t *testing.T) {
	p := RetryPolicy{BaseDelay: 10 * time.Millisecond, MaxDelay: 80 * time.Millisecond}
	for retry := 1; retry <= 8; retry++ {
		ceiling := min(10*time.Millisecond<<(retry-1), 80*time.Millisecond)
		for range 200 {
			if d := p.Backoff(retry); d <= 0 || d > ceiling {
				t.Fatalf("Backoff(%d) = %v, want in (0, %v]", retry, d, ceiling)
			}
		}
	}
}

func TestDelayHonoursRetryAfter(t *testing.T) {
	now := time.Now()
	p := RetryPolicy{MaxRetryAfter: time.Minute}
	h := http.Header{"Retry-After": {"30"}}
	if d, ok := p.Delay(1, h, now); d != 30*time.Second || !ok {
		t.Errorf("Delay with Retry-After 30 = %v, %v", d, ok)
	}
	h.Set("Retry-After", "3600")
	if _, ok := p.Delay(1, h, now); ok {
		t.Error("Delay with Retry-After beyond MaxRetryAfter: ok, want give up")
	}
}

func TestRetryable(t *testing.T) {
	for code, want := range map[int]bool{429: true, 500: true, 502: true, 503: true, 504: true, 501: false, 507: false, 404: false, 412: false} {
		if got := RetryableStatus(code); got != want {
			t.Errorf("RetryableStatus(%d) = %v", code, got)
		}
	}
	errs := map[string]struct {
		err  error
		want bool
	}{
		"reset":     {fmt.Errorf("read: %w", syscall.ECONNRESET), true},
		"cut short": {fmt.Errorf("body: %w", io.ErrUnexpectedEOF), true},
		"op error":  {&net.OpError{Op: "dial", Err: errors.New("no route")}, true},
		"cancelled": {fmt.Errorf("x: %w", context.Canceled), false},
		"other":     {errors.New("bad request"), false},
	}
	for name, c := range errs {
		if got := RetryableError(c.err); got != c.want {
			t.Errorf("RetryableError(%s) = %v", name, got)
		}
	}
}
