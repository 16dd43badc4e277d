package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Message move task statuses, as SQS spells them.
const (
	statusRunning   = "RUNNING"
	statusCompleted = "COMPLETED"
	statusFailed    = "FAILED"
	statusCancelled = "CANCELLED"
)

// maxMoveRate is SQS's ceiling on MaxNumberOfMessagesPerSecond.
const maxMoveRate = 500

// taskClockSkew is how much earlier than our own clock says SQS may stamp the
// start of the task we started; older tasks are someone else's.
const taskClockSkew = time.Minute

func redrive(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("redrive", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dlq := fs.String("dlq", "", "dead-letter queue to empty: its URL or ARN (required)")
	dest := fs.String("destination", "", "queue URL or ARN to move the messages to (default: the queue each message came from)")
	rate := fs.Int("rate", 0, "messages moved per second, 1-500 (default: SQS chooses)")
	wait := fs.Bool("wait", false, "report progress until the move ends")
	poll := fs.Duration("poll", 5*time.Second, "how often -wait checks progress")
	if ok, code := parseFlags(fs, args); !ok {
		return code
	}
	switch {
	case *dlq == "":
		return usageError(stderr, "redrive", "-dlq is required")
	case *rate < 0 || *rate > maxMoveRate:
		return usageError(stderr, "redrive", "-rate %d is outside 1-%d", *rate, maxMoveRate)
	case *poll <= 0:
		return usageError(stderr, "redrive", "-poll must be positive")
	case !isQueueRef(*dlq):
		return usageError(stderr, "redrive", "-dlq %q is neither a queue URL nor an ARN", *dlq)
	case *dest != "" && !isQueueRef(*dest):
		return usageError(stderr, "redrive", "-destination %q is neither a queue URL nor an ARN", *dest)
	}

	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "redrive: load AWS configuration: %v\n", err)
		return exitFailed
	}
	client := sqs.NewFromConfig(cfg)

	source, err := queueARN(ctx, client, *dlq)
	if err != nil {
		fmt.Fprintf(stderr, "redrive: -dlq: %v\n", err)
		return exitFailed
	}
	in := &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(source)}
	target := "the queues they came from"
	if *dest != "" {
		arn, err := queueARN(ctx, client, *dest)
		if err != nil {
			fmt.Fprintf(stderr, "redrive: -destination: %v\n", err)
			return exitFailed
		}
		in.DestinationArn = aws.String(arn)
		target = arn
	}
	if *rate > 0 {
		in.MaxNumberOfMessagesPerSecond = aws.Int32(int32(*rate))
	}

	// SQS runs one move task per queue at a time; saying so with the running
	// task's progress beats relaying the refusal.
	tasks, err := client.ListMessageMoveTasks(ctx, &sqs.ListMessageMoveTasksInput{SourceArn: aws.String(source), MaxResults: aws.Int32(10)})
	if err != nil {
		fmt.Fprintf(stderr, "redrive: list move tasks of %s: %v\n", source, err)
		return exitFailed
	}
	for _, t := range tasks.Results {
		if aws.ToString(t.Status) == statusRunning {
			fmt.Fprintf(stderr, "redrive: a move task is already running on %s (%s); wait for it to end, or cancel it with\n"+
				"  aws sqs cancel-message-move-task --task-handle %s\n", source, progress(t), aws.ToString(t.TaskHandle))
			return exitFailed
		}
	}

	notBefore := time.Now().Add(-taskClockSkew).UnixMilli()
	started, err := client.StartMessageMoveTask(ctx, in)
	if err != nil {
		fmt.Fprintf(stderr, "redrive: start moving messages from %s: %v\n", source, err)
		return exitFailed
	}
	handle := aws.ToString(started.TaskHandle)
	fmt.Fprintf(stdout, "started moving messages from %s to %s\ntask handle: %s\n", source, target, handle)
	if !*wait {
		fmt.Fprintf(stdout, "follow it with: aws sqs list-message-move-tasks --source-arn %s\n", source)
		return exitOK
	}
	return follow(ctx, client, source, handle, notBefore, *poll, stdout, stderr)
}

// follow polls the move task until it ends, printing its progress whenever it
// changes.
func follow(ctx context.Context, client *sqs.Client, source, handle string, notBefore int64, poll time.Duration, stdout, stderr io.Writer) int {
	w := taskWatch{handle: handle, notBefore: notBefore}
	last := ""
	ticker := time.NewTicker(poll)
	defer ticker.Stop()
	for {
		out, err := client.ListMessageMoveTasks(ctx, &sqs.ListMessageMoveTasksInput{SourceArn: aws.String(source), MaxResults: aws.Int32(10)})
		if err != nil {
			fmt.Fprintf(stderr, "redrive: check progress: %v\n", err)
			return exitFailed
		}
		if t, ok := w.find(out.Results); ok {
			if line := progress(t); line != last {
				fmt.Fprintln(stdout, line)
				last = line
			}
			switch aws.ToString(t.Status) {
			case statusCompleted:
				fmt.Fprintf(stdout, "done: %d messages moved\n", t.ApproximateNumberOfMessagesMoved)
				return exitOK
			case statusFailed:
				fmt.Fprintf(stderr, "redrive: the move task failed after %d messages: %s\n", t.ApproximateNumberOfMessagesMoved, aws.ToString(t.FailureReason))
				return exitFailed
			case statusCancelled:
				fmt.Fprintf(stderr, "redrive: the move task was cancelled after %d messages\n", t.ApproximateNumberOfMessagesMoved)
				return exitFailed
			}
		}
		select {
		case <-ctx.Done():
			fmt.Fprintf(stderr, "redrive: stopped waiting (%v); the move goes on in SQS\n", ctx.Err())
			return exitFailed
		case <-ticker.C:
		}
	}
}

// taskWatch picks our task out of ListMessageMoveTasks results. SQS shows a
// task's handle only while it runs, so once seen by handle the task is known
// by its start time; a task that ended before the first poll is the newest one
// started no earlier than notBefore.
type taskWatch struct {
	handle    string
	notBefore int64 // Unix milliseconds
	started   int64 // Unix milliseconds, 0 until seen by handle
}

func (w *taskWatch) find(results []types.ListMessageMoveTasksResultEntry) (types.ListMessageMoveTasksResultEntry, bool) {
	for _, t := range results {
		if t.TaskHandle != nil && *t.TaskHandle == w.handle {
			w.started = t.StartedTimestamp
			return t, true
		}
	}
	var newest *types.ListMessageMoveTasksResultEntry
	for i, t := range results {
		switch {
		case w.started != 0 && t.StartedTimestamp == w.started:
			return t, true
		case w.started == 0 && t.StartedTimestamp >= w.notBefore && (newest == nil || t.StartedTimestamp > newest.StartedTimestamp):
			newest = &results[i]
		}
	}
	if newest == nil {
		return types.ListMessageMoveTasksResultEntry{}, false
	}
	return *newest, true
}

// progress describes a task's state in one line.
func progress(t types.ListMessageMoveTasksResultEntry) string {
	total := "?"
	if t.ApproximateNumberOfMessagesToMove != nil {
		total = fmt.Sprint(*t.ApproximateNumberOfMessagesToMove)
	}
	return fmt.Sprintf("%s: %d of %s messages moved", aws.ToString(t.Status), t.ApproximateNumberOfMessagesMoved, total)
}

// isQueueRef reports whether s looks like a queue ARN or URL.
func isQueueRef(s string) bool {
	return strings.HasPrefix(s, "arn:") || strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")
}

// queueARN returns the ARN of a queue given by ARN or by URL; the move task
// API takes only ARNs.
func queueARN(ctx context.Context, client *sqs.Client, queue string) (string, error) {
	if strings.HasPrefix(queue, "arn:") {
		return queue, nil
	}
	out, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(queue),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return "", fmt.Errorf("look up the ARN of %s: %w", queue, err)
	}
	arn := out.Attributes[string(types.QueueAttributeNameQueueArn)]
	if arn == "" {
		return "", fmt.Errorf("SQS returned no QueueArn for %s", queue)
	}
	return arn, nil
}
