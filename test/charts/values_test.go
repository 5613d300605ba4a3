package charts

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

// value is one leaf of a chart's values: a key whose schema has no
// properties of its own (a scalar, a list or a free-form map).
type value struct {
	key    string
	typ    string
	dflt   any
	schema map[string]any
}

// chartValues walks values.yaml and values.schema.json together and returns
// the leaves, sorted by key. It fails the
// test when a key of one is missing from the other.
func chartValues(t *testing.T, chart string) []value {
	t.Helper()
	var schema map[string]any
	readFile(t, filepath.Join(ChartDir(chart), "values.schema.json"), json.Unmarshal, &schema)
	var values map[string]any
	readFile(t, filepath.Join(ChartDir(chart), "values.yaml"), func(b []byte, v any) error { return yaml.Unmarshal(b, v) }, &values)

	definitions, _ := schema["definitions"].(map[string]any)
	resolve := func(n map[string]any) map[string]any {
		for n["$ref"] != nil {
			ref := n["$ref"].(string)
			name, ok := strings.CutPrefix(ref, "#/definitions/")
			if !ok || definitions[name] == nil {
				t.Fatalf("%s: unresolvable $ref %q", chart, ref)
			}
			n = definitions[name].(map[string]any)
		}
		return n
	}
	var typeOf func(n map[string]any) string
	typeOf = func(n map[string]any) string {
		n = resolve(n)
		if alternatives, ok := n["anyOf"].([]any); ok {
			var types []string
			for _, a := range alternatives {
				if ty := typeOf(a.(map[string]any)); !slices.Contains(types, ty) {
					types = append(types, ty)
				}
			}
			return strings.Join(types, " or ")
		}
		switch ty := n["type"].(type) {
		case string:
			return ty
		case []any:
			var types []string
			for _, x := range ty {
				types = append(types, x.(string))
			}
			return strings.Join(types, " or ")
		}
		return ""
	}

	var leaves []value
	var walk func(path string, s map[string]any, v any)
	walk = func(path string, s map[string]any, v any) {
		s = resolve(s)
		props, hasProps := s["properties"].(map[string]any)
		if !hasProps {
			leaves = append(leaves, value{key: path, typ: typeOf(s), dflt: v, schema: s})
			return
		}
		if s["additionalProperties"] != false {
			t.Errorf("%s: the schema of %q does not forbid unknown keys (additionalProperties: false)", chart, path)
		}
		m, ok := v.(map[string]any)
		if !ok {
			t.Errorf("%s: %q is %T in values.yaml, but the schema gives it properties", chart, path, v)
			return
		}
		for k, sub := range m {
			ps, ok := props[k].(map[string]any)
			if !ok {
				t.Errorf("%s: values.yaml has %q, which values.schema.json does not describe", chart, join(path, k))
				continue
			}
			walk(join(path, k), ps, sub)
		}
		for k := range props {
			if _, ok := m[k]; !ok {
				t.Errorf("%s: values.schema.json describes %q, which has no default in values.yaml", chart, join(path, k))
			}
		}
	}
	walk("", schema, values)
	slices.SortFunc(leaves, func(a, b value) int { return strings.Compare(a.key, b.key) })
	return leaves
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func readFile(t *testing.T, file string, unmarshal func([]byte, any) error, into any) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := unmarshal(data, into); err != nil {
		t.Fatalf("parsing %s: %v", file, err)
	}
}

// readmeRow matches a row of a README's values table:
// | `key` | type | `default` | description |
var readmeRow = regexp.MustCompile("^\\|\\s*`([^`]+)`\\s*\\|\\s*([^|]+?)\\s*\\|\\s*`([^`]*)`\\s*\\|\\s*(.*?)\\s*\\|\\s*$")

// TestValuesAreDocumentedAndValidated checks, for each chart, that every
// value in values.yaml has a schema that forbids unknown keys, and a row in
// README.md's values table with the schema's type, the default of
// values.yaml (as JSON) and a description; and that the table lists nothing
// else.
func TestValuesAreDocumentedAndValidated(t *testing.T) {
	for _, chart := range []string{"hub-agent", "member-agent"} {
		t.Run(chart, func(t *testing.T) {
			leaves := chartValues(t, chart)
			if len(leaves) < 10 {
				t.Fatalf("found only %d values; is the walk broken?", len(leaves))
			}
			readme, err := os.ReadFile(filepath.Join(ChartDir(chart), "README.md"))
			if err != nil {
				t.Fatal(err)
			}
			type row struct{ typ, dflt, description string }
			rows := map[string]row{}
			for line := range strings.Lines(string(readme)) {
				m := readmeRow.FindStringSubmatch(strings.TrimSpace(line))
				if m == nil {
					continue
				}
				if _, dup := rows[m[1]]; dup {
					t.Errorf("README.md lists %q twice", m[1])
				}
				rows[m[1]] = row{typ: m[2], dflt: m[3], description: m[4]}
			}
			for _, v := range leaves {
				r, ok := rows[v.key]
				if !ok {
					t.Errorf("README.md does not list the value %q (type %s, default %s)", v.key, v.typ, mustJSON(t, v.dflt))
					continue
				}
				delete(rows, v.key)
				if r.typ != v.typ {
					t.Errorf("README.md gives %q the type %q, values.schema.json %q", v.key, r.typ, v.typ)
				}
				var documented any
				if err := json.Unmarshal([]byte(r.dflt), &documented); err != nil {
					t.Errorf("README.md's default of %q, %s, is not JSON: %v", v.key, r.dflt, err)
				} else if diff := cmp.Diff(normalize(t, v.dflt), documented); diff != "" {
					t.Errorf("README.md's default of %q differs from values.yaml's (-values.yaml,+README.md):\n%s", v.key, diff)
				}
				if len(r.description) < 10 {
					t.Errorf("README.md does not describe %q", v.key)
				}
			}
			for key := range rows {
				t.Errorf("README.md lists %q, which is not a value of the chart", key)
			}
		})
	}
}

// TestDefaultsValidateAgainstTheirSchema: each leaf's default has its
// schema's JSON type (helm checks the whole of values.yaml too, but only
// when rendering).
func TestDefaultsValidateAgainstTheirSchema(t *testing.T) {
	for _, chart := range []string{"hub-agent", "member-agent"} {
		for _, v := range chartValues(t, chart) {
			if got := jsonType(v.dflt); !slices.Contains(strings.Split(v.typ, " or "), got) &&
				(got != "integer" || !strings.Contains(v.typ, "number")) {
				t.Errorf("%s: %s defaults to a %s, the schema wants %s", chart, v.key, got, v.typ)
			}
		}
	}
}

func jsonType(v any) string {
	switch x := v.(type) {
	case string:
		return "string"
	case bool:
		return "boolean"
	case float64:
		if x == float64(int64(x)) {
			return "integer"
		}
		return "number"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// normalize turns v into what encoding/json decodes from its JSON.
func normalize(t *testing.T, v any) any {
	t.Helper()
	var out any
	if err := json.Unmarshal([]byte(mustJSON(t, v)), &out); err != nil {
		t.Fatal(err)
	}
	return out
}
