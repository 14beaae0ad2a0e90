package plots_test

import (
	"strings"
	"testing"

	"github.com/dnnbench/dnnbench/plots"
	"github.com/dnnbench/dnnbench/stages/models"
)

// TestFamilyColors: every family has its own colour; an unknown family
// gets the colour of "other"; legends list families in the fixed order.
func TestFamilyColors(t *testing.T) {
	seen := map[[3]uint8]string{}
	for _, f := range models.Families() {
		c := plots.FamilyColor(f)
		k := [3]uint8{c.R, c.G, c.B}
		if prev, ok := seen[k]; ok {
			t.Errorf("families %s and %s share colour %v", prev, f, k)
		}
		seen[k] = f
	}
	if plots.FamilyColor("Capsule") != plots.FamilyColor(models.FamilyOther) {
		t.Errorf("an unknown family is not coloured as %q", models.FamilyOther)
	}
	got := strings.Join(plots.SortFamilies([]string{"other", "ResNet", "Zeta", "VGG", "ResNet", "AlexNet"}), ",")
	if want := "AlexNet,VGG,ResNet,other,Zeta"; got != want {
		t.Errorf("SortFamilies = %s, want %s", got, want)
	}
}
