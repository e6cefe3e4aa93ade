package control

import (
	"maps"
	"slices"

	"github.com/burncloud/burncloud/pkg/gen/burncloud/admin/v1/adminv1connect"
	"github.com/burncloud/burncloud/pkg/gen/burncloud/snapshot/v1/snapshotv1connect"
)

// rules says who may call each admin procedure (§3.1). A procedure missing
// here is refused to everyone; a test checks every procedure is listed.
var rules = map[string]rule{
	adminv1connect.UserServiceCreateUserProcedure:     {access: accessWrite},
	adminv1connect.UserServiceGetUserProcedure:        {access: accessRead, ownScope: true},
	adminv1connect.UserServiceListUsersProcedure:      {access: accessRead, ownScope: true},
	adminv1connect.UserServiceUpdateUserProcedure:     {access: accessWrite, ownScope: true},
	adminv1connect.UserServiceDeleteUserProcedure:     {access: accessWrite},
	adminv1connect.UserServiceGetCurrentUserProcedure: {access: accessAny},

	adminv1connect.TokenServiceCreateTokenProcedure: {access: accessWrite, ownScope: true},
	adminv1connect.TokenServiceGetTokenProcedure:    {access: accessRead, ownScope: true},
	adminv1connect.TokenServiceListTokensProcedure:  {access: accessRead, ownScope: true},
	adminv1connect.TokenServiceUpdateTokenProcedure: {access: accessWrite, ownScope: true},
	adminv1connect.TokenServiceDeleteTokenProcedure: {access: accessWrite, ownScope: true},

	adminv1connect.ChannelServiceCreateChannelProcedure: {access: accessWrite},
	adminv1connect.ChannelServiceGetChannelProcedure:    {access: accessRead},
	adminv1connect.ChannelServiceListChannelsProcedure:  {access: accessRead},
	adminv1connect.ChannelServiceUpdateChannelProcedure: {access: accessWrite},
	adminv1connect.ChannelServiceDeleteChannelProcedure: {access: accessWrite},

	adminv1connect.ModelServiceCreateModelProcedure: {access: accessWrite},
	adminv1connect.ModelServiceGetModelProcedure:    {access: accessRead},
	adminv1connect.ModelServiceListModelsProcedure:  {access: accessRead},
	adminv1connect.ModelServiceUpdateModelProcedure: {access: accessWrite},
	adminv1connect.ModelServiceDeleteModelProcedure: {access: accessWrite},

	adminv1connect.GroupServiceCreateGroupProcedure: {access: accessWrite},
	adminv1connect.GroupServiceGetGroupProcedure:    {access: accessRead},
	adminv1connect.GroupServiceListGroupsProcedure:  {access: accessRead},
	adminv1connect.GroupServiceUpdateGroupProcedure: {access: accessWrite},
	adminv1connect.GroupServiceDeleteGroupProcedure: {access: accessWrite},

	adminv1connect.UsageServiceListRequestLogsProcedure:   {access: accessRead, ownScope: true},
	adminv1connect.UsageServiceAggregateUsageProcedure:    {access: accessRead, ownScope: true},
	adminv1connect.UsageServiceListLedgerEntriesProcedure: {access: accessRead, ownScope: true},

	// The file holds every user and channel: owners and admins only.
	adminv1connect.ConfigServiceApplyProcedure:  {access: accessWrite},
	adminv1connect.ConfigServiceExportProcedure: {access: accessWrite},

	adminv1connect.FleetServiceListRoutersProcedure: {access: accessRead},
}

// procedures lists every procedure served, for metrics registered at start.
func procedures() []string {
	ps := slices.Sorted(maps.Keys(rules))
	return append(ps, snapshotv1connect.SnapshotServiceWatchProcedure)
}
