package sim

import (
	"os"
	"regexp"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDigestCoversEveryModelAndSeed rebuilds the digest from the files on disk (not from the
// embedded copies), so a file left out of the embed patterns or of the walk would show.
func TestDigestCoversEveryModelAndSeed(t *testing.T) {
	d := Digest()
	assert.Regexp(t, regexp.MustCompile(`^sha256:[0-9a-f]{64}$`), d)
	assert.Equal(t, d, Digest(), "stable across calls")

	models := fstest.MapFS{}
	seeds := fstest.MapFS{}
	for dir, m := range map[string]fstest.MapFS{"models": models, "seeds": seeds} {
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		for _, e := range entries {
			b, err := os.ReadFile(dir + "/" + e.Name())
			require.NoError(t, err)
			m[dir+"/"+e.Name()] = &fstest.MapFile{Data: b}
		}
	}
	fromDisk, err := digestOf(models, seeds)
	require.NoError(t, err)
	assert.Equal(t, d, fromDisk, "the digest of the models and seeds on disk")

	// One changed byte in one model changes the digest; so does a renamed seed.
	name := "models/fct_yearly_events.sql"
	require.Contains(t, models, name)
	orig := models[name].Data
	models[name] = &fstest.MapFile{Data: append(append([]byte(nil), orig...), ' ')}
	changed, err := digestOf(models, seeds)
	require.NoError(t, err)
	assert.NotEqual(t, d, changed)
	models[name] = &fstest.MapFile{Data: orig}

	seeds["seeds/renamed.csv"] = seeds["seeds/seed_job_levels.csv"]
	delete(seeds, "seeds/seed_job_levels.csv")
	renamed, err := digestOf(models, seeds)
	require.NoError(t, err)
	assert.NotEqual(t, d, renamed)
}
