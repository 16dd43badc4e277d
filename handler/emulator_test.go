package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/webhook-ingest/webhook-ingest/internal/lambdabuild"
)

// rieInstall is how to get the Lambda Runtime Interface Emulator.
const rieInstall = "go install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@v0.0.0-20261030222936-bef5c4ba774d"

// rie returns the emulator's path: on PATH, else where go install puts it
// (GOBIN, else GOPATH/bin). Without it the test fails in CI and is skipped
// elsewhere.
func rie(tb testing.TB) string {
	tb.Helper()
	if p, err := exec.LookPath("aws-lambda-rie"); err == nil {
		return p
	}
	if out, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output(); err == nil {
		// One line each, GOBIN's empty when unset.
		gobin, gopath, _ := strings.Cut(string(out), "\n")
		gopath = strings.TrimSpace(gopath)
		if gobin == "" {
			gobin = filepath.Join(gopath, "bin")
		}
		p := filepath.Join(gobin, "aws-lambda-rie")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		tb.Fatalf("aws-lambda-rie not found on PATH, in GOBIN or in GOPATH/bin; install it: %s", rieInstall)
	}
	tb.Skipf("aws-lambda-rie not found on PATH, in GOBIN or in GOPATH/bin; install it to run this test: %s", rieInstall)
	return ""
}

// builtOnce is a binary the tests build at most once per test binary, in a
// directory of its own that TestMain removes.
type builtOnce struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// get returns the binary's path, building it the first time: build writes it
// into a new directory named after prefix and returns its path. A failed
// build fails tb, and every later caller.
func (b *builtOnce) get(tb testing.TB, prefix string, build func(dir string) (string, error)) string {
	tb.Helper()
	b.once.Do(func() {
		if b.dir, b.err = os.MkdirTemp("", prefix); b.err == nil {
			b.path, b.err = build(b.dir)
		}
	})
	if b.err != nil {
		tb.Fatal(b.err)
	}
	return b.path
}

var bootstrapBuild builtOnce

// bootstrap builds the handler once per test binary with lambdabuild, as
// components.Build does for Lambda, but for the host's GOOS and GOARCH.
func bootstrap(tb testing.TB) string {
	tb.Helper()
	return bootstrapBuild.get(tb, "webhook-ingest-bootstrap-", func(dir string) (string, error) {
		return lambdabuild.Build(context.Background(), ".", ".", runtime.GOOS, runtime.GOARCH, dir)
	})
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, dir := range []string{bootstrapBuild.dir, opsBuild.dir} {
		if dir != "" {
			os.RemoveAll(dir)
		}
	}
	os.Exit(code)
}

// lockedBuffer collects a child's output while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *lockedBuffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Len()
}

// emulator is aws-lambda-rie running the bootstrap.
type emulator struct {
	cmd       *exec.Cmd
	invokeURL string
	// stdout carries the function's own output and the platform's START,
	// END and REPORT lines; stderr the emulator's log (INIT REPORT).
	stdout, stderr *lockedBuffer
}

// freeAddr returns a loopback address that was free a moment ago.
func freeAddr(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startEmulator runs the bootstrap under the emulator with only env (plus
// PATH and a scratch HOME, so no shared AWS config of the machine leaks in),
// both of the emulator's addresses on loopback. The emulator starts the
// bootstrap at the first invocation, as Lambda does at a cold start.
func startEmulator(tb testing.TB, env map[string]string) *emulator {
	tb.Helper()
	rieBin, boot := rie(tb), bootstrap(tb)
	apiAddr, invokeAddr := freeAddr(tb), freeAddr(tb)
	e := &emulator{
		invokeURL: "http://" + invokeAddr + "/2015-03-31/functions/function/invocations",
		stdout:    &lockedBuffer{},
		stderr:    &lockedBuffer{},
	}
	e.cmd = exec.Command(rieBin, "--runtime-api-address", apiAddr, "--runtime-interface-emulator-address", invokeAddr, boot)
	e.cmd.Dir = filepath.Dir(boot)
	e.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + tb.TempDir()}
	for k, v := range env {
		e.cmd.Env = append(e.cmd.Env, k+"="+v)
	}
	e.cmd.Stdout, e.cmd.Stderr = e.stdout, e.stderr
	if err := e.cmd.Start(); err != nil {
		tb.Fatalf("start emulator: %v", err)
	}
	tb.Cleanup(func() {
		_ = e.cmd.Process.Kill()
		_ = e.cmd.Wait()
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", invokeAddr, time.Second)
		if err == nil {
			c.Close()
			return e
		}
		if time.Now().After(deadline) {
			tb.Fatalf("emulator not listening on %s: %v\nstderr:\n%s", invokeAddr, err, e.stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// invoke sends one event and returns the raw response body; a function error
// comes back as a body with errorType (the emulator sets no error header).
func (e *emulator) invoke(tb testing.TB, event any) (status int, body []byte) {
	tb.Helper()
	payload, err := json.Marshal(event)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.invokeURL, bytes.NewReader(payload))
	if err != nil {
		tb.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("invoke: %v\nstderr:\n%s", err, e.stderr.String())
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return resp.StatusCode, body
}

// batch invokes with an SQS event and decodes the partial batch response,
// failing on a function error or on any field beyond batchItemFailures. It
// returns the function's log lines of this invocation too.
func (e *emulator) batch(tb testing.TB, records ...events.SQSMessage) (events.SQSEventResponse, []byte, []map[string]any) {
	tb.Helper()
	mark := e.stdout.Len()
	resp, body := e.batchResponse(tb, records...)
	e.waitForBatchLines(tb, mark, 1)
	return resp, body, e.functionLogs(tb, mark)
}

// batchResponse is batch without waiting for the log.
func (e *emulator) batchResponse(tb testing.TB, records ...events.SQSMessage) (events.SQSEventResponse, []byte) {
	tb.Helper()
	status, body := e.invoke(tb, events.SQSEvent{Records: records})
	if status != http.StatusOK || bytes.Contains(body, []byte(`"errorType"`)) {
		tb.Fatalf("invocation failed: HTTP %d %s\nstdout:\n%s\nstderr:\n%s", status, body, e.stdout.String(), e.stderr.String())
	}
	var resp events.SQSEventResponse
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&resp); err != nil {
		tb.Fatalf("response %s is not a partial batch response: %v", body, err)
	}
	return resp, body
}

// waitForBatchLines waits until stdout from byte offset from on holds n
// batch log lines: the emulator copies the function's output on its own
// schedule, and the batch line is the function's last of an invocation.
func (e *emulator) waitForBatchLines(tb testing.TB, from, n int) {
	tb.Helper()
	for deadline := time.Now().Add(5 * time.Second); strings.Count(e.stdout.String()[from:], `"msg":"batch"`) < n; {
		if time.Now().After(deadline) {
			tb.Fatalf("fewer than %d batch log lines:\n%s", n, e.stdout.String()[from:])
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// platformLine matches the lines the emulator itself writes to stdout.
var platformLine = regexp.MustCompile(`^(START|END|REPORT) RequestId: `)

// functionLogs returns the function's stdout lines from byte offset from on,
// each decoded as the JSON object it must be.
func (e *emulator) functionLogs(tb testing.TB, from int) []map[string]any {
	tb.Helper()
	var lines []map[string]any
	sc := bufio.NewScanner(strings.NewReader(e.stdout.String()[from:]))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || platformLine.MatchString(line) {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			tb.Errorf("function log line is not JSON: %q", line)
			continue
		}
		lines = append(lines, m)
	}
	return lines
}

// initReport matches the emulator's report of the init phase's duration.
var initReport = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)

// initDurations returns every init phase the emulator reported.
func (e *emulator) initDurations() []time.Duration {
	var out []time.Duration
	for _, m := range initReport.FindAllStringSubmatch(e.stderr.String(), -1) {
		ms, err := strconv.ParseFloat(m[1], 64)
		if err == nil {
			out = append(out, time.Duration(ms*float64(time.Millisecond)))
		}
	}
	return out
}

// runtimePID returns the PID of the bootstrap the emulator started.
func (e *emulator) runtimePID(tb testing.TB) int {
	tb.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		tb.Skipf("no /proc: %v", err)
	}
	for _, ent := range entries {
		pid, err := strconv.Atoi(ent.Name())
		if err != nil {
			continue
		}
		st, err := readStat(pid)
		if err == nil && st.ppid == e.cmd.Process.Pid && st.comm == "bootstrap" {
			return pid
		}
	}
	tb.Fatal("bootstrap process not found among the emulator's children")
	return 0
}

type procStat struct {
	comm string
	ppid int
	// cpu is user plus system time, in clock ticks.
	cpu int64
}

// readStat reads /proc/<pid>/stat (see proc(5)).
func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, err
	}
	s := string(b)
	open, closing := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || closing < open {
		return procStat{}, errors.New("malformed stat")
	}
	f := strings.Fields(s[closing+1:])
	// f[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
	if len(f) < 13 {
		return procStat{}, errors.New("short stat")
	}
	ppid, _ := strconv.Atoi(f[1])
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return procStat{comm: s[open+1 : closing], ppid: ppid, cpu: utime + stime}, nil
}

// clockTick is USER_HZ, the unit of utime and stime: 100 on every Linux
// architecture Lambda runs on.
const clockTick = 10 * time.Millisecond

// peakRSS reads VmHWM, the process's peak resident set size.
func peakRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, errors.New("no VmHWM")
}

// sqsRecord builds a record as Lambda's SQS event source delivers it:
// system attributes with SentTimestamp, and String message attributes with
// the empty list fields Lambda always includes.
func sqsRecord(messageID, body string, attrs map[string]string, sent time.Time) events.SQSMessage {
	ma := make(map[string]events.SQSMessageAttribute, len(attrs))
	for name, v := range attrs {
		ma[name] = events.SQSMessageAttribute{StringValue: &v, StringListValues: []string{}, BinaryListValues: [][]byte{}, DataType: "String"}
	}
	sum := md5.Sum([]byte(body))
	ms := strconv.FormatInt(sent.UnixMilli(), 10)
	return events.SQSMessage{
		MessageId:     messageID,
		ReceiptHandle: "AQEB" + messageID,
		Body:          body,
		Md5OfBody:     hex.EncodeToString(sum[:]),
		Attributes: map[string]string{
			"ApproximateReceiveCount":          "1",
			"SentTimestamp":                    ms,
			"SenderId":                         "AROAEXAMPLE:apigateway",
			"ApproximateFirstReceiveTimestamp": ms,
		},
		MessageAttributes: ma,
		EventSourceARN:    "arn:aws:sqs:us-east-1:123456789012:webhook-ingest",
		EventSource:       "aws:sqs",
		AWSRegion:         "us-east-1",
	}
}
