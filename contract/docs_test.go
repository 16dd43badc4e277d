package contract_test

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/webhook-ingest/webhook-ingest/contract"
)

// TestPresetsDoc keeps docs/presets.md in step with the code: its preset
// table names every preset with its mapped headers, and its example stack
// configurations are valid.
func TestPresetsDoc(t *testing.T) {
	raw, err := os.ReadFile("../docs/presets.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)

	for _, name := range contract.PresetNames() {
		i := strings.Index(doc, "| `"+name+"` |")
		if i < 0 {
			t.Errorf("the preset table has no row for %s", name)
			continue
		}
		row, _, _ := strings.Cut(doc[i:], "\n")
		p, _ := contract.LookupPreset(name)
		for attr, header := range p.Headers.ByAttribute() {
			if !strings.Contains(row, attr+" ← `"+header+"`") {
				t.Errorf("the row of %s does not map %s ← %s: %s", name, attr, header, row)
			}
		}
	}

	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(doc, -1)
	if len(blocks) == 0 {
		t.Fatal("no yaml example")
	}
	for _, b := range blocks {
		var stack struct {
			Config struct {
				Sources []map[string]any `yaml:"webhook-ingest:sources"`
			} `yaml:"config"`
		}
		if err := yaml.Unmarshal([]byte(b[1]), &stack); err != nil {
			t.Fatalf("example is not YAML: %v\n%s", err, b[1])
		}
		for _, s := range stack.Config.Sources {
			j, err := json.Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			dec := json.NewDecoder(strings.NewReader(string(j)))
			dec.DisallowUnknownFields()
			var src contract.Source
			if err := dec.Decode(&src); err != nil {
				t.Fatalf("example source %s: %v", j, err)
			}
			if _, err := src.Resolve(); err != nil {
				t.Errorf("example source %s: %v", j, err)
			}
		}
	}
}
