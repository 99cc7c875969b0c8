package models

import "time"

// TwinStructure is what the engine remembers of a sub-task twin's structure (engine/structure.go,
// migration 11): each side's parent issue id as last agreed, so a move on one side is told from
// a move on the other; which side holds Airlock's copy (the side a re-creation may replace);
// and an old copy being replaced by a re-creation under a new parent, deleted once the new copy
// exists.
type TwinStructure struct {
	TwinID uint `gorm:"primaryKey;autoIncrement:false"`
	// Known is false until the parents were first recorded.
	Known          bool   `gorm:"not null;default:false"`
	LocalParentID  string `gorm:"size:40"`
	RemoteParentID string `gorm:"size:40"`
	// CopySide is the side whose issue Airlock created (SideLocal or SideRemote), "" unknown.
	CopySide string `gorm:"size:10"`
	// ReplacedID is the id of an old copy still to delete on CopySide after a re-creation.
	ReplacedID string `gorm:"size:40"`
	UpdatedAt  time.Time
}
