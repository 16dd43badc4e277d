package enginetest

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"

	"github.com/webhook-ingest/webhook-ingest/components"
	"github.com/webhook-ingest/webhook-ingest/internal/fakeawsprovider"
)

// realProviderEnv set to 1 points the test at the real AWS provider plugin,
// which the CLI downloads: it then previews with placeholder credentials,
// so that the provider's own validators see the program's inputs, and stops
// before anything would be deployed.
const realProviderEnv = "WEBHOOK_INGEST_REAL_PROVIDER"

// root is the module root, relative to this package's directory.
const root = "../.."

// docCommand is a command line that a document tells the user to run. The
// test runs it verbatim, and fails when the document no longer shows it, so
// that the documented commands are the tested ones.
type docCommand struct {
	doc, line string
}

var (
	initDev      = docCommand{"docs/infrastructure.md", "pulumi stack init dev"}
	setDevSecret = docCommand{"docs/infrastructure.md", "pulumi config set --secret --path 'secrets.orders' '" + devSecret + "'"}
	rotateSecret = docCommand{"docs/presets.md", `printf '%s\n%s\n' "$NEW" "$OLD" | pulumi config set --secret --path 'secrets.orders'`}
	setEventBus  = docCommand{"docs/infrastructure.md", "pulumi config set eventBus true"}
	setAlarmMail = docCommand{"docs/infrastructure.md", "pulumi config set alarmEmail ops@example.com"}
	// newStack creates a stack from nothing.
	newStack = []docCommand{
		{"docs/infrastructure.md", "pulumi stack init prod"},
		{"docs/infrastructure.md", "pulumi config set aws:region eu-west-1"},
		{"docs/infrastructure.md", "pulumi config set --path 'sources[0].name' shop"},
		{"docs/infrastructure.md", "pulumi config set --path 'sources[0].preset' shopify"},
		{"docs/infrastructure.md", `pulumi config set --secret --path 'secrets.shop' "$SHOPIFY_SECRET"`},
	}
)

// devSecret is the secret setDevSecret sets.
const devSecret = "the-shared-signing-secret"

// TestEngine deploys the program with the real Pulumi engine and the
// fakeawsprovider stand-in, from the committed Pulumi.dev.yaml and the
// documented commands, and checks what only the engine does: the config
// schema, encrypted secrets in state, stable previews, and which resources a
// configuration change touches.
func TestEngine(t *testing.T) {
	e := newEngine(t)
	e.checkConfigErrors(t)

	t.Run("a new stack from the documented commands previews", func(t *testing.T) {
		secret := "SHOPIFY_SECRET=shpss_" + rand.Text()
		for _, c := range newStack {
			e.doc(t, "", c, secret)
		}
		res, err := e.stack(t, "prod").Preview(t.Context())
		if err != nil {
			t.Fatalf("preview: %v", err)
		}
		if ops := slices.Collect(maps.Keys(res.ChangeSummary)); !slices.Equal(ops, []apitype.OpType{apitype.OpCreate}) {
			t.Errorf("preview of a new stack plans %v, want only creates", res.ChangeSummary)
		}
	})

	e.copyStackFile(t, "Pulumi.dev.yaml")
	e.doc(t, "", initDev)
	e.doc(t, "dev", setDevSecret)
	dev := e.stack(t, "dev")

	var planned int
	if !t.Run("the committed dev stack previews", func(t *testing.T) {
		res, err := dev.Preview(t.Context())
		if err != nil {
			t.Fatalf("preview: %v", err)
		}
		planned = res.ChangeSummary[apitype.OpCreate]
		if planned == 0 || len(res.ChangeSummary) != 1 {
			t.Fatalf("preview plans %v, want only creates", res.ChangeSummary)
		}
	}) {
		return
	}
	if e.real {
		t.Logf("%s=1: the real AWS provider accepted every input of the previews; deploying needs an AWS account (integration tests), so the test stops here", realProviderEnv)
		return
	}

	// Physical names and URLs of the first deployment, which no later
	// update may change.
	var first auto.OutputMap
	if !t.Run("up creates what the preview planned and exports the documented outputs", func(t *testing.T) {
		res, _ := e.up(t, dev)
		if got := *res.Summary.ResourceChanges; !maps.Equal(got, map[string]int{"create": planned}) {
			t.Errorf("up made %v, want %d creates", got, planned)
		}
		checkOutputs(t, res.Outputs, devOutputs())
		first = res.Outputs
	}) {
		return
	}

	t.Run("a second preview changes nothing", func(t *testing.T) {
		res, err := dev.Preview(t.Context())
		if err != nil {
			t.Fatalf("preview: %v", err)
		}
		if want := map[apitype.OpType]int{apitype.OpSame: planned}; !maps.Equal(res.ChangeSummary, want) {
			t.Errorf("second preview plans %v, want %v", res.ChangeSummary, want)
		}
	})

	t.Run("state holds the secret only encrypted", func(t *testing.T) {
		// The export shows secrets in plain text: it proves that the
		// secret is in the state the files hold encrypted.
		exported, err := dev.Export(t.Context())
		if err != nil {
			t.Fatalf("export: %v", err)
		}
		if !bytes.Contains(exported.Deployment, []byte(devSecret)) {
			t.Fatal("the decrypted state does not hold the secret: the search below would prove nothing")
		}
		e.checkNoPlaintext(t, devSecret)
	})

	t.Run("a rotated secret updates only its parameter and the function", func(t *testing.T) {
		newSecret := "rotated-" + rand.Text()
		e.doc(t, "dev", rotateSecret, "NEW="+newSecret, "OLD="+devSecret)
		want := []string{
			"update aws:lambda/function:Function [environment]",
			"update aws:ssm/parameter:Parameter [value]",
		}
		if got := e.preview(t, dev); !slices.Equal(got, want) {
			t.Errorf("preview plans %q, want %q", got, want)
		}
		res, got := e.up(t, dev)
		if !slices.Equal(got, want) {
			t.Errorf("up made %q, want %q", got, want)
		}
		if want := map[string]int{"update": 2, "same": planned - 2}; !maps.Equal(*res.Summary.ResourceChanges, want) {
			t.Errorf("up made %v, want %v", *res.Summary.ResourceChanges, want)
		}
		if !reflect.DeepEqual(res.Outputs, first) {
			t.Errorf("outputs changed:\n%v\nwant\n%v", res.Outputs, first)
		}
		e.checkNoPlaintext(t, newSecret, devSecret)
	})

	t.Run("eventBus and alarmEmail add their resources and outputs", func(t *testing.T) {
		e.doc(t, "dev", setEventBus)
		e.doc(t, "dev", setAlarmMail)
		res, steps := e.up(t, dev)
		for _, s := range steps {
			if !strings.HasPrefix(s, "create ") && !strings.HasPrefix(s, "update ") {
				t.Errorf("up did %s: enabling options must only add and update", s)
			}
		}
		want := devOutputs()
		want["eventBusName"] = "webhook-ingest-dev"
		want["eventBusArn"] = regexp.QuoteMeta(arn("events", "us-east-1", "event-bus/webhook-ingest-dev"))
		want["alarmTopicArn"] = regexp.QuoteMeta(arn("sns", "us-east-1", "webhook-ingest-dev-alarms"))
		checkOutputs(t, res.Outputs, want)
		for k, v := range first {
			if !reflect.DeepEqual(res.Outputs[k], v) {
				t.Errorf("output %s changed from %v to %v", k, v, res.Outputs[k])
			}
		}
	})

	t.Run("destroy deletes everything", func(t *testing.T) {
		res, err := dev.Destroy(t.Context())
		if err != nil {
			t.Fatalf("destroy: %v", err)
		}
		if ops := slices.Collect(maps.Keys(*res.Summary.ResourceChanges)); !slices.Equal(ops, []string{"delete"}) {
			t.Errorf("destroy did %v, want only deletes", *res.Summary.ResourceChanges)
		}
		if types := e.resourceTypes(t, dev); len(types) > 0 {
			t.Errorf("state still holds %v", types)
		}
	})
}

// checkConfigErrors checks that a configuration mistake fails the preview
// with a message naming the key, and, with the stand-in, that an up fails
// before anything is created. Each mistake gets a stack of its own, made
// from the committed Pulumi.dev.yaml.
func (e *engine) checkConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		// mistake is the `pulumi config` command that makes it, nil for
		// none.
		mistake []string
		secret  bool
		want    []string
	}{{
		// The engine checks the type against Pulumi.yaml's schema.
		name:    "wrong-type",
		mistake: []string{"config", "set", "memorySize", "big"},
		secret:  true,
		want:    []string{"'memorySize' must be of type 'integer'"},
	}, {
		// The program checks the value.
		name:    "unknown-preset",
		mistake: []string{"config", "set", "--path", "sources[0].preset", "shopifyy"},
		secret:  true,
		want:    []string{"webhook-ingest:sources[0]", `"shopifyy"`},
	}, {
		// Pulumi.yaml declares secrets without a default.
		name: "no-secret",
		want: []string{"missing configuration value 'secrets'"},
	}} {
		t.Run("config error "+tc.name, func(t *testing.T) {
			e.copyStackFile(t, "Pulumi.dev.yaml", tc.name)
			e.cli(t, "stack", "init", tc.name)
			s := e.stack(t, tc.name)
			if tc.secret {
				if err := s.SetConfigWithOptions(t.Context(), "secrets.orders", auto.ConfigValue{Value: devSecret, Secret: true}, &auto.ConfigOptions{Path: true}); err != nil {
					t.Fatalf("set the secret: %v", err)
				}
			}
			if tc.mistake != nil {
				e.cli(t, append(tc.mistake, "--stack", tc.name)...)
			}
			_, err := s.Preview(t.Context())
			if err == nil {
				t.Fatal("preview succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("preview error does not say %q:\n%v", w, err)
				}
			}
			if strings.Contains(err.Error(), devSecret) {
				t.Errorf("preview error shows the secret:\n%v", err)
			}
			if e.real {
				return
			}
			if _, err := s.Up(t.Context()); err == nil {
				t.Fatal("up succeeded")
			}
			if types := e.resourceTypes(t, s); len(types) > 0 {
				t.Errorf("the failed up created %v", types)
			}
		})
	}
}

// engine is a Pulumi workspace of the project in a temporary directory,
// with its own file backend, passphrase and Pulumi home.
type engine struct {
	ws auto.Workspace
	// dir holds Pulumi.yaml and the stack files; state is the backend.
	dir, state, home string
	// env is what every pulumi command gets on top of the test's
	// environment.
	env map[string]string
	// real is whether the engine uses the real AWS provider.
	real bool
}

// newEngine makes an engine; it skips the test when the Pulumi CLI is
// missing, except in CI, where it fails.
func newEngine(t *testing.T) *engine {
	t.Helper()
	cli, err := exec.LookPath("pulumi")
	if err != nil {
		msg := "the Pulumi CLI is not on PATH; install it with `bash scripts/install-pulumi` (README, Prerequisites)"
		if os.Getenv("CI") != "" {
			t.Fatalf("%s: in CI this test must run (.ci/run installs the CLI)", msg)
		}
		t.Skip(msg)
	}
	version, err := exec.CommandContext(t.Context(), cli, "version").Output()
	if err != nil {
		t.Fatalf("%s version: %v", cli, err)
	}
	t.Logf("Pulumi CLI %s at %s", bytes.TrimSpace(version), cli)

	e := &engine{
		dir:   t.TempDir(),
		state: t.TempDir(),
		home:  t.TempDir(),
		real:  os.Getenv(realProviderEnv) == "1",
	}
	e.env = map[string]string{
		"PULUMI_HOME":              e.home,
		"PULUMI_BACKEND_URL":       "file://" + e.state,
		"PULUMI_CONFIG_PASSPHRASE": rand.Text(),
		"PULUMI_SKIP_UPDATE_CHECK": "true",
	}
	if e.real {
		// Whatever pulumi-resource-aws is on PATH, use the real one.
		e.env["PULUMI_IGNORE_AMBIENT_PLUGINS"] = "true"
		e.env["AWS_EC2_METADATA_DISABLED"] = "true"
	} else {
		// The engine must take the stand-in, never download a plugin.
		e.env["PATH"] = buildStandIn(t) + string(os.PathListSeparator) + os.Getenv("PATH")
		e.env["PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION"] = "true"
	}

	project, err := workspace.LoadProject(filepath.Join(root, "Pulumi.yaml"))
	if err != nil {
		t.Fatalf("load the project: %v", err)
	}
	e.ws, err = auto.NewLocalWorkspace(t.Context(),
		auto.Program(components.Program),
		auto.Project(*project),
		auto.WorkDir(e.dir),
		auto.EnvVars(e.env))
	if err != nil {
		t.Fatalf("create the workspace: %v", err)
	}
	if e.real {
		if err := e.ws.InstallPlugin(t.Context(), "aws", "v"+fakeawsprovider.Version); err != nil {
			t.Fatalf("install the AWS provider plugin v%s (this needs Pulumi's plugin downloads, which are not reachable everywhere): %v", fakeawsprovider.Version, err)
		}
	}
	return e
}

// buildStandIn builds the stand-in plugin and returns its directory.
func buildStandIn(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.CommandContext(t.Context(), "go", "build", "-o", filepath.Join(dir, "pulumi-resource-aws"), "./internal/fakeawsprovider/cmd/pulumi-resource-aws")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the stand-in AWS provider: %v\n%s", err, out)
	}
	return dir
}

// copyStackFile copies the committed stack file name into the work
// directory, as the file of stack (default: the file's own stack).
func (e *engine) copyStackFile(t *testing.T, name string, stack ...string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, name))
	if err != nil {
		t.Fatal(err)
	}
	if len(stack) > 0 {
		name = "Pulumi." + stack[0] + ".yaml"
	}
	if err := os.WriteFile(filepath.Join(e.dir, name), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// stack selects the stack name of the inline program; with the real
// provider, it gives the provider placeholder credentials and turns off
// every check that would call AWS.
func (e *engine) stack(t *testing.T, name string) *auto.Stack {
	t.Helper()
	s, err := auto.SelectStack(t.Context(), name, e.ws)
	if err != nil {
		t.Fatalf("select stack %s: %v", name, err)
	}
	if e.real {
		err := s.SetAllConfig(t.Context(), auto.ConfigMap{
			"aws:accessKey":                 {Value: "AKIAIOSFODNN7EXAMPLE"},
			"aws:secretKey":                 {Value: "placeholder-not-a-key", Secret: true},
			"aws:skipCredentialsValidation": {Value: "true"},
			"aws:skipRequestingAccountId":   {Value: "true"},
			"aws:skipMetadataApiCheck":      {Value: "true"},
		})
		if err != nil {
			t.Fatalf("configure the real provider of %s: %v", name, err)
		}
	}
	return &s
}

// doc runs the documented command c verbatim with bash in the work
// directory, after selecting stack ("" leaves the selection as it is), with
// env (NAME=value) added to the environment.
func (e *engine) doc(t *testing.T, stack string, c docCommand, env ...string) {
	t.Helper()
	text, err := os.ReadFile(filepath.Join(root, c.doc))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(text, []byte(c.line)) {
		t.Fatalf("%s no longer shows `%s`: make the test run what it shows now", c.doc, c.line)
	}
	if stack != "" {
		e.cli(t, "stack", "select", stack)
	}
	e.run(t, append(env, "bash", "-o", "pipefail", "-c", c.line)...)
}

// cli runs pulumi with args in the work directory.
func (e *engine) cli(t *testing.T, args ...string) {
	t.Helper()
	e.run(t, append([]string{"pulumi"}, args...)...)
}

// run runs the command that follows the leading NAME=value words of
// command in the work directory.
func (e *engine) run(t *testing.T, command ...string) {
	t.Helper()
	env := os.Environ()
	for k, v := range e.env {
		env = append(env, k+"="+v)
	}
	for len(command) > 0 && strings.Contains(command[0], "=") {
		env, command = append(env, command[0]), command[1:]
	}
	cmd := exec.CommandContext(t.Context(), command[0], command[1:]...)
	cmd.Dir, cmd.Env = e.dir, env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(command, " "), err, out)
	}
}

// preview previews s and returns its steps (see steps).
func (e *engine) preview(t *testing.T, s *auto.Stack) []string {
	t.Helper()
	ch, collected := collect()
	if _, err := s.Preview(t.Context(), optpreview.EventStreams(ch)); err != nil {
		t.Fatalf("preview: %v", err)
	}
	return <-collected
}

// up updates s and returns its result and steps (see steps).
func (e *engine) up(t *testing.T, s *auto.Stack) (auto.UpResult, []string) {
	t.Helper()
	ch, collected := collect()
	res, err := s.Up(t.Context(), optup.EventStreams(ch))
	if err != nil {
		t.Fatalf("up: %v", err)
	}
	return res, <-collected
}

// collect returns an event channel for an operation and the channel its
// steps arrive on when the operation is over: "<op> <type> [<changed
// inputs>]" of each resource the operation does not leave as it is, sorted.
func collect() (chan<- events.EngineEvent, <-chan []string) {
	ch := make(chan events.EngineEvent)
	collected := make(chan []string, 1)
	go func() {
		var steps []string
		for ev := range ch {
			if pre := ev.ResourcePreEvent; pre != nil && pre.Metadata.Op != apitype.OpSame {
				m := pre.Metadata
				steps = append(steps, fmt.Sprintf("%s %s [%s]", m.Op, m.Type, strings.Join(m.Diffs, " ")))
			}
		}
		slices.Sort(steps)
		collected <- steps
	}()
	return ch, collected
}

// resourceTypes returns the types of the resources the state of s holds,
// but for the stack's own pulumi:pulumi:Stack, which the engine creates
// before the program runs.
func (e *engine) resourceTypes(t *testing.T, s *auto.Stack) []string {
	t.Helper()
	exported, err := s.Export(t.Context())
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	var d apitype.DeploymentV3
	if len(exported.Deployment) > 0 {
		if err := json.Unmarshal(exported.Deployment, &d); err != nil {
			t.Fatalf("read the exported state: %v", err)
		}
	}
	var types []string
	for _, r := range d.Resources {
		if r.Type != resource.RootStackType {
			types = append(types, string(r.Type))
		}
	}
	return types
}

// checkNoPlaintext fails the test when any file of the backend, the work
// directory or the Pulumi home holds any line of secrets. It also checks
// that the stack's state file is among them and holds ciphertext, so that
// the search looked where the secrets are.
func (e *engine) checkNoPlaintext(t *testing.T, secrets ...string) {
	t.Helper()
	var lines [][]byte
	for _, s := range secrets {
		for l := range strings.Lines(s) {
			if l = strings.TrimSpace(l); l != "" {
				lines = append(lines, []byte(l))
			}
		}
	}
	stateFile := filepath.Join(e.state, ".pulumi", "stacks", "webhook-ingest", "dev.json")
	sawState := false
	for _, dir := range []string{e.state, e.dir, e.home} {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, l := range lines {
				if bytes.Contains(b, l) {
					t.Errorf("%s holds the secret line %q in plain text", path, l)
				}
			}
			if path == stateFile {
				sawState = bytes.Contains(b, []byte(`"ciphertext"`))
			}
			return nil
		})
		if err != nil {
			t.Fatalf("read %s: %v", dir, err)
		}
	}
	if !sawState {
		t.Errorf("%s is missing or holds no ciphertext", stateFile)
	}
}

// devOutputs are the outputs of the dev stack with its default options,
// each a regular expression for the whole value; maps are flattened to
// "<output>.<key>".
func devOutputs() map[string]string {
	return map[string]string{
		"webhookUrls.orders":      `https://[a-z0-9]{10}\.execute-api\.us-east-1\.amazonaws\.com/webhooks/orders`,
		"queueUrl":                `https://sqs\.us-east-1\.amazonaws\.com/` + fakeawsprovider.Account + `/webhook-ingest-queue-[0-9a-f]{7}`,
		"deadLetterQueueUrl":      `https://sqs\.us-east-1\.amazonaws\.com/` + fakeawsprovider.Account + `/webhook-ingest-queue-dlq-[0-9a-f]{7}`,
		"bucketName":              `webhook-ingest-bodies-[0-9a-f]{7}`,
		"functionName":            `webhook-ingest-processor-[0-9a-f]{7}`,
		"secretParameters.orders": `/webhook-ingest/dev/orders`,
		"dashboardName":           `webhook-ingest-dev`,
	}
}

// arn returns the ARN of res in service and region in the stand-in's
// account.
func arn(service, region, res string) string {
	return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, region, fakeawsprovider.Account, res)
}

// checkOutputs checks that got has exactly the outputs of want (see
// devOutputs), none of them secret.
func checkOutputs(t *testing.T, got auto.OutputMap, want map[string]string) {
	t.Helper()
	flat := map[string]string{}
	for name, v := range got {
		if v.Secret {
			t.Errorf("output %s is secret", name)
		}
		switch v := v.Value.(type) {
		case string:
			flat[name] = v
		case map[string]any:
			for k, e := range v {
				flat[name+"."+k] = fmt.Sprint(e)
			}
		default:
			t.Errorf("output %s is %T %v", name, v, v)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(flat)) {
		pattern, ok := want[k]
		if !ok {
			t.Errorf("unexpected output %s = %q", k, flat[k])
			continue
		}
		if !regexp.MustCompile("^" + pattern + "$").MatchString(flat[k]) {
			t.Errorf("output %s = %q, want %s", k, flat[k], pattern)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if _, ok := flat[k]; !ok {
			t.Errorf("no output %s", k)
		}
	}
}
