package models

import (
	"strings"

	"github.com/dnnbench/dnnbench/stages/models/zoo"
)

// FamilyOther is the family of a model that no rule recognises.
const FamilyOther = "other"

// Families returns the architecture families Family can return, in a fixed
// order (figures give each its colour by this order); FamilyOther is last.
func Families() []string {
	return []string{
		"AlexNet", "VGG", "ResNet", "SqueezeNet", "DenseNet", "Inception/GoogLeNet",
		"MobileNet", "ShuffleNet", "MnasNet", "EfficientNet", "ConvNeXt", "ViT",
		"RegNet", "SENet", "Xception", "DPN", "NASNet", FamilyOther,
	}
}

// zooFamilies maps a zoo builder's family to its display family.
var zooFamilies = map[string]string{
	"alexnet": "AlexNet", "vgg": "VGG", "resnet": "ResNet", "squeezenet": "SqueezeNet",
	"densenet": "DenseNet", "googlenet": "Inception/GoogLeNet", "inception": "Inception/GoogLeNet",
	"inception_tf": "Inception/GoogLeNet", "mobilenet": "MobileNet", "shufflenet": "ShuffleNet",
	"mnasnet": "MnasNet", "efficientnet": "EfficientNet", "convnext": "ConvNeXt", "vit": "ViT",
	"regnet": "RegNet", "senet": "SENet", "xception": "Xception", "dpn": "DPN", "nasnet": "NASNet",
}

// namePatterns recognise a family in a model or file name. They are tried in
// order, so that a more specific name wins ("seresnet" before "resnet",
// "mnasnet" before "nasnet", "densenet" before "senet"). A pattern marked
// token must start the name or follow a non-letter, so short names such as
// "vit" do not match inside words.
var namePatterns = []struct {
	pattern, family string
	token           bool
}{
	{"inception_resnet", "Inception/GoogLeNet", false},
	{"inceptionresnet", "Inception/GoogLeNet", false},
	{"densenet", "DenseNet", false},
	{"seresnet", "SENet", false},
	{"seresnext", "SENet", false},
	{"senet", "SENet", false},
	{"resnext", "ResNet", false},
	{"resnet", "ResNet", false},
	{"regnet", "RegNet", false},
	{"alexnet", "AlexNet", false},
	{"caffenet", "AlexNet", false},
	{"vgg", "VGG", false},
	{"squeezenet", "SqueezeNet", false},
	{"googlenet", "Inception/GoogLeNet", false},
	{"inception", "Inception/GoogLeNet", false},
	{"mobilenet", "MobileNet", false},
	{"shufflenet", "ShuffleNet", false},
	{"mnasnet", "MnasNet", false},
	{"nasnet", "NASNet", false},
	{"efficientnet", "EfficientNet", false},
	{"convnext", "ConvNeXt", false},
	{"xception", "Xception", false},
	{"vit", "ViT", true},
	{"dpn", "DPN", true},
}

// Family names the architecture family of a model, one of Families(): from
// the zoo's builder when arch is a zoo architecture, otherwise from the
// first recognised pattern in arch or in the model's name (a user's ONNX
// file or a download is named by the config), else FamilyOther.
func Family(arch, name string) string {
	if arch != "" {
		if a, err := zoo.Lookup(arch); err == nil {
			if f, ok := zooFamilies[a.Family]; ok {
				return f
			}
		}
		if f := familyFromName(arch); f != FamilyOther {
			return f
		}
	}
	return familyFromName(name)
}

// familyFromName applies namePatterns to a lower-cased name.
func familyFromName(name string) string {
	s := strings.ToLower(strings.ReplaceAll(name, "-", "_"))
	for _, p := range namePatterns {
		for from := 0; ; {
			i := strings.Index(s[from:], p.pattern)
			if i < 0 {
				break
			}
			i += from
			if !p.token || i == 0 || !isLetter(s[i-1]) {
				return p.family
			}
			from = i + 1
		}
	}
	return FamilyOther
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' }
