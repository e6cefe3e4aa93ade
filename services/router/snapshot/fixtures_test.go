package snapshot

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/burncloud/burncloud/pkg/secrets"

	adminv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1"
	snapshotv1 "github.com/burncloud/burncloud/pkg/gen/burncloud/snapshot/v1"
)

func testKeyring(t testing.TB, master string) *secrets.Keyring {
	t.Helper()
	k, err := secrets.New([]byte(master))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

const testMaster = "test-master-secret-for-snapshot"

func tokenEntity(kr *secrets.Keyring, id int64, secret, user string, models ...string) *snapshotv1.Entity {
	d := kr.TokenDigest(secret)
	return &snapshotv1.Entity{Entity: &snapshotv1.Entity_Token{Token: &snapshotv1.Token{
		Id: id, Name: "t", User: user, Digest: d[:], Models: models, Status: adminv1.Status_STATUS_ACTIVE,
	}}}
}

func userEntity(name, group string) *snapshotv1.Entity {
	return &snapshotv1.Entity{Entity: &snapshotv1.Entity_User{User: &snapshotv1.User{
		Name: name, Group: group, Role: adminv1.Role_ROLE_USER, Status: adminv1.Status_STATUS_ACTIVE,
	}}}
}

func groupEntity(name string, ratio int64) *snapshotv1.Entity {
	return &snapshotv1.Entity{Entity: &snapshotv1.Entity_Group{Group: &adminv1.Group{Name: name, RatioPpm: proto.Int64(ratio)}}}
}

func modelEntity(name string, in, out int64) *snapshotv1.Entity {
	return &snapshotv1.Entity{Entity: &snapshotv1.Entity_Model{Model: &adminv1.Model{
		Name: name, Price: &adminv1.Price{InputNanoUsd: in, OutputNanoUsd: out},
	}}}
}

type chOpt func(*snapshotv1.Channel)

func channelEntity(name string, priority int32, models []string, opts ...chOpt) *snapshotv1.Entity {
	c := &snapshotv1.Channel{
		Name: name, Type: adminv1.ChannelType_CHANNEL_TYPE_OPENAI, BaseUrl: "https://api.example.com/v1/",
		Keys:   []*snapshotv1.ChannelKey{{Id: "k1", Secret: "sk-upstream-" + name}},
		Models: models, Priority: priority, Weight: 1, CostRatioPpm: 1_000_000,
		Status: adminv1.Status_STATUS_ACTIVE,
	}
	for _, o := range opts {
		o(c)
	}
	return &snapshotv1.Entity{Entity: &snapshotv1.Entity_Channel{Channel: c}}
}

func baseEntities(kr *secrets.Keyring) []*snapshotv1.Entity {
	return []*snapshotv1.Entity{
		groupEntity("default", 1_000_000),
		userEntity("alice", "default"),
		tokenEntity(kr, 1, "sk-bc-alice", "alice"),
		modelEntity("gpt-4o", 2_500_000_000, 10_000_000_000),
		channelEntity("main", 10, []string{"gpt-4o"}),
	}
}
