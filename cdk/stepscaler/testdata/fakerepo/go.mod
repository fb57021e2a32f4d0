module example.com/fakerepo

go 1.26
