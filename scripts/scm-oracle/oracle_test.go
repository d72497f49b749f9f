//go:build ignore

// The oracle behind test/unit/scm/golden/*.json: spire-controller-manager v0.6.6's own code (and the Go
// standard library and Kubernetes packages it pins) answering the golden inputs. scripts/scm-oracle/run.mjs
// copies this file into SCM's pkg/spireentry (package-internal access to renderPodEntry and templateData)
// and runs it; each suite reads <ENV> and writes <ENV>_OUT.
package spireentry

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"testing"
	"text/template"
	"time"

	"github.com/spiffe/go-spiffe/v2/spiffeid"
	spirev1alpha1 "github.com/spiffe/spire-controller-manager/api/v1alpha1"
	"github.com/spiffe/spire-controller-manager/pkg/spireapi"
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

type clusterSPIFFEIDCase struct {
	Spec      json.RawMessage  `json:"spec"`
	Pod       *json.RawMessage `json:"pod"`
	Node      *json.RawMessage `json:"node"`
	NodeGone  bool             `json:"nodeGone"`
	Endpoints []string         `json:"endpoints"`
	Config    *struct {
		TrustDomain      string `json:"trustDomain"`
		ClusterDomain    string `json:"clusterDomain"`
		ParentIDTemplate string `json:"parentIDTemplate"`
	} `json:"config"`
	Objects oracleObjects `json:"objects"`
}

type oracleEntry struct {
	SPIFFEID      string                `json:"spiffeId"`
	ParentID      string                `json:"parentId"`
	Selectors     []spireapi.Selector   `json:"selectors"`
	X509SVIDTTL   int32                 `json:"x509SvidTtl"`
	JWTSVIDTTL    int32                 `json:"jwtSvidTtl"`
	FederatesWith []string              `json:"federatesWith"`
	DNSNames      []string              `json:"dnsNames"`
	Admin         bool                  `json:"admin"`
	Downstream    bool                  `json:"downstream"`
	Hint          string                `json:"hint"`
	StoreSVID     bool                  `json:"storeSvid"`
}

type clusterSPIFFEIDAnswer struct {
	DecodeError *string      `json:"decodeError,omitempty"`
	ParseError  *string      `json:"parseError,omitempty"`
	RenderError *string      `json:"renderError,omitempty"`
	Entry       *oracleEntry `json:"entry,omitempty"`
}

func toOracleEntry(e *spireapi.Entry) *oracleEntry {
	federatesWith := make([]string, 0, len(e.FederatesWith))
	for _, td := range e.FederatesWith {
		federatesWith = append(federatesWith, td.Name())
	}
	dnsNames := e.DNSNames
	if dnsNames == nil {
		dnsNames = []string{}
	}
	return &oracleEntry{
		SPIFFEID: e.SPIFFEID.String(), ParentID: e.ParentID.String(), Selectors: e.Selectors,
		X509SVIDTTL: int32(e.X509SVIDTTL / time.Second), JWTSVIDTTL: int32(e.JWTSVIDTTL / time.Second), //nolint: gosec
		FederatesWith: federatesWith, DNSNames: dnsNames, Admin: e.Admin, Downstream: e.Downstream, Hint: e.Hint, StoreSVID: e.StoreSVID,
	}
}

// TestOracleClusterSPIFFEIDs decodes a ClusterSPIFFEID spec, parses it (the webhook's check) and renders
// the entry of the golden pod on the golden node (or the case's own objects), with the case's Services.
func TestOracleClusterSPIFFEIDs(t *testing.T) {
	oracleSuite(t, "ORACLE_CLUSTER_SPIFFEIDS", func(c clusterSPIFFEIDCase) clusterSPIFFEIDAnswer {
		var object spirev1alpha1.ClusterSPIFFEID
		if err := json.Unmarshal([]byte(`{"spec":`+string(c.Spec)+`}`), &object); err != nil {
			return clusterSPIFFEIDAnswer{DecodeError: errText(err)}
		}
		spec := object.Spec
		parsed, err := spirev1alpha1.ParseClusterSPIFFEIDSpec(&spec)
		if err != nil {
			return clusterSPIFFEIDAnswer{ParseError: errText(err)}
		}
		pod, node := c.Objects.Pod, &c.Objects.Node
		if c.Pod != nil {
			pod = corev1.Pod{}
			if err := json.Unmarshal(*c.Pod, &pod); err != nil {
				t.Fatal(err)
			}
		}
		if c.Node != nil {
			node = &corev1.Node{}
			if err := json.Unmarshal(*c.Node, node); err != nil {
				t.Fatal(err)
			}
		}
		if c.NodeGone {
			node = nil
		}
		trustDomain, clusterDomain, parentTemplate := "example.org", "cluster.local", ""
		if c.Config != nil {
			trustDomain, clusterDomain, parentTemplate = c.Config.TrustDomain, c.Config.ClusterDomain, c.Config.ParentIDTemplate
		}
		td := spiffeid.RequireTrustDomainFromString(trustDomain)
		var parentIDTemplate *template.Template
		if parentTemplate != "" {
			parentIDTemplate = template.Must(template.New("customParentIDTemplate").Parse(parentTemplate))
		}
		if node == nil {
			err := fmt.Errorf("node %s not found in cache", pod.Spec.NodeName)
			return clusterSPIFFEIDAnswer{RenderError: errText(err)}
		}
		endpoints := &corev1.EndpointsList{}
		if spec.AutoPopulateDNSNames {
			for _, name := range c.Endpoints {
				endpoints.Items = append(endpoints.Items, corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: pod.Namespace}}) //nolint: staticcheck
			}
		}
		entry, err := renderPodEntry(parsed, node, &pod, endpoints, td, "demo", clusterDomain, parentIDTemplate)
		if err != nil {
			return clusterSPIFFEIDAnswer{RenderError: errText(err)}
		}
		return clusterSPIFFEIDAnswer{Entry: toOracleEntry(entry)}
	})
}

type staticEntryCase struct {
	Spec json.RawMessage `json:"spec"`
}

type staticEntryAnswer struct {
	DecodeError *string      `json:"decodeError,omitempty"`
	RenderError *string      `json:"renderError,omitempty"`
	Entry       *oracleEntry `json:"entry,omitempty"`
}

// TestOracleStaticEntries decodes a ClusterStaticEntry and renders its entry.
func TestOracleStaticEntries(t *testing.T) {
	oracleSuite(t, "ORACLE_STATIC_ENTRIES", func(c staticEntryCase) staticEntryAnswer {
		var object spirev1alpha1.ClusterStaticEntry
		if err := json.Unmarshal([]byte(`{"spec":`+string(c.Spec)+`}`), &object); err != nil {
			return staticEntryAnswer{DecodeError: errText(err)}
		}
		entry, err := renderStaticEntry(&object.Spec)
		if err != nil {
			return staticEntryAnswer{RenderError: errText(err)}
		}
		return staticEntryAnswer{Entry: toOracleEntry(entry)}
	})
}

type federatedTrustDomainCase struct {
	Spec json.RawMessage `json:"spec"`
}

type oracleBundle struct {
	TrustDomain     string            `json:"trustDomain"`
	X509Authorities []string          `json:"x509Authorities"`
	JWTAuthorities  []oracleJWTKey    `json:"jwtAuthorities"`
	RefreshHint     string            `json:"refreshHint"`
	SequenceNumber  string            `json:"sequenceNumber"`
}

type oracleJWTKey struct {
	KeyID     string `json:"keyId"`
	PublicKey string `json:"publicKey"`
}

type oracleRelationship struct {
	TrustDomain       string        `json:"trustDomain"`
	BundleEndpointURL string        `json:"bundleEndpointURL"`
	Profile           string        `json:"profile"`
	EndpointSPIFFEID  string        `json:"endpointSPIFFEID,omitempty"`
	Bundle            *oracleBundle `json:"bundle,omitempty"`
	BundleError       *string       `json:"bundleError,omitempty"`
}

type federatedTrustDomainAnswer struct {
	DecodeError  *string             `json:"decodeError,omitempty"`
	ParseError   *string             `json:"parseError,omitempty"`
	Relationship *oracleRelationship `json:"relationship,omitempty"`
}

// TestOracleFederatedTrustDomains decodes and parses a ClusterFederatedTrustDomain (the webhook's check) and
// converts its bundle as SCM's bundleToAPI does (JWT authorities sorted by key ID: Go keeps them in a map).
func TestOracleFederatedTrustDomains(t *testing.T) {
	oracleSuite(t, "ORACLE_CFTDS", func(c federatedTrustDomainCase) federatedTrustDomainAnswer {
		var object spirev1alpha1.ClusterFederatedTrustDomain
		if err := json.Unmarshal([]byte(`{"spec":`+string(c.Spec)+`}`), &object); err != nil {
			return federatedTrustDomainAnswer{DecodeError: errText(err)}
		}
		fr, err := spirev1alpha1.ParseClusterFederatedTrustDomainSpec(&object.Spec)
		if err != nil {
			return federatedTrustDomainAnswer{ParseError: errText(err)}
		}
		rel := &oracleRelationship{TrustDomain: fr.TrustDomain.Name(), BundleEndpointURL: fr.BundleEndpointURL, Profile: fr.BundleEndpointProfile.Name()}
		if p, ok := fr.BundleEndpointProfile.(spireapi.HTTPSSPIFFEProfile); ok {
			rel.EndpointSPIFFEID = p.EndpointSPIFFEID.String()
		}
		if b := fr.TrustDomainBundle; b != nil {
			bundle := &oracleBundle{TrustDomain: b.TrustDomain().Name(), X509Authorities: []string{}, JWTAuthorities: []oracleJWTKey{}}
			for _, cert := range b.X509Authorities() {
				bundle.X509Authorities = append(bundle.X509Authorities, base64.StdEncoding.EncodeToString(cert.Raw))
			}
			keys := b.JWTAuthorities()
			ids := make([]string, 0, len(keys))
			for id := range keys {
				ids = append(ids, id)
			}
			sort.Strings(ids)
			for _, id := range ids {
				der, err := x509.MarshalPKIXPublicKey(keys[id])
				if err != nil {
					s := "failed to marshal public key: " + err.Error()
					rel.BundleError = &s
					break
				}
				bundle.JWTAuthorities = append(bundle.JWTAuthorities, oracleJWTKey{KeyID: id, PublicKey: base64.StdEncoding.EncodeToString(der)})
			}
			sequence, _ := b.SequenceNumber()
			hint, _ := b.RefreshHint()
			bundle.SequenceNumber = strconv.FormatUint(sequence, 10)
			bundle.RefreshHint = strconv.FormatInt(int64(hint/time.Second), 10)
			if rel.BundleError == nil {
				rel.Bundle = bundle
			}
		}
		return federatedTrustDomainAnswer{Relationship: rel}
	})
}

type regexpCase struct {
	Pattern  string   `json:"pattern"`
	Subjects []string `json:"subjects"`
}

type regexpAnswer struct {
	Error   *string `json:"error,omitempty"`
	Matches []bool  `json:"matches,omitempty"`
}

// TestOracleRegexps compiles each ignoreNamespaces pattern as SCM does and matches it (unanchored) against
// namespace names.
func TestOracleRegexps(t *testing.T) {
	oracleSuite(t, "ORACLE_REGEXPS", func(c regexpCase) regexpAnswer {
		re, err := regexp.Compile(c.Pattern)
		if err != nil {
			return regexpAnswer{Error: errText(err)}
		}
		matches := make([]bool, 0, len(c.Subjects))
		for _, subject := range c.Subjects {
			matches = append(matches, re.MatchString(subject))
		}
		return regexpAnswer{Matches: matches}
	})
}
