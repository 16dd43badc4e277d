// Package fakeawsprovider is a test double of the Pulumi AWS provider plugin,
// pulumi-resource-aws, for the engine test (internal/enginetest): a provider
// that the real Pulumi engine loads from PATH in place of the real one, which
// cannot be downloaded where the tests run.
//
// It checks shapes, not AWS. It speaks the provider gRPC protocol and does
// what the real provider does with the engine for the resource types this
// project creates (kinds.go): it reports the provider version the program
// asks for, fills unset physical names as the real provider auto-names them
// (and keeps a name on update), refuses inputs the real provider requires or
// validates as JSON, returns the computed outputs the program reads (ARNs in
// the stack's region and Account, queue URLs, the API endpoint, an SSM
// parameter version that counts its updates), reports a change only where an
// input changed and a replacement only where the real provider's schema
// forces one, and keeps secrets secret. Nothing it creates exists anywhere:
// it holds no state between calls, so it cannot notice drift, and it neither
// reads (refresh, import) nor invokes.
package fakeawsprovider

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// Version is the version of the AWS provider the program's SDK
// (github.com/pulumi/pulumi-aws/sdk/v6 in go.mod) asks the engine for; the
// engine uses a plugin on PATH only when it reports that version.
const Version = "6.83.4"

// Account is the AWS account the stand-in pretends every resource is in.
const Account = "123456789012"

// rpcOptions keep what the engine sends: unknowns (previews), secrets and
// asset hashes. Hashing archives in Check puts the hash of the function's
// deployment package into the state, so a changed package is a changed
// input even where its path stays the same.
var rpcOptions = plugin.MarshalOptions{
	KeepUnknowns:       true,
	KeepSecrets:        true,
	ComputeAssetHashes: true,
}

// Provider is the stand-in's pulumirpc.ResourceProviderServer.
type Provider struct {
	pulumirpc.UnimplementedResourceProviderServer

	mu     sync.Mutex
	region string
}

// GetPluginInfo reports Version.
func (p *Provider) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: Version}, nil
}

// CheckConfig requires aws:region, as the real provider does.
func (p *Provider) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	if v, ok := news["region"]; !ok || (v.IsString() && v.StringValue() == "") {
		return &pulumirpc.CheckResponse{Failures: []*pulumirpc.CheckFailure{{
			Property: "region",
			Reason:   "missing required configuration key aws:region: set it with pulumi config set aws:region <region>",
		}}}, nil
	}
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

// DiffConfig reports the changed provider settings, as updates: what a new
// region would do to the resources is not modelled.
func (p *Provider) DiffConfig(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return diff(req, nil)
}

// Configure takes the region and says that the stand-in keeps secrets
// and computes outputs in previews.
func (p *Provider) Configure(_ context.Context, req *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	region := req.GetArgs().GetFields()["region"].GetStringValue()
	if region == "" {
		return nil, status.Error(codes.InvalidArgument, "fake AWS provider: no region: set aws:region")
	}
	p.mu.Lock()
	p.region = region
	p.mu.Unlock()
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: true}, nil
}

// location is where the configured provider creates resources.
func (p *Provider) location() location {
	p.mu.Lock()
	defer p.mu.Unlock()
	return location{Region: p.region, Account: Account}
}

// Check auto-names the resource and validates its inputs.
func (p *Provider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	k, err := kindOf(req.GetType(), req.GetUrn())
	if err != nil {
		return nil, err
	}
	olds, err := unmarshal(req.GetOlds())
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	if key := resource.PropertyKey(k.autoName); key != "" {
		if _, set := news[key]; !set {
			if old, ok := olds[key]; ok {
				news[key] = old
			} else {
				news[key] = resource.NewProperty(autoName(k, resourceName(req.GetName(), req.GetUrn()), req.GetRandomSeed(), req.GetUrn()))
			}
		}
	}
	var failures []*pulumirpc.CheckFailure
	for _, key := range k.required {
		if v, ok := news[resource.PropertyKey(key)]; !ok || v.IsNull() {
			failures = append(failures, &pulumirpc.CheckFailure{Property: key, Reason: fmt.Sprintf("Missing required argument %q", key)})
		}
	}
	for _, key := range k.json {
		if s, ok := news[resource.PropertyKey(key)]; ok && s.IsString() && !json.Valid([]byte(s.StringValue())) {
			failures = append(failures, &pulumirpc.CheckFailure{Property: key, Reason: fmt.Sprintf("%q contains an invalid JSON document", key)})
		}
	}
	inputs, err := marshal(news)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CheckResponse{Inputs: inputs, Failures: failures}, nil
}

// Diff compares the old inputs with the new ones.
func (p *Provider) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	k, err := kindOf(req.GetType(), req.GetUrn())
	if err != nil {
		return nil, err
	}
	return diff(req, k.replaceOn)
}

// diff reports the inputs that differ between req's old inputs and its new
// ones, and the replacement those in replaceOn force. An unknown new value
// (a preview) counts as a change.
func diff(req *pulumirpc.DiffRequest, replaceOn []string) (*pulumirpc.DiffResponse, error) {
	olds, err := unmarshal(req.GetOldInputs())
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	keys := map[resource.PropertyKey]bool{}
	for k := range olds {
		keys[k] = true
	}
	for k := range news {
		keys[k] = true
	}
	resp := &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}
	for k := range keys {
		if slices.Contains(req.GetIgnoreChanges(), string(k)) {
			continue
		}
		o, inOld := olds[k]
		n, inNew := news[k]
		if inOld && inNew && o.DeepEquals(n) {
			continue
		}
		resp.Diffs = append(resp.Diffs, string(k))
		if slices.Contains(replaceOn, string(k)) {
			resp.Replaces = append(resp.Replaces, string(k))
		}
	}
	if len(resp.Diffs) > 0 {
		resp.Changes = pulumirpc.DiffResponse_DIFF_SOME
		sort.Strings(resp.Diffs)
		sort.Strings(resp.Replaces)
	}
	return resp, nil
}

// Create returns the inputs with the computed outputs AWS would add; in a
// preview those are unknown, as they are with the real provider.
func (p *Provider) Create(_ context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	k, err := kindOf(req.GetType(), req.GetUrn())
	if err != nil {
		return nil, err
	}
	in, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	id, computed := k.outputs(p.location(), in)
	out := in.Copy()
	for key, v := range computed {
		if req.GetPreview() {
			v = resource.MakeComputed(resource.NewProperty(""))
		}
		out[key] = v
	}
	if req.GetPreview() {
		id = ""
	}
	props, err := marshal(out)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: props}, nil
}

// Update returns the new inputs with the outputs computed at creation, and
// counts the update in a versioned output.
func (p *Provider) Update(_ context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	k, err := kindOf(req.GetType(), req.GetUrn())
	if err != nil {
		return nil, err
	}
	olds, err := unmarshal(req.GetOlds())
	if err != nil {
		return nil, err
	}
	oldInputs, err := unmarshal(req.GetOldInputs())
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	out := news.Copy()
	for key, v := range olds {
		if _, input := oldInputs[key]; !input {
			out[key] = v
		}
	}
	if key := resource.PropertyKey(k.versioned); key != "" {
		switch old := olds[key]; {
		case req.GetPreview():
			out[key] = resource.MakeComputed(resource.NewProperty(""))
		case old.IsNumber():
			out[key] = resource.NewProperty(old.NumberValue() + 1)
		default:
			return nil, status.Errorf(codes.FailedPrecondition, "fake AWS provider: %s has no numeric %s in its state", req.GetUrn(), key)
		}
	}
	props, err := marshal(out)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: props}, nil
}

// Delete deletes nothing: nothing was created.
func (p *Provider) Delete(_ context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	if _, err := kindOf(req.GetType(), req.GetUrn()); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

// Invoke refuses every function: the program reads its account and region
// from its own resources' ARNs (components/location.go), so a preview
// needs no call to AWS beyond the provider's own credential check.
func (p *Provider) Invoke(_ context.Context, req *pulumirpc.InvokeRequest) (*pulumirpc.InvokeResponse, error) {
	return nil, status.Errorf(codes.Unimplemented, "fake AWS provider: the program invoked %s, which the stand-in does not model", req.GetTok())
}

// Cancel has nothing in flight to stop.
func (p *Provider) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

// kindOf returns the kind of the resource type typ (taken from urn when the
// engine sends no type).
func kindOf(typ, urn string) (kind, error) {
	if typ == "" {
		typ = string(resource.URN(urn).Type())
	}
	k, ok := kinds[typ]
	if !ok {
		return kind{}, status.Errorf(codes.InvalidArgument,
			"fake AWS provider: resource type %s is not modelled; add it to internal/fakeawsprovider/kinds.go", typ)
	}
	return k, nil
}

// resourceName is the logical name of the resource, taken from urn when
// the engine sends no name.
func resourceName(name, urn string) string {
	if name == "" {
		name = resource.URN(urn).Name()
	}
	return name
}

// autoName returns the physical name the real provider gives the resource
// called name: the name, a hyphen and seven random hex digits, the name
// cut to fit the kind's limit. Like the real provider, it draws the suffix
// from the engine's random seed when the engine sends one, so that the same
// seed (an update plan's) gives the same name.
func autoName(k kind, name string, seed []byte, urn string) string {
	random := make([]byte, 4)
	if len(seed) > 0 {
		sum := sha256.Sum256(append(slices.Clone(seed), urn...))
		random = sum[:]
	} else {
		rand.Read(random)
	}
	suffix := hex.EncodeToString(random)[:7]
	if room := k.maxLen - len(suffix) - 1; len(name) > room {
		name = name[:room]
	}
	name += "-" + suffix
	if k.lower {
		name = strings.ToLower(name)
	}
	return name
}

func unmarshal(s *structpb.Struct) (resource.PropertyMap, error) {
	m, err := plugin.UnmarshalProperties(s, rpcOptions)
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "fake AWS provider: decode properties: %v", err)
	}
	return m, nil
}

func marshal(m resource.PropertyMap) (*structpb.Struct, error) {
	s, err := plugin.MarshalProperties(m, rpcOptions)
	if err != nil {
		return nil, status.Errorf(codes.Internal, "fake AWS provider: encode properties: %v", err)
	}
	return s, nil
}
