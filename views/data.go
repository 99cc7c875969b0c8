package views

// SettingRow is one effective configuration value (never a secret).
type SettingRow struct {
	Name, Value, Help string
}

// LoginForm is the login page's form state; Error is shown above the form.
type LoginForm struct {
	Action   string
	Username string
	Next     string
	CSRF     string
	Error    string
}

// ErrorInfo is an error page's content: never internals, only what the visitor can act on.
type ErrorInfo struct {
	Code    int
	Title   string
	Message string
	// BackURL is where the page's one link leads (dashboard or login).
	BackURL   string
	BackLabel string
}
