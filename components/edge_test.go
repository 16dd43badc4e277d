package components

import (
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/webhook-ingest/webhook-ingest/internal/edge"
	"github.com/webhook-ingest/webhook-ingest/stackconfig"
)

// TestLocalEdgeEvaluatesTheIntegration feeds each source's integration, as
// the program creates it, to the edge of webhook-ops serve: the edge takes
// the very MessageAttributes string, evaluates every placeholder in it, and
// a request with the preset's headers becomes the message the handler
// expects: the source, the receive time, the caller's address and each
// mapped header's value under its attribute. The other half, that serve
// hands the edge contract.MessageAttributesMapping of each source, is the
// call in cmd/webhook-ops/serve.go that components.NewAPI makes too.
func TestLocalEdgeEvaluatesTheIntegration(t *testing.T) {
	c := allPresets(t)
	for _, pc := range presetCases {
		t.Run(pc.source.Preset, func(t *testing.T) {
			mapping := str(t, c.one(t, tIntegration, nAPI+"-"+pc.source.Name), "requestParameters", "MessageAttributes")
			var got map[string]string
			e, err := edge.New(map[string]string{pc.source.Name: mapping}, func(_ []byte, attrs map[string]string) (string, error) {
				got = attrs
				return "m-1", nil
			}, stackconfig.MaxMessageBytes)
			if err != nil {
				t.Fatalf("the edge cannot evaluate the integration's mapping: %v", err)
			}
			e.Now = func() time.Time { return time.UnixMilli(1764000000123) }
			req := httptest.NewRequest(http.MethodPost, edge.Path(pc.source.Name), strings.NewReader("{}"))
			req.RemoteAddr = "198.51.100.4:40000"
			want := map[string]string{"source": pc.source.Name, "request-time": "1764000000123", "source-ip": "198.51.100.4"}
			for attr, header := range pc.headers {
				req.Header.Set(header, "value of "+header)
				want[attr] = "value of " + header
			}
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK || !maps.Equal(got, want) {
				t.Errorf("HTTP %d, message attributes\n%v\nwant\n%v", rec.Code, got, want)
			}
		})
	}
}
