package connectors

import "context"

// ReadAll passes every item of c to fn, each with its card or its Err: a
// full listing, then a Fetch of the items the listing named without a
// card. It is for tools and checks that need a remote's whole content at
// once; the bridge itself reads changes page by page.
func ReadAll(ctx context.Context, c Connector, fn func(Item) error) error {
	var ids []string
	if _, err := c.Changes(ctx, "", func(p Page) error {
		for _, ch := range p.Changes {
			switch {
			case ch.Deleted:
			case ch.Card == nil && ch.Err == nil:
				ids = append(ids, ch.ID)
			default:
				if err := fn(ch.Item); err != nil {
					return err
				}
			}
		}
		return nil
	}); err != nil {
		return err
	}
	if len(ids) == 0 {
		return nil
	}
	return c.Fetch(ctx, ids, fn)
}
