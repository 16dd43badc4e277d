package main

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestRedriveWaitsForTheMove(t *testing.T) {
	sqs := newFakeSQS(t)
	dlqURL, dlqARN := sqs.addQueue("webhooks-dlq")
	sqs.addQueue("webhooks")
	// An old task on the same DLQ must not be mistaken for the new one.
	sqs.addTask(moveTask{source: dlqARN, status: statusCompleted, moved: 99, toMove: 99, started: time.Now().Add(-time.Hour).UnixMilli()})
	awsEnv(t, map[string]string{"SQS": sqs.URL})

	code, stdout, stderr := runCLI(t, "redrive", "-dlq", dlqURL, "-wait", "-poll", "1ms")
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	want := "started moving messages from arn:aws:sqs:eu-west-1:123456789012:webhooks-dlq to the queues they came from\n" +
		"task handle: handle-2\n" +
		"RUNNING: 2 of 5 messages moved\n" +
		"RUNNING: 4 of 5 messages moved\n" +
		"COMPLETED: 5 of 5 messages moved\n" +
		"done: 5 messages moved\n"
	if stdout != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", stdout, want)
	}
	starts := sqs.startCalls()
	if len(starts) != 1 || starts[0].SourceArn != dlqARN || starts[0].DestinationArn != nil || starts[0].MaxNumberOfMessagesPerSecond != nil {
		t.Errorf("StartMessageMoveTask calls = %+v, want one from %s with no destination or rate", starts, dlqARN)
	}
}

func TestRedriveStartsAndReturns(t *testing.T) {
	sqs := newFakeSQS(t)
	_, dlqARN := sqs.addQueue("webhooks-dlq")
	otherURL, otherARN := sqs.addQueue("webhooks-replay")
	awsEnv(t, map[string]string{"SQS": sqs.URL})

	code, stdout, stderr := runCLI(t, "redrive", "-dlq", dlqARN, "-destination", otherURL, "-rate", "50")
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	want := fmt.Sprintf("started moving messages from %s to %s\ntask handle: handle-1\nfollow it with: aws sqs list-message-move-tasks --source-arn %s\n", dlqARN, otherARN, dlqARN)
	if stdout != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", stdout, want)
	}
	starts := sqs.startCalls()
	if len(starts) != 1 || starts[0].SourceArn != dlqARN || starts[0].DestinationArn == nil || *starts[0].DestinationArn != otherARN ||
		starts[0].MaxNumberOfMessagesPerSecond == nil || *starts[0].MaxNumberOfMessagesPerSecond != 50 {
		t.Errorf("StartMessageMoveTask calls = %+v, want one from %s to %s at 50/s", starts, dlqARN, otherARN)
	}
}

func TestRedriveTaskEndsBeforeTheFirstPoll(t *testing.T) {
	sqs := newFakeSQS(t)
	_, dlqARN := sqs.addQueue("webhooks-dlq")
	sqs.step = 100
	awsEnv(t, map[string]string{"SQS": sqs.URL})

	code, stdout, stderr := runCLI(t, "redrive", "-dlq", dlqARN, "-wait", "-poll", "1ms")
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	if !strings.HasSuffix(stdout, "COMPLETED: 5 of 5 messages moved\ndone: 5 messages moved\n") {
		t.Errorf("stdout:\n%s", stdout)
	}
}

func TestRedriveFailures(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(f *fakeSQS) []string // returns the arguments after "redrive"
		code   int
		stderr []string
		starts int
	}{
		{
			name: "task already running",
			setup: func(f *fakeSQS) []string {
				_, arn := f.addQueue("webhooks-dlq")
				f.addTask(moveTask{source: arn, handle: "running-1", status: statusRunning, moved: 3, toMove: 40, started: time.Now().UnixMilli()})
				f.step = 0
				return []string{"-dlq", arn}
			},
			code:   exitFailed,
			stderr: []string{"already running on arn:aws:sqs:eu-west-1:123456789012:webhooks-dlq (RUNNING: 3 of 40 messages moved)", "--task-handle running-1"},
		},
		{
			name: "task fails",
			setup: func(f *fakeSQS) []string {
				_, arn := f.addQueue("webhooks-dlq")
				f.failAfter = 2
				return []string{"-dlq", arn, "-wait", "-poll", "1ms"}
			},
			code:   exitFailed,
			stderr: []string{"the move task failed after 2 messages: AWS.SimpleQueueService.NonExistentQueue"},
			starts: 1,
		},
		{
			name: "unknown queue URL",
			setup: func(f *fakeSQS) []string {
				return []string{"-dlq", f.URL + "/123456789012/missing"}
			},
			code:   exitFailed,
			stderr: []string{"redrive: -dlq: look up the ARN of", "QueueDoesNotExist"},
		},
		{
			name: "unknown queue ARN",
			setup: func(f *fakeSQS) []string {
				return []string{"-dlq", "arn:aws:sqs:eu-west-1:123456789012:missing"}
			},
			code:   exitFailed,
			stderr: []string{"list move tasks of arn:aws:sqs:eu-west-1:123456789012:missing", "ResourceNotFoundException"},
		},
		{
			name: "unknown destination",
			setup: func(f *fakeSQS) []string {
				_, arn := f.addQueue("webhooks-dlq")
				return []string{"-dlq", arn, "-destination", "arn:aws:sqs:eu-west-1:123456789012:missing"}
			},
			code:   exitFailed,
			stderr: []string{"start moving messages from arn:aws:sqs:eu-west-1:123456789012:webhooks-dlq", "ResourceNotFoundException"},
			starts: 1,
		},
		{
			name:   "no dlq",
			setup:  func(*fakeSQS) []string { return nil },
			code:   exitUsage,
			stderr: []string{"-dlq is required"},
		},
		{
			name:   "dlq is a name",
			setup:  func(*fakeSQS) []string { return []string{"-dlq", "webhooks-dlq"} },
			code:   exitUsage,
			stderr: []string{`-dlq "webhooks-dlq" is neither a queue URL nor an ARN`},
		},
		{
			name:   "rate too high",
			setup:  func(*fakeSQS) []string { return []string{"-dlq", "arn:aws:sqs:eu-west-1:1:q", "-rate", "501"} },
			code:   exitUsage,
			stderr: []string{"-rate 501 is outside 1-500"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sqs := newFakeSQS(t)
			args := tt.setup(sqs)
			awsEnv(t, map[string]string{"SQS": sqs.URL})
			code, _, stderr := runCLI(t, append([]string{"redrive"}, args...)...)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.code, stderr)
			}
			for _, want := range tt.stderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
			if n := len(sqs.startCalls()); n != tt.starts {
				t.Errorf("%d StartMessageMoveTask calls, want %d", n, tt.starts)
			}
		})
	}
}
