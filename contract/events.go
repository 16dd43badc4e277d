package contract

// EventSource is the Source of every hand-off event (package handoff). It is
// one fixed name rather than one per sender so that the function's IAM
// policy can pin it with the events:source condition; consumers tell senders
// apart by the event's detail.source.
const EventSource = "webhook-ingest"
