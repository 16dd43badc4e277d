package contract

import "time"

// How long the queues keep a message. The dead-letter queue keeps it the SQS
// maximum, longer than the main queue, as AWS recommends: a message keeps its
// original enqueue time when it moves there. A record's request time can
// therefore be at most their sum older than its SentTimestamp, which a
// redrive resets.
const (
	QueueRetention      = 4 * 24 * time.Hour
	DeadLetterRetention = 14 * 24 * time.Hour
)
