package components

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/webhook-ingest/webhook-ingest/stackconfig"
)

// TestStackFileErrorsAreThePrograms holds webhook-ops serve, which reads
// Pulumi.<stack>.yaml through stackconfig, to preview's validation: the same
// configuration written as a stack file fails with the very message the
// program fails with.
func TestStackFileErrorsAreThePrograms(t *testing.T) {
	for name, set := range map[string]map[string]string{
		"no sources":         {"sources": ""},
		"unknown preset":     {"sources": `[{"name":"orders","preset":"gitlab"}]`},
		"unknown field":      {"sources": `[{"name":"orders","preset":"generic","tolerance":5}]`},
		"custom block":       {"sources": `[{"name":"orders","preset":"custom","custom":{"signatureHeader":"X Sig"}}]`},
		"memory":             {"memorySize": "64"},
		"not a number":       {"timeoutSeconds": "soon"},
		"window":             {"batchSize": "11"},
		"receive count":      {"maxReceiveCount": "3"},
		"log retention":      {"logRetentionDays": "31"},
		"not a bool":         {"eventBus": "on"},
		"architecture":       {"architecture": "arm"},
		"alarm e-mail":       {"alarmEmail": "ops"},
		"source quarantine":  {"sources": `[{"name":"orders","preset":"generic","quarantine":true}]`, "quarantineDays": "0"},
		"environment limits": {"sources": manySourcesList(40)},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := testConfig()
			for k, v := range set {
				if v == "" {
					delete(cfg, testProject+":"+k)
				} else {
					cfg[testProject+":"+k] = v
				}
			}
			_, programErr := runProgram(cfg)
			if programErr == nil {
				t.Fatal("the program accepts the configuration")
			}

			var file strings.Builder
			file.WriteString("config:\n")
			for k, v := range cfg {
				if k == testProject+":secrets" {
					continue // encrypted in a real stack file; serve takes secrets elsewhere
				}
				if k != testProject+":sources" {
					b, _ := json.Marshal(v)
					v = string(b)
				}
				file.WriteString("  " + k + ": " + v + "\n")
			}
			path := filepath.Join(t.TempDir(), stackconfig.StackFileName(testStack))
			if err := os.WriteFile(path, []byte(file.String()), 0o600); err != nil {
				t.Fatal(err)
			}
			f, err := stackconfig.ReadStackFile(path)
			if err != nil {
				t.Fatal(err)
			}
			_, fileErr := stackconfig.Load(testProject, testStack, f)
			// Pulumi lists the program's error as "* <message>".
			if fileErr == nil || !strings.Contains(programErr.Error(), "* "+fileErr.Error()+"\n") {
				t.Errorf("stack file error\n%v\nprogram error\n%v", fileErr, programErr)
			}
		})
	}
}

// manySourcesList is the JSON list of n long-named generic sources.
func manySourcesList(n int) string {
	src, _ := manySources(n)
	return src
}
