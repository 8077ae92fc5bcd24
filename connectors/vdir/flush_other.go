//go:build !linux

package vdir

// syncAll makes the folder's pending writes durable file by file.
func (c *Connector) syncAll(names []string) error { return c.syncEach(names) }
