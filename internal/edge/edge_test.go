package edge

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/webhook-ingest/webhook-ingest/contract"
)

// sent is what an Edge handed its Sender.
type sent struct {
	body  string
	attrs map[string]string
}

// newEdge returns an edge of routes whose messages are recorded.
func newEdge(t *testing.T, routes map[string]string, maxBytes int) (*Edge, *[]sent) {
	t.Helper()
	var got []sent
	e, err := New(routes, func(body []byte, attrs map[string]string) (string, error) {
		got = append(got, sent{string(body), attrs})
		return "0f8f2b6a-0000-4000-8000-000000000001", nil
	}, maxBytes)
	if err != nil {
		t.Fatal(err)
	}
	e.Now = func() time.Time { return time.UnixMilli(1764000000123) }
	return e, &got
}

func mapping(t *testing.T, source, preset string) string {
	t.Helper()
	p, ok := contract.LookupPreset(preset)
	if !ok {
		t.Fatalf("no preset %s", preset)
	}
	m, err := contract.MessageAttributesMapping(source, p)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func do(e *Edge, method, path, body string, header map[string][]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.RemoteAddr = "192.0.2.7:51234"
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec
}

func TestEdge(t *testing.T) {
	generic := map[string][]string{"X-Hmac": {"abc"}, "X-Webhook-Id": {"id-1"}, "X-Topic": {"orders/paid"}}
	with := func(k string, vs ...string) map[string][]string {
		h := maps.Clone(generic)
		if vs == nil {
			delete(h, k)
		} else {
			h[k] = vs
		}
		return h
	}
	const max = 300
	// The attributes of a generic message, and their size: names, "String"
	// and values.
	stored := map[string]string{"source": "orders", "request-time": "1764000000123", "source-ip": "192.0.2.7", "signature": "abc", "webhook-id": "id-1", "topic": "orders/paid"}
	attrBytes := 0
	for name, v := range stored {
		attrBytes += len(name) + len("String") + len(v)
	}
	for _, tc := range []struct {
		name        string
		method      string
		path        string
		body        string
		header      map[string][]string
		status      int
		response    string
		wantMessage map[string]string
	}{
		{"stored", "POST", "/webhooks/orders", `{"order":1}`, generic, 200, `"MessageId":"0f8f2b6a-0000-4000-8000-000000000001"`, stored},
		{"header names are case-insensitive, values joined with commas", "POST", "/webhooks/orders", `{}`,
			map[string][]string{"x-hmac": {"abc"}, "X-WEBHOOK-ID": {"id-1"}, "x-topic": {"a", "b"}}, 200, `"MessageId"`,
			map[string]string{"source": "orders", "request-time": "1764000000123", "source-ip": "192.0.2.7", "signature": "abc", "webhook-id": "id-1", "topic": "a,b"}},
		{"missing mapped header", "POST", "/webhooks/orders", `{}`, with("X-Hmac"), 400, `{"message":"Bad Request"}`, nil},
		{"empty mapped header", "POST", "/webhooks/orders", `{}`, with("X-Topic", ""), 400, `{"message":"Bad Request"}`, nil},
		{"empty body", "POST", "/webhooks/orders", ``, generic, 400, `{"message":"Bad Request"}`, nil},
		{"body not UTF-8", "POST", "/webhooks/orders", "\xff\xfe", generic, 400, `{"message":"Bad Request"}`, nil},
		{"body with a character SQS refuses", "POST", "/webhooks/orders", "a\x00b", generic, 400, `{"message":"Bad Request"}`, nil},
		{"largest message", "POST", "/webhooks/orders", strings.Repeat("x", max-attrBytes), generic, 200, `"MessageId"`, stored},
		{"one byte over", "POST", "/webhooks/orders", strings.Repeat("x", max-attrBytes+1), generic, 413, `{"message":"Request Entity Too Large"}`, nil},
		{"unknown source", "POST", "/webhooks/billing", `{}`, generic, 404, `{"message":"Not Found"}`, nil},
		{"other method", "GET", "/webhooks/orders", ``, generic, 404, `{"message":"Not Found"}`, nil},
		{"other path", "POST", "/orders", `{}`, generic, 404, `{"message":"Not Found"}`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, got := newEdge(t, map[string]string{"orders": mapping(t, "orders", "generic")}, max)
			var refused []Refusal
			e.Refused = func(r Refusal) { refused = append(refused, r) }
			rec := do(e, tc.method, tc.path, tc.body, tc.header)
			if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.response) {
				t.Errorf("HTTP %d %s, want %d with %s", rec.Code, rec.Body, tc.status, tc.response)
			}
			if tc.wantMessage == nil {
				if len(*got) != 0 || len(refused) != 1 || refused[0].Status != tc.status {
					t.Errorf("sent %v, refusals %v: want none sent, one refusal", *got, refused)
				}
				return
			}
			if len(*got) != 1 || (*got)[0].body != tc.body || !maps.Equal((*got)[0].attrs, tc.wantMessage) {
				t.Errorf("sent %+v, want body %q with %v", *got, tc.body, tc.wantMessage)
			}
		})
	}
}

func TestRefusalNamesTheFirstMissingHeader(t *testing.T) {
	e, _ := newEdge(t, map[string]string{"orders": mapping(t, "orders", "generic")}, 1000)
	var refused []Refusal
	e.Refused = func(r Refusal) { refused = append(refused, r) }
	for range 5 {
		do(e, "POST", "/webhooks/orders", "{}", nil)
	}
	for _, r := range refused {
		if r.Reason != "missing header x-hmac (mapped to attribute signature)" || r.Source != "orders" {
			t.Errorf("refusal %+v", r)
		}
	}
}

func TestSenderError(t *testing.T) {
	e, err := New(map[string]string{"orders": mapping(t, "orders", "recharge")}, func([]byte, map[string]string) (string, error) {
		return "", fmt.Errorf("disk full")
	}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	rec := do(e, "POST", "/webhooks/orders", "{}", map[string][]string{"X-Recharge-Hmac-Sha256": {"a"}, "X-Recharge-Topic": {"t"}})
	if rec.Code != 500 || rec.Body.String() != `{"message":"Internal Server Error"}` {
		t.Errorf("HTTP %d %s", rec.Code, rec.Body)
	}
}

func TestNewRefusesWhatItCannotEvaluate(t *testing.T) {
	for name, m := range map[string]string{
		"not JSON":            `{"source":`,
		"unknown placeholder": `{"a":{"DataType":"String","StringValue":"${context.identity.userAgent}"}}`,
		"unclosed":            `{"a":{"DataType":"String","StringValue":"${request.header.x"}}`,
		"empty header name":   `{"a":{"DataType":"String","StringValue":"${request.header.}"}}`,
		"binary attribute":    `{"a":{"DataType":"Binary","StringValue":"x"}}`,
	} {
		if _, err := New(map[string]string{"orders": m}, nil, 1000); err == nil {
			t.Errorf("%s: New accepted %s", name, m)
		}
	}
}

// TestEveryPresetsMapping: the mapping of every preset parses, and a
// request with each mapped header yields exactly the attributes the
// mapping names, each with its header's value.
func TestEveryPresetsMapping(t *testing.T) {
	for _, name := range contract.PresetNames() {
		p, ok := contract.LookupPreset(name)
		if name == contract.CustomPreset {
			var err error
			p, err = contract.Custom{SignatureHeader: "X-Sig", IDHeader: "X-Id", TopicHeader: "X-Kind", TimestampHeader: "X-Ts", SignedContent: "{timestamp}.{body}"}.Preset()
			ok = err == nil
		}
		if !ok {
			t.Fatalf("preset %s", name)
		}
		m, err := contract.MessageAttributesMapping("src", p)
		if err != nil {
			t.Fatal(err)
		}
		var decl map[string]json.RawMessage
		if err := json.Unmarshal([]byte(m), &decl); err != nil {
			t.Fatal(err)
		}
		e, got := newEdge(t, map[string]string{"src": m}, 10000)
		header := map[string][]string{}
		want := map[string]string{contract.AttrSource: "src", contract.AttrRequestTime: "1764000000123", contract.AttrSourceIP: "192.0.2.7"}
		for attr, h := range p.Headers.ByAttribute() {
			header[h] = []string{"value of " + h}
			want[attr] = "value of " + h
		}
		if rec := do(e, "POST", "/webhooks/src", "{}", header); rec.Code != 200 {
			t.Fatalf("%s: HTTP %d %s", name, rec.Code, rec.Body)
		}
		if len(*got) != 1 || !maps.Equal((*got)[0].attrs, want) || len(want) != len(decl) {
			t.Errorf("%s: attributes %v, want %v (the mapping declares %d)", name, (*got)[0].attrs, want, len(decl))
		}
	}
}

func TestPath(t *testing.T) {
	if got := Path("orders"); got != "/webhooks/orders" {
		t.Errorf("Path = %q", got)
	}
}
