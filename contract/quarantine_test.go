package contract_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/webhook-ingest/webhook-ingest/contract"
)

func TestQuarantineDir(t *testing.T) {
	for _, tc := range []struct {
		source, messageID, want string
	}{
		{"orders", "059f36b4-87a3-44ab-83d2-661975830a7d", "_quarantine/orders/059f36b4-87a3-44ab-83d2-661975830a7d/"},
		{"Orders", "m-1", "_quarantine/_unknown/m-1/"},
		{"", "m-1", "_quarantine/_unknown/m-1/"},
		{"../../orders", "m-1", "_quarantine/_unknown/m-1/"},
		{"orders", "../x", "_quarantine/orders/~" + sha256Hex("../x") + "/"},
		{"orders", "", "_quarantine/orders/~" + sha256Hex("") + "/"},
	} {
		got := contract.QuarantineDir(tc.source, tc.messageID)
		if got != tc.want {
			t.Errorf("QuarantineDir(%q, %q) = %q, want %q", tc.source, tc.messageID, got, tc.want)
		}
		if !strings.HasPrefix(got, contract.QuarantinePrefix) || strings.Count(got, "/") != 3 {
			t.Errorf("QuarantineDir(%q, %q) = %q leaves its prefix", tc.source, tc.messageID, got)
		}
		dir, ok := contract.IsQuarantineBody(got + contract.QuarantineBody)
		if !ok || dir != got {
			t.Errorf("IsQuarantineBody(%q) = %q, %v", got+contract.QuarantineBody, dir, ok)
		}
	}
	// No source prefix can hold the quarantine: '_' starts no source name.
	if contract.ValidateSourceName(strings.TrimSuffix(contract.QuarantinePrefix, "/")) == nil {
		t.Errorf("%q is a valid source name", contract.QuarantinePrefix)
	}
	for _, key := range []string{"orders/body", "_quarantine/orders/m-1/record.json", "_quarantine/body"} {
		if _, ok := contract.IsQuarantineBody(key); ok {
			t.Errorf("IsQuarantineBody(%q) = true", key)
		}
	}
}

func TestQuarantineRecordRoundTrip(t *testing.T) {
	off := false
	in := contract.QuarantineRecord{
		Source:     "orders",
		MessageID:  "m-1",
		ReceivedAt: time.Date(2026, 12, 4, 20, 1, 2, 300_000_000, time.FixedZone("x", 3600)),
		ReasonCode: contract.ReasonNoMatchingSecret,
		Reason:     "no matching secret",
		Config:     &contract.Source{Name: "orders", Preset: "generic", Quarantine: &off},
		Attributes: map[string]string{contract.AttrSignature: "abc", contract.AttrRequestTime: "1764878462300"},
		Size:       12,
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"receivedAt":"2026-12-04T19:01:02.300Z"`) {
		t.Errorf("receivedAt not in UTC milliseconds: %s", b)
	}
	out, err := contract.ParseQuarantineRecord(b)
	if err != nil {
		t.Fatal(err)
	}
	if !out.ReceivedAt.Equal(in.ReceivedAt) || out.Attributes[contract.AttrSignature] != "abc" ||
		out.Config == nil || out.Config.Quarantine == nil || *out.Config.Quarantine || out.Size != 12 || out.Reason != in.Reason {
		t.Errorf("round trip gave %+v, want %+v", out, in)
	}

	noTime, err := json.Marshal(contract.QuarantineRecord{MessageID: "m", ReasonCode: "x"})
	if err != nil || strings.Contains(string(noTime), "receivedAt") {
		t.Errorf("zero receive time written: %s (%v)", noTime, err)
	}
	for _, bad := range []string{`{`, `{"messageId":"m"}`, `{"reasonCode":"x"}`} {
		if _, err := contract.ParseQuarantineRecord([]byte(bad)); err == nil {
			t.Errorf("ParseQuarantineRecord(%s) accepted it", bad)
		}
	}
}

func TestSourceQuarantines(t *testing.T) {
	on, off := true, false
	for _, tc := range []struct {
		q     *bool
		stack bool
		want  bool
	}{
		{nil, true, true}, {&on, true, true}, {&off, true, false},
		{nil, false, false}, {&on, false, false},
	} {
		if got := (contract.Source{Quarantine: tc.q}).Quarantines(tc.stack); got != tc.want {
			t.Errorf("Quarantine %v, stack %v: Quarantines = %v, want %v", tc.q, tc.stack, got, tc.want)
		}
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
