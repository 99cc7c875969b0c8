package static

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"strings"
	"testing"
)

// TestVendoredFilesMatchSums proves the embedded vendor files are the ones update.sh fetched.
func TestVendoredFilesMatchSums(t *testing.T) {
	f, err := os.Open("vendor/SHA256SUMS")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok {
			t.Fatalf("bad line %q", sc.Text())
		}
		b, err := fs.ReadFile(FS, "vendor/"+name)
		if err != nil {
			t.Fatalf("%s listed in SHA256SUMS but not embedded: %v", name, err)
		}
		got := sha256.Sum256(b)
		if hex.EncodeToString(got[:]) != sum {
			t.Errorf("%s: embedded file does not match SHA256SUMS; run static/vendor/update.sh", name)
		}
		n++
	}
	if n != 2 {
		t.Fatalf("SHA256SUMS lists %d files, want 2 (htmx, pico)", n)
	}
}

// TestOwnFilesHaveNoInlineStyleHooks keeps app.js from setting styles a strict CSP would block.
func TestOwnFilesHaveNoInlineStyleHooks(t *testing.T) {
	b, err := fs.ReadFile(FS, "app.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{".style.", "innerHTML", "eval(", "new Function"} {
		if strings.Contains(string(b), bad) {
			t.Errorf("app.js uses %q", bad)
		}
	}
}
