package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/webhook-ingest/webhook-ingest/contract"
	"github.com/webhook-ingest/webhook-ingest/handoff"
	"github.com/webhook-ingest/webhook-ingest/ingest"
	"github.com/webhook-ingest/webhook-ingest/internal/edge"
	"github.com/webhook-ingest/webhook-ingest/internal/localbus"
	"github.com/webhook-ingest/webhook-ingest/internal/localqueue"
	"github.com/webhook-ingest/webhook-ingest/internal/locals3"
	"github.com/webhook-ingest/webhook-ingest/stackconfig"
)

// What serve's S3 endpoint and bus pretend to be: any credentials are
// accepted, and these sign the requests of its own clients.
const (
	localRegion   = "us-east-1"
	localAccount  = "000000000000"
	localKey      = "local"
	localFunction = "webhook-ops-serve"
)

// Files and directories of serve's data directory.
const (
	queueFile  = "queue.db"
	s3Dir      = "s3"
	eventsFile = "events.jsonl"
	secretsDir = "secrets"
)

// shutdownTimeout bounds how long serve waits for requests in flight at
// the edge when it stops.
const shutdownTimeout = 5 * time.Second

// defaultDataDir is serve's data directory of stack, in the project's
// ignored .local/.
func defaultDataDir(stack string) string {
	return filepath.Join(".local", strings.ReplaceAll(stack, "/", "-"))
}

// localBucket is the name of serve's bucket for a stack: its
// "<project>-<stack>" name as S3 bucket names allow it.
func localBucket(project, stack string) string {
	name := strings.ToLower(strings.ReplaceAll(stackconfig.StackName(project, stack), "_", "-"))
	return strings.Trim(name[:min(len(name), 63)], "-")
}

// serve runs the pipeline of one stack on this machine: the edge, a
// persistent queue, the handler's own processing and an S3 endpoint.
func serve(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	stack := fs.String("stack", "dev", "the stack whose Pulumi.<stack>.yaml configures the sources")
	addr := fs.String("addr", "127.0.0.1:8080", "address of the webhook routes")
	s3Addr := fs.String("s3-addr", "", "address of the S3 endpoint (default: the -addr port + 1, or any free port when that is 0)")
	data := fs.String("data", "", "data directory: queue, objects, events, generated secrets (default .local/<stack>)")
	jsonLog := fs.Bool("json", false, "print the handler's own JSON log lines instead of one line per delivery")
	if ok, code := parseFlags(fs, args); !ok {
		return code
	}
	if *data == "" {
		*data = defaultDataDir(*stack)
	}
	if *s3Addr == "" {
		var err error
		if *s3Addr, err = nextPort(*addr); err != nil {
			return usageError(stderr, "serve", "-addr %s: %v", *addr, err)
		}
	}
	p, err := startPipeline(ctx, pipelineConfig{stack: *stack, addr: *addr, s3Addr: *s3Addr, data: *data, jsonLog: *jsonLog}, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "serve: %v\n", err)
		return exitFailed
	}
	fmt.Fprintln(stdout, "Ctrl-C stops, once the batches in flight are done.")
	if err := p.wait(ctx); err != nil {
		fmt.Fprintf(stderr, "serve: %v\n", err)
		return exitFailed
	}
	return exitOK
}

// nextPort returns addr with its port plus one, or port 0 for port 0.
func nextPort(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", err
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n >= 65535 {
		return "", fmt.Errorf("port %q is not a number below 65535", port)
	}
	if n > 0 {
		n++
	}
	return net.JoinHostPort(host, strconv.Itoa(n)), nil
}

type pipelineConfig struct {
	stack, addr, s3Addr, data string
	jsonLog                   bool
}

// pipeline is a running serve.
type pipeline struct {
	out     *lineWriter
	queue   *localqueue.Queue
	poller  *localqueue.Poller
	edge    *http.Server
	servers []*http.Server // the S3 endpoint and the bus
	events  *os.File       // nil without a bus
	done    chan error     // the poller's end
	cancel  context.CancelFunc
}

// startPipeline reads the stack's configuration and secrets, opens the data
// directory and starts serving. It prints what it serves to stdout.
func startPipeline(ctx context.Context, c pipelineConfig, stdout io.Writer) (_ *pipeline, err error) {
	cfg, secrets, err := readLocalStack(c.stack, c.data)
	if err != nil {
		return nil, err
	}
	project := secrets.project
	if err := os.MkdirAll(c.data, 0o700); err != nil {
		return nil, fmt.Errorf("create the data directory: %w", err)
	}
	out := &lineWriter{w: stdout}
	out.printf("webhook-ops serve: stack %s of %s, data in %s", c.stack, project, c.data)
	receivers := make(map[string]ingest.Receiver, len(cfg.Sources))
	for _, s := range cfg.Sources {
		secret, err := secrets.serveSecret(ctx, s, out)
		if err != nil {
			return nil, err
		}
		v, err := contract.NewVerifier(s.Preset.Scheme, secret, s.Tolerance)
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", s.Name(), err)
		}
		receivers[s.Name()] = ingest.Receiver{ResolvedSource: s, Verifier: v}
	}

	p := &pipeline{out: out, done: make(chan error, 1)}
	defer func() {
		if err != nil {
			p.close()
		}
	}()
	visibility := time.Duration(cfg.VisibilityTimeoutSeconds()) * time.Second
	if p.queue, err = localqueue.Open(filepath.Join(c.data, queueFile), localqueue.Options{Visibility: visibility, MaxReceiveCount: cfg.MaxReceiveCount}); err != nil {
		if errors.Is(err, localqueue.ErrLocked) {
			return nil, fmt.Errorf("%s is in use: another webhook-ops serve runs on it (or give -data)", c.data)
		}
		return nil, err
	}

	bucket := localBucket(project, c.stack)
	s3Handler, err := locals3.Open(filepath.Join(c.data, s3Dir), bucket)
	if err != nil {
		return nil, err
	}
	s3Server, s3URL, err := listen(c.s3Addr, s3Handler)
	if err != nil {
		return nil, fmt.Errorf("S3 endpoint: %w", err)
	}
	p.servers = append(p.servers, s3Server)
	creds := credentials.NewStaticCredentialsProvider(localKey, localKey, "")
	proc := &ingest.Processor{
		S3: s3.New(s3.Options{Region: localRegion, BaseEndpoint: aws.String(s3URL), UsePathStyle: true, Credentials: creds,
			HTTPClient: ingest.HTTPClient(cfg.RecordConcurrency)}, ingest.S3Options),
		Bucket:       bucket,
		Receivers:    receivers,
		FunctionName: localFunction,
		Quarantine:   cfg.Quarantine(),
		Concurrency:  cfg.RecordConcurrency,
		Logger:       slog.New(newDeliveryLog(out, c.jsonLog)),
	}
	var eventsPath string
	if cfg.EventBus {
		eventsPath = filepath.Join(c.data, eventsFile)
		if p.events, err = os.OpenFile(eventsPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600); err != nil {
			return nil, fmt.Errorf("open the hand-off events file: %w", err)
		}
		busServer, busURL, err := listen("127.0.0.1:0", localbus.New(p.events, localRegion, localAccount))
		if err != nil {
			return nil, fmt.Errorf("event bus: %w", err)
		}
		p.servers = append(p.servers, busServer)
		proc.Publisher = &handoff.Publisher{
			Client:  eventbridge.New(eventbridge.Options{Region: localRegion, BaseEndpoint: aws.String(busURL), Credentials: creds}, ingest.EventBridgeOptions),
			BusName: stackconfig.StackName(project, c.stack),
		}
	}

	routes := make(map[string]string, len(cfg.Sources))
	for _, s := range cfg.Sources {
		// The very string components.NewAPI gives the integration.
		if routes[s.Name()], err = contract.MessageAttributesMapping(s.Name(), s.Preset); err != nil {
			return nil, err
		}
	}
	e, err := edge.New(routes, func(body []byte, attrs map[string]string) (string, error) {
		m, err := p.queue.Send(body, attrs)
		return m.ID, err
	}, stackconfig.MaxMessageBytes)
	if err != nil {
		return nil, err
	}
	e.Refused = func(r edge.Refusal) { out.refused(r, c.jsonLog) }
	var edgeURL string
	if p.edge, edgeURL, err = listen(c.addr, e); err != nil {
		return nil, fmt.Errorf("webhook routes: %w", err)
	}

	arn := "arn:aws:sqs:" + localRegion + ":" + localAccount + ":" + stackconfig.StackName(project, c.stack)
	p.poller = &localqueue.Poller{
		Queue:       p.queue,
		BatchSize:   cfg.BatchSize,
		Window:      time.Duration(cfg.BatchingWindowSeconds) * time.Second,
		Concurrency: cfg.MaximumConcurrency,
		Timeout:     time.Duration(cfg.TimeoutSeconds) * time.Second,
		Handle: func(ctx context.Context, batch []localqueue.Message) []string {
			resp, _ := proc.Handle(ctx, sqsEvent(batch, arn))
			failed := make([]string, len(resp.BatchItemFailures))
			for i, f := range resp.BatchItemFailures {
				failed[i] = f.ItemIdentifier
			}
			return failed
		},
	}

	stats, err := p.queue.Stats()
	if err != nil {
		return nil, err
	}
	for _, s := range cfg.Sources {
		out.printf("POST %s%s  (source %s, preset %s)", edgeURL, edge.Path(s.Name()), s.Name(), s.Preset.Name)
	}
	out.printf("S3 endpoint %s bucket %s (objects in %s)", s3URL, bucket, filepath.Join(c.data, s3Dir, bucket))
	if eventsPath != "" {
		out.printf("hand-off events: %s", eventsPath)
	}
	quarantine := "quarantine on"
	if !cfg.Quarantine() {
		quarantine = "quarantine off"
	}
	out.printf("queue: %d waiting, %d in flight before the restart, %d dead-lettered; batches of %d, visibility timeout %s, maxReceiveCount %d, %s",
		stats.Visible, stats.InFlight, stats.DeadLetters, cfg.BatchSize, visibility, cfg.MaxReceiveCount, quarantine)

	pctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	p.cancel = cancel
	go func() { p.done <- p.poller.Run(pctx) }()
	return p, nil
}

// listen serves h on addr and returns its server and base URL.
func listen(addr string, h http.Handler) (*http.Server, string, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	return srv, "http://" + l.Addr().String(), nil
}

// wait runs until ctx ends or the queue fails, then stops in order: the edge
// takes no more requests, the batches in flight finish, the rest closes.
func (p *pipeline) wait(ctx context.Context) error {
	var err error
	select {
	case <-ctx.Done():
		p.out.printf("stopping: finishing the batches in flight")
	case err = <-p.done:
		p.done <- err
	}
	p.close()
	if err == nil {
		err = <-p.done
	}
	return err
}

// close stops whatever startPipeline started.
func (p *pipeline) close() {
	if p.edge != nil {
		sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		_ = p.edge.Shutdown(sctx)
		cancel()
	}
	if p.cancel != nil {
		p.cancel()
		err := <-p.done
		p.done <- err
	}
	for _, srv := range p.servers {
		_ = srv.Close()
	}
	if p.events != nil {
		_ = p.events.Close()
	}
	if p.queue != nil {
		if s, err := p.queue.Stats(); err == nil {
			p.out.printf("stopped: %d waiting in the queue, %d dead-lettered", s.Visible+s.InFlight, s.DeadLetters)
		}
		_ = p.queue.Close()
	}
}

// sqsEvent is batch as Lambda's event source mapping hands it over.
func sqsEvent(batch []localqueue.Message, arn string) events.SQSEvent {
	ev := events.SQSEvent{Records: make([]events.SQSMessage, len(batch))}
	for i, m := range batch {
		attrs := make(map[string]events.SQSMessageAttribute, len(m.Attributes))
		for k, v := range m.Attributes {
			attrs[k] = events.SQSMessageAttribute{StringValue: aws.String(v), DataType: "String"}
		}
		ev.Records[i] = events.SQSMessage{
			MessageId:     m.ID,
			ReceiptHandle: m.ReceiptHandle,
			Body:          string(m.Body),
			Attributes: map[string]string{
				"ApproximateReceiveCount":          strconv.Itoa(m.ReceiveCount),
				"SentTimestamp":                    strconv.FormatInt(m.SentAt.UnixMilli(), 10),
				"ApproximateFirstReceiveTimestamp": strconv.FormatInt(m.FirstReceivedAt.UnixMilli(), 10),
				"SenderId":                         localAccount,
			},
			MessageAttributes: attrs,
			EventSource:       "aws:sqs",
			EventSourceARN:    arn,
			AWSRegion:         localRegion,
		}
	}
	return ev
}

// lineWriter writes whole lines from concurrent goroutines.
type lineWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lineWriter) printf(format string, a ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, format+"\n", a...)
}

// Write writes b, whole lines, in one piece.
func (l *lineWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}
