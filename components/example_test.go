package components_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/webhook-ingest/webhook-ingest/components"
)

// cloud stands in for AWS: it records each resource's type and route key,
// and gives every resource an ARN in one region and account, as the alarms
// and the dashboard read the stack's location from one.
type cloud struct {
	mu     sync.Mutex
	types  map[string]int
	routes []string
}

func (c *cloud) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.types[args.TypeToken]++
	if k, ok := args.Inputs["routeKey"]; ok {
		c.routes = append(c.routes, k.StringValue())
	}
	state := args.Inputs.Copy()
	state["arn"] = resource.NewProperty("arn:aws:mock:eu-west-1:123456789012:" + args.Name)
	return args.Name + "-id", state, nil
}

func (c *cloud) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return nil, fmt.Errorf("unexpected call %s", args.Token)
}

// stackConfig is what `pulumi config set` leaves in a stack for one source.
func stackConfig(sources string) pulumi.RunOption {
	return func(info *pulumi.RunInfo) {
		info.Config = map[string]string{
			"webhook-ingest:sources": sources,
			"webhook-ingest:secrets": `{"orders":"a-signing-secret"}`,
		}
		info.ConfigSecretKeys = []string{"webhook-ingest:secrets"}
	}
}

// Program is the whole stack. Run under Pulumi's mocks it shows what one
// generic source creates: one route, and the resources behind it.
func ExampleProgram() {
	c := &cloud{types: map[string]int{}}
	err := pulumi.RunErr(components.Program,
		pulumi.WithMocks("webhook-ingest", "dev", c),
		stackConfig(`[{"name":"orders","preset":"generic"}]`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.routes)
	for _, t := range slices.Sorted(maps.Keys(c.types)) {
		if strings.HasPrefix(t, "webhook-ingest:") {
			fmt.Println(t)
		}
	}
	// Output:
	// [POST /webhooks/orders]
	// webhook-ingest:alarms:Alarms
	// webhook-ingest:api:API
	// webhook-ingest:dashboard:Dashboard
	// webhook-ingest:function:Processor
	// webhook-ingest:index:Ingest
	// webhook-ingest:queue:Queue
	// webhook-ingest:secrets:Secrets
	// webhook-ingest:storage:Bucket
}

// A configuration mistake fails before anything is created, naming the key
// and the fix.
func ExampleProgram_configError() {
	c := &cloud{types: map[string]int{}}
	err := pulumi.RunErr(components.Program,
		pulumi.WithMocks("webhook-ingest", "dev", c),
		stackConfig(`[{"name":"orders","preset":"gihtub"}]`))
	fmt.Println(strings.TrimSpace(strings.ReplaceAll(err.Error(), "\n\t", " ")))
	fmt.Println(len(c.types), "resources")
	// Output:
	// 1 error occurred: * webhook-ingest:sources[0]: source "orders": unknown preset "gihtub" (want one of [custom generic github recharge shopify slack standard-webhooks stripe svix])
	// 0 resources
}
