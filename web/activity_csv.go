package web

import (
	"bufio"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/models"
)

// activityCSVHeader is the first line of the download.
var activityCSVHeader = []string{"at_utc", "connection", "twin_id", "local_key", "remote_key", "direction", "kind", "field", "old_value", "new_value"}

// activityCSV streams every event matching the Activity page's filters as CSV, newest first,
// without holding them in memory. Cells a spreadsheet would run as a formula are defused.
func (s *Server) activityCSV(c echo.Context) error {
	ctx := c.Request().Context()
	f, err := s.parseActivityFilter(ctx, c.QueryParams())
	if err != nil {
		return err
	}
	for _, msg := range f.errs {
		return echo.NewHTTPError(http.StatusUnprocessableEntity, "The filter is not valid: "+msg+" Fix it on the Activity page, then download again.")
	}
	names, err := s.connectionNames(ctx)
	if err != nil {
		return err
	}
	rows, err := f.apply(s.db.WithContext(ctx).Model(&models.Event{})).
		Select("events.at, events.connection_id, events.twin_id, twins.local_key, twins.remote_key, events.direction, events.kind, events.field, events.old_value, events.new_value").
		Joins("LEFT JOIN twins ON twins.id = events.twin_id").
		Order("events.at DESC, events.id DESC").Rows()
	if err != nil {
		return fmt.Errorf("export events: %w", err)
	}
	defer rows.Close()

	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="airlock-activity-%s.csv"`, time.Now().UTC().Format("2006-01-02")))
	h.Set(echo.HeaderCacheControl, "no-store")
	c.Response().WriteHeader(http.StatusOK)
	if c.Request().Method == http.MethodHead {
		return nil
	}
	w := bufio.NewWriter(c.Response())
	if err := writeCSVRecord(w, activityCSVHeader); err != nil {
		return nil // the client went away
	}
	var r struct {
		At                  time.Time
		ConnectionID        uint
		TwinID              uint
		LocalKey, RemoteKey *string
		Direction, Kind     string
		Field               string
		OldValue, NewValue  string
	}
	n := 0
	for rows.Next() {
		r.LocalKey, r.RemoteKey = nil, nil
		if err := s.db.ScanRows(rows, &r); err != nil {
			s.log.Error("activity csv: read row", "err", err)
			break // the header is sent: end the file early rather than answer an error page
		}
		rec := []string{r.At.UTC().Format(time.RFC3339), nameOr(names, r.ConnectionID), strconv.FormatUint(uint64(r.TwinID), 10),
			activityDeref(r.LocalKey), activityDeref(r.RemoteKey), r.Direction, r.Kind, r.Field, r.OldValue, r.NewValue}
		for i := range rec {
			rec[i] = activityCSVSafe(rec[i])
		}
		if err := writeCSVRecord(w, rec); err != nil {
			return nil
		}
		if n++; n%500 == 0 {
			if w.Flush() != nil {
				return nil
			}
			c.Response().Flush()
		}
	}
	if err := rows.Err(); err != nil {
		s.log.Error("activity csv: rows", "err", err)
	}
	w.Flush()
	return nil
}

// formulaSigns start a formula in Excel, LibreOffice or Google Sheets, the full-width forms
// included (spreadsheets in CJK locales fold them to the ASCII ones).
const formulaSigns = "=+-@＝＋－＠"

// activityCSVSafe defuses spreadsheet formula injection: a cell whose text, or any of its
// ;-separated parts (a spreadsheet opening the file with ; as separator splits there), starts
// with a formula sign once leading white space is trimmed, or starts with a tab or carriage
// return (which some spreadsheets strip first), is prefixed with a single quote. Nothing is
// removed: the quote is the only change.
func activityCSVSafe(v string) string {
	for part := range strings.SplitSeq(v, ";") {
		if strings.HasPrefix(part, "\t") || strings.HasPrefix(part, "\r") {
			return "'" + v
		}
		t := strings.TrimLeftFunc(part, func(r rune) bool { return unicode.IsSpace(r) || r == '\uFEFF' || r == '\u200B' })
		if r, _ := utf8.DecodeRuneInString(t); t != "" && strings.ContainsRune(formulaSigns, r) {
			return "'" + v
		}
	}
	return v
}

// writeCSVRecord writes one CSV line with every cell in double quotes, so a spreadsheet that
// splits on ; or tab instead of , still sees each cell whole.
func writeCSVRecord(w *bufio.Writer, rec []string) error {
	for i, f := range rec {
		if i > 0 {
			w.WriteByte(',')
		}
		w.WriteByte('"')
		w.WriteString(strings.ReplaceAll(f, `"`, `""`))
		w.WriteByte('"')
	}
	_, err := w.WriteString("\r\n")
	return err
}

func activityDeref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
