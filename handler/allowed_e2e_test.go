package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/webhook-ingest/webhook-ingest/contract"
)

// TestEndToEndAllowedCIDRs runs the real bootstrap with a source restricted
// to two address ranges: a delivery from inside one is stored, with its
// address in the metadata; one from outside is quarantined with reason code
// source_not_allowed although its signature is good.
func TestEndToEndAllowedCIDRs(t *testing.T) {
	w := newWorld(t, 0)
	w.env[contract.EnvQuarantine] = "true"
	w.editSources(t, func(_ int, src *contract.Source, _ *string) {
		if src.Preset == "generic" {
			src.AllowedCIDRs = []string{"192.0.2.0/24", "2001:db8::/32"}
		}
	})
	e := startEmulator(t, w.env)

	name := senders["generic"].source.Name
	now := time.Now()
	inside := genericDelivery("evt-inside", `{"n":1}`)
	inside.attrs[contract.AttrSourceIP] = "2001:db8::5"
	outside := genericDelivery("evt-outside", `{"n":2}`)
	outside.attrs[contract.AttrSourceIP] = "198.51.100.7"
	_, _, logs := e.batch(t, record("m-in", name, inside, now), record("m-out", name, outside, now))

	if l := recordLine(t, logs, "m-in"); l["outcome"] != contract.OutcomeStored {
		t.Errorf("delivery from inside: %v (%v), want stored", l["outcome"], l["reason"])
	}
	if got, ok := w.object(t, mustKey(t, name, "evt-inside")); !ok || !bytes.Equal(got, []byte(inside.body)) {
		t.Errorf("inside delivery stored %q (%v)", got, ok)
	}
	l := recordLine(t, logs, "m-out")
	if l["outcome"] != contract.OutcomeQuarantined || l[contract.DimensionReason] != contract.ReasonSourceNotAllowed {
		t.Errorf("delivery from outside: %v %v (%v), want quarantined %s", l["outcome"], l[contract.DimensionReason], l["reason"], contract.ReasonSourceNotAllowed)
	}
	if _, ok := w.object(t, mustKey(t, name, "evt-outside")); ok {
		t.Error("the delivery from outside the ranges was stored")
	}
	dir := contract.QuarantineDir(name, "m-out")
	if got, ok := w.object(t, dir+contract.QuarantineBody); !ok || !bytes.Equal(got, []byte(outside.body)) {
		t.Errorf("quarantined body %q (%v), want %q", got, ok, outside.body)
	}
}
