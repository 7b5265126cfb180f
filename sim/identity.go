package sim

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"slices"
	"sync"
)

// Digest returns a SHA-256 digest ("sha256:" and 64 hex digits) of everything embedded that
// defines the simulation's work: every SQL model and every seed CSV, by path and content, in
// path order. Two builds with the same models and seeds have the same digest; a changed model
// or parameter table changes it, so a run's workload identity says when timings stop being
// comparable.
func Digest() string { return embeddedDigest() }

var embeddedDigest = sync.OnceValue(func() string {
	d, err := digestOf(modelFS, seedFS)
	if err != nil {
		// The embedded file systems are part of the binary: they cannot fail to read.
		panic(fmt.Sprintf("sim: digest of embedded files: %v", err))
	}
	return d
})

// digestOf hashes every regular file of the file systems: for each file system in turn, its
// files in path order, each as its length-prefixed path and length-prefixed content, so no two
// different file sets hash alike by concatenation.
func digestOf(fsyss ...fs.FS) (string, error) {
	h := sha256.New()
	for i, fsys := range fsyss {
		var paths []string
		err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.Type().IsRegular() {
				paths = append(paths, p)
			}
			return nil
		})
		if err != nil {
			return "", err
		}
		slices.Sort(paths)
		fmt.Fprintf(h, "fs %d: %d files\n", i, len(paths))
		for _, p := range paths {
			b, err := fs.ReadFile(fsys, p)
			if err != nil {
				return "", err
			}
			fmt.Fprintf(h, "%d:%s\n%d:", len(p), p, len(b))
			h.Write(b)
		}
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}
