module rtipc

go 1.19
