package validate

import (
	"slices"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
)

// What each component may reach, by destination port (0: any port, the
// internet rule), with the all-on values' ports.
func TestNetworkPolicyEgress(t *testing.T) {
	r := render(t, allOn(t))
	want := map[string][]int32{
		"router":  {53, 9081, 4222, 6380, 0, 8000}, // DNS, control, NATS, Redis, internet, extra
		"control": {53, 5432, 4222, 4040},          // DNS, Postgres, NATS, extra
		"billing": {53, 4222, 5432, 6380, 4040},    // DNS, NATS, Postgres, Redis, extra
	}
	policies := objectsOf[*networkingv1.NetworkPolicy](r)
	if len(policies) != 3 {
		t.Fatalf("%d NetworkPolicies, want 3", len(policies))
	}
	for _, np := range policies {
		component := np.Labels["app.kubernetes.io/component"]
		if !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress) || !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) {
			t.Errorf("%s: policy types %v", component, np.Spec.PolicyTypes)
		}
		var got []int32
		for _, rule := range np.Spec.Egress {
			if len(rule.Ports) == 0 && len(rule.To) == 0 {
				t.Errorf("%s: an egress rule allows everything", component)
			}
			if len(rule.Ports) == 0 {
				for _, peer := range rule.To {
					if peer.IPBlock == nil || len(peer.IPBlock.Except) == 0 {
						t.Errorf("%s: all ports open to %+v, which is not the internet minus private ranges", component, peer)
					}
				}
				got = append(got, 0)
				continue
			}
			seen := map[int32]bool{}
			for _, p := range rule.Ports {
				if !seen[p.Port.IntVal] {
					seen[p.Port.IntVal] = true
					got = append(got, p.Port.IntVal)
				}
			}
		}
		if !slices.Equal(got, want[component]) {
			t.Errorf("%s: egress to ports %v, want %v", component, got, want[component])
		}
	}
}

// Control admits the routers, and the policies select the pods they guard.
func TestNetworkPolicySelectors(t *testing.T) {
	r := render(t, allOn(t))
	router := deployment(t, r, "router").Spec.Template.Labels
	for _, np := range objectsOf[*networkingv1.NetworkPolicy](r) {
		component := np.Labels["app.kubernetes.io/component"]
		pods := deployment(t, r, component).Spec.Template.Labels
		if !subset(np.Spec.PodSelector.MatchLabels, pods) {
			t.Errorf("%s: policy does not select the component's pods", component)
		}
		if component != "control" {
			continue
		}
		admitted := false
		for _, rule := range np.Spec.Ingress {
			for _, peer := range rule.From {
				if peer.PodSelector != nil && subset(peer.PodSelector.MatchLabels, router) {
					admitted = true
				}
			}
		}
		if !admitted {
			t.Error("control's policy does not admit the routers")
		}
	}
}
