package contract

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
)

// Headers names the request headers a preset maps to message attributes; an
// empty name is not mapped. Only headers the sender always sends belong here.
type Headers struct {
	Signature string
	ID        string
	Topic     string
	Timestamp string
}

// ByAttribute returns the mapped headers keyed by message attribute name.
func (h Headers) ByAttribute() map[string]string {
	m := make(map[string]string, 4)
	for attr, header := range map[string]string{
		AttrSignature: h.Signature,
		AttrWebhookID: h.ID,
		AttrTopic:     h.Topic,
		AttrTimestamp: h.Timestamp,
	} {
		if header != "" {
			m[attr] = header
		}
	}
	return m
}

// Preset is one kind of sender: which headers API Gateway maps, how the
// handler verifies the signature, and where the delivery id and topic live.
type Preset struct {
	Name    string
	Headers Headers
	Scheme  Scheme
	// Tolerance is the sender's own replay window for timestamped schemes.
	Tolerance time.Duration
	// BodyIDField and BodyTopicField name top-level JSON fields of the body
	// that carry the id and topic when no header does (Stripe).
	BodyIDField    string
	BodyTopicField string
}

const fiveMinutes = 5 * time.Minute

var presets = map[string]Preset{
	"generic": {
		Headers: Headers{Signature: "x-hmac", ID: "x-webhook-id", Topic: "x-topic"},
		Scheme:  Scheme{Algorithm: HMACSHA256, Encoding: Hex, Format: Single, Secret: RawSecret},
	},
	"shopify": {
		Headers: Headers{Signature: "X-Shopify-Hmac-Sha256", ID: "X-Shopify-Webhook-Id", Topic: "X-Shopify-Topic"},
		Scheme:  Scheme{Algorithm: HMACSHA256, Encoding: Base64, Format: Single, Secret: RawSecret},
	},
	"github": {
		Headers: Headers{Signature: "X-Hub-Signature-256", ID: "X-GitHub-Delivery", Topic: "X-GitHub-Event"},
		Scheme:  Scheme{Algorithm: HMACSHA256, Encoding: Hex, Format: Single, Prefix: "sha256=", Secret: RawSecret},
	},
	// Stripe sends its event id and type only in the body.
	"stripe": {
		Headers:        Headers{Signature: "Stripe-Signature"},
		Scheme:         Scheme{Algorithm: HMACSHA256, Encoding: Hex, Format: StripeList, SignedContent: "{timestamp}.{body}", Secret: RawSecret},
		Tolerance:      fiveMinutes,
		BodyIDField:    "id",
		BodyTopicField: "type",
	},
	"standard-webhooks": {
		Headers:   Headers{Signature: "webhook-signature", ID: "webhook-id", Timestamp: "webhook-timestamp"},
		Scheme:    Scheme{Algorithm: HMACSHA256, Encoding: Base64, Format: VersionedList, SignedContent: "{id}.{timestamp}.{body}", Secret: WhsecBase64},
		Tolerance: fiveMinutes,
	},
	// White-labelled Svix sends webhook-* headers instead: that sender is the
	// standard-webhooks preset.
	"svix": {
		Headers:   Headers{Signature: "svix-signature", ID: "svix-id", Timestamp: "svix-timestamp"},
		Scheme:    Scheme{Algorithm: HMACSHA256, Encoding: Base64, Format: VersionedList, SignedContent: "{id}.{timestamp}.{body}", Secret: WhsecBase64},
		Tolerance: fiveMinutes,
	},
	// Slack and Recharge send no delivery id; Identify derives one.
	"slack": {
		Headers:   Headers{Signature: "X-Slack-Signature", Timestamp: "X-Slack-Request-Timestamp"},
		Scheme:    Scheme{Algorithm: HMACSHA256, Encoding: Hex, Format: Single, Prefix: "v0=", SignedContent: "v0:{timestamp}:{body}", Secret: RawSecret},
		Tolerance: fiveMinutes,
	},
	"recharge": {
		Headers: Headers{Signature: "X-Recharge-Hmac-Sha256", Topic: "X-Recharge-Topic"},
		Scheme:  Scheme{Algorithm: SHA256SecretPrefix, Encoding: Hex, Format: Single, Secret: RawSecret},
	},
}

// CustomPreset is the name of the preset whose headers and scheme the user
// describes in a source's Custom field.
const CustomPreset = "custom"

// LookupPreset returns the built-in preset called name.
func LookupPreset(name string) (Preset, bool) {
	p, ok := presets[name]
	p.Name = name
	return p, ok
}

// PresetNames returns the names of the built-in presets and "custom", sorted.
func PresetNames() []string {
	names := []string{CustomPreset}
	for n := range presets {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Custom describes a sender that no preset covers.
type Custom struct {
	SignatureHeader string    `json:"signatureHeader"`
	IDHeader        string    `json:"idHeader,omitempty"`
	TopicHeader     string    `json:"topicHeader,omitempty"`
	TimestampHeader string    `json:"timestampHeader,omitempty"`
	Algorithm       Algorithm `json:"algorithm,omitempty"`
	Encoding        Encoding  `json:"encoding,omitempty"`
	Prefix          string    `json:"prefix,omitempty"`
	// SignedContent is a template over {id}, {timestamp} and {body}.
	SignedContent string `json:"signedContent,omitempty"`
}

// Preset validates c and returns the preset it describes. Defaults:
// hmac-sha256, hex, signed content "{body}", a five-minute replay window.
func (c Custom) Preset() (Preset, error) {
	p := Preset{
		Name:    CustomPreset,
		Headers: Headers{Signature: c.SignatureHeader, ID: c.IDHeader, Topic: c.TopicHeader, Timestamp: c.TimestampHeader},
		Scheme: Scheme{
			Algorithm:     cmp.Or(c.Algorithm, HMACSHA256),
			Encoding:      cmp.Or(c.Encoding, Hex),
			Format:        Single,
			Prefix:        c.Prefix,
			SignedContent: cmp.Or(c.SignedContent, "{body}"),
			Secret:        RawSecret,
		},
		Tolerance: fiveMinutes,
	}
	if c.SignatureHeader == "" {
		return Preset{}, errors.New("custom.signatureHeader is required")
	}
	// In field order, so that the error names the same field every time.
	for _, f := range []struct{ field, header string }{
		{"signatureHeader", c.SignatureHeader},
		{"idHeader", c.IDHeader},
		{"topicHeader", c.TopicHeader},
		{"timestampHeader", c.TimestampHeader},
	} {
		if f.header != "" && !isHeaderName(f.header) {
			return Preset{}, fmt.Errorf("custom.%s %q is not a header name (letters, digits, '-' and '_')", f.field, f.header)
		}
	}
	if strings.TrimLeftFunc(c.Prefix, unicode.IsSpace) != c.Prefix {
		// The header is trimmed before the prefix is cut, so it could never match.
		return Preset{}, fmt.Errorf("custom.prefix %q must not start with white space", c.Prefix)
	}
	if err := p.Scheme.Validate(); err != nil {
		return Preset{}, fmt.Errorf("custom: %w", err)
	}
	if strings.Contains(p.Scheme.SignedContent, "{timestamp}") != (c.TimestampHeader != "") {
		return Preset{}, errors.New("custom.signedContent uses {timestamp} exactly when custom.timestampHeader is set")
	}
	if strings.Contains(p.Scheme.SignedContent, "{id}") && c.IDHeader == "" {
		return Preset{}, errors.New("custom.signedContent uses {id}, which needs custom.idHeader")
	}
	return p, nil
}

// Identify returns the id and topic of an authenticated delivery from its
// attributes or, where the sender puts them in the body, from the body's JSON.
// A sender with no delivery id gets one derived from the body, so that
// redeliveries of the same body still collapse into one object.
//
// An attribute counts only when the preset maps a header to it: any other
// did not come from the sender's request (a hand-made message can carry
// anything), so it must not override what the signed body says.
func (p Preset) Identify(attrID, attrTopic string, body []byte) (id, topic string, err error) {
	if p.Headers.ID == "" {
		attrID = ""
	}
	if p.Headers.Topic == "" {
		attrTopic = ""
	}
	id, topic = attrID, attrTopic
	if p.Headers.ID != "" && strings.TrimSpace(id) == "" {
		return "", "", errors.New("empty webhook id")
	}
	if p.BodyIDField != "" || p.BodyTopicField != "" {
		var fields map[string]json.RawMessage
		if json.Unmarshal(body, &fields) == nil {
			if id == "" {
				id = jsonString(fields[p.BodyIDField])
			}
			if topic == "" {
				topic = jsonString(fields[p.BodyTopicField])
			}
		}
	}
	if id == "" {
		sum := sha256.Sum256(body)
		id = "sha256-" + hex.EncodeToString(sum[:])
	}
	return id, topic, nil
}

func jsonString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}
