package stackconfig

import (
	"reflect"
	"strings"
	"testing"
)

// stackWith is a stack file with one generic source in us-east-1 and extra,
// lines of its config block.
func stackWith(extra ...string) string {
	return "config:\n  aws:region: us-east-1\n  webhook-ingest:sources: [{name: orders, preset: generic}]\n" + strings.Join(extra, "\n") + "\n"
}

func TestLoadDomain(t *testing.T) {
	const (
		cert      = "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"
		otherCert = "arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"
	)
	for _, tc := range []struct {
		name, yaml string
		want       *Domain
		disable    bool
		err        string
	}{
		{"none", stackWith(), nil, false, ""},
		{"the default, {}", stackWith("  webhook-ingest:domain: {}"), nil, false, ""},
		{"hosted zone", stackWith("  webhook-ingest:domain: {name: hooks.example.com, hostedZoneId: Z0123456789ABCDEFGHIJ}"),
			&Domain{Name: "hooks.example.com", HostedZoneID: "Z0123456789ABCDEFGHIJ"}, false, ""},
		{"certificate", stackWith("  webhook-ingest:domain: {name: hooks.example.com, certificateArn: " + cert + "}"),
			&Domain{Name: "hooks.example.com", CertificateARN: cert}, false, ""},
		{"certificate of any region without aws:region", "config:\n  webhook-ingest:sources: [{name: orders, preset: generic}]\n  webhook-ingest:domain: {name: hooks.example.com, certificateArn: " + otherCert + "}\n",
			&Domain{Name: "hooks.example.com", CertificateARN: otherCert}, false, ""},
		{"punycode and digits", stackWith("  webhook-ingest:domain: {name: xn--bcher-kva.example.co.uk, hostedZoneId: Z1D633PJN98FT9}"),
			&Domain{Name: "xn--bcher-kva.example.co.uk", HostedZoneID: "Z1D633PJN98FT9"}, false, ""},
		{"execute-api endpoint off", stackWith("  webhook-ingest:domain: {name: hooks.example.com, hostedZoneId: Z1D633PJN98FT9}", "  webhook-ingest:disableExecuteApiEndpoint: true"),
			&Domain{Name: "hooks.example.com", HostedZoneID: "Z1D633PJN98FT9"}, true, ""},

		{"not an object", stackWith("  webhook-ingest:domain: hooks.example.com"), nil, false,
			"webhook-ingest:domain must be an object {name, hostedZoneId} or {name, certificateArn}, set field by field (pulumi config set --path 'domain.name' hooks.example.com): invalid character 'h' looking for beginning of value"},
		{"unknown field", stackWith("  webhook-ingest:domain: {name: hooks.example.com, zone: Z1D633PJN98FT9}"), nil, false,
			`webhook-ingest:domain must be an object {name, hostedZoneId} or {name, certificateArn}, set field by field (pulumi config set --path 'domain.name' hooks.example.com): json: unknown field "zone"`},
		{"no name", stackWith("  webhook-ingest:domain: {hostedZoneId: Z1D633PJN98FT9}"), nil, false,
			"webhook-ingest:domain.name is not set: set it to the name senders will post to, such as hooks.example.com"},
		{"neither", stackWith("  webhook-ingest:domain: {name: hooks.example.com}"), nil, false,
			"webhook-ingest:domain sets neither hostedZoneId nor certificateArn: set webhook-ingest:domain.hostedZoneId to the Route 53 hosted zone of hooks.example.com (the stack then issues its certificate and DNS records), or webhook-ingest:domain.certificateArn to an ACM certificate for it in the stack's region (you then create the DNS record)"},
		{"both", stackWith("  webhook-ingest:domain: {name: hooks.example.com, hostedZoneId: Z1D633PJN98FT9, certificateArn: " + cert + "}"), nil, false,
			"webhook-ingest:domain sets both hostedZoneId and certificateArn: remove one; hostedZoneId has the stack issue the certificate and create the DNS records, certificateArn uses your certificate and leaves DNS to you"},
		{"zone id with its path", stackWith("  webhook-ingest:domain: {name: hooks.example.com, hostedZoneId: /hostedzone/Z1D633PJN98FT9}"), nil, false,
			`webhook-ingest:domain.hostedZoneId = "/hostedzone/Z1D633PJN98FT9" is not a Route 53 hosted zone id: set it to the zone's id, Z followed by upper-case letters and digits and without /hostedzone/ (aws route53 list-hosted-zones-by-name --dns-name <zone> shows it)`},
		{"zone name for id", stackWith("  webhook-ingest:domain: {name: hooks.example.com, hostedZoneId: example.com}"), nil, false,
			`webhook-ingest:domain.hostedZoneId = "example.com" is not a Route 53 hosted zone id`},
		{"name too long for a certificate", stackWith("  webhook-ingest:domain: {name: " + strings.Repeat("a", 53) + ".example.com, hostedZoneId: Z1D633PJN98FT9}"), nil, false,
			"webhook-ingest:domain.name is 65 characters: ACM issues a certificate only for a name of at most 64; use a shorter name, or set webhook-ingest:domain.certificateArn to a certificate that covers it as an alternative name"},
		{"not an ACM ARN", stackWith("  webhook-ingest:domain: {name: hooks.example.com, certificateArn: 'arn:aws:iam::123456789012:server-certificate/hooks'}"), nil, false,
			`webhook-ingest:domain.certificateArn = "arn:aws:iam::123456789012:server-certificate/hooks" is not an ACM certificate ARN: set it to one such as arn:aws:acm:us-east-1:123456789012:certificate/<id>, as ACM shows it`},
		{"certificate id only", stackWith("  webhook-ingest:domain: {name: hooks.example.com, certificateArn: 0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b}"), nil, false,
			`webhook-ingest:domain.certificateArn = "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b" is not an ACM certificate ARN`},
		{"certificate of another region", stackWith("  webhook-ingest:domain: {name: hooks.example.com, certificateArn: " + otherCert + "}"), nil, false,
			"webhook-ingest:domain.certificateArn is a certificate of eu-west-1, but the stack deploys to us-east-1 (aws:region), and a regional API takes a certificate of its own region only: request or import one for hooks.example.com in us-east-1 and set its ARN"},
		{"execute-api endpoint off without a domain", stackWith("  webhook-ingest:disableExecuteApiEndpoint: true"), nil, false,
			"webhook-ingest:disableExecuteApiEndpoint is true, but webhook-ingest:domain is not set, so nothing could reach the API: set the domain (pulumi config set --path 'domain.name' hooks.example.com, and its hostedZoneId or certificateArn), or set webhook-ingest:disableExecuteApiEndpoint to false"},
		{"execute-api switch not a bool", stackWith("  webhook-ingest:disableExecuteApiEndpoint: yes please"), nil, false,
			`webhook-ingest:disableExecuteApiEndpoint = "yes please" is not a boolean: set it to true or false`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := ReadStackFile(writeStackFile(t, tc.yaml))
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := Load(project, "dev", f)
			if tc.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
					t.Errorf("error\n%v\nwant\n%s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(cfg.Domain, tc.want) || cfg.DisableExecuteAPIEndpoint != tc.disable {
				t.Errorf("domain %+v, disable %v; want %+v, %v", cfg.Domain, cfg.DisableExecuteAPIEndpoint, tc.want, tc.disable)
			}
		})
	}
}

func TestDomainName(t *testing.T) {
	for _, tc := range []struct{ name, problem string }{
		{"hooks.example.com", ""},
		{"a.b", ""},
		{"x-1.example.io", ""},
		{strings.Repeat("a", 63) + ".com", ""},
		{"Hooks.example.com", "it has upper-case letters"},
		{"hooks.example.com.", "it ends with a dot"},
		{"localhost", "it has a single label"},
		{"hooks..example.com", "it has an empty label"},
		{".example.com", "it has an empty label"},
		{strings.Repeat("a", 64) + ".com", `label "` + strings.Repeat("a", 64) + `" is longer than 63 characters`},
		{strings.Repeat(strings.Repeat("a", 62)+".", 4) + "com", "it is longer than 253 characters"},
		{"hooks_1.example.com", `label "hooks_1" holds characters other than a-z, 0-9 and -`},
		{"*.example.com", `label "*" holds characters other than a-z, 0-9 and -`},
		{"hooks.exämple.com", `label "exämple" holds characters other than a-z, 0-9 and -`},
		{"hooks .example.com", `label "hooks " holds characters other than a-z, 0-9 and -`},
		{"-hooks.example.com", `label "-hooks" starts or ends with a hyphen`},
		{"hooks.example-.com", `label "example-" starts or ends with a hyphen`},
		{"192.0.2.1", "its last label is a number, as in an IP address"},
	} {
		if got := domainNameProblem(tc.name); got != tc.problem {
			t.Errorf("domainNameProblem(%q) = %q, want %q", tc.name, got, tc.problem)
		}
	}
}

// The component's arguments are checked by the same code, under their own
// key, and without a region they take a certificate of any.
func TestDomainCheck(t *testing.T) {
	d := Domain{Name: "hooks.example.com", CertificateARN: "arn:aws-cn:acm:cn-north-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"}
	if err := d.Check("DomainArgs.Domain", ""); err != nil {
		t.Error(err)
	}
	d.Name = "Hooks.example.com"
	if err := d.Check("DomainArgs.Domain", ""); err == nil || err.Error() != `DomainArgs.Domain.name = "Hooks.example.com" is not a domain name (it has upper-case letters): set it to a lower-case name of at least two labels, such as hooks.example.com` {
		t.Errorf("error %v", err)
	}
}

func TestLoadSourceThrottling(t *testing.T) {
	for _, tc := range []struct {
		name, sources string
		rate, burst   []*int
		err           string
	}{
		{"own and the stack's", "[{name: orders, preset: generic, throttlingRateLimit: 5, throttlingBurstLimit: 10}, {name: gh, preset: github, throttlingBurstLimit: 5000}, {name: pay, preset: stripe}]",
			[]*int{new(5), nil, nil}, []*int{new(10), new(5000), nil}, ""},
		{"the bounds", "[{name: orders, preset: generic, throttlingRateLimit: 10000, throttlingBurstLimit: 1}]",
			[]*int{new(10000)}, []*int{new(1)}, ""},
		{"rate zero", "[{name: orders, preset: generic}, {name: gh, preset: github, throttlingRateLimit: 0}]", nil, nil,
			"webhook-ingest:sources[1].throttlingRateLimit = 0 is out of range: set it between 1 and 10000"},
		{"rate too high", "[{name: orders, preset: generic, throttlingRateLimit: 10001}]", nil, nil,
			"webhook-ingest:sources[0].throttlingRateLimit = 10001 is out of range: set it between 1 and 10000"},
		{"burst too high", "[{name: orders, preset: generic, throttlingBurstLimit: 5001}]", nil, nil,
			"webhook-ingest:sources[0].throttlingBurstLimit = 5001 is out of range: set it between 1 and 5000"},
		{"negative burst", "[{name: orders, preset: generic, throttlingBurstLimit: -1}]", nil, nil,
			"webhook-ingest:sources[0].throttlingBurstLimit = -1 is out of range: set it between 1 and 5000"},
		{"rate not whole", "[{name: orders, preset: generic, throttlingRateLimit: 2.5}]", nil, nil,
			"webhook-ingest:sources must be a list of {name, preset, toleranceSeconds, custom, quarantine, allowedCidrs, throttlingRateLimit, throttlingBurstLimit} objects: json: cannot unmarshal number 2.5 into Go struct field Source.throttlingRateLimit of type int"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := ReadStackFile(writeStackFile(t, "config:\n  webhook-ingest:sources: "+tc.sources+"\n"))
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := Load(project, "dev", f)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Errorf("error\n%v\nwant\n%s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range cfg.Sources {
				if !reflect.DeepEqual(s.Source.ThrottlingRateLimit, tc.rate[i]) || !reflect.DeepEqual(s.Source.ThrottlingBurstLimit, tc.burst[i]) {
					t.Errorf("source %s: rate %v, burst %v", s.Name(), s.Source.ThrottlingRateLimit, s.Source.ThrottlingBurstLimit)
				}
			}
		})
	}
}
