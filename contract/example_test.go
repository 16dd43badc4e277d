package contract_test

import (
	"fmt"
	"time"

	"github.com/webhook-ingest/webhook-ingest/contract"
)

// One webhook's path through the contract, as the handler takes it: the
// source's configuration resolves to a preset, the preset's scheme verifies
// the signature, and the delivery id gives the S3 key. Sign plays the sender.
func Example() {
	src, err := contract.Source{Name: "orders", Preset: "generic"}.Resolve()
	if err != nil {
		panic(err)
	}
	scheme := src.Preset.Scheme
	body := []byte(`{"order":1}`)

	// The sender signs the body: generic sends hex HMAC-SHA256 in x-hmac.
	sig, err := scheme.Sign("s3cret", "", "", body)
	if err != nil {
		panic(err)
	}
	fmt.Println(src.Preset.Headers.Signature+":", sig)

	// The handler verifies with the source's secrets, one per line.
	v, err := contract.NewVerifier(scheme, "s3cret", src.Tolerance)
	if err != nil {
		panic(err)
	}
	now := time.Now() // generic signs no timestamp, so the time does not matter
	fmt.Println(v.Verify(contract.Delivery{Body: body, Signature: sig}, now))
	fmt.Println(v.Verify(contract.Delivery{Body: []byte(`{"order":2}`), Signature: sig}, now))

	// The delivery id (generic: x-webhook-id) names the object: a short,
	// plain id as it is, any other hashed.
	key, _ := contract.ObjectKey(src.Name(), "evt-1")
	fmt.Println(key)
	key, _ = contract.ObjectKey(src.Name(), "../evt 1")
	fmt.Println(key)
	// Output:
	// x-hmac: 5e74c0c40d473233598024d7ef981822c4b7be491984c9a97738151af5c3770a
	// <nil>
	// no matching secret
	// orders/evt-1
	// orders/~23c06071dfeeb8af12500eacd28ba9d6c2229aefafe473ff92f6634eefe5a37d
}

// A timestamped scheme signs the delivery's time too, and Verify checks it
// against when the delivery was received: a correctly signed but stale
// delivery is outside the replay window.
func ExampleVerifier_Verify() {
	src, err := contract.Source{Name: "billing", Preset: "standard-webhooks"}.Resolve()
	if err != nil {
		panic(err)
	}
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	signedAt := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	d := contract.Delivery{
		Body:      []byte(`{"type":"invoice.paid"}`),
		ID:        "msg_1",
		Timestamp: fmt.Sprint(signedAt.Unix()),
	}
	d.Signature, err = src.Preset.Scheme.Sign(secret, d.ID, d.Timestamp, d.Body)
	if err != nil {
		panic(err)
	}
	fmt.Println(src.Preset.Headers.Signature+":", d.Signature)

	v, err := contract.NewVerifier(src.Preset.Scheme, secret, src.Tolerance)
	if err != nil {
		panic(err)
	}
	fmt.Println(v.Verify(d, signedAt.Add(2*time.Second)))
	fmt.Println(v.Verify(d, signedAt.Add(time.Hour)))
	// Output:
	// webhook-signature: v1,LpLfd/RvC55e/y9Q1n4YG81NV8198ijAoSXzBHUyDls=
	// <nil>
	// outside the replay window: signed 1h0m0s from receipt, tolerance 5m0s
}
