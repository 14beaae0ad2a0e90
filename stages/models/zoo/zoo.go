package zoo

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"

	"github.com/dnnbench/dnnbench/internal/atomicfile"
)

// BuilderVersion changes whenever any builder's output changes, so cached
// models are rebuilt.
const BuilderVersion = "zoo-1"

// DefaultSeed is the seed the models stage uses unless the config sets one.
const DefaultSeed = 20180101

// Arch is one buildable architecture.
type Arch struct {
	// Name is the arch: name used in configs, e.g. "resnet50".
	Name string
	// Family is the file/paper the builder follows, e.g. "resnet".
	Family string
	// Size is the native input height and width in pixels (224 unless noted).
	Size int64
	// Reference names the published row this architecture reproduces, e.g.
	// "torchvision:ResNet50_Weights.IMAGENET1K_V2" (the default weight of
	// torchvision.csv) or "timm:dpn68.mx_in1k" (timm_results_imagenet.csv at
	// the native size); preprocessing and published accuracy come from it.
	Reference string
	// Build adds the network to g, starting from g.Input(), and returns the
	// N×1000 logits.
	Build func(g *Graph) Tensor
}

// Archs lists every architecture, sorted by name.
func Archs() []Arch {
	var all []Arch
	for _, family := range [][]Arch{
		alexnetArchs(), vggArchs(), resnetArchs(), squeezenetArchs(), densenetArchs(),
		googlenetArchs(), inceptionArchs(), mobilenetArchs(), shufflenetArchs(), mnasnetArchs(),
		efficientnetArchs(), convnextArchs(), vitArchs(), regnetArchs(), senetArchs(),
		xceptionArchs(), dpnArchs(), nasnetArchs(), inceptionTFArchs(),
	} {
		all = append(all, family...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	return all
}

// Lookup finds an architecture by name; an unknown name is an error that
// suggests the closest known names.
func Lookup(name string) (Arch, error) {
	archs := Archs()
	for _, a := range archs {
		if a.Name == name {
			return a, nil
		}
	}
	type cand struct {
		name string
		d    int
	}
	var cs []cand
	for _, a := range archs {
		cs = append(cs, cand{a.Name, distance(strings.ToLower(name), a.Name)})
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].d < cs[j].d })
	var near []string
	for _, c := range cs[:min(3, len(cs))] {
		near = append(near, c.name)
	}
	var all []string
	for _, a := range archs {
		all = append(all, a.Name)
	}
	return Arch{}, fmt.Errorf("zoo: unknown architecture %q; closest: %s (all %d: %s)", name, strings.Join(near, ", "), len(archs), strings.Join(all, ", "))
}

// distance is the Levenshtein edit distance.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// Info describes a built model.
type Info struct {
	Arch   string
	Params int64
	Bytes  int64
	Size   int64
	// SHA256 is the hex digest of the written file.
	SHA256 string
}

// NewFor returns the graph of an architecture without writing it.
func NewFor(a Arch) (g *Graph, logits Tensor, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("zoo: building %s: %v", a.Name, r)
		}
	}()
	size := a.Size
	if size == 0 {
		size = 224
	}
	g = NewGraph(3, size, size)
	logits = a.Build(g)
	if len(logits.Shape) != 1 || logits.Shape[0] != 1000 {
		return nil, Tensor{}, fmt.Errorf("zoo: %s produces logits of shape %v, want [1000]", a.Name, logits.Shape)
	}
	return g, logits, nil
}

// Build writes architecture name to path (atomically: a temporary file in
// the same directory, then rename) with weights drawn from seed.
func Build(name, path string, seed uint64) (info Info, err error) {
	a, err := Lookup(name)
	if err != nil {
		return Info{}, err
	}
	g, logits, err := NewFor(a)
	if err != nil {
		return Info{}, err
	}
	h := sha256.New()
	var n int64
	tmp, err := atomicfile.Temp(filepath.Dir(path), ".zoo-*.onnx.tmp", func(w io.Writer) error {
		var err error
		n, err = g.WriteTo(io.MultiWriter(w, h), a.Name, logits, seed)
		return err
	})
	if err != nil {
		return Info{}, fmt.Errorf("zoo: writing %s: %w", a.Name, err)
	}
	if err := atomicfile.Rename(tmp, path); err != nil {
		return Info{}, fmt.Errorf("zoo: %w", err)
	}
	return Info{Arch: a.Name, Params: g.Params(), Bytes: n, Size: g.input.H(), SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}
