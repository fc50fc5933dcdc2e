module github.com/spindledb/spindle

go 1.26.8

require (
	github.com/google/uuid v1.6.0
	github.com/klauspost/compress v1.20.3
	github.com/tidwall/btree v1.8.2
	github.com/yuin/gopher-lua v1.1.2
	golang.org/x/text v0.43.0
	gopkg.in/yaml.v3 v3.0.1
)
