package components

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// BusArgs configures a Bus.
type BusArgs struct {
	// Name is the bus name, unique in the account and region (default: a
	// name Pulumi makes up).
	Name string
}

// Bus is the stack's own EventBridge event bus. The handler puts one event
// on it per stored webhook (see package handoff) and replay puts the same
// events again; consumers subscribe with rules on it. A bus of its own, not
// the account's default bus, lets the function's role be granted exactly
// this bus and keeps the consumers' rules apart from everything else.
type Bus struct {
	pulumi.ResourceState

	Name pulumi.StringOutput
	ARN  pulumi.StringOutput
}

// NewBus creates the event bus.
func NewBus(ctx *pulumi.Context, name string, args *BusArgs, opts ...pulumi.ResourceOption) (*Bus, error) {
	b := &Bus{}
	if err := ctx.RegisterComponentResource("webhook-ingest:events:Bus", name, b, opts...); err != nil {
		return nil, err
	}
	busArgs := &cloudwatch.EventBusArgs{
		Description: pulumi.String("One event per stored webhook: detail-type is its topic, detail says where its body is"),
	}
	if args.Name != "" {
		busArgs.Name = pulumi.String(args.Name)
	}
	bus, err := cloudwatch.NewEventBus(ctx, name, busArgs, pulumi.Parent(b))
	if err != nil {
		return nil, fmt.Errorf("create event bus: %w", err)
	}
	b.Name, b.ARN = bus.Name, bus.Arn
	if err := ctx.RegisterResourceOutputs(b, pulumi.Map{"name": b.Name, "arn": b.ARN}); err != nil {
		return nil, err
	}
	return b, nil
}
