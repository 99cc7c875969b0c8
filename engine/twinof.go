package engine

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/airlock-sync/airlock/models"
)

// twinOf returns the twin of connection connID whose issue on side (models.SideLocal or
// models.SideRemote) has the given Jira id, or nil when that issue has none. Sub-tasks, epics
// and issue links use it to find where a related issue lives on the other side.
func (e *Engine) twinOf(ctx context.Context, connID uint, side, issueID string) (*models.Twin, error) {
	col := "local_issue_id"
	if side == models.SideRemote {
		col = "remote_issue_id"
	}
	var tw models.Twin
	err := e.db(ctx).Where("connection_id = ? AND "+col+" = ?", connID, issueID).Order("id").Take(&tw).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("twin of %s issue %s: %w", side, issueID, err)
	}
	return &tw, nil
}
