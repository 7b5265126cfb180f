package main

import "fmt"

func classify(err error) any {
	if err == nil {
		return map[string]string{"kind": "ok"}
	}
	return map[string]string{"kind": "error"}
}

func explainRunError(err error, db string) error { return fmt.Errorf("%w", err) }
