package contract

import (
	"encoding/json"
	"fmt"
	"strings"
)

// SQS message attribute names written by the API Gateway integration and read
// by the handler.
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
	// AttrSourceIP is the address the request came from, as API Gateway saw
	// it ($context.identity.sourceIp): what a source's AllowedCIDRs are
	// checked against, and kept with the stored body for forensics.
	AttrSourceIP = "source-ip"
)

// MaxMessageAttributes is the most message attributes SQS accepts on one
// message.
const MaxMessageAttributes = 10

type attributeMapping struct {
	DataType    string
	StringValue string
}

// MessageAttributesMapping returns the JSON value of the SQS-SendMessage
// integration's MessageAttributes parameter for one source: the source name,
// API Gateway's request time and the caller's address, and one attribute per
// header the preset maps.
// API Gateway refuses a request that lacks a mapped header, since SQS rejects
// empty values; that is why Headers holds only headers every delivery carries.
func MessageAttributesMapping(source string, p Preset) (string, error) {
	if err := ValidateSourceName(source); err != nil {
		return "", err
	}
	m := map[string]attributeMapping{
		AttrSource:      {DataType: "String", StringValue: source},
		AttrRequestTime: {DataType: "String", StringValue: "${context.requestTimeEpoch}"},
		AttrSourceIP:    {DataType: "String", StringValue: "${context.identity.sourceIp}"},
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
