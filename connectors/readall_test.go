package connectors_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/contactbridge/contactbridge/connectors"
	"github.com/contactbridge/contactbridge/connectors/memory"
	"github.com/contactbridge/contactbridge/mapping"
)

func TestReadAll(t *testing.T) {
	for _, stubs := range []bool{false, true} {
		c := memory.New(memory.Config{Stubs: stubs})
		for _, fn := range []string{"Ann", "Bob", "Cat"} {
			card := &mapping.Card{}
			card.Add(mapping.Property{Name: "FN", Value: fn})
			c.Put("", card)
		}
		c.PutBroken("", errors.New("unreadable"))
		var names []string
		broken := 0
		err := connectors.ReadAll(context.Background(), c, func(it connectors.Item) error {
			if it.Err != nil {
				broken++
				return nil
			}
			names = append(names, it.Card.Value("FN"))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(names)
		if !slices.Equal(names, []string{"Ann", "Bob", "Cat"}) || broken != 1 {
			t.Errorf("stubs %v: read %v and %d broken", stubs, names, broken)
		}
		stop := errors.New("stop")
		if err := connectors.ReadAll(context.Background(), c, func(connectors.Item) error { return stop }); !errors.Is(err, stop) {
			t.Errorf("stubs %v: an error from fn gave %v", stubs, err)
		}
	}
}
