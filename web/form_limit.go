package web

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

const (
	// formLimit caps one form field and all the fields of a form together: what a handler
	// receives is never larger.
	formLimit     = 1 << 20
	formLimitText = "1 MB"
	// formWireLimit is how much of a form body is read to keep the fields after an oversized
	// one; a larger body is refused with 413.
	formWireLimit = 16 << 20
	// ctxFormDropped holds the names of the fields formLimiter dropped ([]string).
	ctxFormDropped = "airlock.form.dropped"
)

var errFormWire = errors.New("form body over the wire limit")

// formLimiter lets a form over the limit come back to its page instead of a bare "Too large":
// an urlencoded or multipart body is read field by field (up to formWireLimit), a field over
// formLimit (or one that would take the form over it) is kept with an empty value, its name is
// put in the context, and the handler gets the other fields. Handlers call formLimitErrors in
// their validation step, so they re-render the form rather than save it. Other bodies keep
// echo's 1 MB limit.
func formLimiter() echo.MiddlewareFunc {
	plain := middleware.BodyLimit("1M")
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		limited := plain(next)
		return func(c echo.Context) error {
			req := c.Request()
			if req.Body == nil || req.Body == http.NoBody || !unsafeMethod(req.Method) {
				return limited(c)
			}
			ct, params, _ := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType))
			var (
				body    []byte
				dropped []string
				err     error
			)
			wire := &countingReader{r: io.LimitReader(req.Body, formWireLimit+1)}
			switch ct {
			case echo.MIMEApplicationForm:
				body, dropped, err = limitURLEncoded(wire)
			case echo.MIMEMultipartForm:
				if params["boundary"] == "" {
					return limited(c)
				}
				body, dropped, err = limitMultipart(wire, params["boundary"])
			default:
				return limited(c)
			}
			if wire.n > formWireLimit || errors.Is(err, errFormWire) {
				return echo.NewHTTPError(http.StatusRequestEntityTooLarge,
					fmt.Sprintf("What you sent is larger than %d MB, so none of it was read. A form field may hold at most %s.", formWireLimit>>20, formLimitText))
			}
			if err != nil {
				return echo.NewHTTPError(http.StatusBadRequest, "The form could not be read.")
			}
			req.Body = io.NopCloser(bytes.NewReader(body))
			req.ContentLength = int64(len(body))
			if len(dropped) > 0 {
				c.Set(ctxFormDropped, dropped)
			}
			return next(c)
		}
	}
}

type countingReader struct {
	r io.Reader
	n int64
}

func (r *countingReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.n += int64(n)
	return n, err
}

// limitURLEncoded copies an urlencoded body, emptying every field over the limit.
func limitURLEncoded(r io.Reader) ([]byte, []string, error) {
	br := bufio.NewReader(r)
	var out bytes.Buffer
	var dropped []string
	for {
		pair, over, err := readPair(br)
		if err != nil && err != io.EOF {
			return nil, nil, err
		}
		if len(pair) > 0 || over {
			if over || out.Len()+len(pair) > formLimit {
				key, _, _ := bytes.Cut(pair, []byte("="))
				name, uerr := url.QueryUnescape(string(key))
				if uerr != nil {
					name = string(key)
				}
				dropped = append(dropped, name)
				pair = append(key[:len(key):len(key)], '=')
			}
			if out.Len() > 0 {
				out.WriteByte('&')
			}
			out.Write(pair)
		}
		if err == io.EOF {
			return out.Bytes(), dropped, nil
		}
	}
}

// readPair reads up to the next & and reports whether the pair was longer than formLimit; only
// its first formLimit bytes are returned then (enough for the field name).
func readPair(br *bufio.Reader) ([]byte, bool, error) {
	var pair []byte
	over := false
	for {
		chunk, err := br.ReadSlice('&')
		if !over {
			pair = append(pair, chunk...)
			if len(pair) > formLimit+1 {
				over = true
				pair = pair[:formLimit]
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err == nil {
			if !over {
				pair = pair[:len(pair)-1] // the &
			}
			return pair, over, nil
		}
		return pair, over, err
	}
}

// limitMultipart re-encodes a multipart body with the same boundary, emptying every part over
// the limit.
func limitMultipart(r io.Reader, boundary string) ([]byte, []string, error) {
	mr := multipart.NewReader(r, boundary)
	var out bytes.Buffer
	mw := multipart.NewWriter(&out)
	if err := mw.SetBoundary(boundary); err != nil {
		return nil, nil, err
	}
	var dropped []string
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, wireOr(r, err)
		}
		data, err := io.ReadAll(io.LimitReader(part, formLimit+1))
		if err != nil {
			return nil, nil, wireOr(r, err)
		}
		h := part.Header
		if len(data) > formLimit || out.Len()+len(data) > formLimit {
			if _, err := io.Copy(io.Discard, part); err != nil {
				return nil, nil, wireOr(r, err)
			}
			dropped = append(dropped, part.FormName())
			data = nil
			// An emptied file part is sent as no file, so a handler does not read a truncated one.
			h = map[string][]string{"Content-Disposition": {fmt.Sprintf(`form-data; name=%q`, part.FormName())}}
		}
		w, err := mw.CreatePart(h)
		if err != nil {
			return nil, nil, err
		}
		w.Write(data)
	}
	if err := mw.Close(); err != nil {
		return nil, nil, err
	}
	return out.Bytes(), dropped, nil
}

// wireOr turns a read error caused by the wire limit into errFormWire.
func wireOr(r io.Reader, err error) error {
	if cr, ok := r.(*countingReader); ok && cr.n > formWireLimit {
		return errFormWire
	}
	return err
}

// formDropped lists the fields formLimiter emptied on this request.
func formDropped(c echo.Context) []string {
	d, _ := c.Get(ctxFormDropped).([]string)
	return d
}

// formLimitErrors puts an error beside every field the form limit emptied (keyed by the field's
// name) and returns errs (made when nil). Form handlers call it in their validation step, so a
// form with an emptied field is shown again, everything else as it was typed, instead of saved.
func formLimitErrors(c echo.Context, errs map[string]string) map[string]string {
	for _, name := range formDropped(c) {
		if errs == nil {
			errs = map[string]string{}
		}
		errs[name] = fmt.Sprintf("This field was larger than the %s limit, so it was not kept: shorten it (or attach less) and send the form again.", formLimitText)
	}
	return errs
}

// formLimitNotice is the message the layout shows above a form whose fields were emptied.
func formLimitNotice(c echo.Context) string {
	d := formDropped(c)
	if len(d) == 0 {
		return ""
	}
	return fmt.Sprintf("Not saved: %s larger than the %s limit and was emptied; the other fields are as you sent them.",
		quotedList(d), formLimitText)
}

func quotedList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "“" + n + "”"
	}
	if len(q) == 1 {
		return "the field " + q[0] + " was"
	}
	return "the fields " + strings.Join(q, ", ") + " were"
}
