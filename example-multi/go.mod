module github.com/mkmultiarch/mkmultiarch/example-multi

go 1.23
