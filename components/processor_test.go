package components

import (
	"archive/zip"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/webhook-ingest/webhook-ingest/contract"
	"github.com/webhook-ingest/webhook-ingest/stackconfig"
)

func TestFunction(t *testing.T) {
	c := allPresets(t)
	fn := c.only(t, tFunction)
	for key, want := range map[string]string{
		"runtime": "provided.al2023",
		"handler": "bootstrap",
		"role":    roleARN(nProcessor),
	} {
		if got := str(t, fn, key); got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
	if got := strs(t, fn, "architectures"); !slices.Equal(got, []string{"arm64"}) {
		t.Errorf("architectures %v, want [arm64]", got)
	}
	if got := num(t, fn, "memorySize"); got != 256 {
		t.Errorf("memory %v", got)
	}
	if got := num(t, fn, "timeout"); got != 20 {
		t.Errorf("timeout %v", got)
	}

	logs := c.one(t, tLogGroup, nProcessor)
	if got := str(t, logs, "name"); got != "/webhook-ingest/dev/processor" {
		t.Errorf("function log group %q", got)
	}
	if got := num(t, logs, "retentionInDays"); got != 14 {
		t.Errorf("function log retention %v", got)
	}
	if got := str(t, fn, "loggingConfig", "logFormat"); got != "JSON" {
		t.Errorf("log format %q", got)
	}
	if got := str(t, fn, "loggingConfig", "logGroup"); got != "/webhook-ingest/dev/processor" {
		t.Errorf("function logs to %q", got)
	}
	if !dependsOn(fn, logs) {
		t.Error("the function does not wait for its log group")
	}
	if !dependsOn(fn, c.one(t, tRolePolicy, nProcessor)) {
		t.Error("the function does not wait for its role's policy")
	}

	vars := prop(t, fn, "environment", "variables").ObjectValue()
	if got, want := slices.Sorted(maps.Keys(vars)), slices.Sorted(slices.Values([]resource.PropertyKey{contract.EnvBucket, contract.EnvSources, contract.EnvEventBus, contract.EnvQuarantine, contract.EnvConcurrency})); !slices.Equal(got, want) {
		t.Errorf("environment %v, want exactly %v", got, want)
	}
	if got := str(t, fn, "environment", "variables", contract.EnvConcurrency); got != "250" {
		t.Errorf("%s = %q, want the configured 250", contract.EnvConcurrency, got)
	}
	if got := str(t, fn, "environment", "variables", contract.EnvQuarantine); got != "true" {
		t.Errorf("%s = %q, want \"true\"", contract.EnvQuarantine, got)
	}
	if got := str(t, fn, "environment", "variables", contract.EnvBucket); got != nBucket {
		t.Errorf("%s = %q, want %q", contract.EnvBucket, got, nBucket)
	}
	if got := str(t, fn, "environment", "variables", contract.EnvEventBus); got != stackUnique {
		t.Errorf("%s = %q, want the stack's bus %q", contract.EnvEventBus, got, stackUnique)
	}
	// The handler parses the variable with the contract's own parser.
	sources, err := contract.ParseEnvSources(str(t, fn, "environment", "variables", contract.EnvSources))
	if err != nil {
		t.Fatalf("the handler would reject %s: %v", contract.EnvSources, err)
	}
	if len(sources) != len(presetCases) {
		t.Fatalf("%d sources in the environment, want %d", len(sources), len(presetCases))
	}
	// Each source reads its own parameter at the version deployed with the
	// function, so a changed secret changes the function's configuration.
	for i, s := range sources {
		want := presetCases[i].source
		param := "/webhook-ingest/dev/" + want.Name
		if !reflect.DeepEqual(s.Source, want) {
			t.Errorf("source %d in the environment is %+v, want %+v", i, s.Source, want)
		}
		if wantSelector := fmt.Sprintf("%s:%d", param, parameterVersion(param)); s.SecretSelector != wantSelector {
			t.Errorf("source %s reads secrets at %q, want %q", want.Name, s.SecretSelector, wantSelector)
		}
	}

	code := prop(t, fn, "code")
	if !code.IsArchive() {
		t.Fatalf("code is %v, not an archive", code)
	}
	path := code.ArchiveValue().Path
	if path != sharedHandlerBuild(t, ArchARM64) {
		t.Errorf("code is %q, want the handler build %q", path, sharedHandlerBuild(t, ArchARM64))
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatalf("open deployment package: %v", err)
	}
	defer zr.Close()
	if len(zr.File) != 1 || zr.File[0].Name != "bootstrap" {
		t.Errorf("deployment package holds %v, want only bootstrap", zr.File)
	}
}

func TestEventSourceMapping(t *testing.T) {
	c := allPresets(t)
	m := c.only(t, tMapping)
	if got := str(t, m, "eventSourceArn"); got != queueARN(nQueue) {
		t.Errorf("mapping reads %q", got)
	}
	if got, want := str(t, m, "functionName"), "arn:aws:lambda:"+testRegion+":"+testAccount+":function:"+nProcessor; got != want {
		t.Errorf("mapping invokes %q, want %q", got, want)
	}
	if got := strs(t, m, "functionResponseTypes"); !slices.Equal(got, []string{"ReportBatchItemFailures"}) {
		t.Errorf("function response types %v", got)
	}
	for path, want := range map[string]float64{
		"batchSize":                        50,
		"maximumBatchingWindowInSeconds":   7,
		"scalingConfig.maximumConcurrency": 12,
	} {
		if got := num(t, m, strings.Split(path, ".")...); got != want {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}
	if !dependsOn(m, c.one(t, tRolePolicy, nProcessor)) {
		t.Error("the mapping does not wait for the role's queue permissions")
	}
}

func TestArchitectureX8664(t *testing.T) {
	cfg := testConfig()
	cfg[testProject+":architecture"] = ArchX8664
	c := mustRun(t, cfg)
	fn := c.only(t, tFunction)
	if got := strs(t, fn, "architectures"); !slices.Equal(got, []string{"x86_64"}) {
		t.Errorf("architectures %v, want [x86_64]", got)
	}
	path := prop(t, fn, "code").ArchiveValue().Path
	if path != sharedHandlerBuild(t, ArchX8664) {
		t.Errorf("code %q is not the x86_64 build", path)
	}
	assertELFMachine(t, path, "amd64")
}

// TestQuarantineSwitch checks WEBHOOK_QUARANTINE: "true" in a stack with a
// quarantine, whatever its sources say, and unset without one, where the
// sources' own settings still reach the handler in WEBHOOK_SOURCES.
func TestQuarantineSwitch(t *testing.T) {
	for _, tc := range []struct {
		name           string
		sources        string
		quarantineDays string // "" keeps the default
		want           string // "" wants the variable unset
	}{
		{"default", `[{"name":"orders","preset":"generic"}]`, "", "true"},
		{"one day", `[{"name":"orders","preset":"generic","quarantine":true}]`, "1", "true"},
		{"every source off", `[{"name":"orders","preset":"generic","quarantine":false}]`, "365", "true"},
		{"off", `[{"name":"orders","preset":"generic"}]`, "0", ""},
		{"off, and off for the source", `[{"name":"orders","preset":"generic","quarantine":false}]`, "0", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			cfg[testProject+":sources"] = tc.sources
			if tc.quarantineDays != "" {
				cfg[testProject+":quarantineDays"] = tc.quarantineDays
			}
			fn := mustRun(t, cfg).only(t, tFunction)
			vars := prop(t, fn, "environment", "variables").ObjectValue()
			got := ""
			if v, ok := vars[contract.EnvQuarantine]; ok {
				got = unwrap(v).StringValue()
			}
			if got != tc.want {
				t.Errorf("%s = %q, want %q", contract.EnvQuarantine, got, tc.want)
			}
			envSources, err := contract.ParseEnvSources(str(t, fn, "environment", "variables", contract.EnvSources))
			if err != nil {
				t.Fatal(err)
			}
			var want []contract.Source
			decodeJSON(t, "sources", tc.sources, &want)
			if !reflect.DeepEqual(envSources[0].Source, want[0]) {
				t.Errorf("%s carries %+v, want %+v", contract.EnvSources, envSources[0].Source, want[0])
			}
		})
	}
}

// TestEnvironmentEstimate checks the estimate the configuration check uses
// against the environment the function gets: the same, but for the room
// kept for a longer bucket name and longer parameter versions.
func TestEnvironmentEstimate(t *testing.T) {
	noQuarantine := testConfig()
	noQuarantine[testProject+":quarantineDays"] = "0"
	for name, tc := range map[string]struct {
		cfg             map[string]string
		bus, quarantine bool
	}{
		"with event bus and quarantine": {allPresetsConfig(t), true, true},
		"with quarantine":               {testConfig(), false, true},
		"with neither":                  {noQuarantine, false, false},
	} {
		t.Run(name, func(t *testing.T) {
			c := mustRun(t, tc.cfg)
			fn := c.only(t, tFunction)
			vars := prop(t, fn, "environment", "variables").ObjectValue()
			actual := 0
			for k, v := range vars {
				actual += len(k) + len(unwrap(v).StringValue())
			}
			if _, ok := vars[contract.EnvEventBus]; ok != tc.bus {
				t.Errorf("%s set: %v, want %v", contract.EnvEventBus, ok, tc.bus)
			}
			if _, ok := vars[contract.EnvQuarantine]; ok != tc.quarantine {
				t.Errorf("%s set: %v, want %v", contract.EnvQuarantine, ok, tc.quarantine)
			}
			var sources []contract.Source
			decodeJSON(t, "sources", tc.cfg[testProject+":sources"], &sources)
			bus := ""
			if tc.bus {
				bus = stackUnique
			}
			estimate := stackconfig.EnvironmentBytes(resolve(t, sources), testPrefix, bus, tc.quarantine)
			slack := stackconfig.MaxBucketNameBytes - len(nBucket) + len(strconv.Itoa(contract.MaxConcurrency)) - len(unwrap(vars[contract.EnvConcurrency]).StringValue())
			for _, s := range sources {
				version := ":" + strconv.Itoa(parameterVersion("/webhook-ingest/dev/"+s.Name))
				slack += len(stackconfig.MaxVersionSelector) - len(version)
			}
			if estimate != actual+slack {
				t.Errorf("estimated %d environment bytes; the function has %d, plus %d of room", estimate, actual, slack)
			}
		})
	}
}

func TestProcessorArgs(t *testing.T) {
	code := pulumi.NewFileArchive(sharedHandlerBuild(t, ArchARM64))
	valid := func() ProcessorArgs {
		return ProcessorArgs{
			Code:            code,
			Sources:         resolve(t, []contract.Source{{Name: "orders", Preset: "generic"}}),
			SecretSelectors: pulumi.StringArray{pulumi.String("/p/orders:1")},
			SecretARNs:      pulumi.StringArray{pulumi.String("arn:aws:ssm:" + testRegion + ":" + testAccount + ":parameter/p/orders")},
			BucketName:      pulumi.String("b"),
			BucketARN:       pulumi.String("arn:aws:s3:::b"),
			QueueARN:        pulumi.String(queueARN("q")),
		}
	}
	c, err := runWith(func(ctx *pulumi.Context) error {
		a := valid()
		_, err := NewProcessor(ctx, "p", &a)
		return err
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	fn, m := c.only(t, tFunction), c.only(t, tMapping)
	for what, pair := range map[string][2]float64{
		"memorySize":         {num(t, fn, "memorySize"), stackconfig.DefaultMemorySize},
		"timeout":            {num(t, fn, "timeout"), stackconfig.DefaultTimeoutSeconds},
		"batchSize":          {num(t, m, "batchSize"), stackconfig.DefaultBatchSize},
		"maximumConcurrency": {num(t, m, "scalingConfig", "maximumConcurrency"), stackconfig.DefaultMaximumConcurrency},
	} {
		if pair[0] != pair[1] {
			t.Errorf("zero ProcessorArgs: %s = %v, want %v", what, pair[0], pair[1])
		}
	}
	if got := strs(t, fn, "architectures"); !slices.Equal(got, []string{ArchARM64}) {
		t.Errorf("zero ProcessorArgs: architectures %v, want [%s]", got, ArchARM64)
	}
	if _, ok := prop(t, fn, "environment", "variables").ObjectValue()[contract.EnvQuarantine]; ok {
		t.Errorf("zero ProcessorArgs: %s is set, want no quarantine", contract.EnvQuarantine)
	}

	for _, tc := range []struct {
		edit func(*ProcessorArgs)
		want string
	}{
		{func(a *ProcessorArgs) { a.Code = nil }, "ProcessorArgs.Code is required"},
		{func(a *ProcessorArgs) { a.Sources = nil }, "ProcessorArgs.Sources is empty"},
		{func(a *ProcessorArgs) { a.QueueARN = nil }, "QueueARN are required"},
		{func(a *ProcessorArgs) { a.Architecture = "arm" }, `ProcessorArgs.Architecture: unknown Lambda architecture "arm"`},
		{func(a *ProcessorArgs) { a.MemorySize = 64 }, "ProcessorArgs.MemorySize = 64 is out of range: set it between 128 and 10240"},
		{func(a *ProcessorArgs) { a.TimeoutSeconds = 901 }, "ProcessorArgs.TimeoutSeconds = 901 is out of range"},
		{func(a *ProcessorArgs) { a.MaximumConcurrency = 1 }, "ProcessorArgs.MaximumConcurrency = 1 is out of range"},
		{func(a *ProcessorArgs) { a.RecordConcurrency = 1001 }, "ProcessorArgs.RecordConcurrency = 1001 is out of range"},
		{func(a *ProcessorArgs) { a.BatchSize = 11 }, "ProcessorArgs.BatchSize = 11 needs a BatchingWindowSeconds of at least 1"},
		{func(a *ProcessorArgs) { a.LogRetentionDays = 2 }, "ProcessorArgs.LogRetentionDays = 2 is not a retention"},
		{func(a *ProcessorArgs) {
			a.Sources = resolve(t, []contract.Source{{Name: "orders", Preset: "generic", Quarantine: new(true)}})
		}, `ProcessorArgs.Sources[0] (source "orders") sets quarantine true, which needs ProcessorArgs.Quarantine`},
	} {
		assertComponentError(t, func(ctx *pulumi.Context) error {
			a := valid()
			tc.edit(&a)
			_, err := NewProcessor(ctx, "p", &a)
			return err
		}, tc.want)
	}
}
