package models

import "time"

// WorklogTwin maps a worklog on one side to its copy on the other (issue 14), as CommentTwin
// does for comments. The baseline is the source worklog as last agreed by both sides: its start
// (milliseconds since the epoch, exact), its seconds and its comment content (without a copy's
// attribution header), so an edit on either side is told from an edit on the other.
type WorklogTwin struct {
	ID       uint    `gorm:"primaryKey"`
	TwinID   uint    `gorm:"not null;uniqueIndex:ux_wt_local,priority:1;uniqueIndex:ux_wt_remote,priority:1"`
	LocalID  *string `gorm:"size:40;uniqueIndex:ux_wt_local,priority:2"`
	RemoteID *string `gorm:"size:40;uniqueIndex:ux_wt_remote,priority:2"`
	// StartedMS, Seconds and Comment are the baseline.
	StartedMS int64  `gorm:"not null;default:0"`
	Seconds   int64  `gorm:"not null;default:0"`
	Comment   string `gorm:"type:text"`
	// Visibility is the restriction last given to the copy ("role:Developers", "" for none): a
	// source that changes its own is told from a person who restricted the copy.
	Visibility string `gorm:"size:300;not null;default:''"`
	Deleted    bool   `gorm:"not null;default:false"`
	CreatedAt  time.Time
	UpdatedAt  time.Time
}
