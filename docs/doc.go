// Package docs holds lockbench's documentation for contributors and users. It has no code: its
// tests keep architecture.md true to the code. They draw the packages and their imports from
// `go list` and compare the drawing with the one in architecture.md (go test ./docs -update
// rewrites it), and they check the dependency rules architecture.md states.
package docs
