package components

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/webhook-ingest/webhook-ingest/contract"
)

func TestEventBus(t *testing.T) {
	c := allPresets(t)
	bus := c.only(t, tEventBus)
	if got := str(t, bus, "name"); got != stackUnique {
		t.Errorf("bus name %q, want %q", got, stackUnique)
	}
	if !strings.HasSuffix(bus.Parent, "webhook-ingest:events:Bus::"+nBus) {
		t.Errorf("bus parent %q, want the Bus component", bus.Parent)
	}
	fn := c.only(t, tFunction)
	if got := str(t, fn, "environment", "variables", contract.EnvEventBus); got != stackUnique {
		t.Errorf("%s = %q, want the bus %q", contract.EnvEventBus, got, stackUnique)
	}

	// Least privilege: one statement, PutEvents only, on this bus only, and
	// only with the hand-off source, so the function cannot pose as another
	// application on the bus.
	doc := parsePolicy(t, str(t, c.one(t, tRolePolicy, nProcessor), "policy"))
	var events []iamStatement
	for _, s := range doc.Statement {
		for _, a := range s.Action {
			if strings.HasPrefix(a, "events:") {
				events = append(events, s)
				break
			}
		}
	}
	if len(events) != 1 {
		t.Fatalf("%d statements grant EventBridge actions, want 1: %+v", len(events), events)
	}
	s := events[0]
	if s.Effect != "Allow" || !slices.Equal(s.Action, []string{"events:PutEvents"}) || !slices.Equal(s.Resource, []string{busARN}) {
		t.Errorf("hand-off statement %+v, want Allow events:PutEvents on %s only", s, busARN)
	}
	if want := map[string]map[string]string{"StringEquals": {"events:source": contract.EventSource}}; mustMarshal(s.Condition) != mustMarshal(want) {
		t.Errorf("hand-off condition %v, want %v", s.Condition, want)
	}
}

func TestNoEventBusByDefault(t *testing.T) {
	c := mustRun(t, testConfig())
	if n := len(c.all(tEventBus)); n != 0 {
		t.Errorf("%d event buses with eventBus off", n)
	}
	vars := prop(t, c.only(t, tFunction), "environment", "variables").ObjectValue()
	if got := slices.Sorted(maps.Keys(vars)); !slices.Equal(got, []resource.PropertyKey{contract.EnvBucket, contract.EnvConcurrency, contract.EnvQuarantine, contract.EnvSources}) {
		t.Errorf("environment %v, want exactly %s, %s, %s and %s: the handler publishes whenever %s is set", got, contract.EnvBucket, contract.EnvConcurrency, contract.EnvQuarantine, contract.EnvSources, contract.EnvEventBus)
	}
	for _, s := range parsePolicy(t, str(t, c.one(t, tRolePolicy, nProcessor), "policy")).Statement {
		for _, a := range s.Action {
			if strings.HasPrefix(a, "events:") {
				t.Errorf("statement %s grants %s with eventBus off", s.Sid, a)
			}
		}
	}
}
