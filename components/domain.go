package components

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/acm"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/apigatewayv2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/route53"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/webhook-ingest/webhook-ingest/stackconfig"
)

// DomainArgs configures a Domain.
type DomainArgs struct {
	// Domain is the name and where its certificate comes from: a hosted
	// zone, where the Domain issues and validates one, or the ARN of one
	// (see stackconfig.Domain). Required.
	Domain stackconfig.Domain
	// APIID and Stage are the HTTP API and the stage the domain serves.
	// Required.
	APIID pulumi.StringInput
	Stage pulumi.StringInput
}

func (a DomainArgs) validate() error {
	if a.APIID == nil || a.Stage == nil {
		return errors.New("DomainArgs.APIID and DomainArgs.Stage are required")
	}
	return a.Domain.Check("DomainArgs.Domain", "")
}

// validationRecordTTL is the TTL of the certificate's validation record, in
// seconds: short, as ACM reads it while the certificate is pending.
const validationRecordTTL = 60

// Domain is the API's custom domain name, so that the URL senders are given
// outlives the API: a regional API Gateway domain with TLS 1.2 mapped to
// the stage, and, with a hosted zone, the DNS-validated ACM certificate it
// serves and the alias records that point the name at it.
type Domain struct {
	pulumi.ResourceState

	// Name is the domain name.
	Name string
	// TargetDomainName and HostedZoneID are API Gateway's name for the
	// domain and its Route 53 zone: what an alias (or CNAME) record of Name
	// points at.
	TargetDomainName pulumi.StringOutput
	HostedZoneID     pulumi.StringOutput
}

// NewDomain creates the custom domain described by args.
func NewDomain(ctx *pulumi.Context, name string, args *DomainArgs, opts ...pulumi.ResourceOption) (*Domain, error) {
	if err := args.validate(); err != nil {
		return nil, err
	}
	d := &Domain{Name: args.Domain.Name}
	if err := ctx.RegisterComponentResource("webhook-ingest:api:Domain", name, d, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(d)

	certificateARN := pulumi.String(args.Domain.CertificateARN).ToStringOutput()
	if args.Domain.IssuesCertificate() {
		var err error
		if certificateARN, err = issueCertificate(ctx, name, args.Domain, parent); err != nil {
			return nil, err
		}
	}

	// Regional, the only endpoint type of an HTTP API's domain: served in
	// the API's region with a certificate of that region. TLS_1_2, its only
	// security policy, refuses TLS 1.0 and 1.1. Dual-stack, so that the
	// AAAA alias leads to addresses that serve the name.
	domain, err := apigatewayv2.NewDomainName(ctx, name, &apigatewayv2.DomainNameArgs{
		DomainName: pulumi.String(args.Domain.Name),
		DomainNameConfiguration: &apigatewayv2.DomainNameDomainNameConfigurationArgs{
			CertificateArn: certificateARN,
			EndpointType:   pulumi.String("REGIONAL"),
			SecurityPolicy: pulumi.String("TLS_1_2"),
			IpAddressType:  pulumi.String("dualstack"),
		},
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("create domain name %s: %w", args.Domain.Name, err)
	}
	// No mapping key: the domain's root is the stage's, so a webhook's path
	// is the same on the domain as on the execute-api endpoint.
	if _, err := apigatewayv2.NewApiMapping(ctx, name, &apigatewayv2.ApiMappingArgs{
		ApiId:      args.APIID,
		DomainName: domain.DomainName,
		Stage:      args.Stage,
	}, parent); err != nil {
		return nil, fmt.Errorf("map domain name %s: %w", args.Domain.Name, err)
	}

	config := domain.DomainNameConfiguration
	d.TargetDomainName = config.TargetDomainName().Elem()
	d.HostedZoneID = config.HostedZoneId().Elem()
	if args.Domain.IssuesCertificate() {
		// A and AAAA aliases rather than a CNAME: an alias is answered by
		// Route 53 itself, costs no queries and can sit at a zone's apex.
		// One record each and nothing to fail over to, so no health check.
		for _, typ := range []string{"A", "AAAA"} {
			if _, err := route53.NewRecord(ctx, name+"-"+strings.ToLower(typ), &route53.RecordArgs{
				ZoneId: pulumi.String(args.Domain.HostedZoneID),
				Name:   pulumi.String(args.Domain.Name),
				Type:   pulumi.String(typ),
				Aliases: route53.RecordAliasArray{&route53.RecordAliasArgs{
					Name:                 d.TargetDomainName,
					ZoneId:               d.HostedZoneID,
					EvaluateTargetHealth: pulumi.Bool(false),
				}},
			}, parent); err != nil {
				return nil, fmt.Errorf("create %s record of %s: %w", typ, args.Domain.Name, err)
			}
		}
	}

	if err := ctx.RegisterResourceOutputs(d, pulumi.Map{
		"name":             pulumi.String(d.Name),
		"targetDomainName": d.TargetDomainName,
		"hostedZoneId":     d.HostedZoneID,
	}); err != nil {
		return nil, err
	}
	return d, nil
}

// issueCertificate requests an ACM certificate for domain.Name in the
// stack's region, writes its DNS validation record into the hosted zone and
// waits for ACM to issue it. It returns the certificate's ARN once issued,
// so that nothing uses the certificate before it is valid.
func issueCertificate(ctx *pulumi.Context, name string, domain stackconfig.Domain, parent pulumi.ResourceOption) (pulumi.StringOutput, error) {
	cert, err := acm.NewCertificate(ctx, name, &acm.CertificateArgs{
		DomainName:       pulumi.String(domain.Name),
		ValidationMethod: pulumi.String("DNS"),
	}, parent)
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("request certificate for %s: %w", domain.Name, err)
	}
	// A certificate for one name has one validation option: the CNAME
	// ACM looks up to prove control of the name.
	option := cert.DomainValidationOptions.Index(pulumi.Int(0))
	record, err := route53.NewRecord(ctx, name+"-validation", &route53.RecordArgs{
		ZoneId:  pulumi.String(domain.HostedZoneID),
		Name:    option.ResourceRecordName().Elem(),
		Type:    option.ResourceRecordType().Elem(),
		Records: pulumi.StringArray{option.ResourceRecordValue().Elem()},
		Ttl:     pulumi.Int(validationRecordTTL),
	}, parent)
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("create validation record of %s: %w", domain.Name, err)
	}
	validation, err := acm.NewCertificateValidation(ctx, name, &acm.CertificateValidationArgs{
		CertificateArn:        cert.Arn,
		ValidationRecordFqdns: pulumi.StringArray{record.Fqdn},
	}, parent)
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("validate certificate for %s: %w", domain.Name, err)
	}
	return validation.CertificateArn, nil
}
