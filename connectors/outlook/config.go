package outlook

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"golang.org/x/oauth2"

	"github.com/contactbridge/contactbridge/connectors"
)

// Defaults of Config.
const (
	// DefaultEndpoint is Graph's service root.
	DefaultEndpoint = "https://graph.microsoft.com/v1.0/"
	// DefaultTenant signs in work, school and personal accounts alike.
	DefaultTenant = "common"
	// DefaultFolder is the default contact folder, by its well-known name.
	DefaultFolder = "Contacts"
	loginBase     = "https://login.microsoftonline.com/"
)

// Scopes are the OAuth scopes the connector asks for: read and write
// contacts, and a refresh token (reference §8.1).
var Scopes = []string{"Contacts.ReadWrite", "offline_access"}

// TokenURL is the identity platform's token endpoint for tenant ("" means
// DefaultTenant).
func TokenURL(tenant string) string {
	if tenant == "" {
		tenant = DefaultTenant
	}
	return loginBase + tenant + "/oauth2/v2.0/token"
}

// DeviceAuthURL is the device authorization endpoint that goes with
// tokenURL: the same address ending in /devicecode instead of /token
// (reference §8.1), so a configured token_url (a national cloud, a test
// server) brings its own.
func DeviceAuthURL(tokenURL string) string {
	return strings.TrimSuffix(tokenURL, "/token") + "/devicecode"
}

// OAuthConfig is the public client the connector signs in with: clientID's
// app registration (with "Allow public client flows"), tokenURL's tenant.
func OAuthConfig(clientID, tokenURL string) *oauth2.Config {
	return &oauth2.Config{ClientID: clientID, Scopes: Scopes, Endpoint: oauth2.Endpoint{
		AuthURL:       strings.TrimSuffix(tokenURL, "/token") + "/authorize",
		TokenURL:      tokenURL,
		DeviceAuthURL: DeviceAuthURL(tokenURL),
		AuthStyle:     oauth2.AuthStyleInParams,
	}}
}

// Config says which mailbox and folder to connect, and how.
type Config struct {
	// ClientID is the application (client) id of the app registration.
	ClientID string
	// TokenURL is the OAuth token endpoint (default TokenURL(DefaultTenant)).
	TokenURL string
	// RefreshToken is the account's refresh token, from `accounts connect`
	// or a file. It is never logged.
	RefreshToken string
	// SaveRefreshToken, when set, is called with every new refresh token
	// the identity platform hands out: they rotate on every use and the
	// old one stops working (reference §8.3), so the caller must keep the
	// new one (encrypted). An error is returned by the request that
	// refreshed.
	SaveRefreshToken func(ctx context.Context, token string) error
	// Folder is the contact folder to sync: its display name, its id, or
	// "" for the default folder (DefaultFolder).
	Folder string
	// Endpoint is Graph's service root (default DefaultEndpoint).
	Endpoint string
	// Account names the account in errors (default "outlook").
	Account string
	// HTTPClient carries the requests, token requests included (default: a
	// client with a 60 s timeout).
	HTTPClient *http.Client
	// Retry says how failed requests are retried.
	Retry connectors.RetryPolicy
	// Logger receives debug logs (default: none).
	Logger *slog.Logger
	// PageSize is the delta page size asked for (default and most: 200).
	PageSize int
	// Concurrency is the most requests in flight on the mailbox (default
	// and most: 4, Outlook's limit per app and mailbox, reference §6).
	Concurrency int
}
