module github.com/burncloud/burncloud/deploy/docker/probe

go 1.26.0
