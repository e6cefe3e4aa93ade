module github.com/burncloud/burncloud/services/control

go 1.26.0

require (
	github.com/burncloud/burncloud/pkg v0.0.0
	github.com/burncloud/burncloud/pkg/store v0.0.0
)

replace github.com/burncloud/burncloud/pkg => ../../pkg

replace github.com/burncloud/burncloud/pkg/store => ../../pkg/store
