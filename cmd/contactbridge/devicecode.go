package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// deviceCodeConsent runs OAuth's device authorization grant (RFC 8628) as
// the Microsoft identity platform speaks it (reference §8.1): it asks
// conf's device authorization endpoint for a code, prints where to enter
// it — on any device with a browser, which is what makes the flow work on
// a server — and polls the token endpoint until the user has signed in,
// declined, or the code expired. The token is returned, never printed.
func deviceCodeConsent(ctx context.Context, conf *oauth2.Config, out io.Writer) (*oauth2.Token, error) {
	da, message, err := requestDeviceCode(ctx, conf)
	if err != nil {
		return nil, deviceCodeError(conf, err, 0)
	}
	lifetime := time.Until(da.Expiry)
	if da.Expiry.IsZero() {
		lifetime = 15 * time.Minute // the platform's documented default
	}
	fmt.Fprintf(out, "To sign in, open this address in a browser, on this or any other device:\n\n  %s\n\nand enter the code\n\n  %s\n\n", da.VerificationURI, da.UserCode)
	if message != "" {
		fmt.Fprintf(out, "(Microsoft says: %s)\n\n", oneLine(message))
	}
	fmt.Fprintf(out, "Waiting for the sign-in (the code is valid for %s) …\n", humanMinutes(lifetime))
	tok, err := conf.DeviceAccessToken(ctx, da)
	if err != nil {
		return nil, deviceCodeError(conf, err, lifetime)
	}
	if tok.RefreshToken == "" {
		return nil, errors.New("oauth: the identity platform granted no refresh token: the app registration must allow the delegated permission offline_access (see docs/outlook.md)")
	}
	return tok, nil
}

// requestDeviceCode is conf.DeviceAuth, but keeps the "message" the
// identity platform adds to the answer (ready-made instructions in the
// user's language), which oauth2.DeviceAuthResponse has no field for.
func requestDeviceCode(ctx context.Context, conf *oauth2.Config) (*oauth2.DeviceAuthResponse, string, error) {
	form := url.Values{"client_id": {conf.ClientID}, "scope": {strings.Join(conf.Scopes, " ")}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, conf.Endpoint.DeviceAuthURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, "", fmt.Errorf("oauth: device code: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	client := http.DefaultClient
	if c, ok := ctx.Value(oauth2.HTTPClient).(*http.Client); ok && c != nil {
		client = c
	}
	res, err := client.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("oauth: device code: %w", err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return nil, "", fmt.Errorf("oauth: device code: %w", err)
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		re := &oauth2.RetrieveError{Response: res, Body: body}
		var e struct {
			Code        string `json:"error"`
			Description string `json:"error_description"`
			URI         string `json:"error_uri"`
		}
		if json.Unmarshal(body, &e) == nil {
			re.ErrorCode, re.ErrorDescription, re.ErrorURI = e.Code, e.Description, e.URI
		}
		return nil, "", re
	}
	da := &oauth2.DeviceAuthResponse{}
	var extra struct {
		Message string `json:"message"`
	}
	if err := json.Unmarshal(body, da); err != nil {
		return nil, "", fmt.Errorf("oauth: device code: the answer is not a device authorization: %w", err)
	}
	_ = json.Unmarshal(body, &extra) // the message is a nicety
	if da.DeviceCode == "" || da.UserCode == "" || da.VerificationURI == "" {
		return nil, "", errors.New("oauth: device code: the answer lacks device_code, user_code or verification_uri")
	}
	return da, extra.Message, nil
}

// deviceCodeError says what a failed device-code sign-in means and what
// to do about it. lifetime is how long the code was valid (0 before one
// was issued).
func deviceCodeError(conf *oauth2.Config, err error, lifetime time.Duration) error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		if errors.Is(err, context.DeadlineExceeded) && lifetime > 0 {
			// DeviceAccessToken stops polling when the code expires.
			return expiredCodeError(lifetime)
		}
		return fmt.Errorf("oauth: device code: %w", err)
	}
	// error_description is "AADSTS…: what happened" followed by trace
	// and correlation ids on further lines; the first line is what helps.
	detail := re.ErrorCode
	if d := firstLine(re.ErrorDescription); d != "" {
		detail += ": " + d
	}
	switch {
	case re.ErrorCode == "authorization_declined" || re.ErrorCode == "access_denied":
		return errors.New("sign-in declined: the request was declined on the sign-in page; run connect again to retry")
	case re.ErrorCode == "expired_token":
		return expiredCodeError(lifetime)
	case re.ErrorCode == "bad_verification_code":
		return fmt.Errorf("the identity platform does not recognise the device code (%s): run connect again", detail)
	case re.ErrorCode == "invalid_client" || strings.Contains(re.ErrorDescription, "AADSTS7000218"):
		return fmt.Errorf(`the app registration (client_id %s) does not allow public client flows (%s): in the Microsoft Entra admin center, open App registrations → the app → Authentication, set "Allow public client flows" to Yes, save, and run connect again (see docs/outlook.md)`, conf.ClientID, detail)
	case re.ErrorCode == "unauthorized_client" || strings.Contains(re.ErrorDescription, "AADSTS700016"):
		return fmt.Errorf("the tenant does not know client_id %s (%s): check client_id and tenant in the config", conf.ClientID, detail)
	case re.ErrorCode == "invalid_request" && strings.Contains(re.ErrorDescription, "AADSTS90002"):
		return fmt.Errorf("no such tenant (%s): check tenant (or token_url) in the config", detail)
	}
	return fmt.Errorf("sign-in failed (%s)", detail)
}

func expiredCodeError(lifetime time.Duration) error {
	if lifetime <= 0 {
		return errors.New("the code expired before sign-in completed: run connect again")
	}
	return fmt.Errorf("the code expired before sign-in completed (%s): run connect again", humanMinutes(lifetime))
}

// humanMinutes writes d as "15 minutes", or in seconds when shorter than
// a minute.
func humanMinutes(d time.Duration) string {
	switch {
	case d >= 2*time.Minute:
		return fmt.Sprintf("%d minutes", int(d.Round(time.Minute)/time.Minute))
	case d >= time.Minute:
		return "1 minute"
	}
	if n := int(d.Round(time.Second) / time.Second); n != 1 {
		return fmt.Sprintf("%d seconds", n)
	}
	return "1 second"
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return strings.TrimSpace(line)
}
