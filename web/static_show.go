package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/airlock-sync/airlock/static"
)

// asset is one embedded static file with its content hash.
type asset struct {
	data  []byte
	hash  string
	ctype string
}

// assets holds every embedded static file, hashed once at start; URLs carry the hash (?v=), so
// browsers may cache them for a year and still see a new version at once.
type assets struct {
	files map[string]asset
}

func loadAssets() (*assets, error) {
	a := &assets{files: map[string]asset{}}
	err := fs.WalkDir(static.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(static.FS, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ctype := mime.TypeByExtension(path.Ext(p))
		if ctype == "" {
			ctype = http.DetectContentType(b)
		}
		a.files[p] = asset{data: b, hash: hex.EncodeToString(sum[:])[:16], ctype: ctype}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load static files: %w", err)
	}
	return a, nil
}

// URL is the versioned URL of a static file; an unknown name keeps its plain path.
func (a *assets) URL(name string) string {
	f, ok := a.files[name]
	if !ok {
		return "/static/" + name
	}
	return "/static/" + name + "?v=" + f.hash
}

// staticShow serves an embedded file: cached for a year when the URL carries its current hash,
// briefly otherwise; ETag and Range through http.ServeContent.
func (s *Server) staticShow(c echo.Context) error {
	name := c.Param("*")
	f, ok := s.assets.files[name]
	if !ok || !fs.ValidPath(name) {
		return echo.ErrNotFound
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, f.ctype)
	h.Set("ETag", `"`+f.hash+`"`)
	if c.QueryParam("v") == f.hash {
		h.Set(echo.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		h.Set(echo.HeaderCacheControl, "public, max-age=300")
	}
	http.ServeContent(c.Response(), c.Request(), name, time.Time{}, bytes.NewReader(f.data))
	return nil
}
