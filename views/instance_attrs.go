package views

import "github.com/a-h/templ"

// invalid marks a form control as invalid (Pico styles aria-invalid="true") and ties it to its
// error text, so a screen reader reads the message with the field.
func invalid(id, err string) templ.Attributes {
	if err == "" {
		return templ.Attributes{}
	}
	return templ.Attributes{"aria-invalid": "true", "aria-describedby": id + "-error"}
}

// selectedIf is the selected attribute of an option.
func selectedIf(b bool) templ.Attributes {
	if b {
		return templ.Attributes{"selected": true}
	}
	return templ.Attributes{}
}

// secretHelp is the help line of the password field: on edit, empty keeps the stored secret.
func secretHelp(f InstanceForm) string {
	if f.PendingSecret != "" {
		return "Kept from your last attempt (sealed, not shown). Type it again to change it."
	}
	if f.HasSecret {
		msg := "Stored encrypted and never shown. Leave empty to keep it; type a new one to replace it."
		if f.SavedTarget != "" {
			msg += " It is only ever sent to " + f.SavedTarget + ": a new scheme, host, port or login type needs it typed again."
		}
		return msg
	}
	if !f.IsNew() {
		return "No password or token is stored yet (imported configuration): enter one."
	}
	return "Stored encrypted and never shown again."
}
