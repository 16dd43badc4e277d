package components

import (
	"context"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

const (
	testProject = "webhook-ingest"
	testStack   = "dev"
	testRegion  = "us-east-1"
	testAccount = "123456789012"
)

// handlerBuilds holds one real build of ./handler per architecture for the
// whole test binary: building the handler takes minutes on a cold cache.
var handlerBuilds sync.Map // arch -> func() (string, error)

// buildDir holds the shared builds; TestMain removes it.
var buildDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "components-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	buildDir = dir
	buildHandler = func(ctx context.Context, arch string) (string, error) {
		once, _ := handlerBuilds.LoadOrStore(arch, sync.OnceValues(func() (string, error) {
			root, err := moduleRoot(ctx, ".")
			if err != nil {
				return "", err
			}
			return Build(ctx, root, handlerPackage, arch, filepath.Join(buildDir, arch))
		}))
		return once.(func() (string, error))()
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// sharedHandlerBuild returns the shared deployment package for arch.
func sharedHandlerBuild(t *testing.T, arch string) string {
	t.Helper()
	zip, err := buildHandler(context.Background(), arch)
	if err != nil {
		t.Fatalf("build ./handler for %s: %v", arch, err)
	}
	return zip
}

// registered is one resource registration the mock monitor received.
type registered struct {
	Type   string
	Name   string
	Custom bool
	Parent string
	// Deps are the URNs the resource depends on (inputs and DependsOn).
	Deps   []string
	Inputs resource.PropertyMap
}

// cloud is a pulumi.MockResourceMonitor that records every registration and
// answers with the attributes AWS would compute (ARNs, URLs, names).
type cloud struct {
	mu        sync.Mutex
	resources []registered
}

func (c *cloud) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	r := registered{Type: args.TypeToken, Name: args.Name, Custom: args.Custom, Inputs: args.Inputs}
	if rpc := args.RegisterRPC; rpc != nil {
		r.Parent = rpc.GetParent()
		r.Deps = rpc.GetDependencies()
	}
	c.mu.Lock()
	c.resources = append(c.resources, r)
	c.mu.Unlock()

	id := args.Name + "-id"
	state := args.Inputs.Copy()
	set := func(k, v string) { state[resource.PropertyKey(k)] = resource.NewProperty(v) }
	input := func(k string) string {
		if v, ok := args.Inputs[resource.PropertyKey(k)]; ok && v.IsString() {
			return v.StringValue()
		}
		return ""
	}
	switch args.TypeToken {
	case "aws:sqs/queue:Queue":
		set("arn", "arn:aws:sqs:"+testRegion+":"+testAccount+":"+args.Name)
		set("url", "https://sqs."+testRegion+".amazonaws.com/"+testAccount+"/"+args.Name)
		set("name", args.Name)
	case "aws:s3/bucketV2:BucketV2":
		set("bucket", args.Name)
		set("arn", "arn:aws:s3:::"+args.Name)
		id = args.Name
	case "aws:iam/role:Role":
		set("arn", "arn:aws:iam::"+testAccount+":role/"+args.Name)
		set("name", args.Name)
	case "aws:cloudwatch/logGroup:LogGroup":
		set("arn", "arn:aws:logs:"+testRegion+":"+testAccount+":log-group:"+input("name"))
	case "aws:ssm/parameter:Parameter":
		set("arn", "arn:aws:ssm:"+testRegion+":"+testAccount+":parameter"+input("name"))
		state["version"] = resource.NewProperty(float64(parameterVersion(input("name"))))
	case "aws:lambda/function:Function":
		set("arn", "arn:aws:lambda:"+testRegion+":"+testAccount+":function:"+args.Name)
		set("name", args.Name)
	case "aws:cloudwatch/metricAlarm:MetricAlarm":
		set("arn", "arn:aws:cloudwatch:"+testRegion+":"+testAccount+":alarm:"+input("name"))
	case "aws:cloudwatch/eventBus:EventBus":
		set("arn", "arn:aws:events:"+testRegion+":"+testAccount+":event-bus/"+input("name"))
	case "aws:cloudwatch/dashboard:Dashboard":
		set("dashboardArn", "arn:aws:cloudwatch::"+testAccount+":dashboard/"+input("dashboardName"))
	case "aws:sns/topic:Topic":
		set("arn", "arn:aws:sns:"+testRegion+":"+testAccount+":"+input("name"))
	case "aws:kms/key:Key":
		id = "key-" + args.Name
		set("arn", "arn:aws:kms:"+testRegion+":"+testAccount+":key/"+id)
		set("keyId", id)
	case "aws:apigatewayv2/api:Api":
		set("apiEndpoint", "https://"+id+".execute-api."+testRegion+".amazonaws.com")
	case "aws:acm/certificate:Certificate":
		// One validation option per name, the CNAME ACM looks up, both
		// names fully qualified with their trailing dot as ACM gives them.
		id = "arn:aws:acm:" + testRegion + ":" + testAccount + ":certificate/" + mockCertificateID
		set("arn", id)
		set("status", "PENDING_VALIDATION")
		domain := input("domainName")
		state["domainValidationOptions"] = resource.NewProperty([]resource.PropertyValue{
			resource.NewProperty(resource.PropertyMap{
				"domainName":          resource.NewProperty(domain),
				"resourceRecordName":  resource.NewProperty("_" + mockValidationToken + "." + domain + "."),
				"resourceRecordType":  resource.NewProperty("CNAME"),
				"resourceRecordValue": resource.NewProperty("_" + mockValidationAnswer + ".acm-validations.aws."),
			}),
		})
	case "aws:acm/certificateValidation:CertificateValidation":
		id = input("certificateArn")
	case "aws:route53/record:Record":
		// The provider keeps the name without its trailing dot and builds
		// the id from the zone, name and type.
		name := strings.TrimSuffix(strings.ToLower(input("name")), ".")
		id = input("zoneId") + "_" + name + "_" + input("type")
		set("name", name)
		set("fqdn", name)
	case "aws:apigatewayv2/domainName:DomainName":
		id = input("domainName")
		set("arn", "arn:aws:apigateway:"+testRegion+"::/domainnames/"+id)
		set("apiMappingSelectionExpression", "$request.basepath")
		if v, ok := args.Inputs["domainNameConfiguration"]; ok && v.IsObject() {
			config := v.ObjectValue().Copy()
			config["targetDomainName"] = resource.NewProperty(mockDomainTarget)
			config["hostedZoneId"] = resource.NewProperty(mockDomainZoneID)
			state["domainNameConfiguration"] = resource.NewProperty(config)
		}
	}
	return id, state, nil
}

// What the mock cloud makes up for a custom domain: ACM's validation CNAME
// (its name's token and its value's), the certificate's id, and API
// Gateway's regional target of the domain with its Route 53 zone.
const (
	mockValidationToken  = "a79865eb4cd1a6ab990a45779b4e0b96"
	mockValidationAnswer = "0c8d1ab2e3f4a5b6c7d8e9f0a1b2c3d4.xlfgrmvvlj"
	mockCertificateID    = "5a4e9b2c-1d3f-4e6a-8b7c-9d0e1f2a3b4c"
	mockDomainTarget     = "d-a1b2c3d4e5.execute-api." + testRegion + ".amazonaws.com"
	mockDomainZoneID     = "Z1UJRXOUMOOFQ8"
)

// parameterVersion is the version the mock cloud gives the SSM parameter
// name: a different one per name, so that a test can tell which parameter a
// version came from.
func parameterVersion(name string) int {
	h := fnv.New32a()
	h.Write([]byte(name))
	return 1 + int(h.Sum32()%997)
}

func (c *cloud) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return nil, fmt.Errorf("unexpected invoke %s", args.Token)
}

// all returns the registered resources of type typ.
func (c *cloud) all(typ string) []registered {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []registered
	for _, r := range c.resources {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// one returns the resource of type typ and logical name name.
func (c *cloud) one(t *testing.T, typ, name string) registered {
	t.Helper()
	for _, r := range c.all(typ) {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no %s named %s; have %v", typ, name, names(c.all(typ)))
	return registered{}
}

// only returns the single resource of type typ.
func (c *cloud) only(t *testing.T, typ string) registered {
	t.Helper()
	rs := c.all(typ)
	if len(rs) != 1 {
		t.Fatalf("want one %s, have %v", typ, names(rs))
	}
	return rs[0]
}

func names(rs []registered) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Name
	}
	return out
}

// urnOf returns the URN the mock monitor gives r: the type chain of its
// parent (the stack contributes none) followed by its own type and name.
func urnOf(r registered) string {
	parentType := tokens.Type("")
	if p := resource.URN(r.Parent); p != "" && p.QualifiedType() != resource.RootStackType {
		parentType = p.QualifiedType()
	}
	return string(resource.NewURN(testStack, testProject, parentType, tokens.Type(r.Type), r.Name))
}

// dependsOn reports whether r depends on dep.
func dependsOn(r, dep registered) bool {
	for _, d := range r.Deps {
		if d == urnOf(dep) {
			return true
		}
	}
	return false
}

// Property accessors. They fail the test when the property is absent or of
// another kind; secrets are unwrapped.

func prop(t *testing.T, r registered, path ...string) resource.PropertyValue {
	t.Helper()
	v := resource.NewProperty(r.Inputs)
	for _, k := range path {
		v = unwrap(v)
		if !v.IsObject() {
			t.Fatalf("%s %s: %v is not an object at %q", r.Type, r.Name, path, k)
		}
		next, ok := v.ObjectValue()[resource.PropertyKey(k)]
		if !ok {
			t.Fatalf("%s %s: no property %v", r.Type, r.Name, path)
		}
		v = next
	}
	return unwrap(v)
}

func has(r registered, key string) bool {
	_, ok := r.Inputs[resource.PropertyKey(key)]
	return ok
}

func unwrap(v resource.PropertyValue) resource.PropertyValue {
	for {
		switch {
		case v.IsSecret():
			v = v.SecretValue().Element
		case v.IsOutput():
			v = v.OutputValue().Element
		default:
			return v
		}
	}
}

func str(t *testing.T, r registered, path ...string) string {
	t.Helper()
	v := prop(t, r, path...)
	if !v.IsString() {
		t.Fatalf("%s %s: %v is %v, not a string", r.Type, r.Name, path, v)
	}
	return v.StringValue()
}

func num(t *testing.T, r registered, path ...string) float64 {
	t.Helper()
	v := prop(t, r, path...)
	if !v.IsNumber() {
		t.Fatalf("%s %s: %v is %v, not a number", r.Type, r.Name, path, v)
	}
	return v.NumberValue()
}

func boolean(t *testing.T, r registered, path ...string) bool {
	t.Helper()
	v := prop(t, r, path...)
	if !v.IsBool() {
		t.Fatalf("%s %s: %v is %v, not a bool", r.Type, r.Name, path, v)
	}
	return v.BoolValue()
}

func strs(t *testing.T, r registered, path ...string) []string {
	t.Helper()
	v := prop(t, r, path...)
	if !v.IsArray() {
		t.Fatalf("%s %s: %v is %v, not an array", r.Type, r.Name, path, v)
	}
	var out []string
	for _, e := range v.ArrayValue() {
		e = unwrap(e)
		if !e.IsString() {
			t.Fatalf("%s %s: %v holds %v, not a string", r.Type, r.Name, path, e)
		}
		out = append(out, e.StringValue())
	}
	return out
}

// elements returns the objects of r's array property at path.
func elements(t *testing.T, r registered, path ...string) []resource.PropertyMap {
	t.Helper()
	v := prop(t, r, path...)
	if !v.IsArray() {
		t.Fatalf("%s %s: %v is %v, not an array", r.Type, r.Name, path, v)
	}
	var out []resource.PropertyMap
	for _, e := range v.ArrayValue() {
		if e = unwrap(e); !e.IsObject() {
			t.Fatalf("%s %s: %v holds %v, not an object", r.Type, r.Name, path, e)
		}
		out = append(out, e.ObjectValue())
	}
	return out
}

// field returns the value of an object's key, nil when it has none.
func field(m resource.PropertyMap, key string) any {
	v, ok := m[resource.PropertyKey(key)]
	if !ok {
		return nil
	}
	return unwrap(v).V
}

// testConfig is a valid configuration: one generic source and its secret.
func testConfig() map[string]string {
	return map[string]string{
		testProject + ":sources": `[{"name":"orders","preset":"generic"}]`,
		testProject + ":secrets": `{"orders":"orders-signing-secret-5c1e"}`,
	}
}

// engineValue is a Pulumi.yaml default as the engine hands it to a
// program: a scalar as text, an object or list as JSON.
func engineValue(v any) string {
	switch v.(type) {
	case map[string]any, []any:
		return mustMarshal(v)
	}
	return fmt.Sprint(v)
}

// withConfig supplies stack configuration to a mocked run the way the
// Pulumi engine does: key -> string value, plus the keys that are secrets.
func withConfig(cfg map[string]string, secretKeys ...string) pulumi.RunOption {
	return func(info *pulumi.RunInfo) {
		info.Config = cfg
		info.ConfigSecretKeys = secretKeys
	}
}

// runProgram runs Program against the mock cloud with cfg, in which the
// secrets key is a secret.
func runProgram(cfg map[string]string) (*cloud, error) {
	return runWith(Program, cfg)
}

func runWith(body pulumi.RunFunc, cfg map[string]string) (*cloud, error) {
	c := &cloud{}
	err := pulumi.RunErr(body,
		pulumi.WithMocks(testProject, testStack, c),
		withConfig(cfg, testProject+":secrets"))
	return c, err
}

// mustRun runs Program with cfg and fails the test on error.
func mustRun(t *testing.T, cfg map[string]string) *cloud {
	t.Helper()
	c, err := runProgram(cfg)
	if err != nil {
		t.Fatalf("program failed: %v", err)
	}
	return c
}
