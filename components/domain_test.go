package components

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/webhook-ingest/webhook-ingest/contract"
	"github.com/webhook-ingest/webhook-ingest/stackconfig"
)

// The certificate the mock cloud issues for the test domain, and its
// validation record's name, type and value as ACM gives them.
const (
	issuedCertificateARN = "arn:aws:acm:us-east-1:123456789012:certificate/5a4e9b2c-1d3f-4e6a-8b7c-9d0e1f2a3b4c"
	validationName       = "_a79865eb4cd1a6ab990a45779b4e0b96.hooks.example.com."
	validationValue      = "_0c8d1ab2e3f4a5b6c7d8e9f0a1b2c3d4.xlfgrmvvlj.acm-validations.aws."
	domainTarget         = "d-a1b2c3d4e5.execute-api.us-east-1.amazonaws.com"
	domainZoneID         = "Z1UJRXOUMOOFQ8"
)

// checkStrings compares r's string inputs with want, key by key.
func checkStrings(t *testing.T, r registered, want map[string]string) {
	t.Helper()
	for key, w := range want {
		if got := str(t, r, strings.Split(key, ".")...); got != w {
			t.Errorf("%s %s: %s = %q, want %q", r.Type, r.Name, key, got, w)
		}
	}
}

// checkDomainParents checks that the Domain component is the API's child
// and holds every resource of the domain.
func checkDomainParents(t *testing.T, c *cloud, types ...string) {
	t.Helper()
	domain := c.one(t, "webhook-ingest:api:Domain", nDomain)
	if api := c.one(t, "webhook-ingest:api:API", nAPI); domain.Parent != urnOf(api) {
		t.Errorf("the Domain component's parent is %q, want the API", domain.Parent)
	}
	for _, typ := range types {
		for _, r := range c.all(typ) {
			if r.Parent != urnOf(domain) {
				t.Errorf("%s %s has parent %q, want the Domain component", r.Type, r.Name, r.Parent)
			}
		}
	}
}

// checkDomainNameAndMapping checks the API Gateway domain name, serving
// certificateARN, and its mapping to the $default stage.
func checkDomainNameAndMapping(t *testing.T, c *cloud, certificateARN string) (domain registered) {
	t.Helper()
	domain = c.only(t, tDomainName)
	checkStrings(t, domain, map[string]string{
		"domainName":                             testDomain,
		"domainNameConfiguration.certificateArn": certificateARN,
		"domainNameConfiguration.endpointType":   "REGIONAL",
		"domainNameConfiguration.securityPolicy": "TLS_1_2",
		"domainNameConfiguration.ipAddressType":  "dualstack",
	})
	if got := slices.Sorted(maps.Keys(prop(t, domain, "domainNameConfiguration").ObjectValue())); !slices.Equal(got, []resource.PropertyKey{"certificateArn", "endpointType", "ipAddressType", "securityPolicy"}) {
		t.Errorf("domain name configuration sets %v", got)
	}
	if has(domain, "mutualTlsAuthentication") {
		t.Error("the domain name asks for mutual TLS, which no webhook sender offers")
	}

	mapping := c.only(t, tAPIMapping)
	checkStrings(t, mapping, map[string]string{"apiId": nAPI + "-id", "domainName": testDomain, "stage": "$default"})
	if has(mapping, "apiMappingKey") {
		t.Errorf("mapping key %q: the domain's root must be the stage's, so that paths match the execute-api endpoint", str(t, mapping, "apiMappingKey"))
	}
	if !dependsOn(mapping, domain) || !dependsOn(mapping, c.only(t, tStage)) {
		t.Errorf("the mapping depends on %v, want the domain name and the stage", mapping.Deps)
	}
	return domain
}

func TestDomainWithHostedZone(t *testing.T) {
	c := mustRun(t, withDomain(testConfig(), testZoneID, ""))
	checkDomainParents(t, c, tCertificate, tValidation, tRecord, tDomainName, tAPIMapping)

	cert := c.only(t, tCertificate)
	checkStrings(t, cert, map[string]string{"domainName": testDomain, "validationMethod": "DNS"})
	for _, key := range []string{"subjectAlternativeNames", "certificateAuthorityArn", "privateKey", "certificateBody"} {
		if has(cert, key) {
			t.Errorf("the certificate sets %s: it must be an Amazon-issued certificate for the domain alone", key)
		}
	}

	if got := names(c.all(tRecord)); !slices.Equal(slices.Sorted(slices.Values(got)), []string{nDomain + "-a", nDomain + "-aaaa", nDomain + "-validation"}) {
		t.Fatalf("records %v, want the validation record and the A and AAAA aliases", got)
	}
	record := c.one(t, tRecord, nDomain+"-validation")
	checkStrings(t, record, map[string]string{"zoneId": testZoneID, "name": validationName, "type": "CNAME"})
	if got := strs(t, record, "records"); !slices.Equal(got, []string{validationValue}) {
		t.Errorf("validation record values %v, want [%s]", got, validationValue)
	}
	if got := num(t, record, "ttl"); got != 60 {
		t.Errorf("validation record TTL %v, want 60", got)
	}
	if has(record, "allowOverwrite") {
		t.Error("the validation record may overwrite a record of the zone it does not own")
	}
	if !dependsOn(record, cert) {
		t.Error("the validation record does not come from the certificate's validation options")
	}

	validation := c.only(t, tValidation)
	checkStrings(t, validation, map[string]string{"certificateArn": issuedCertificateARN})
	if got := strs(t, validation, "validationRecordFqdns"); !slices.Equal(got, []string{"_a79865eb4cd1a6ab990a45779b4e0b96.hooks.example.com"}) {
		t.Errorf("validation waits for records %v", got)
	}
	if !dependsOn(validation, cert) || !dependsOn(validation, record) {
		t.Errorf("the validation depends on %v, want the certificate and its record", validation.Deps)
	}

	// The domain name serves the certificate only once it is issued: its
	// ARN comes from the validation, not from the certificate.
	domain := checkDomainNameAndMapping(t, c, issuedCertificateARN)
	if !dependsOn(domain, validation) || dependsOn(domain, cert) {
		t.Errorf("the domain name depends on %v, want the certificate validation and not the certificate itself", domain.Deps)
	}

	for _, typ := range []string{"A", "AAAA"} {
		alias := c.one(t, tRecord, nDomain+"-"+strings.ToLower(typ))
		checkStrings(t, alias, map[string]string{"zoneId": testZoneID, "name": testDomain, "type": typ})
		aliases := elements(t, alias, "aliases")
		want := resource.PropertyMap{
			"name":                 resource.NewProperty(domainTarget),
			"zoneId":               resource.NewProperty(domainZoneID),
			"evaluateTargetHealth": resource.NewProperty(false),
		}
		if len(aliases) != 1 || !aliases[0].DeepEquals(want) {
			t.Errorf("%s record aliases %v, want %v", typ, aliases, want)
		}
		if has(alias, "records") || has(alias, "ttl") {
			t.Errorf("%s record has records or a TTL besides its alias", typ)
		}
		if !dependsOn(alias, domain) {
			t.Errorf("%s record does not point at the domain name", typ)
		}
	}
}

func TestDomainWithCertificate(t *testing.T) {
	cfg := withDomain(testConfig(), "", testCertificateARN)
	cfg["aws:region"] = testRegion
	c := mustRun(t, cfg)
	checkDomainParents(t, c, tDomainName, tAPIMapping)
	checkDomainNameAndMapping(t, c, testCertificateARN)
	for _, typ := range []string{tCertificate, tValidation, tRecord} {
		if got := c.all(typ); len(got) != 0 {
			t.Errorf("with the user's certificate the stack creates %s %v: the certificate and DNS are the user's", typ, names(got))
		}
	}
}

func TestDomainOutputs(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  map[string]string
	}{
		{"hosted zone", withDomain(testConfig(), testZoneID, "")},
		{"certificate", withDomain(testConfig(), "", testCertificateARN)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := stackOutputs(t, tc.cfg)
			for key, want := range map[string]any{
				"webhookUrls":        map[string]any{"orders": "https://hooks.example.com/webhooks/orders"},
				"domainTarget":       domainTarget,
				"domainHostedZoneId": domainZoneID,
			} {
				if mustMarshal(got[key]) != mustMarshal(want) {
					t.Errorf("output %s = %v, want %v", key, got[key], want)
				}
			}
		})
	}
}

func TestDisableExecuteAPIEndpoint(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  map[string]string
		want bool
	}{
		{"default", testConfig(), false},
		{"domain", withDomain(testConfig(), testZoneID, ""), false},
		{"domain only", withDomain(map[string]string{
			testProject + ":sources":                   `[{"name":"orders","preset":"generic"}]`,
			testProject + ":secrets":                   `{"orders":"orders-signing-secret-5c1e"}`,
			testProject + ":disableExecuteApiEndpoint": "true",
		}, testZoneID, ""), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustRun(t, tc.cfg)
			if got := boolean(t, c.only(t, tAPI), "disableExecuteApiEndpoint"); got != tc.want {
				t.Errorf("disableExecuteApiEndpoint = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDomainArgs(t *testing.T) {
	sources := resolve(t, []contract.Source{{Name: "orders", Preset: "generic"}})
	queue, arn := pulumi.String(queueURL("q")), pulumi.String(queueARN("q"))
	zone := stackconfig.Domain{Name: testDomain, HostedZoneID: testZoneID}
	for _, tc := range []struct {
		name string
		body pulumi.RunFunc
		want string
	}{
		{"no API", func(ctx *pulumi.Context) error {
			_, err := NewDomain(ctx, "d", &DomainArgs{Domain: zone, Stage: pulumi.String("$default")})
			return err
		}, "DomainArgs.APIID and DomainArgs.Stage are required"},
		{"no certificate source", func(ctx *pulumi.Context) error {
			_, err := NewDomain(ctx, "d", &DomainArgs{Domain: stackconfig.Domain{Name: testDomain}, APIID: pulumi.String("a"), Stage: pulumi.String("$default")})
			return err
		}, "DomainArgs.Domain sets neither hostedZoneId nor certificateArn"},
		{"bad name", func(ctx *pulumi.Context) error {
			_, err := NewDomain(ctx, "d", &DomainArgs{Domain: stackconfig.Domain{Name: "hooks", CertificateARN: testCertificateARN}, APIID: pulumi.String("a"), Stage: pulumi.String("$default")})
			return err
		}, `DomainArgs.Domain.name = "hooks" is not a domain name (it has a single label)`},
		{"API with a bad domain", func(ctx *pulumi.Context) error {
			_, err := NewAPI(ctx, "a", &APIArgs{Sources: sources, QueueURL: queue, QueueARN: arn, Domain: &stackconfig.Domain{Name: testDomain, HostedZoneID: "example.com"}})
			return err
		}, `APIArgs.Domain.hostedZoneId = "example.com" is not a Route 53 hosted zone id`},
		{"API closed without a domain", func(ctx *pulumi.Context) error {
			_, err := NewAPI(ctx, "a", &APIArgs{Sources: sources, QueueURL: queue, QueueARN: arn, DisableExecuteAPIEndpoint: true})
			return err
		}, "APIArgs.DisableExecuteAPIEndpoint needs APIArgs.Domain: without either endpoint nothing could reach the API"},
	} {
		t.Run(tc.name, func(t *testing.T) { assertComponentError(t, tc.body, tc.want) })
	}
}
