package contract

import (
	"errors"
	"fmt"
	"strings"
)

// template is a parsed SignedContent: literal text between placeholders.
type template struct {
	parts []templatePart
}

type templatePart struct {
	literal string
	field   string // "", "id", "timestamp" or "body"
}

func parseTemplate(t string) (template, error) {
	if t == "" {
		t = "{body}"
	}
	var out template
	body := 0
	for t != "" {
		open := strings.IndexByte(t, '{')
		if open < 0 {
			out.parts = append(out.parts, templatePart{literal: t})
			break
		}
		if open > 0 {
			out.parts = append(out.parts, templatePart{literal: t[:open]})
		}
		closing := strings.IndexByte(t[open:], '}')
		if closing < 0 {
			return template{}, fmt.Errorf("signed content %q: unclosed '{'", t)
		}
		field := t[open+1 : open+closing]
		switch field {
		case "body":
			body++
		case "id", "timestamp":
		default:
			return template{}, fmt.Errorf("signed content: unknown placeholder {%s} (want {id}, {timestamp} or {body})", field)
		}
		out.parts = append(out.parts, templatePart{field: field})
		t = t[open+closing+1:]
	}
	if body != 1 {
		return template{}, errors.New("signed content must contain {body} exactly once")
	}
	return out, nil
}

// render appends the signed content before the body to pre and after it to
// post, so that the body itself is hashed without being copied.
func (t template) render(pre, post []byte, id string, timestamp []byte) ([]byte, []byte) {
	dst := &pre
	for _, p := range t.parts {
		switch p.field {
		case "":
			*dst = append(*dst, p.literal...)
		case "id":
			*dst = append(*dst, id...)
		case "timestamp":
			*dst = append(*dst, timestamp...)
		case "body":
			dst = &post
		}
	}
	return pre, post
}
