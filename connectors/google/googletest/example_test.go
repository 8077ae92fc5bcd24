package googletest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/contactbridge/contactbridge/connectors/google/googletest"
)

// A test seeds an account, gets an access token the way the connector does
// (here with plain net/http instead of golang.org/x/oauth2) and reads the
// contacts with a sync token.
func Example() {
	srv := googletest.New(googletest.Options{})
	defer srv.Close()
	ada := srv.AddUser("1//refresh-token-of-ada")
	ada.Put(googletest.Person{Names: []googletest.Name{{GivenName: "Grace", FamilyName: "Hopper"}}})

	res, err := http.PostForm(srv.TokenURL(), url.Values{"grant_type": {"refresh_token"},
		"refresh_token": {"1//refresh-token-of-ada"}, "client_id": {"client.apps.googleusercontent.com"}})
	if err != nil {
		panic(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(res.Body).Decode(&tok)
	res.Body.Close()

	req, _ := http.NewRequest("GET", srv.URL()+"v1/people/me/connections?personFields=names,metadata&requestSyncToken=true", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer res.Body.Close()
	var page struct {
		Connections   []googletest.Person
		NextSyncToken string
	}
	_ = json.NewDecoder(res.Body).Decode(&page)
	fmt.Println(res.StatusCode, len(page.Connections), page.Connections[0].Names[0].DisplayName, page.NextSyncToken != "")
	fmt.Println(srv.Requests()["connections.list"], srv.Requests()["token"])
	// Output:
	// 200 1 Grace Hopper true
	// 1 1
}
