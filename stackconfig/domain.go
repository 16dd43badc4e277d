package stackconfig

import (
	"cmp"
	"fmt"
	"regexp"
	"strings"
)

// Domain is the API's custom domain: the name senders post to, and where
// its certificate comes from, exactly one of
//
//   - HostedZoneID, the Route 53 hosted zone of the name: the stack requests
//     an ACM certificate, validates it by DNS in the zone and creates the
//     alias records;
//   - CertificateARN, an ACM certificate of the stack's region that covers
//     the name: the stack maps the domain, and its outputs give the target
//     for the user's own DNS record.
type Domain struct {
	Name           string `json:"name"`
	HostedZoneID   string `json:"hostedZoneId,omitempty"`
	CertificateARN string `json:"certificateArn,omitempty"`
}

// IssuesCertificate reports whether the stack requests the certificate and
// manages the DNS records in the hosted zone.
func (d Domain) IssuesCertificate() bool { return d.HostedZoneID != "" }

// Limits of a DNS name (RFC 1035), and of the first name of a certificate
// ACM issues: its subject's common name, at most 64 octets (RFC 5280's
// ub-common-name).
const (
	maxDomainNameBytes      = 253
	maxDomainLabelBytes     = 63
	maxCertificateNameBytes = 64
)

var (
	// A hosted zone id is Z and upper-case letters and digits, up to 32
	// characters in all (Z1UJRXOUMOOFQ8, Z0123456789ABCDEFGHIJ).
	hostedZoneID = regexp.MustCompile(`^Z[A-Z0-9]{1,31}$`)
	// arn:<partition>:acm:<region>:<account>:certificate/<uuid>
	certificateARN = regexp.MustCompile(`^arn:aws[a-z-]*:acm:([a-z]{2,}(?:-[a-z]+)+-[0-9]+):[0-9]{12}:certificate/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
)

// Check reports what is wrong with d, naming its fields under key
// ("webhook-ingest:domain.name"). region, when not empty, is the stack's
// region, where the certificate must be: a regional API Gateway domain
// takes a certificate of its own region only.
func (d Domain) Check(key, region string) error {
	if d.Name == "" {
		return fmt.Errorf("%s.name is not set: set it to the name senders will post to, such as hooks.example.com", key)
	}
	if problem := domainNameProblem(d.Name); problem != "" {
		return fmt.Errorf("%s.name = %q is not a domain name (%s): set it to a lower-case name of at least two labels, such as hooks.example.com", key, d.Name, problem)
	}
	switch {
	case d.HostedZoneID == "" && d.CertificateARN == "":
		return fmt.Errorf("%s sets neither hostedZoneId nor certificateArn: set %s.hostedZoneId to the Route 53 hosted zone of %s (the stack then issues its certificate and DNS records), or %s.certificateArn to an ACM certificate for it in the stack's region (you then create the DNS record)",
			key, key, d.Name, key)
	case d.HostedZoneID != "" && d.CertificateARN != "":
		return fmt.Errorf("%s sets both hostedZoneId and certificateArn: remove one; hostedZoneId has the stack issue the certificate and create the DNS records, certificateArn uses your certificate and leaves DNS to you", key)
	case d.IssuesCertificate():
		if !hostedZoneID.MatchString(d.HostedZoneID) {
			return fmt.Errorf("%s.hostedZoneId = %q is not a Route 53 hosted zone id: set it to the zone's id, Z followed by upper-case letters and digits and without /hostedzone/ (aws route53 list-hosted-zones-by-name --dns-name <zone> shows it)", key, d.HostedZoneID)
		}
		if len(d.Name) > maxCertificateNameBytes {
			return fmt.Errorf("%s.name is %d characters: ACM issues a certificate only for a name of at most %d; use a shorter name, or set %s.certificateArn to a certificate that covers it as an alternative name",
				key, len(d.Name), maxCertificateNameBytes, key)
		}
	default:
		m := certificateARN.FindStringSubmatch(d.CertificateARN)
		if m == nil {
			return fmt.Errorf("%s.certificateArn = %q is not an ACM certificate ARN: set it to one such as arn:aws:acm:%s:123456789012:certificate/<id>, as ACM shows it", key, d.CertificateARN, cmp.Or(region, "<region>"))
		}
		if region != "" && m[1] != region {
			return fmt.Errorf("%s.certificateArn is a certificate of %s, but the stack deploys to %s (aws:region), and a regional API takes a certificate of its own region only: request or import one for %s in %s and set its ARN",
				key, m[1], region, d.Name, region)
		}
	}
	return nil
}

// domainNameProblem returns what makes name no lower-case DNS name of at
// least two labels, or "".
func domainNameProblem(name string) string {
	if strings.HasSuffix(name, ".") {
		return "it ends with a dot"
	}
	if len(name) > maxDomainNameBytes {
		return fmt.Sprintf("it is longer than %d characters", maxDomainNameBytes)
	}
	labels := strings.Split(name, ".")
	if len(labels) < 2 {
		return "it has a single label"
	}
	for _, l := range labels {
		switch {
		case l == "":
			return "it has an empty label"
		case len(l) > maxDomainLabelBytes:
			return fmt.Sprintf("label %q is longer than %d characters", l, maxDomainLabelBytes)
		case strings.ToLower(l) != l:
			return "it has upper-case letters"
		case strings.Trim(l, "abcdefghijklmnopqrstuvwxyz0123456789-") != "":
			return fmt.Sprintf("label %q holds characters other than a-z, 0-9 and -", l)
		case l[0] == '-' || l[len(l)-1] == '-':
			return fmt.Sprintf("label %q starts or ends with a hyphen", l)
		}
	}
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return "its last label is a number, as in an IP address"
	}
	return ""
}
