//go:build ignore

// The oracle behind test/unit/scm/golden/*.json: spire-controller-manager v0.6.6's own code (and the Go
// standard library and Kubernetes packages it pins) answering the golden inputs. scripts/scm-oracle/run.mjs
// copies this file into SCM's pkg/spireentry (package-internal access to renderPodEntry and templateData)
// and runs it; each suite reads <ENV> and writes <ENV>_OUT.
package spireentry

import (
	"bytes"
	"encoding/json"
	"os"
	"strconv"
	"testing"
	"text/template"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

type oracleObjects struct {
	Pod  corev1.Pod  `json:"pod"`
	Node corev1.Node `json:"node"`
}

func oracleSuite[In any, Out any](t *testing.T, env string, answer func(In) Out) {
	path := os.Getenv(env)
	if path == "" {
		t.Skip(env + " not set")
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var inputs []In
	if err := json.Unmarshal(raw, &inputs); err != nil {
		t.Fatal(err)
	}
	outputs := make([]Out, 0, len(inputs))
	for _, input := range inputs {
		outputs = append(outputs, answer(input))
	}
	out, err := json.Marshal(outputs)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(os.Getenv(env+"_OUT"), out, 0o600); err != nil {
		t.Fatal(err)
	}
}

func errText(err error) *string {
	if err == nil {
		return nil
	}
	s := err.Error()
	return &s
}

type templateCase struct {
	Name    string        `json:"name"`
	Text    string        `json:"text"`
	Parent  bool          `json:"parent"`
	Objects oracleObjects `json:"objects"`
}

type templateAnswer struct {
	Output     *string `json:"output,omitempty"`
	ParseError *string `json:"parseError,omitempty"`
	ExecError  *string `json:"execError,omitempty"`
}

func TestOracleTemplates(t *testing.T) {
	oracleSuite(t, "ORACLE_TEMPLATES", func(c templateCase) templateAnswer {
		tmpl, err := template.New(c.Name).Parse(c.Text)
		if err != nil {
			return templateAnswer{ParseError: errText(err)}
		}
		data := &templateData{
			TrustDomain:   "example.org",
			ClusterName:   "demo",
			ClusterDomain: "cluster.local",
			NodeMeta:      &c.Objects.Node.ObjectMeta,
			NodeSpec:      &c.Objects.Node.Spec,
		}
		if !c.Parent {
			data.PodMeta = &c.Objects.Pod.ObjectMeta
			data.PodSpec = &c.Objects.Pod.Spec
		}
		buf := new(bytes.Buffer)
		if err := tmpl.Execute(buf, data); err != nil {
			return templateAnswer{ExecError: errText(err)}
		}
		s := buf.String()
		return templateAnswer{Output: &s}
	})
}

type durationCase struct {
	Value json.RawMessage `json:"value"`
}

type durationAnswer struct {
	Nanoseconds *string `json:"nanoseconds,omitempty"`
	Seconds     *int32  `json:"seconds,omitempty"`
	Error       *string `json:"error,omitempty"`
}

// TestOracleDurations decodes each value as a ClusterSPIFFEID's `ttl` (a metav1.Duration) and converts it
// to seconds as SCM sends it to SPIRE.
func TestOracleDurations(t *testing.T) {
	oracleSuite(t, "ORACLE_DURATIONS", func(c durationCase) durationAnswer {
		var d metav1.Duration
		if err := json.Unmarshal(c.Value, &d); err != nil {
			return durationAnswer{Error: errText(err)}
		}
		ns := strconv.FormatInt(int64(d.Duration), 10)
		seconds := int32(d.Duration / time.Second) //nolint: gosec // as SCM converts it
		return durationAnswer{Nanoseconds: &ns, Seconds: &seconds}
	})
}

type selectorCase struct {
	Selector *metav1.LabelSelector `json:"selector"`
	Labels   []map[string]string   `json:"labels"`
}

type selectorAnswer struct {
	Error   *string `json:"error,omitempty"`
	Matches []bool  `json:"matches,omitempty"`
}

// TestOracleSelectors converts each selector as ParseClusterSPIFFEIDSpec does (a nil selector is not
// converted and selects everything, as SCM lists without one) and matches it against label sets.
func TestOracleSelectors(t *testing.T) {
	oracleSuite(t, "ORACLE_SELECTORS", func(c selectorCase) selectorAnswer {
		selector := labels.Everything()
		if c.Selector != nil {
			var err error
			if selector, err = metav1.LabelSelectorAsSelector(c.Selector); err != nil {
				return selectorAnswer{Error: errText(err)}
			}
		}
		matches := make([]bool, 0, len(c.Labels))
		for _, set := range c.Labels {
			matches = append(matches, selector.Matches(labels.Set(set)))
		}
		return selectorAnswer{Matches: matches}
	})
}
