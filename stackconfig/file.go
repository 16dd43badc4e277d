package stackconfig

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// ProjectFile is the name of the Pulumi project file.
const ProjectFile = "Pulumi.yaml"

// StackFileName returns the name of stack's configuration file,
// "Pulumi.<stack>.yaml"; an organisation-qualified stack ("org/dev") keeps
// its file under its last segment, as the Pulumi CLI does.
func StackFileName(stack string) string {
	return "Pulumi." + stack[strings.LastIndex(stack, "/")+1:] + ".yaml"
}

// ReadProjectName returns the name of the project whose Pulumi.yaml is in
// dir: the namespace of its configuration keys.
func ReadProjectName(dir string) (string, error) {
	path := filepath.Join(dir, ProjectFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read the project file: %w (run webhook-ops in the directory holding %s)", err, ProjectFile)
	}
	var p struct {
		Name string `yaml:"name"`
	}
	if err := yaml.Unmarshal(b, &p); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	if p.Name == "" {
		return "", fmt.Errorf("%s has no name", path)
	}
	return p.Name, nil
}

// StackFile is the configuration a Pulumi stack file holds, as Values. A
// secure value stays encrypted: Get returns it as the file holds it
// ({"secure": "v1:…"}) and IsSecret reports it; decrypting it takes the
// Pulumi CLI (pulumi config get).
type StackFile struct {
	values  map[string]string
	secrets map[string]bool
}

// ReadStackFile reads the stack file at path.
func ReadStackFile(path string) (*StackFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the stack's configuration: %w", err)
	}
	var doc struct {
		Config map[string]yaml.Node `yaml:"config"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f := &StackFile{values: make(map[string]string, len(doc.Config)), secrets: make(map[string]bool)}
	for key, node := range doc.Config {
		v, err := nodeValue(&node)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, key, err)
		}
		f.values[key] = v
		f.secrets[key] = hasSecure(&node)
	}
	return f, nil
}

// Get returns the value of key as the Pulumi engine hands it to a program:
// a scalar as written, a list or object as JSON.
func (f *StackFile) Get(key string) (string, bool) {
	v, ok := f.values[key]
	return v, ok
}

// IsSecret reports whether key's value is, or holds, a secure value.
func (f *StackFile) IsSecret(key string) bool { return f.secrets[key] }

// nodeValue renders a configuration value as Get returns it.
func nodeValue(n *yaml.Node) (string, error) {
	if n.Kind == yaml.ScalarNode {
		if n.Tag == "!!null" {
			return "", nil
		}
		return n.Value, nil
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return "", err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("not representable as JSON: %w", err)
	}
	return string(b), nil
}

// hasSecure reports whether n is or contains a secure value: a mapping whose
// only key is "secure".
func hasSecure(n *yaml.Node) bool {
	if n.Kind == yaml.AliasNode {
		return hasSecure(n.Alias)
	}
	if n.Kind == yaml.MappingNode && len(n.Content) == 2 && n.Content[0].Value == "secure" {
		return true
	}
	for _, c := range n.Content {
		if hasSecure(c) {
			return true
		}
	}
	return false
}
