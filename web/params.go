package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"
)

// pathID reads the :id path parameter. A malformed id answers 404 with notFound, like an
// unknown one: both mean "nothing at this address".
func pathID(c echo.Context, notFound string) (uint, error) {
	id, err := strconv.ParseUint(c.Param("id"), 10, 64)
	if err != nil || id == 0 {
		return 0, echo.NewHTTPError(http.StatusNotFound, notFound)
	}
	return uint(id), nil
}

// loadRow loads the row of model T named by the :id path parameter; a bad or unknown id is a
// 404 with notFound.
func loadRow[T any](s *Server, c echo.Context, notFound string) (*T, error) {
	id, err := pathID(c, notFound)
	if err != nil {
		return nil, err
	}
	var row T
	err = s.db.WithContext(c.Request().Context()).First(&row, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, echo.NewHTTPError(http.StatusNotFound, notFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load %T %d: %w", row, id, err)
	}
	return &row, nil
}
