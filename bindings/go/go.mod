module libquant.dev/go/libquant

go 1.19
