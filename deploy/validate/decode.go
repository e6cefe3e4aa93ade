package validate

import (
	"errors"
	"fmt"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
)

// ErrNoObject is returned for a document that holds no object.
var ErrNoObject = errors.New("no object in document")

// Decoder decodes YAML manifests into the typed Kubernetes API objects,
// strictly: unknown and duplicate fields are errors, and so are kinds the
// scheme does not know.
type Decoder struct {
	decoder runtime.Decoder
}

// NewDecoder knows the built-in API groups and the Prometheus Operator's
// monitoring.coreos.com/v1.
func NewDecoder() (*Decoder, error) {
	scheme := runtime.NewScheme()
	if err := errors.Join(clientgoscheme.AddToScheme(scheme), monitoringv1.AddToScheme(scheme)); err != nil {
		return nil, err
	}
	codecs := serializer.NewCodecFactory(scheme, serializer.EnableStrict)
	return &Decoder{decoder: codecs.UniversalDeserializer()}, nil
}

// Decode decodes one YAML document.
func (d *Decoder) Decode(doc []byte) (runtime.Object, error) {
	obj, gvk, err := d.decoder.Decode(doc, nil, nil)
	if err != nil {
		return nil, err
	}
	if obj == nil || gvk == nil {
		return nil, ErrNoObject
	}
	if gvk.Kind == "" || gvk.Version == "" {
		return nil, fmt.Errorf("%w: missing apiVersion or kind", ErrNoObject)
	}
	return obj, nil
}
