#!/bin/sh
# Vendors the console's third-party browser files from the npm registry, reproducibly:
#   htmx.min.js  from htmx.org      (dist/htmx.min.js)
#   pico.min.css from @picocss/pico (css/pico.min.css)
# and records their SHA-256 in SHA256SUMS. Run from anywhere: sh static/vendor/update.sh
# To upgrade, change a version below, run the script, review the diff, commit the result.
# Verify without network: (cd static/vendor && sha256sum -c SHA256SUMS)
set -eu

HTMX_VERSION=2.0.11
PICO_VERSION=2.1.1

here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fetch() { # fetch <package@version> <path inside the tarball> <output name>
	tgz=$(cd "$work" && npm pack --silent "$1")
	tar -xzf "$work/$tgz" -C "$work" "package/$2"
	cp "$work/package/$2" "$here/$3"
	rm -rf "$work/package" "$work/$tgz"
}

fetch "htmx.org@$HTMX_VERSION" dist/htmx.min.js htmx.min.js
fetch "@picocss/pico@$PICO_VERSION" css/pico.min.css pico.min.css

cd "$here"
sha256sum htmx.min.js pico.min.css > SHA256SUMS
{
	echo "htmx.org@$HTMX_VERSION dist/htmx.min.js"
	echo "@picocss/pico@$PICO_VERSION css/pico.min.css"
} > VERSIONS
cat SHA256SUMS
