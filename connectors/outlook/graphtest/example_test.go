package graphtest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/contactbridge/contactbridge/connectors/outlook/graphtest"
)

// A test seeds a mailbox, gets an access token the way the connector does
// (here with plain net/http instead of golang.org/x/oauth2), reads the
// default folder with delta query and sees the refresh token rotate.
func Example() {
	srv := graphtest.New(graphtest.Options{})
	defer srv.Close()
	ada := srv.AddUser("0.AXoA-refresh-token-of-ada")
	ada.Put(graphtest.Contact{GivenName: "Grace", Surname: "Hopper"})

	res, err := http.PostForm(srv.TokenURL("common"), url.Values{"grant_type": {"refresh_token"},
		"refresh_token": {"0.AXoA-refresh-token-of-ada"}, "client_id": {"6731de76-14a6-49ae-97bc-6eba6914391e"}})
	if err != nil {
		panic(err)
	}
	var tok struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	_ = json.NewDecoder(res.Body).Decode(&tok)
	res.Body.Close()

	req, _ := http.NewRequest("GET", srv.URL()+"/me/contactFolders/contacts/contacts/delta?$select=displayName", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Add("Prefer", `IdType="ImmutableId"`)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer res.Body.Close()
	var page struct {
		Value []struct {
			ID          string `json:"id"`
			DisplayName string `json:"displayName"`
		} `json:"value"`
		DeltaLink string `json:"@odata.deltaLink"`
	}
	_ = json.NewDecoder(res.Body).Decode(&page)
	fmt.Println(res.StatusCode, len(page.Value), page.Value[0].DisplayName, page.DeltaLink != "")
	fmt.Println(tok.RefreshToken == ada.RefreshToken(), tok.RefreshToken != "0.AXoA-refresh-token-of-ada")
	fmt.Println(srv.Requests()["contacts.delta"], srv.Requests()["token"])
	// Output:
	// 200 1 Grace Hopper true
	// true true
	// 1 1
}
