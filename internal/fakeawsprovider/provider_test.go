package fakeawsprovider

import (
	"archive/zip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/archive"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/structpb"
)

const (
	queueType     = "aws:sqs/queue:Queue"
	bucketType    = "aws:s3/bucketV2:BucketV2"
	parameterType = "aws:ssm/parameter:Parameter"
	functionType  = "aws:lambda/function:Function"
)

func urn(typ, name string) string {
	return "urn:pulumi:dev::webhook-ingest::webhook-ingest:index:Ingest$" + typ + "::" + name
}

// wire encodes m as the engine sends it.
func wire(t *testing.T, m resource.PropertyMap) *structpb.Struct {
	t.Helper()
	s, err := plugin.MarshalProperties(m, rpcOptions)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// decode decodes what the provider sends back.
func decode(t *testing.T, s *structpb.Struct) resource.PropertyMap {
	t.Helper()
	m, err := plugin.UnmarshalProperties(s, rpcOptions)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func configured(t *testing.T) *Provider {
	t.Helper()
	p := &Provider{}
	args, err := structpb.NewStruct(map[string]any{"region": "eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := p.Configure(t.Context(), &pulumirpc.ConfigureRequest{Args: args})
	if err != nil {
		t.Fatalf("configure: %v", err)
	}
	if !resp.GetAcceptSecrets() || !resp.GetSupportsPreview() {
		t.Fatalf("configure answered %v, want secrets and previews", resp)
	}
	return p
}

func check(t *testing.T, p *Provider, typ, name string, olds, news resource.PropertyMap, seed []byte) *pulumirpc.CheckResponse {
	t.Helper()
	resp, err := p.Check(t.Context(), &pulumirpc.CheckRequest{
		Urn: urn(typ, name), Type: typ, Name: name,
		Olds: wire(t, olds), News: wire(t, news), RandomSeed: seed,
	})
	if err != nil {
		t.Fatalf("check: %v", err)
	}
	return resp
}

// TestVersion holds Version to the pulumi-aws SDK version in go.mod: the
// engine asks for that version and takes a plugin on PATH only when it
// reports it.
func TestVersion(t *testing.T) {
	out, err := exec.CommandContext(t.Context(), "go", "list", "-m", "-f", "{{.Version}}", "github.com/pulumi/pulumi-aws/sdk/v6").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	if want := "v" + Version; strings.TrimSpace(string(out)) != want {
		t.Errorf("go.mod requires pulumi-aws %s, the stand-in reports %s: set Version", strings.TrimSpace(string(out)), want)
	}
}

func TestCheckAutoNames(t *testing.T) {
	p := configured(t)
	for _, tc := range []struct {
		name, typ, logical string
		olds, news         resource.PropertyMap
		key                resource.PropertyKey
		want               string
	}{
		{"queue", queueType, "webhook-ingest-queue", nil, nil, "name", `webhook-ingest-queue-[0-9a-f]{7}`},
		{"bucket lower-case", bucketType, "Bodies", nil, nil, "bucket", `bodies-[0-9a-f]{7}`},
		{"long name cut", "aws:iam/role:Role", strings.Repeat("r", 70), nil, resource.PropertyMap{"assumeRolePolicy": resource.NewProperty("{}")}, "name", strings.Repeat("r", 56) + `-[0-9a-f]{7}`},
		{"old name kept", queueType, "q", resource.PropertyMap{"name": resource.NewProperty("q-1234567")}, nil, "name", `q-1234567`},
		{"set name kept", queueType, "q", resource.PropertyMap{"name": resource.NewProperty("q-1234567")}, resource.PropertyMap{"name": resource.NewProperty("mine")}, "name", `mine`},
		{"named kind", "aws:apigatewayv2/route:Route", "r", nil, resource.PropertyMap{"apiId": resource.NewProperty("a"), "routeKey": resource.NewProperty("POST /x")}, "name", ``},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := check(t, p, tc.typ, tc.logical, tc.olds, tc.news, nil)
			if len(resp.GetFailures()) > 0 {
				t.Fatalf("check failed: %v", resp.GetFailures())
			}
			got := str(decode(t, resp.GetInputs()), tc.key)
			if !regexp.MustCompile("^" + tc.want + "$").MatchString(got) {
				t.Errorf("%s = %q, want %s", tc.key, got, tc.want)
			}
		})
	}
}

// TestCheckAutoNameSeed: the same seed from the engine gives the same name;
// without one every name is new.
func TestCheckAutoNameSeed(t *testing.T) {
	p := configured(t)
	name := func(seed []byte) string {
		return str(decode(t, check(t, p, queueType, "q", nil, nil, seed).GetInputs()), "name")
	}
	seed := []byte("0123456789abcdef0123456789abcdef")
	if a, b := name(seed), name(seed); a != b {
		t.Errorf("same seed named %q and %q", a, b)
	}
	if a, b := name(nil), name(nil); a == b {
		t.Errorf("no seed named both %q", a)
	}
}

func TestCheckFailures(t *testing.T) {
	p := configured(t)
	resp := check(t, p, "aws:iam/rolePolicy:RolePolicy", "p", nil, resource.PropertyMap{"policy": resource.NewProperty("{not json")}, nil)
	var got []string
	for _, f := range resp.GetFailures() {
		got = append(got, f.GetProperty())
	}
	slices.Sort(got)
	if want := []string{"policy", "role"}; !slices.Equal(got, want) {
		t.Errorf("failures name %v, want %v (role missing, policy not JSON)", got, want)
	}
	if _, err := p.Check(t.Context(), &pulumirpc.CheckRequest{Urn: urn("aws:ec2/vpc:Vpc", "v"), Type: "aws:ec2/vpc:Vpc", News: wire(t, nil)}); err == nil || !strings.Contains(err.Error(), "kinds.go") {
		t.Errorf("check of an unmodelled type: %v, want an error naming kinds.go", err)
	}
}

// deploymentPackage writes a zip holding body and returns it as the
// archive the program passes.
func deploymentPackage(t *testing.T, body string) resource.PropertyValue {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bootstrap.zip")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	w, err := zw.Create("bootstrap")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte(body)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	a, err := archive.FromPath(path)
	if err != nil {
		t.Fatal(err)
	}
	return resource.NewProperty(a)
}

func TestDiff(t *testing.T) {
	p := configured(t)
	base := resource.PropertyMap{
		"name":       resource.NewProperty("fn-1234567"),
		"role":       resource.NewProperty("arn:aws:iam::123456789012:role/r"),
		"memorySize": resource.NewProperty(512.0),
		"code":       deploymentPackage(t, "v1"),
		"environment": resource.NewProperty(resource.PropertyMap{
			"variables": resource.NewProperty(resource.PropertyMap{"A": resource.NewProperty("1")}),
		}),
	}
	with := func(k resource.PropertyKey, v resource.PropertyValue) resource.PropertyMap {
		m := base.Copy()
		m[k] = v
		return m
	}
	for _, tc := range []struct {
		name           string
		news           resource.PropertyMap
		diffs, replace []string
	}{
		{"unchanged", base.Copy(), nil, nil},
		{"memory", with("memorySize", resource.NewProperty(1024.0)), []string{"memorySize"}, nil},
		{"code", with("code", deploymentPackage(t, "v2")), []string{"code"}, nil},
		{"same code elsewhere", with("code", deploymentPackage(t, "v1")), nil, nil},
		{"unknown in a preview", with("environment", resource.MakeComputed(resource.NewProperty(""))), []string{"environment"}, nil},
		{"name", with("name", resource.NewProperty("other")), []string{"name"}, []string{"name"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := p.Diff(t.Context(), &pulumirpc.DiffRequest{
				Urn: urn(functionType, "fn"), Type: functionType,
				OldInputs: wire(t, base), News: wire(t, tc.news),
			})
			if err != nil {
				t.Fatalf("diff: %v", err)
			}
			wantChanges := pulumirpc.DiffResponse_DIFF_NONE
			if len(tc.diffs) > 0 {
				wantChanges = pulumirpc.DiffResponse_DIFF_SOME
			}
			if resp.GetChanges() != wantChanges || !slices.Equal(resp.GetDiffs(), tc.diffs) || !slices.Equal(resp.GetReplaces(), tc.replace) {
				t.Errorf("diff = %v %v replaces %v, want %v %v replaces %v", resp.GetChanges(), resp.GetDiffs(), resp.GetReplaces(), wantChanges, tc.diffs, tc.replace)
			}
		})
	}
}

// TestParameterLifecycle creates an SSM parameter and updates its value,
// in a preview and for real: the computed outputs are unknown in previews,
// the version counts updates, and the value stays secret.
func TestParameterLifecycle(t *testing.T) {
	p := configured(t)
	in := resource.PropertyMap{
		"name":  resource.NewProperty("/webhook-ingest/dev/orders"),
		"type":  resource.NewProperty("SecureString"),
		"value": resource.MakeSecret(resource.NewProperty("s1")),
	}
	create := func(preview bool) (string, resource.PropertyMap) {
		resp, err := p.Create(t.Context(), &pulumirpc.CreateRequest{Urn: urn(parameterType, "p"), Type: parameterType, Properties: wire(t, in), Preview: preview})
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		return resp.GetId(), decode(t, resp.GetProperties())
	}
	if id, out := create(true); id != "" || !out["arn"].IsComputed() || !out["version"].IsComputed() {
		t.Errorf("preview create = %q %v, want no ID and unknown arn and version", id, out)
	}
	id, olds := create(false)
	if want := "arn:aws:ssm:eu-west-1:" + Account + ":parameter/webhook-ingest/dev/orders"; id != "/webhook-ingest/dev/orders" || str(olds, "arn") != want {
		t.Errorf("create = %q arn %q, want the name and %s", id, str(olds, "arn"), want)
	}
	if !olds["value"].IsSecret() {
		t.Error("create lost the value's secretness")
	}

	news := in.Copy()
	news["value"] = resource.MakeSecret(resource.NewProperty("s2\ns1"))
	update := func(preview bool) resource.PropertyMap {
		resp, err := p.Update(t.Context(), &pulumirpc.UpdateRequest{
			Id: id, Urn: urn(parameterType, "p"), Type: parameterType,
			Olds: wire(t, olds), OldInputs: wire(t, in), News: wire(t, news), Preview: preview,
		})
		if err != nil {
			t.Fatalf("update: %v", err)
		}
		return decode(t, resp.GetProperties())
	}
	if out := update(true); !out["version"].IsComputed() || str(out, "arn") != str(olds, "arn") {
		t.Errorf("preview update = %v, want an unknown version and the same arn", out)
	}
	out := update(false)
	if v := out["version"]; !v.IsNumber() || v.NumberValue() != 2 {
		t.Errorf("version after an update = %v, want 2", v)
	}
	if !out["value"].IsSecret() || str(out, "value") != "s2\ns1" {
		t.Errorf("value after the update = %v, want the new value, secret", out["value"])
	}
}

func TestInvokeRefused(t *testing.T) {
	_, err := configured(t).Invoke(t.Context(), &pulumirpc.InvokeRequest{Tok: "aws:index/getCallerIdentity:getCallerIdentity"})
	if err == nil || !strings.Contains(err.Error(), "getCallerIdentity") {
		t.Errorf("invoke = %v, want an error naming the function", err)
	}
}
