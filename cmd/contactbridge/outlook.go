package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/contactbridge/contactbridge/bridge"
	"github.com/contactbridge/contactbridge/connectors"
	"github.com/contactbridge/contactbridge/connectors/outlook"
)

// outlookSecret is the name under which an outlook account keeps its
// outlookGrant in its encrypted state.
const outlookSecret = "outlook.refresh_token"

// outlookSettings are the config keys of an outlook account besides its
// oauthSettings.
type outlookSettings struct {
	// Tenant is who may sign in (default "common"): "common" (work,
	// school and personal Microsoft accounts), "organizations",
	// "consumers", a tenant id or a tenant's domain. token_url, when
	// set, replaces the address made from it.
	Tenant string `yaml:"tenant,omitempty"`
	// Folder is the contact folder to sync, by display name or id
	// (default the mailbox's default folder, "Contacts").
	Folder string `yaml:"folder,omitempty"`
}

// unused reports an outlook key set on an account of another type.
func (s outlookSettings) unused() error {
	if s != (outlookSettings{}) {
		return errors.New("tenant and folder belong to type outlook")
	}
	return nil
}

var (
	guidRE   = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	domainRE = regexp.MustCompile(`^(?i)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$`)
	// tokenPathRE is the path of an identity platform token endpoint:
	// /{tenant}/oauth2/v2.0/token.
	tokenPathRE = regexp.MustCompile(`^/([^/]+)/oauth2/v2\.0/token$`)
)

// validTenant accepts the tenant forms of reference §8.1: common,
// organizations, consumers, a tenant id (GUID) or a domain name.
func validTenant(t string) bool {
	switch strings.ToLower(t) {
	case "common", "organizations", "consumers":
		return true
	}
	return guidRE.MatchString(t) || domainRE.MatchString(t)
}

func checkOutlook(a AccountConfig) error {
	if err := unusedKeys(a.carddavSettings, a.googleSettings); err != nil {
		return fmt.Errorf("type outlook: %w", err)
	}
	if a.Path != "" || a.Version != "" || a.Create {
		return errors.New("path, version and create belong to other types")
	}
	switch {
	case a.ClientID == "":
		return errors.New("type outlook needs client_id (the application (client) id of an app registration in Microsoft Entra: see docs/outlook.md)")
	case !guidRE.MatchString(a.ClientID):
		return fmt.Errorf("client_id %q: want the application (client) id of the app registration, a GUID such as 00000000-0000-0000-0000-000000000000", a.ClientID)
	case a.Tenant != "" && !validTenant(a.Tenant):
		return fmt.Errorf("tenant %q: want common, organizations, consumers, a tenant id (GUID) or a domain such as contoso.onmicrosoft.com", a.Tenant)
	case a.Folder != "" && strings.TrimSpace(a.Folder) == "":
		return errors.New("folder is blank: remove it for the default folder, or name one")
	}
	if err := a.oauthSettings.checkURLs(); err != nil {
		return err
	}
	if a.TokenURL != "" {
		u, _ := url.Parse(a.TokenURL) // checked above
		// The device-code endpoint is found beside the token endpoint.
		if !strings.HasSuffix(u.Path, "/token") {
			return fmt.Errorf("token_url %q: want the identity platform's token endpoint, ending in /oauth2/v2.0/token", a.TokenURL)
		}
		if m := tokenPathRE.FindStringSubmatch(u.Path); m != nil && a.Tenant != "" && !strings.EqualFold(m[1], a.Tenant) {
			return fmt.Errorf("token_url names tenant %q, tenant says %q: remove one of them", m[1], a.Tenant)
		}
	}
	return nil
}

// outlookTokenURL is the token endpoint of account a: token_url, else the
// public cloud's for its tenant.
func outlookTokenURL(a AccountConfig) string {
	if a.TokenURL != "" {
		return a.TokenURL
	}
	return outlook.TokenURL(a.Tenant)
}

// An outlookGrant is what an outlook account keeps in its encrypted state
// under outlookSecret. Refresh tokens rotate: each refresh answers a new
// one and the old one stops working (reference §8.3), so the newest is
// kept, together with where its line of rotations began, in one record so
// that no crash can separate the two.
type outlookGrant struct {
	// RefreshToken is the newest refresh token of the sign-in.
	RefreshToken string `json:"refresh_token"`
	// Source is the fingerprint (tokenFingerprint) of the content of
	// refresh_token_file that RefreshToken replaces: it descends from it
	// by rotation, or `accounts connect` signed in anew while the file
	// held it. "" when the account had no refresh_token_file then.
	Source string `json:"source,omitempty"`
}

// tokenFingerprint is the SHA-256, in hex, of a refresh token: it tells
// whether refresh_token_file still holds the token a stored grant came
// from without keeping that token.
func tokenFingerprint(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// loadOutlookGrant reads the grant account keeps; ok is false when it has
// none.
func loadOutlookGrant(ctx context.Context, e *bridge.Engine, account string) (g outlookGrant, ok bool, err error) {
	v, err := e.Secret(ctx, account, outlookSecret)
	if errors.Is(err, bridge.ErrNoSecret) {
		return g, false, nil
	}
	if err != nil {
		return g, false, err
	}
	if err := json.Unmarshal([]byte(v), &g); err != nil || g.RefreshToken == "" {
		return g, false, fmt.Errorf("secret %s of account %s is damaged: run `contactbridge accounts connect %s`", outlookSecret, account, account)
	}
	return g, true, nil
}

// storeOutlookGrant replaces the grant account keeps.
func storeOutlookGrant(ctx context.Context, e *bridge.Engine, account string, g outlookGrant) error {
	b, err := json.Marshal(g)
	if err != nil {
		return err
	}
	return e.SetSecret(ctx, account, outlookSecret, string(b))
}

// readTokenFile reads account a's refresh_token_file.
func readTokenFile(cfg *Config, a AccountConfig) (string, error) {
	path, err := cfg.resolve(a.RefreshTokenFile)
	if err != nil {
		return "", err
	}
	return readSecretFile(path, "refresh_token_file")
}

// outlookStartGrant is the refresh token an outlook account starts from.
// Without refresh_token_file it is the stored one. With it, the file's
// token is good for one refresh only; after that the stored grant holds
// its successor, and the file's fingerprint in Source says so. So the
// stored grant is used while the file still holds the token it came from,
// and the file's token when the file holds another one: the operator put
// a new token there.
func outlookStartGrant(ctx context.Context, cfg *Config, a AccountConfig, e *bridge.Engine) (outlookGrant, error) {
	stored, ok, err := loadOutlookGrant(ctx, e, a.Name)
	if err != nil {
		return outlookGrant{}, err
	}
	if a.RefreshTokenFile == "" {
		if !ok {
			return outlookGrant{}, fmt.Errorf("not signed in: run `contactbridge accounts connect %s`", a.Name)
		}
		return stored, nil
	}
	file, err := readTokenFile(cfg, a)
	if err != nil {
		return outlookGrant{}, err
	}
	fp := tokenFingerprint(file)
	if ok && stored.Source == fp {
		return stored, nil
	}
	return outlookGrant{RefreshToken: file, Source: fp}, nil
}

func openOutlook(ctx context.Context, cfg *Config, a AccountConfig, env openEnv) (connectors.Connector, error) {
	if env.engine == nil {
		// The refresh token rotates on its first use: opening without a
		// place to keep its successor would spend the sign-in.
		return nil, errors.New("type outlook needs the account's encrypted state to keep its rotating refresh token in")
	}
	start, err := outlookStartGrant(ctx, cfg, a, env.engine)
	if err != nil {
		return nil, err
	}
	e, name, source := env.engine, a.Name, start.Source
	save := func(ctx context.Context, token string) error {
		// The old token is spent once the new one arrives: keep the new
		// one even in a dry run (it changes no contact), and even when
		// ctx was cancelled meanwhile.
		return storeOutlookGrant(context.WithoutCancel(ctx), e, name, outlookGrant{RefreshToken: token, Source: source})
	}
	return outlook.New(ctx, outlook.Config{
		ClientID:         a.ClientID,
		TokenURL:         outlookTokenURL(a),
		RefreshToken:     start.RefreshToken,
		SaveRefreshToken: save,
		Folder:           a.Folder,
		Endpoint:         a.APIEndpoint,
		Account:          a.Name,
		Logger:           env.log,
	})
}

// outlookSignIn is the device-code sign-in of an outlook account. When
// the account has a refresh_token_file, the grant it stores replaces the
// file's current token (Source), which is used again only once the file
// holds another.
func outlookSignIn(cfg *Config, a AccountConfig) (signIn, error) {
	var source string
	if a.RefreshTokenFile != "" {
		file, err := readTokenFile(cfg, a)
		if err != nil {
			return signIn{}, err
		}
		source = tokenFingerprint(file)
	}
	return signIn{conf: *outlook.OAuthConfig(a.ClientID, outlookTokenURL(a)), secret: outlookSecret, deviceCode: true,
		save: func(ctx context.Context, e *bridge.Engine, refresh string) error {
			return storeOutlookGrant(ctx, e, a.Name, outlookGrant{RefreshToken: refresh, Source: source})
		}}, nil
}
