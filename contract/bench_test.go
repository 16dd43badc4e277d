package contract_test

import (
	"bytes"
	"testing"
	"time"
)

// BenchmarkVerify measures the handler's per-record verification cost for a
// 1 KiB body, for every preset with one secret and, for three of them, with a
// rotation pair whose second secret matches.
func BenchmarkVerify(b *testing.B) {
	body := bytes.Repeat([]byte(`{"k":"v"},`), 103)[:1024]
	const ts = 1_700_000_000
	received := time.Unix(ts, 0)
	for _, preset := range builtinPresets() {
		for _, rotated := range []bool{false, true} {
			if rotated && preset != "generic" && preset != "standard-webhooks" && preset != "stripe" {
				continue
			}
			name := preset
			secrets := testSecret(preset, 1)
			if rotated {
				name += "/rotated"
				secrets = testSecret(preset, 2) + "\n" + secrets
			}
			b.Run(name, func(b *testing.B) {
				v := mustVerifier(b, preset, secrets)
				d := refDelivery(b, preset, testSecret(preset, 1), "msg_2abcDEF345ghiJKL678", ts, body)
				b.SetBytes(int64(len(body)))
				b.ReportAllocs()
				for b.Loop() {
					if err := v.Verify(d, received); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
