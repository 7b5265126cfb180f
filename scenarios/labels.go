package scenarios

import (
	"slices"
	"strings"
)

// Labels shortens cell keys for people, as benchstat does with its configuration keys: the
// label of a key keeps only the axis=value pairs of the axes whose values differ between the
// keys, joined with spaces ("mode=threaded threads=4"), and common holds the pairs that every
// key shares, in key order, joined with spaces ("lock-retry=off employees=2000 seed=1"), to be
// printed once in a header. An axis that some keys lack counts as varying. When there is only
// one distinct key nothing varies, so its label is the whole key (with spaces) and common is
// empty. Keys in files, JSON and histories stay complete; Labels is for display only.
func Labels(keys []string) (labels map[string]string, common string) {
	type pair struct{ axis, part string }
	split := func(key string) []pair {
		var out []pair
		for part := range strings.SplitSeq(key, "/") {
			axis, _, _ := strings.Cut(part, "=")
			out = append(out, pair{axis, part})
		}
		return out
	}
	var distinct []string
	for _, k := range keys {
		if !slices.Contains(distinct, k) {
			distinct = append(distinct, k)
		}
	}
	labels = make(map[string]string, len(distinct))
	if len(distinct) == 0 {
		return labels, ""
	}
	if len(distinct) == 1 {
		labels[distinct[0]] = strings.ReplaceAll(distinct[0], "/", " ")
		return labels, ""
	}
	// An axis is common when every key has the same part for it.
	partOf := make([]map[string]string, len(distinct))
	for i, k := range distinct {
		partOf[i] = map[string]string{}
		for _, p := range split(k) {
			partOf[i][p.axis] = p.part
		}
	}
	isCommon := func(axis string) bool {
		first, ok := partOf[0][axis]
		if !ok {
			return false
		}
		for _, m := range partOf[1:] {
			if m[axis] != first {
				return false
			}
		}
		return true
	}
	var shared []string
	for _, p := range split(distinct[0]) {
		if isCommon(p.axis) {
			shared = append(shared, p.part)
		}
	}
	for _, k := range distinct {
		var parts []string
		for _, p := range split(k) {
			if !isCommon(p.axis) {
				parts = append(parts, p.part)
			}
		}
		labels[k] = strings.Join(parts, " ")
	}
	return labels, strings.Join(shared, " ")
}
