package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/oauth2"

	"github.com/contactbridge/contactbridge/bridge"
	"github.com/contactbridge/contactbridge/connectors"
	"github.com/contactbridge/contactbridge/connectors/google"
)

// googleSecret is the name under which `accounts connect` keeps a google
// account's refresh token in its encrypted state.
const googleSecret = "google.refresh_token"

// googleSettings are the config keys of a google account besides its
// oauthSettings.
type googleSettings struct {
	// ClientSecretFile holds the OAuth client's secret (mode 0600), when
	// it has one.
	ClientSecretFile string `yaml:"client_secret_file,omitempty"`
	// ListingDelay is how long Google may take to list a write (default
	// 15m): creates an interrupted sync may have made are not sent again
	// before it has passed. "0s" for a server that lists writes at once.
	ListingDelay string `yaml:"listing_delay,omitempty"`
}

// unused reports a google key set on an account of another type.
func (s googleSettings) unused() error {
	if s != (googleSettings{}) {
		return errors.New("client_secret_file and listing_delay belong to type google")
	}
	return nil
}

func checkGoogle(a AccountConfig) error {
	if err := unusedKeys(a.carddavSettings, a.outlookSettings); err != nil {
		return fmt.Errorf("type google: %w", err)
	}
	if a.Path != "" || a.Version != "" || a.Create {
		return errors.New("path, version and create belong to other types")
	}
	if a.ClientID == "" {
		return errors.New("type google needs client_id (an OAuth client of type Desktop app: see docs/google.md)")
	}
	if _, err := a.listingDelay(); err != nil {
		return err
	}
	return a.oauthSettings.checkURLs()
}

// listingDelay is google.Config.ListingDelay for the listing_delay key.
func (s googleSettings) listingDelay() (time.Duration, error) {
	if s.ListingDelay == "" {
		return 0, nil // the connector's default
	}
	d, err := time.ParseDuration(s.ListingDelay)
	switch {
	case err != nil || d < 0:
		return 0, fmt.Errorf("listing_delay %q: want a duration such as 15m", s.ListingDelay)
	case d == 0:
		return -1, nil // listed at once
	}
	return d, nil
}

// googleClient returns the OAuth client of account a.
func googleClient(cfg *Config, a AccountConfig) (oauth2.Config, error) {
	s := a.googleSettings
	conf := oauth2.Config{ClientID: a.ClientID, Scopes: []string{google.Scope},
		Endpoint: oauth2.Endpoint{AuthURL: google.DefaultAuthURL, TokenURL: google.DefaultTokenURL, AuthStyle: oauth2.AuthStyleInParams}}
	if a.TokenURL != "" {
		conf.Endpoint.TokenURL = a.TokenURL
	}
	if s.ClientSecretFile != "" {
		path, err := cfg.resolve(s.ClientSecretFile)
		if err != nil {
			return conf, err
		}
		if conf.ClientSecret, err = readSecretFile(path, "client_secret_file"); err != nil {
			return conf, err
		}
	}
	return conf, nil
}

func googleSignIn(cfg *Config, a AccountConfig) (signIn, error) {
	conf, err := googleClient(cfg, a)
	return signIn{conf: conf, secret: googleSecret}, err
}

func openGoogle(ctx context.Context, cfg *Config, a AccountConfig, env openEnv) (connectors.Connector, error) {
	conf, err := googleClient(cfg, a)
	if err != nil {
		return nil, err
	}
	var refresh string
	switch {
	case a.RefreshTokenFile != "":
		path, err := cfg.resolve(a.RefreshTokenFile)
		if err != nil {
			return nil, err
		}
		if refresh, err = readSecretFile(path, "refresh_token_file"); err != nil {
			return nil, err
		}
	case env.engine != nil:
		refresh, err = env.engine.Secret(ctx, a.Name, googleSecret)
		if errors.Is(err, bridge.ErrNoSecret) {
			return nil, fmt.Errorf("not signed in: run `contactbridge accounts connect %s`", a.Name)
		}
		if err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("not signed in: run `contactbridge accounts connect %s`", a.Name)
	}
	delay, err := a.listingDelay()
	if err != nil {
		return nil, err
	}
	return google.New(ctx, google.Config{ClientID: conf.ClientID, ClientSecret: conf.ClientSecret, RefreshToken: refresh,
		Endpoint: a.APIEndpoint, TokenURL: conf.Endpoint.TokenURL, Account: a.Name, Logger: env.log, ListingDelay: delay})
}
