// Package static holds the console's browser files, embedded into the binary so the console
// needs no CDN and no files on disk at run time: our own app.css and app.js, and the vendored
// htmx and Pico CSS (see vendor/update.sh for how they are fetched and checked).
package static

import "embed"

// FS is every file served under /static/, with paths relative to this folder
// (app.css, app.js, favicon.svg, vendor/htmx.min.js, vendor/pico.min.css).
//
//go:embed app.css app.js favicon.svg vendor/htmx.min.js vendor/pico.min.css
var FS embed.FS
