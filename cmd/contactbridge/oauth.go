package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"runtime"
	"time"

	"golang.org/x/oauth2"
)

// oauthSettings are the config keys of the account types that sign in
// with OAuth: google and outlook.
type oauthSettings struct {
	// ClientID names the OAuth client: a Google Cloud "Desktop app"
	// client, or the application (client) id of a Microsoft Entra app
	// registration.
	ClientID string `yaml:"client_id,omitempty"`
	// RefreshTokenFile holds a refresh token (mode 0600), for servers and
	// tests; without it, `contactbridge accounts connect` signs in.
	RefreshTokenFile string `yaml:"refresh_token_file,omitempty"`
	// APIEndpoint and TokenURL replace the provider's (tests, proxies,
	// national clouds).
	APIEndpoint string `yaml:"api_endpoint,omitempty"`
	TokenURL    string `yaml:"token_url,omitempty"`
}

// unused reports an OAuth key set on an account of a type that does not
// sign in with OAuth.
func (s oauthSettings) unused() error {
	if s != (oauthSettings{}) {
		return errors.New("client_id, refresh_token_file, api_endpoint and token_url belong to types google and outlook")
	}
	return nil
}

// checkURLs checks api_endpoint and token_url, when they are set.
func (s oauthSettings) checkURLs() error {
	for _, k := range []struct{ key, url string }{{"api_endpoint", s.APIEndpoint}, {"token_url", s.TokenURL}} {
		if k.url == "" {
			continue
		}
		p, err := url.Parse(k.url)
		if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			return fmt.Errorf("%s %q: want an http:// or https:// address", k.key, k.url)
		}
	}
	return nil
}

// consentTimeout bounds how long `accounts connect` waits for the user to
// consent in the browser.
const consentTimeout = 10 * time.Minute

// loopbackConsent runs OAuth's installed-app flow (RFC 8252): it listens
// on 127.0.0.1 at a free port, prints the consent URL (with PKCE S256, a
// random state, offline access) to out and asks open to show it in a
// browser, takes the one redirect that comes back, checks its state and
// exchanges the code for a token. Only loopback is listened on, and the
// token is returned, never printed.
func loopbackConsent(ctx context.Context, conf oauth2.Config, out io.Writer, open func(string) error, extra ...oauth2.AuthCodeOption) (*oauth2.Token, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("oauth: listen for the redirect: %w", err)
	}
	defer l.Close()
	conf.RedirectURL = "http://" + l.Addr().String() + "/"
	verifier := oauth2.GenerateVerifier()
	state, err := randomState()
	if err != nil {
		return nil, err
	}
	opts := append([]oauth2.AuthCodeOption{oauth2.AccessTypeOffline, oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("prompt", "consent")}, extra...)
	authURL := conf.AuthCodeURL(state, opts...)

	type result struct {
		code string
		err  error
	}
	got := make(chan result, 1)
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		var res result
		switch {
		case r.URL.Path != "/":
			http.NotFound(w, r)
			return
		case q.Get("state") != state:
			res.err = errors.New("oauth: the redirect's state does not match: an answer to another request, ignored")
		case q.Get("error") != "":
			res.err = fmt.Errorf("oauth: consent refused: %s %s", q.Get("error"), q.Get("error_description"))
		case q.Get("code") == "":
			res.err = errors.New("oauth: the redirect carries no code")
		default:
			res.code = q.Get("code")
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if res.err != nil {
			fmt.Fprintf(w, "<!doctype html><title>ContactBridge</title><p>Sign-in failed: %s. Go back to the terminal.</p>", html.EscapeString(res.err.Error()))
		} else {
			fmt.Fprint(w, "<!doctype html><title>ContactBridge</title><p>Signed in. You can close this tab and go back to the terminal.</p>")
		}
		select {
		case got <- res:
		default:
		}
	})}
	go srv.Serve(l)
	defer srv.Close()

	fmt.Fprintf(out, "Open this address in a browser on this machine and allow access:\n\n  %s\n\nWaiting for the answer on %s …\n", authURL, conf.RedirectURL)
	if open != nil {
		_ = open(authURL) // best effort: the URL is printed anyway
	}
	ctx, cancel := context.WithTimeout(ctx, consentTimeout)
	defer cancel()
	var res result
	select {
	case res = <-got:
	case <-ctx.Done():
		return nil, fmt.Errorf("oauth: no answer from the browser: %w", ctx.Err())
	}
	if res.err != nil {
		return nil, res.err
	}
	tok, err := conf.Exchange(ctx, res.code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, fmt.Errorf("oauth: exchange the code: %w", err)
	}
	if tok.RefreshToken == "" {
		return nil, errors.New("oauth: the server granted no refresh token (offline access): remove the app's access in the account's security settings and connect again")
	}
	return tok, nil
}

// randomState returns an unguessable OAuth state.
func randomState() (string, error) {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// openBrowser asks the desktop to open url; it fails quietly where there
// is none (a server): the URL is printed as well.
func openBrowser(url string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", url)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	default:
		cmd = exec.Command("xdg-open", url)
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go cmd.Wait()
	return nil
}
