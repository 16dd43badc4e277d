package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/webhook-ingest/webhook-ingest/contract"
	"github.com/webhook-ingest/webhook-ingest/internal/edge"
	"github.com/webhook-ingest/webhook-ingest/stackconfig"
)

// sendTimeout bounds one POST.
const sendTimeout = 30 * time.Second

// webhook is one delivery as a preset's sender sends it.
type webhook struct {
	body   []byte
	header http.Header
	// id is the delivery id the handler derives (contract.Preset.Identify),
	// which names the object.
	id string
}

// signWebhook signs body as p's sender does at now with the newest of
// secrets (one per line, newest first): the signature header, and the id,
// topic and timestamp headers where the preset has them. Stripe's id and
// type, and Slack's and Recharge's derived ids, come from the body.
func signWebhook(p contract.Preset, secrets, id, topic string, body []byte, now time.Time) (webhook, error) {
	secret := ""
	for line := range strings.Lines(secrets) {
		if secret = strings.TrimSpace(line); secret != "" {
			break
		}
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	sig, err := p.Scheme.Sign(secret, id, ts, body)
	if err != nil {
		return webhook{}, fmt.Errorf("sign as %s: %w", p.Name, err)
	}
	h := http.Header{}
	h.Set("User-Agent", "webhook-ops")
	h.Set("Content-Type", "application/octet-stream")
	if json.Valid(body) {
		h.Set("Content-Type", "application/json")
	}
	h.Set(p.Headers.Signature, sig)
	for header, value := range map[string]string{p.Headers.ID: id, p.Headers.Topic: topic, p.Headers.Timestamp: ts} {
		if header != "" {
			h.Set(header, value)
		}
	}
	derived, _, err := p.Identify(id, topic, body)
	if err != nil {
		return webhook{}, fmt.Errorf("identify the delivery: %w", err)
	}
	return webhook{body: body, header: h, id: derived}, nil
}

// exampleBody is the body of a test webhook: JSON with the id and topic
// where Stripe keeps them, so that every preset finds them.
func exampleBody(id, topic, message string, now time.Time) []byte {
	b, _ := json.Marshal(struct {
		ID      string `json:"id"`
		Type    string `json:"type"`
		Created int64  `json:"created"`
		Message string `json:"message"`
	}{id, topic, now.Unix(), message})
	return b
}

// post sends w to url and returns the response's status and body.
func post(ctx context.Context, url string, w webhook) (int, string, error) {
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(w.body))
	if err != nil {
		return 0, "", err
	}
	req.Header = w.header
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode, strings.TrimSpace(string(body)), err
}

// send signs a body as a preset's sender does and posts it.
func send(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("send", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "", "where to post (default with -source: serve's route, http://127.0.0.1:8080/webhooks/<source>)")
	presetName := fs.String("preset", "", "sign as this preset's sender: "+strings.Join(contract.PresetNames(), ", "))
	custom := fs.String("custom", "", "the custom sender, as the stack's custom block in JSON (with -preset custom)")
	source := fs.String("source", "", "sign as the sender of this source of the stack (preset, custom block and secret from it)")
	stack := fs.String("stack", "dev", "the stack of -source")
	secretEnvVar := fs.String("secret-env", "", "environment variable holding the secret (default with -source: WEBHOOK_SECRET_<SOURCE>, else serve's generated one)")
	secretFile := fs.String("secret-file", "", "file holding the secret")
	secretStdin := fs.Bool("secret-stdin", false, "read the secret from standard input")
	bodyFile := fs.String("body", "", "file holding the body, - for standard input (default: a small JSON body)")
	id := fs.String("id", "", "the delivery id, where the preset sends one (default: send-<time>)")
	topic := fs.String("topic", "webhook-ops.send", "the topic, where the preset sends one")
	if ok, code := parseFlags(fs, args); !ok {
		return code
	}
	if (*presetName == "") == (*source == "") {
		return usageError(stderr, "send", "give -preset or -source (one of them)")
	}
	if *secretStdin && *bodyFile == "-" {
		return usageError(stderr, "send", "-secret-stdin and -body - both read standard input")
	}
	if n := countSet(*secretEnvVar != "", *secretFile != "", *secretStdin); n > 1 {
		return usageError(stderr, "send", "give at most one of -secret-env, -secret-file and -secret-stdin")
	}
	now := time.Now()
	if *id == "" {
		*id = "send-" + now.UTC().Format("20060102T150405.000000000")
	}

	var (
		preset  contract.Preset
		secrets *secretSource
		err     error
	)
	if *source != "" {
		preset, secrets, err = stackSource(*stack, *source)
		if *url == "" {
			*url = "http://127.0.0.1:8080" + edge.Path(*source)
		}
	} else {
		preset, err = namedPreset(*presetName, *custom)
	}
	if err != nil {
		return usageError(stderr, "send", "%v", err)
	}
	if *url == "" {
		return usageError(stderr, "send", "-url is required with -preset")
	}
	secret, err := readSecret(ctx, *source, secrets, *secretEnvVar, *secretFile, *secretStdin, stdin)
	if err != nil {
		return usageError(stderr, "send", "%v", err)
	}
	body := exampleBody(*id, *topic, "sent by webhook-ops send", now)
	if *bodyFile != "" {
		if body, err = readBody(*bodyFile, stdin); err != nil {
			return usageError(stderr, "send", "%v", err)
		}
	}
	w, err := signWebhook(preset, secret, *id, *topic, body, now)
	if err != nil {
		fmt.Fprintf(stderr, "send: %v\n", err)
		return exitFailed
	}
	status, reply, err := post(ctx, *url, w)
	if err != nil {
		fmt.Fprintf(stderr, "send: POST %s: %v\n", *url, err)
		return exitFailed
	}
	fmt.Fprintf(stdout, "HTTP %d %s  id %s", status, http.StatusText(status), w.id)
	if i := strings.LastIndex(*url, edge.Path("")); i >= 0 {
		if key, err := contract.ObjectKey((*url)[i+len(edge.Path("")):], w.id); err == nil {
			fmt.Fprintf(stdout, "  key %s", key)
		}
	}
	fmt.Fprintln(stdout)
	if status/100 != 2 {
		fmt.Fprintf(stderr, "send: %s\n", reply)
		return exitFailed
	}
	return exitOK
}

func countSet(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

// namedPreset returns the preset called name; custom is the custom block of
// the custom preset, in JSON.
func namedPreset(name, custom string) (contract.Preset, error) {
	if name != contract.CustomPreset {
		if custom != "" {
			return contract.Preset{}, errors.New("-custom needs -preset custom")
		}
		p, ok := contract.LookupPreset(name)
		if !ok {
			return contract.Preset{}, fmt.Errorf("unknown preset %q (want one of %v)", name, contract.PresetNames())
		}
		return p, nil
	}
	if custom == "" {
		return contract.Preset{}, errors.New(`-preset custom needs -custom '{"signatureHeader": …}', the stack's custom block`)
	}
	dec := json.NewDecoder(strings.NewReader(custom))
	dec.DisallowUnknownFields()
	var c contract.Custom
	if err := dec.Decode(&c); err != nil {
		return contract.Preset{}, fmt.Errorf("-custom: %w", err)
	}
	p, err := c.Preset()
	if err != nil {
		return contract.Preset{}, fmt.Errorf("-custom: %w", err)
	}
	return p, nil
}

// stackSource returns the preset of source in stack's Pulumi.<stack>.yaml,
// and where its secrets are.
func stackSource(stack, source string) (contract.Preset, *secretSource, error) {
	cfg, secrets, err := readLocalStack(stack, defaultDataDir(stack))
	if err != nil {
		return contract.Preset{}, nil, err
	}
	for _, s := range cfg.Sources {
		if s.Name() == source {
			return s.Preset, secrets, nil
		}
	}
	return contract.Preset{}, nil, fmt.Errorf("stack %s has no source %q", stack, source)
}

// readLocalStack reads and validates stack's configuration from its stack
// file in the current directory, and returns where its sources' secrets are
// (serve's generated ones in the data directory data).
func readLocalStack(stack, data string) (stackconfig.Config, *secretSource, error) {
	project, err := stackconfig.ReadProjectName(".")
	if err != nil {
		return stackconfig.Config{}, nil, err
	}
	file, err := stackconfig.ReadStackFile(stackconfig.StackFileName(stack))
	if err != nil {
		return stackconfig.Config{}, nil, err
	}
	cfg, err := stackconfig.Load(project, stack, file)
	if err != nil {
		return stackconfig.Config{}, nil, err
	}
	return cfg, &secretSource{project: project, stack: stack, file: file, dir: filepath.Join(data, secretsDir)}, nil
}

// readSecret reads the signing secret from where the flags say; with none,
// for a source, where secrets.lookup finds it.
func readSecret(ctx context.Context, source string, secrets *secretSource, env, file string, fromStdin bool, stdin io.Reader) (string, error) {
	switch {
	case env != "":
		v, ok := os.LookupEnv(env)
		if !ok {
			return "", fmt.Errorf("-secret-env %s: the variable is not set", env)
		}
		return v, nil
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("-secret-file: %w", err)
		}
		return string(b), nil
	case fromStdin:
		b, err := io.ReadAll(stdin)
		if err != nil {
			return "", fmt.Errorf("-secret-stdin: %w", err)
		}
		return string(b), nil
	case secrets != nil:
		v, _, found, err := secrets.lookup(ctx, source)
		if err == nil && !found {
			err = fmt.Errorf("no secret for source %s: set %s, give -secret-env, -secret-file or -secret-stdin, or run serve first", source, secretEnv(source))
		}
		return v, err
	}
	return "", errors.New("give the secret with -secret-env, -secret-file or -secret-stdin (never on the command line)")
}

// readBody reads the body from a file, or standard input for "-".
func readBody(file string, stdin io.Reader) ([]byte, error) {
	if file == "-" {
		b, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("-body -: %w", err)
		}
		return b, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("-body: %w", err)
	}
	return b, nil
}
