package views

import "strings"

// toggleConfirm is the question asked before disabling a user (nothing is asked to enable).
func toggleConfirm(u UserItem) string {
	if u.Disabled {
		return ""
	}
	return "Disable " + u.Username + "? They are logged out at once and cannot log in until enabled again."
}

// importBadge is the badge class of an import action.
func importBadge(action string) string {
	switch action {
	case ImportCreate:
		return "badge badge-active"
	case ImportUpdate:
		return "badge badge-pending-create"
	case ImportInvalid:
		return "badge badge-config"
	}
	return "badge"
}

// joinComma lists names.
func joinComma(s []string) string { return strings.Join(s, ", ") }
