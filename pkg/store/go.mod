module github.com/burncloud/burncloud/pkg/store

go 1.26.0

require github.com/burncloud/burncloud/pkg v0.0.0

replace github.com/burncloud/burncloud/pkg => ..
