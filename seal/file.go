package seal

import (
	"crypto/sha256"
	"fmt"
	"io"

	"filippo.io/age"
)

// SealFile streams src, encrypted to the recipients, into dst (an attachment's .age file) and
// returns the SHA-256 of what it wrote. The attachment's envelope (KindAttachment) carries that
// hash with the file's real name and size, so the signature covers the file too.
func SealFile(dst io.Writer, src io.Reader, to []Public) (sum []byte, n int64, err error) {
	rs := make([]age.Recipient, 0, len(to))
	for _, p := range to {
		r, err := p.recipient()
		if err != nil {
			return nil, 0, err
		}
		rs = append(rs, r)
	}
	h := sha256.New()
	cw := &countingWriter{w: io.MultiWriter(dst, h)}
	w, err := age.Encrypt(cw, rs...)
	if err != nil {
		return nil, 0, fmt.Errorf("seal: encrypt file: %w", err)
	}
	if _, err := io.Copy(w, src); err != nil {
		return nil, 0, fmt.Errorf("seal: encrypt file: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, 0, fmt.Errorf("seal: encrypt file: %w", err)
	}
	return h.Sum(nil), cw.n, nil
}

// OpenFile checks that the sealed file src hashes to want (from its verified envelope) and
// decrypts it into dst. Nothing is written to dst unless the whole file matches: the ciphertext
// is hashed first (age authenticates each chunk, so a tampered file also fails to decrypt).
func OpenFile(dst io.Writer, src io.ReadSeeker, want []byte, self *Identity) error {
	h := sha256.New()
	if _, err := io.Copy(h, src); err != nil {
		return fmt.Errorf("seal: read sealed file: %w", err)
	}
	if got := h.Sum(nil); string(got) != string(want) {
		return refuse(ErrBadSignature, fmt.Errorf("the file's hash is not the one its envelope carries"))
	}
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("seal: rewind sealed file: %w", err)
	}
	r, err := age.Decrypt(src, self.box)
	if err != nil {
		return refuse(ErrUndecryptable, err)
	}
	if _, err := io.Copy(dst, r); err != nil {
		return refuse(ErrUndecryptable, err)
	}
	return nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
