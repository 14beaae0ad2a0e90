package models

import (
	"slices"
	"testing"

	"github.com/dnnbench/dnnbench/stages/models/zoo"
)

// TestFamilyOfEveryZooArch: every zoo architecture has a known family, and
// its name alone (a user's file named after it) gives the same family.
func TestFamilyOfEveryZooArch(t *testing.T) {
	known := Families()
	for _, a := range zoo.Archs() {
		f := Family(a.Name, "x")
		if f == FamilyOther || !slices.Contains(known, f) {
			t.Errorf("arch %s (builder %s): family %q", a.Name, a.Family, f)
		}
		if g := Family("", a.Name); g != f {
			t.Errorf("name %s: family %q, but its arch gives %q", a.Name, g, f)
		}
	}
}

func TestFamilyFromName(t *testing.T) {
	for _, c := range []struct{ arch, name, want string }{
		{"resnet50", "my-net", "ResNet"},
		{"wide_resnet50_2", "", "ResNet"},
		{"resnext101_32x8d", "", "ResNet"},
		{"legacy_seresnet50", "", "SENet"},
		{"densenet121", "", "DenseNet"},
		{"", "resnet50-v1-12", "ResNet"},
		{"", "bvlcalexnet-12-int8", "AlexNet"},
		{"", "squeezenet1.1-7", "SqueezeNet"},
		{"", "inception_resnet_v2", "Inception/GoogLeNet"},
		{"", "MNASNet1_0", "MnasNet"},
		{"", "nasnetalarge", "NASNet"},
		{"", "vit_b_16", "ViT"},
		{"", "deit-vit-tiny", "ViT"},
		{"", "cavity", FamilyOther},
		{"", "edge<cnn>&v2", FamilyOther},
		{"", "", FamilyOther},
		{"not_an_arch", "vgg16-7", "VGG"},
	} {
		if got := Family(c.arch, c.name); got != c.want {
			t.Errorf("Family(%q, %q) = %q, want %q", c.arch, c.name, got, c.want)
		}
	}
}
