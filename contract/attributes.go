package contract

import (
	"encoding/json"
	"fmt"
	"strings"
)

// SQS message attribute names written by the API Gateway integration and read
// by the handler. The seed article's "webook-id" typo is deliberately fixed.
const (
	AttrSource    = "source"
	AttrSignature = "signature"
	AttrWebhookID = "webhook-id"
	AttrTopic     = "topic"
	AttrTimestamp = "timestamp"
	// AttrRequestTime is when API Gateway received the request, in Unix
	// milliseconds ($context.requestTimeEpoch). Replay windows are checked
	// against it because, unlike SQS's SentTimestamp, it survives a
	// dead-letter redrive.
	AttrRequestTime = "request-time"
)

type attributeMapping struct {
	DataType    string
	StringValue string
}

// MessageAttributesMapping returns the JSON value of the SQS-SendMessage
// integration's MessageAttributes request parameter for one source: the static
// source name, API Gateway's request time, and one attribute per header the
// preset maps.
//
// Every mapped header must be one the sender always sends: API Gateway refuses
// a request whose mapped header is missing, because SQS rejects empty values.
func MessageAttributesMapping(source string, p Preset) (string, error) {
	if err := ValidateSourceName(source); err != nil {
		return "", err
	}
	m := map[string]attributeMapping{
		AttrSource:      {DataType: "String", StringValue: source},
		AttrRequestTime: {DataType: "String", StringValue: "${context.requestTimeEpoch}"},
	}
	for attr, header := range p.Headers.ByAttribute() {
		m[attr] = attributeMapping{DataType: "String", StringValue: "${request.header." + strings.ToLower(header) + "}"}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("encode message attributes of source %q: %w", source, err)
	}
	return string(b), nil
}
