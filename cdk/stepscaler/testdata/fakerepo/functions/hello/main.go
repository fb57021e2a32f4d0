// Command hello stands in for a Stepscaler function in the bundler's test.
package main

import "fmt"

func main() { fmt.Println("hello") }
