// Package handoff tells consumers about stored webhooks: one EventBridge event
// per webhook, published by the handler after the S3 write and again by
// replay, so that teams subscribe by topic with a rule instead of polling S3.
//
// Every event has Source contract.EventSource and detail-type the webhook's
// topic, and its detail is an Event encoded as JSON. A consumer's rule looks
// like
//
//	{"source": ["webhook-ingest"], "detail-type": ["orders/create"], "detail": {"source": ["shop"]}}
package handoff
