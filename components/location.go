package components

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// location is where the stack is deployed: its partition, region and
// account. The program reads it from the ARN of one of its own resources
// rather than asking AWS, so previews need no extra calls.
type location struct {
	Partition string
	Region    string
	Account   string
}

// locationOf returns the location of the regional resource named by s.
func locationOf(s string) (location, error) {
	a, err := arn.Parse(s)
	if err != nil {
		return location{}, fmt.Errorf("read the stack's location from %q: %w", s, err)
	}
	if a.Region == "" || a.AccountID == "" {
		return location{}, fmt.Errorf("read the stack's location from %q: the ARN names no region or account", s)
	}
	return location{Partition: a.Partition, Region: a.Region, Account: a.AccountID}, nil
}

// arn returns the ARN of resource in service at loc.
func (l location) arn(service, resource string) string {
	return arn.ARN{Partition: l.Partition, Service: service, Region: l.Region, AccountID: l.Account, Resource: resource}.String()
}
