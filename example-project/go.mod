module github.com/mkmultiarch/mkmultiarch/example-project

go 1.23
