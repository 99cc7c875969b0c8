package models

import "time"

// LinkTwin maps an issue link on the local side to its copy on the remote side. A link belongs
// to two issues, both of which reconcile, so link twins are kept per connection, not per twin:
// one row per link whichever end's reconcile made it. FromTwinID is the twin of the link's
// source (the issue that "blocks"), ToTwinID the twin of its destination; LocalType and
// RemoteType are the link type names on each side (migration 12).
type LinkTwin struct {
	ID           uint    `gorm:"primaryKey"`
	ConnectionID uint    `gorm:"not null;uniqueIndex:ux_lt_local,priority:1;uniqueIndex:ux_lt_remote,priority:1"`
	LocalLinkID  *string `gorm:"size:40;uniqueIndex:ux_lt_local,priority:2"`
	RemoteLinkID *string `gorm:"size:40;uniqueIndex:ux_lt_remote,priority:2"`
	FromTwinID   uint    `gorm:"not null;index:ix_lt_from"`
	ToTwinID     uint    `gorm:"not null;index:ix_lt_to"`
	LocalType    string  `gorm:"size:255"`
	RemoteType   string  `gorm:"size:255"`
	CreatedAt    time.Time
	UpdatedAt    time.Time
}
