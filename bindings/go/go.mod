module librtipc.dev/rtipc

go 1.19
