// Command broken does not compile: the bundler's test checks that the compiler's message
// reaches the synth error.
package main

func main() {
	var n int = "not a number"
	_ = n
}
