package models

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// ConnectionLost reports whether err means the database connection broke (a server restart, a
// failover, an administrator terminating backends, a network cut) rather than a statement
// failing: SQLSTATE class 08 (connection exception), 57P01-57P03 (admin or crash shutdown,
// cannot connect now), driver.ErrBadConn, sql.ErrConnDone, an unexpected EOF or a network error
// from the driver. These are transient: the pool reconnects and the next attempt succeeds, so
// they never count toward a twin's quarantine.
func ConnectionLost(err error) bool {
	if err == nil {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return strings.HasPrefix(pe.Code, "08") || pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03"
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) || errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) {
		return true
	}
	var oe *net.OpError
	return errors.As(err, &oe)
}
