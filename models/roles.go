package models

// Console roles. IsAdmin is the role flag on the row: an administrator may do everything, an
// operator reads everything and may only press the operational buttons (see web/roles.go).
const (
	ConsoleAdmin    = "admin"
	ConsoleOperator = "operator"
)

// Role is the user's console role, ConsoleAdmin or ConsoleOperator.
func (u *User) Role() string {
	if u != nil && u.IsAdmin {
		return ConsoleAdmin
	}
	return ConsoleOperator
}
