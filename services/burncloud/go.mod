module github.com/burncloud/burncloud/services/burncloud

go 1.26.0

require (
	github.com/burncloud/burncloud/pkg v0.0.0
	github.com/burncloud/burncloud/pkg/store v0.0.0
	github.com/burncloud/burncloud/services/billing v0.0.0
	github.com/burncloud/burncloud/services/control v0.0.0
	github.com/burncloud/burncloud/services/router v0.0.0
)

replace github.com/burncloud/burncloud/pkg => ../../pkg

replace github.com/burncloud/burncloud/pkg/store => ../../pkg/store

replace github.com/burncloud/burncloud/services/router => ../router

replace github.com/burncloud/burncloud/services/control => ../control

replace github.com/burncloud/burncloud/services/billing => ../billing
