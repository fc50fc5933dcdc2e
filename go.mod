module github.com/spindledb/spindle

go 1.26.8
