package workflowtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// root is the repository root, relative to this package.
const root = "../.."

type workflow struct {
	On          map[string]any    `yaml:"on"`
	Env         map[string]string `yaml:"env"`
	Concurrency any               `yaml:"concurrency"`
	Jobs        map[string]job    `yaml:"jobs"`
}

type job struct {
	Name        string            `yaml:"name"`
	If          string            `yaml:"if"`
	Environment string            `yaml:"environment"`
	Concurrency *concurrency      `yaml:"concurrency"`
	Env         map[string]string `yaml:"env"`
	Steps       []step            `yaml:"steps"`
}

type concurrency struct {
	Group            string `yaml:"group"`
	CancelInProgress bool   `yaml:"cancel-in-progress"`
}

type step struct {
	ID   string            `yaml:"id"`
	Uses string            `yaml:"uses"`
	Run  string            `yaml:"run"`
	With map[string]any    `yaml:"with"`
	Env  map[string]string `yaml:"env"`
}

type action struct {
	Runs struct {
		Using string `yaml:"using"`
		Steps []step `yaml:"steps"`
	} `yaml:"runs"`
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// workflows returns every workflow file, by file name.
func workflows(t *testing.T) map[string]workflow {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(root, ".github/workflows/*.yml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no workflows (%v)", err)
	}
	out := map[string]workflow{}
	for _, p := range paths {
		var w workflow
		readYAML(t, filepath.Join(".github/workflows", filepath.Base(p)), &w)
		out[filepath.Base(p)] = w
	}
	return out
}

// actionScript returns the run script of the local composite action name.
func actionScript(t *testing.T, name string) string {
	t.Helper()
	var a action
	readYAML(t, ".github/actions/"+name+"/action.yml", &a)
	if a.Runs.Using != "composite" || len(a.Runs.Steps) != 1 || a.Runs.Steps[0].Run == "" {
		t.Fatalf("action %s: want a composite action of one run step", name)
	}
	return a.Runs.Steps[0].Run
}

// runScript runs script with bash in dir, as a step does, with env added,
// and returns its exit code, its output and what it wrote to GITHUB_OUTPUT.
func runScript(t *testing.T, script, dir string, env ...string) (code int, out, ghOutput string) {
	t.Helper()
	outFile := filepath.Join(t.TempDir(), "github-output")
	cmd := exec.Command("bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), append(env, "GITHUB_OUTPUT="+outFile)...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatal(err)
		}
		code = ee.ExitCode()
	}
	b, _ := os.ReadFile(outFile)
	return code, buf.String(), string(b)
}

// dirWith returns a directory holding files (name -> content).
func dirWith(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestStackList runs the workflows' stack listing (.github/actions/stacks)
// against sets of files and against the repository itself: the stacks
// previewed and deployed are exactly the committed Pulumi.<stack>.yaml.
func TestStackList(t *testing.T) {
	script := actionScript(t, "stacks")
	tests := []struct {
		name    string
		files   []string
		want    string
		notices []string
	}{
		{"none", []string{"Pulumi.yaml", "go.mod"}, "[]", []string{"::warning::No Pulumi.<stack>.yaml", "Pulumi.dev.yaml is not committed", "Pulumi.prod.yaml is not committed"}},
		{"dev only", []string{"Pulumi.yaml", "Pulumi.dev.yaml"}, `["dev"]`, []string{"::notice::Pulumi.prod.yaml is not committed, so the prod stack is neither previewed nor deployed"}},
		{"dev and prod", []string{"Pulumi.yaml", "Pulumi.prod.yaml", "Pulumi.dev.yaml"}, `["dev","prod"]`, nil},
		{"more stacks", []string{"Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml", "Pulumi.staging-eu.yaml", "Pulumi.dev.yaml.bak"}, `["dev","prod","staging-eu"]`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{}
			for _, f := range tt.files {
				files[f] = "config: {}\n"
			}
			code, out, gh := runScript(t, script, dirWith(t, files))
			if code != 0 {
				t.Fatalf("exit %d:\n%s", code, out)
			}
			if want := "stacks=" + tt.want + "\n"; gh != want {
				t.Errorf("GITHUB_OUTPUT %q, want %q", gh, want)
			}
			if !json.Valid([]byte(tt.want)) {
				t.Fatalf("want %s is not JSON", tt.want)
			}
			for _, n := range tt.notices {
				if !strings.Contains(out, n) {
					t.Errorf("output lacks %q:\n%s", n, out)
				}
			}
			if tt.notices == nil && strings.Contains(out, "::") {
				t.Errorf("unexpected annotation:\n%s", out)
			}
		})
	}

	t.Run("bad name", func(t *testing.T) {
		code, out, _ := runScript(t, script, dirWith(t, map[string]string{"Pulumi.my stack.yaml": ""}))
		if code == 0 || !strings.Contains(out, "::error file=Pulumi.my stack.yaml::") {
			t.Errorf("exit %d, want an error naming the file:\n%s", code, out)
		}
	})

	t.Run("this repository", func(t *testing.T) {
		paths, err := filepath.Glob(filepath.Join(root, "Pulumi.*.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, p := range paths {
			want = append(want, strings.TrimSuffix(strings.TrimPrefix(filepath.Base(p), "Pulumi."), ".yaml"))
		}
		slices.Sort(want)
		code, out, gh := runScript(t, script, root)
		if code != 0 {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		var got []string
		if err := json.Unmarshal([]byte(strings.TrimPrefix(strings.TrimSpace(gh), "stacks=")), &got); err != nil {
			t.Fatalf("GITHUB_OUTPUT %q: %v", gh, err)
		}
		if !slices.Equal(got, want) || !slices.Contains(got, "dev") {
			t.Errorf("stacks %v, want the committed stack files %v (with dev)", got, want)
		}
	})
}

// setUp is what the documented setup adds to Pulumi.dev.yaml, as the Pulumi
// CLI v3.274.1 wrote it (stack init with the passphrase provider, then
// config set --secret --path 'secrets.orders').
const setUp = `  webhook-ingest:secrets:
    orders:
      secure: v1:RPxJoEjaXf/KaAtL:43p6UorM49JiD0WBQCyGvtYdqNsOrssaWGM=
encryptionsalt: v1:xlzCipmyyVg=:v1:ccIpkD/oruECAg6L:p0044NOpueVj+bM06cLTtXQQx8CVPQ==
`

// TestStackReady runs the workflows' stack check (.github/actions/stack-ready)
// against the committed Pulumi.dev.yaml before and after the documented
// setup: as committed it is refused with the command to run, once set up it
// passes, and each missing part is named.
func TestStackReady(t *testing.T) {
	script := actionScript(t, "stack-ready")
	b, err := os.ReadFile(filepath.Join(root, "Pulumi.dev.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	committed := string(b)
	if strings.Contains(committed, "webhook-ingest:secrets:") {
		t.Fatal("Pulumi.dev.yaml is committed with a secret: update this test to the team's setup")
	}
	secretOnly := committed + strings.SplitAfter(setUp, "=\n")[0]
	kms := secretOnly + "secretsprovider: awskms://alias/webhook-ingest-pulumi?region=us-east-1\nencryptedkey: AQICAHh0ZXN0\n"
	const s3 = "s3://acme-pulumi-state?region=us-east-1"
	tests := []struct {
		name    string
		file    string // "" for none
		backend string
		wantErr string // "" for success
	}{
		{"missing", "", s3, "::error::Pulumi.dev.yaml is missing"},
		{"as committed", committed, s3, "holds no webhook-ingest:secrets: set each source's signing secret with pulumi config set --stack dev --secret"},
		{"as committed on Pulumi Cloud", committed, "", "holds no webhook-ingest:secrets"},
		{"secret without provider", secretOnly, s3, "names no secrets provider"},
		{"secret without provider on Pulumi Cloud", secretOnly, "", ""},
		{"set up with a passphrase", committed + setUp, s3, ""},
		{"set up with KMS", kms, s3, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{"Pulumi.yaml": "name: webhook-ingest\n"}
			if tt.file != "" {
				files["Pulumi.dev.yaml"] = tt.file
			}
			code, out, _ := runScript(t, script, dirWith(t, files), "STACK=dev", "BACKEND_URL="+tt.backend)
			switch {
			case tt.wantErr == "" && code != 0:
				t.Errorf("exit %d, want success:\n%s", code, out)
			case tt.wantErr != "" && (code == 0 || !strings.Contains(out, tt.wantErr)):
				t.Errorf("exit %d, want a failure saying %q:\n%s", code, tt.wantErr, out)
			case tt.wantErr != "" && !strings.Contains(out, "docs/ci-and-deploy.md"):
				t.Errorf("the error does not point at the docs:\n%s", out)
			}
		})
	}
}

// sdkVersion returns the Pulumi SDK version go.mod requires, without its v.
func sdkVersion(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*github\.com/pulumi/pulumi/sdk/v3 v(\S+)`).FindSubmatch(b)
	if m == nil {
		t.Fatal("go.mod requires no github.com/pulumi/pulumi/sdk/v3")
	}
	return string(m[1])
}

// TestPulumiSteps checks every pulumi/actions step: it installs the CLI of
// the SDK's version, never creates a stack (and so takes no
// secrets-provider, which the action uses only when it creates one), and an
// `up` refreshes first, so that what was changed by hand is put back.
func TestPulumiSteps(t *testing.T) {
	want := sdkVersion(t)
	n := 0
	for file, w := range workflows(t) {
		for id, j := range w.Jobs {
			for _, s := range j.Steps {
				if !strings.HasPrefix(s.Uses, "pulumi/actions@") {
					continue
				}
				n++
				where := file + " " + id
				if got := fmt.Sprint(s.With["pulumi-version"]); got != want {
					t.Errorf("%s installs Pulumi CLI %s, want the SDK's %s (go.mod)", where, got, want)
				}
				for _, input := range []string{"upsert", "secrets-provider"} {
					if _, ok := s.With[input]; ok {
						t.Errorf("%s sets %s: the workflows never create stacks (docs/ci-and-deploy.md)", where, input)
					}
				}
				if s.With["command"] == "up" && s.With["refresh"] != true {
					t.Errorf("%s runs up without refresh: up compares with the state, not with AWS", where)
				}
			}
		}
	}
	if n < 4 {
		t.Errorf("found %d pulumi/actions steps, want the previews, the two deploys and the integration tests'", n)
	}
}

// deployCredentials are the references that give a job the power to change
// a stack; only jobs of the dev and prod environments may hold them.
var deployCredentials = []string{"secrets.PULUMI_ACCESS_TOKEN", "vars.AWS_ROLE_ARN"}

func TestCredentials(t *testing.T) {
	all := workflows(t)
	for file, w := range all {
		for key, v := range w.Env {
			if strings.Contains(v, "secrets.") {
				t.Errorf("%s: workflow-level env %s holds a secret, which reaches every job", file, key)
			}
		}
		for id, j := range w.Jobs {
			text, err := yaml.Marshal(j)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range deployCredentials {
				if strings.Contains(string(text), c) && j.Environment != "dev" && j.Environment != "prod" {
					t.Errorf("%s job %s uses %s without the dev or prod environment", file, id, c)
				}
			}
		}
	}
	preview := all["pull-request.yml"].Jobs["preview"]
	if preview.Environment != "" {
		t.Errorf("the preview job names environment %q: a branch would reach its credentials", preview.Environment)
	}
	if got := preview.Env["PULUMI_ACCESS_TOKEN"]; got != "${{ secrets.PULUMI_PREVIEW_ACCESS_TOKEN }}" {
		t.Errorf("the preview job's PULUMI_ACCESS_TOKEN is %q, want the read-only PULUMI_PREVIEW_ACCESS_TOKEN", got)
	}
	roles := 0
	for _, s := range preview.Steps {
		if strings.HasPrefix(s.Uses, "aws-actions/configure-aws-credentials@") {
			roles++
			if got := s.With["role-to-assume"]; got != "${{ vars.AWS_PREVIEW_ROLE_ARN }}" {
				t.Errorf("the preview job assumes %v, want the preview role", got)
			}
		}
	}
	if roles != 1 {
		t.Errorf("the preview job assumes %d roles, want 1", roles)
	}
}

// TestDeployConcurrency checks that each deploy job has a concurrency group
// of its own that never cancels a running update, and that no group spans
// the workflow: a dev deploy must not wait behind a prod deploy that waits
// for approval.
func TestDeployConcurrency(t *testing.T) {
	w := workflows(t)["deploy.yml"]
	if w.Concurrency != nil {
		t.Errorf("deploy.yml has a workflow-wide concurrency group %v", w.Concurrency)
	}
	groups := map[string]string{}
	for _, env := range []string{"dev", "prod"} {
		j, ok := w.Jobs[env]
		if !ok || j.Environment != env {
			t.Fatalf("deploy.yml has no job %s in environment %s", env, env)
		}
		if j.Concurrency == nil || j.Concurrency.Group == "" || j.Concurrency.CancelInProgress {
			t.Errorf("deploy.yml job %s: concurrency %+v, want a group of its own that cancels nothing", env, j.Concurrency)
			continue
		}
		if other, ok := groups[j.Concurrency.Group]; ok {
			t.Errorf("deploy.yml jobs %s and %s share the concurrency group %s", other, env, j.Concurrency.Group)
		}
		groups[j.Concurrency.Group] = env
		if !strings.Contains(j.If, "'"+env+"'") {
			t.Errorf("deploy.yml job %s runs whether or not Pulumi.%s.yaml is committed (if: %q)", env, env, j.If)
		}
	}
}

func TestNightlyIsOptIn(t *testing.T) {
	w := workflows(t)["integration.yml"]
	if _, ok := w.On["schedule"]; !ok {
		t.Fatal("integration.yml has no schedule")
	}
	if _, ok := w.On["workflow_dispatch"]; !ok {
		t.Error("integration.yml cannot be run by hand")
	}
	for id, j := range w.Jobs {
		if j.If != "github.event_name == 'workflow_dispatch' || vars.INTEGRATION_NIGHTLY == 'true'" {
			t.Errorf("integration.yml job %s runs on schedule without the INTEGRATION_NIGHTLY opt-in (if: %q)", id, j.If)
		}
	}
}

// TestActionVersionsAgree checks that an action is used at one version
// everywhere.
func TestActionVersionsAgree(t *testing.T) {
	refs := map[string]string{}
	for file, w := range workflows(t) {
		for _, j := range w.Jobs {
			for _, s := range j.Steps {
				name, ref, ok := strings.Cut(s.Uses, "@")
				if !ok {
					continue
				}
				if prev, seen := refs[name]; seen && prev != ref {
					t.Errorf("%s uses %s@%s, elsewhere @%s", file, name, ref, prev)
				}
				refs[name] = ref
			}
		}
	}
}

// TestSettingsDocumented checks that every variable and secret the workflows
// read is in the settings table of docs/ci-and-deploy.md, and that the table
// lists nothing the workflows do not read.
func TestSettingsDocumented(t *testing.T) {
	used := map[string]bool{}
	ref := regexp.MustCompile(`\b(?:vars|secrets)\.([A-Z][A-Z0-9_]*)`)
	paths, err := filepath.Glob(filepath.Join(root, ".github/*/*.yml"))
	if err != nil {
		t.Fatal(err)
	}
	actions, err := filepath.Glob(filepath.Join(root, ".github/actions/*/action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range append(paths, actions...) {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ref.FindAllSubmatch(b, -1) {
			used[string(m[1])] = true
		}
	}
	doc, err := os.ReadFile(filepath.Join(root, "docs/ci-and-deploy.md"))
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([A-Z][A-Z0-9_]*)` \\| (?:variable|secret)").FindAllSubmatch(doc, -1) {
		documented[string(m[1])] = true
	}
	for name := range used {
		if !documented[name] {
			t.Errorf("the workflows read %s, which the settings table of docs/ci-and-deploy.md does not list", name)
		}
	}
	for name := range documented {
		if !used[name] {
			t.Errorf("docs/ci-and-deploy.md lists %s, which no workflow reads", name)
		}
	}
}

// TestRefreshClaims checks the docs' claim about drift: `pulumi up` alone
// compares the program with its state, not with AWS, so it does not put back
// what was changed or deleted by hand. A paragraph that promises that must
// name a refresh.
func TestRefreshClaims(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(root, "docs/*.md"))
	if err != nil {
		t.Fatal(err)
	}
	paths = append(paths, filepath.Join(root, "README.md"))
	// What was changed behind Pulumi's back; "the same steps by hand" and
	// "reloading by hand" are other things.
	byHand := regexp.MustCompile(`(?i)(changed|deleted|written|edited)( or [a-z]+)? by hand|outside pulumi|by other means|hand-(deleted|changed)`)
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, para := range regexp.MustCompile(`\n\s*\n`).Split(string(b), -1) {
			flat := strings.Join(strings.Fields(para), " ")
			if byHand.MatchString(flat) && strings.Contains(flat, "`pulumi up") && !strings.Contains(flat, "refresh") {
				t.Errorf("%s: a paragraph says pulumi up restores what was changed by hand, without a refresh:\n%s", filepath.Base(p), flat)
			}
		}
	}
}

// TestActionScriptsShellcheck runs shellcheck on the local actions' scripts,
// which actionlint, unlike the workflows' own run: scripts, does not check.
// CI installs shellcheck before the tests (.ci/run).
func TestActionScriptsShellcheck(t *testing.T) {
	if _, err := exec.LookPath("shellcheck"); err != nil {
		t.Skip("shellcheck is not on PATH")
	}
	for _, name := range []string{"stacks", "stack-ready"} {
		cmd := exec.Command("shellcheck", "--shell=bash", "-")
		cmd.Stdin = strings.NewReader(actionScript(t, name))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("shellcheck of .github/actions/%s: %v\n%s", name, err, out)
		}
	}
}
