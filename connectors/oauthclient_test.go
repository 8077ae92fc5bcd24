package connectors

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

func TestSignInFailureDropsTheTokenEndpointsAnswer(t *testing.T) {
	raw := errors.New(`oauth2: "invalid_grant" "Token has been expired or revoked." Response: {"error":"invalid_grant","refresh_token":"1//secret"}`)
	err, ok := SignInFailure(&url.Error{Op: "Get", URL: "https://api.example/x", Err: raw})
	if !ok || strings.Contains(err.Error(), "secret") || !strings.Contains(err.Error(), "invalid_grant") || !strings.Contains(err.Error(), "accounts connect") {
		t.Errorf("SignInFailure = %v, %v", err, ok)
	}
	if _, ok := SignInFailure(errors.New("connection refused")); ok {
		t.Error("a network error was taken for a sign-in failure")
	}
}

func TestAuthorizedClientCounts(t *testing.T) {
	var a AuthorizedClient
	a.Count("list")
	a.Count("list")
	a.Count("batch")
	c := a.Counts()
	if c["list"] != 2 || c["batch"] != 1 {
		t.Errorf("Counts = %v", c)
	}
	c["list"] = 9
	if a.Counts()["list"] != 2 {
		t.Error("Counts returns the live map")
	}
}
