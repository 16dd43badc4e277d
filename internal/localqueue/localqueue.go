// Package localqueue is a persistent queue with the semantics of an SQS
// standard queue that webhook-ops serve relies on: a message sent is on disk
// (fsync'd) before Send returns; a received message stays invisible for the
// visibility timeout and comes back unless it is deleted; a message received
// MaxReceiveCount times without being deleted moves to the queue's
// dead-letter queue on its next receive. It keeps both queues in one bbolt
// file, which one process at a time may open.
//
// What it leaves out: message retention (nothing expires), delay queues,
// long polling (see Queue.Wait), and SQS's at-least-once duplicates of its
// own (this queue delivers a message again only after a visibility timeout
// or a restart).
package localqueue

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Bucket names in the bbolt file: the queue and its dead-letter queue, each
// keyed by an 8-byte big-endian sequence number in send order.
var (
	queueBucket = []byte("queue")
	deadBucket  = []byte("dead-letter")
)

// Message is one message of the queue.
type Message struct {
	// ID is the message id, a random UUID as SQS gives.
	ID   string
	Body []byte
	// Attributes are the message attributes, all of data type String.
	Attributes map[string]string
	// SentAt is when Send stored the message.
	SentAt time.Time
	// ReceiveCount is how many times the message was received, this
	// receive included; FirstReceivedAt is when it was first received.
	ReceiveCount    int
	FirstReceivedAt time.Time
	// ReceiptHandle names this receive of the message, for Delete.
	ReceiptHandle string `json:"-"`
}

// record is a Message as stored.
type record struct {
	Message
	// VisibleAt is when a received message becomes visible again.
	VisibleAt time.Time `json:",omitzero"`
}

// Options configures a Queue.
type Options struct {
	// Visibility is how long a received message stays invisible before it
	// is delivered again. Required.
	Visibility time.Duration
	// MaxReceiveCount is how many receives a message gets before it moves
	// to the dead-letter queue. Required.
	MaxReceiveCount int
}

// Queue is a queue and its dead-letter queue in one file. It is safe for
// concurrent use.
type Queue struct {
	db   *bolt.DB
	opts Options

	mu   sync.Mutex
	sent chan struct{} // closed and replaced by each Send
}

// ErrLocked is the error of Open when another process has the file open.
var ErrLocked = errors.New("the queue file is in use by another process")

// lockTimeout is how long Open waits for another process to let go of the
// file.
const lockTimeout = time.Second

// Open opens or creates the queue file at path. Messages that were in
// flight when the file was last closed become visible at once: their
// consumer is gone, and this process is the only one. Their receives still
// count towards MaxReceiveCount.
func Open(path string, opts Options) (*Queue, error) {
	if opts.Visibility <= 0 || opts.MaxReceiveCount < 1 {
		return nil, fmt.Errorf("localqueue: Visibility (%s) and MaxReceiveCount (%d) must be positive", opts.Visibility, opts.MaxReceiveCount)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("open %s: %w", path, ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(deadBucket); err != nil {
			return err
		}
		b, err := tx.CreateBucketIfNotExists(queueBucket)
		if err != nil {
			return err
		}
		return forEach(b, func(k []byte, r *record) error {
			if r.VisibleAt.IsZero() {
				return nil
			}
			r.VisibleAt = time.Time{}
			return put(b, k, r)
		})
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return &Queue{db: db, opts: opts, sent: make(chan struct{})}, nil
}

// Close closes the file.
func (q *Queue) Close() error { return q.db.Close() }

// Send stores a message and returns it once it is on disk.
func (q *Queue) Send(body []byte, attributes map[string]string) (Message, error) {
	m := Message{ID: uuid.NewString(), Body: body, Attributes: attributes, SentAt: time.Now()}
	// Batch commits the Sends of concurrent requests together: one fsync
	// for all of them, each returning only once it is on disk.
	err := q.db.Batch(func(tx *bolt.Tx) error {
		b := tx.Bucket(queueBucket)
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		return put(b, key(seq), &record{Message: m})
	})
	if err != nil {
		return Message{}, fmt.Errorf("send: %w", err)
	}
	q.mu.Lock()
	close(q.sent)
	q.sent = make(chan struct{})
	q.mu.Unlock()
	return m, nil
}

// Sent returns a channel that is closed by the next Send.
func (q *Queue) Sent() <-chan struct{} {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.sent
}

// Receive returns up to max visible messages, oldest first, and hides them
// for the visibility timeout. A visible message already received
// MaxReceiveCount times moves to the dead-letter queue instead.
func (q *Queue) Receive(max int) ([]Message, error) {
	var out []Message
	now := time.Now()
	err := q.db.Update(func(tx *bolt.Tx) error {
		b, dead := tx.Bucket(queueBucket), tx.Bucket(deadBucket)
		var moved [][]byte
		c := b.Cursor()
		for k, v := c.First(); k != nil && len(out) < max; k, v = c.Next() {
			r, err := decode(k, v)
			if err != nil {
				return err
			}
			if r.VisibleAt.After(now) {
				continue
			}
			if r.ReceiveCount >= q.opts.MaxReceiveCount {
				r.VisibleAt = time.Time{}
				if err := put(dead, k, r); err != nil {
					return err
				}
				moved = append(moved, bytes.Clone(k))
				continue
			}
			r.ReceiveCount++
			if r.FirstReceivedAt.IsZero() {
				r.FirstReceivedAt = now
			}
			r.VisibleAt = now.Add(q.opts.Visibility)
			if err := put(b, k, r); err != nil {
				return err
			}
			m := r.Message
			m.ReceiptHandle = fmt.Sprintf("%x-%d", k, r.ReceiveCount)
			out = append(out, m)
		}
		for _, k := range moved {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("receive: %w", err)
	}
	return out, nil
}

// Delete removes the messages whose latest receive the handles name. A
// handle of an earlier receive, or of a message already gone, is ignored,
// as SQS does.
func (q *Queue) Delete(handles []string) error {
	if len(handles) == 0 {
		return nil
	}
	err := q.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(queueBucket)
		for _, h := range handles {
			k, count, ok := parseHandle(h)
			if !ok {
				return fmt.Errorf("malformed receipt handle %q", h)
			}
			v := b.Get(k)
			if v == nil {
				continue
			}
			r, err := decode(k, v)
			if err != nil {
				return err
			}
			if r.ReceiveCount == count {
				if err := b.Delete(k); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	return nil
}

// Stats counts the messages of the queue that are visible and in flight,
// and those of the dead-letter queue, as SQS's approximate counts do.
type Stats struct {
	Visible, InFlight, DeadLetters int
}

// Stats returns the queue's counts.
func (q *Queue) Stats() (Stats, error) {
	var s Stats
	now := time.Now()
	err := q.db.View(func(tx *bolt.Tx) error {
		s.DeadLetters = tx.Bucket(deadBucket).Stats().KeyN
		return forEach(tx.Bucket(queueBucket), func(_ []byte, r *record) error {
			if r.VisibleAt.After(now) {
				s.InFlight++
			} else {
				s.Visible++
			}
			return nil
		})
	})
	if err != nil {
		return Stats{}, fmt.Errorf("stats: %w", err)
	}
	return s, nil
}

func forEach(b *bolt.Bucket, fn func(k []byte, r *record) error) error {
	return b.ForEach(func(k, v []byte) error {
		r, err := decode(k, v)
		if err != nil {
			return err
		}
		return fn(k, r)
	})
}

// decode decodes the record v stored under k.
func decode(k, v []byte) (*record, error) {
	var r record
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("message %x: %w", k, err)
	}
	return &r, nil
}

func put(b *bolt.Bucket, k []byte, r *record) error {
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return b.Put(k, v)
}

func key(seq uint64) []byte {
	return binary.BigEndian.AppendUint64(nil, seq)
}

// parseHandle splits a receipt handle "<key in hex>-<receive count>".
func parseHandle(h string) (k []byte, count int, ok bool) {
	hexKey, n, found := strings.Cut(h, "-")
	k, err := hex.DecodeString(hexKey)
	if !found || err != nil || len(k) != 8 {
		return nil, 0, false
	}
	count, err = strconv.Atoi(n)
	return k, count, err == nil
}
