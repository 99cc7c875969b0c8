package models

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// SealMark is the highest version of one sealed item a node has accepted on a sealed relay
// (issue 15): an envelope older than its mark is a replay or a withheld update and is refused,
// and a marked item that disappears was deleted on the relay. Item is the envelope's opaque id
// and kind (state slots by their writer, comments by their own id).
type SealMark struct {
	ID           uint   `gorm:"primaryKey"`
	ConnectionID uint   `gorm:"not null;uniqueIndex:ux_seal_mark,priority:1"`
	Item         string `gorm:"size:200;not null;uniqueIndex:ux_seal_mark,priority:2"`
	Seq          uint64 `gorm:"not null"`
}

// SealMarks returns the marks of a connection's items with the given ids.
func (db *DB) SealMarks(ctx context.Context, connID uint, items []string) (map[string]uint64, error) {
	out := map[string]uint64{}
	if len(items) == 0 {
		return out, nil
	}
	var rows []SealMark
	if err := db.WithContext(ctx).Where("connection_id = ? AND item IN ?", connID, items).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read sealed versions: %w", err)
	}
	for _, r := range rows {
		out[r.Item] = r.Seq
	}
	return out, nil
}

// RaiseSealMark records that version seq of item was accepted; a lower seq never lowers it.
func (db *DB) RaiseSealMark(ctx context.Context, connID uint, item string, seq uint64) error {
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&SealMark{ConnectionID: connID, Item: item, Seq: seq}).Error; err != nil {
			return err
		}
		return tx.Model(&SealMark{}).Where("connection_id = ? AND item = ? AND seq < ?", connID, item, seq).Update("seq", seq).Error
	})
	if err != nil {
		return fmt.Errorf("record sealed version: %w", err)
	}
	return nil
}

// SealMarksPrefix returns the marks of a connection's items whose id starts with prefix.
func (db *DB) SealMarksPrefix(ctx context.Context, connID uint, prefix string) (map[string]uint64, error) {
	var rows []SealMark
	esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(prefix)
	if err := db.WithContext(ctx).Where(`connection_id = ? AND item LIKE ? ESCAPE '\'`, connID, esc+"%").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read sealed versions: %w", err)
	}
	out := make(map[string]uint64, len(rows))
	for _, r := range rows {
		out[r.Item] = r.Seq
	}
	return out, nil
}
