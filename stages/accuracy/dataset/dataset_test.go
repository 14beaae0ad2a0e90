package dataset

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// configsFS is the repository's configs folder, where the class list lives.
func configsFS(t *testing.T) *Classes {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for !exists(filepath.Join(dir, "go.mod")) {
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("cannot find go.mod above the test directory")
		}
		dir = parent
	}
	c, err := LoadClasses(os.DirFS(filepath.Join(dir, "configs")))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

const jpegHead = "\xff\xd8\xff\xe0 rest"

func TestClasses(t *testing.T) {
	c := configsFS(t)
	if c.Len() != 1000 || c.WNIDs[0] != "n01440764" || c.WNIDs[999] != "n15075141" {
		t.Fatalf("got %d classes, first %s, last %s", c.Len(), c.WNIDs[0], c.WNIDs[c.Len()-1])
	}
	if i, ok := c.Index("n01443537"); !ok || i != 1 {
		t.Errorf("n01443537 → %d %v, want 1", i, ok)
	}
	if _, ok := c.Index("n99999999"); ok {
		t.Error("unknown WNID found")
	}
}

func TestImageFolder(t *testing.T) {
	c := configsFS(t)
	dir := t.TempDir()
	write(t, filepath.Join(dir, "n01443537", "b.JPEG"), jpegHead)
	write(t, filepath.Join(dir, "n01443537", "a.png"), "\x89PNG\r\n\x1a\nxx")
	write(t, filepath.Join(dir, "n01440764", "z.JPEG"), "garbage")
	write(t, filepath.Join(dir, "n01440764", "notes.txt"), "x")
	write(t, filepath.Join(dir, "extra", "q.JPEG"), jpegHead)
	d, err := Open(dir, c)
	if err != nil {
		t.Fatal(err)
	}
	want := []Item{{"n01440764/z.JPEG", 0}, {"n01443537/a.png", 1}, {"n01443537/b.JPEG", 1}}
	if d.Layout != ImageFolder || !reflect.DeepEqual(d.Items, want) {
		t.Fatalf("layout %s items %v, want %v", d.Layout, d.Items, want)
	}
	if len(d.Warnings) != 2 {
		t.Errorf("warnings %q, want the unknown folder and the .txt file", d.Warnings)
	}
	rep, err := d.Check(d.Items)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Images != 3 || rep.Classes != 2 || !reflect.DeepEqual(rep.Unreadable, []string{"n01440764/z.JPEG"}) {
		t.Errorf("check %+v", rep)
	}
}

func TestKaggle(t *testing.T) {
	c := configsFS(t)
	dir := t.TempDir()
	img := filepath.Join(dir, "ILSVRC", "Data", "CLS-LOC", "val")
	write(t, filepath.Join(img, "ILSVRC2012_val_00000002.JPEG"), jpegHead)
	write(t, filepath.Join(dir, KaggleSolution), "ImageId,PredictionString\n"+
		"ILSVRC2012_val_00000002,n01443537 1 2 3 4 n01443537 5 6 7 8 \n"+
		"ILSVRC2012_val_00000001,n15075141 1 2 3 4\n")
	d, err := Open(dir, c)
	if err != nil {
		t.Fatal(err)
	}
	want := []Item{{"ILSVRC2012_val_00000001.JPEG", 999}, {"ILSVRC2012_val_00000002.JPEG", 1}}
	if d.Layout != Kaggle || d.ImageDir != img || !reflect.DeepEqual(d.Items, want) {
		t.Fatalf("layout %s dir %s items %v", d.Layout, d.ImageDir, d.Items)
	}
	rep, err := d.Check(d.Items)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rep.Unreadable, []string{"ILSVRC2012_val_00000001.JPEG"}) || rep.Classes != 2 {
		t.Errorf("check %+v: the missing file must be unreadable", rep)
	}
}

func TestValTxt(t *testing.T) {
	c := configsFS(t)
	dir := t.TempDir()
	write(t, filepath.Join(dir, CaffeList), "b.JPEG 65\n\na.JPEG 0\n")
	d, err := Open(dir, c)
	if err != nil {
		t.Fatal(err)
	}
	if want := []Item{{"a.JPEG", 0}, {"b.JPEG", 65}}; d.Layout != ValTxt || !reflect.DeepEqual(d.Items, want) {
		t.Fatalf("layout %s items %v", d.Layout, d.Items)
	}
}

func TestBadLists(t *testing.T) {
	c := configsFS(t)
	cases := []struct{ file, content, want string }{
		{CaffeList, "../../etc/passwd 1\n", "not a plain path"},
		{CaffeList, "/etc/passwd 1\n", "not a plain path"},
		{CaffeList, "a.JPEG 1000\n", "val.txt:1: label"},
		{CaffeList, "a.JPEG x\n", "label"},
		{CaffeList, "a.JPEG 1 2\n", "want \"filename label\""},
		{CaffeList, "a.JPEG 1\na.JPEG 2\n", "listed twice"},
		{CaffeList, "\n", "no images"},
		{KaggleSolution, "ImageId,PredictionString\n../x,n01440764 1 2 3 4\n", "not a plain path"},
		{KaggleSolution, "ImageId,PredictionString\nx,n00000000 1 2 3 4\n", "not an ImageNet class"},
		{KaggleSolution, "id,label\n", "header"},
	}
	for _, tc := range cases {
		dir := t.TempDir()
		write(t, filepath.Join(dir, tc.file), tc.content)
		_, err := Open(dir, c)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %q: error %v, want one containing %q", tc.file, tc.content, err, tc.want)
		}
	}
	if _, err := Open(t.TempDir(), c); err == nil || !strings.Contains(err.Error(), "no layout recognised") {
		t.Errorf("empty folder: %v", err)
	}
	if _, err := Open(filepath.Join(t.TempDir(), "missing"), c); err == nil {
		t.Error("missing folder opened")
	}
}

// symlink makes link point at target, creating link's folder.
func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// TestSymlinks follows links as torchvision's ImageFolder does: linked
// files (also outside the folder), linked class folders, a linked root and
// a linked flat layout; a broken link is named as such.
func TestSymlinks(t *testing.T) {
	c := configsFS(t)
	store := t.TempDir() // the real files, outside the dataset
	write(t, filepath.Join(store, "flat", "a.JPEG"), jpegHead)
	write(t, filepath.Join(store, "flat", "b.JPEG"), "\x89PNG\r\n\x1a\nxx")
	write(t, filepath.Join(store, "tench", "c.JPEG"), jpegHead)

	dir := t.TempDir()
	symlink(t, filepath.Join(store, "flat", "a.JPEG"), filepath.Join(dir, "n01443537", "a.JPEG"))
	symlink(t, filepath.Join(store, "flat", "b.JPEG"), filepath.Join(dir, "n01443537", "b.JPEG"))
	symlink(t, filepath.Join(store, "missing.JPEG"), filepath.Join(dir, "n01443537", "gone.JPEG"))
	symlink(t, filepath.Join(store, "tench"), filepath.Join(dir, "n01440764"))
	symlink(t, filepath.Join(store, "nowhere"), filepath.Join(dir, "n15075141"))
	root := filepath.Join(t.TempDir(), "val")
	symlink(t, dir, root)

	d, err := Open(root, c)
	if err != nil {
		t.Fatal(err)
	}
	want := []Item{{"n01440764/c.JPEG", 0}, {"n01443537/a.JPEG", 1}, {"n01443537/b.JPEG", 1}, {"n01443537/gone.JPEG", 1}}
	if d.Layout != ImageFolder || !reflect.DeepEqual(d.Items, want) {
		t.Fatalf("layout %s items %v, want %v", d.Layout, d.Items, want)
	}
	if d.Ignored != 1 || len(d.Warnings) != 1 || !strings.Contains(d.Warnings[0], `"n15075141" is a broken symbolic link`) {
		t.Errorf("ignored %d, warnings %q; want the broken class-folder link named", d.Ignored, d.Warnings)
	}
	r, err := d.NewReader()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, it := range d.Items {
		b, err := r.ReadFile(it)
		if it.Name == "n01443537/gone.JPEG" {
			if err == nil || !strings.Contains(err.Error(), "broken symbolic link") || strings.Contains(err.Error(), "escapes") {
				t.Errorf("%s: error %v, want it named a broken symbolic link", it.Name, err)
			}
			continue
		}
		if err != nil || len(b) == 0 {
			t.Errorf("%s: %d bytes, error %v", it.Name, len(b), err)
		}
	}
	rep, err := d.Check(d.Items)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rep.Unreadable, []string{"n01443537/gone.JPEG"}) {
		t.Errorf("check: unreadable %v, want only the broken link", rep.Unreadable)
	}
	if _, err := r.ReadFile(Item{Name: "../" + filepath.Base(store) + "/flat/a.JPEG"}); err == nil {
		t.Error("an item name climbing out of the folder was read")
	}

	// A flat layout whose list and images are links.
	flat := t.TempDir()
	write(t, filepath.Join(store, CaffeList), "a.JPEG 1\nb.JPEG 2\n")
	symlink(t, filepath.Join(store, CaffeList), filepath.Join(flat, CaffeList))
	symlink(t, filepath.Join(store, "flat", "a.JPEG"), filepath.Join(flat, "a.JPEG"))
	symlink(t, filepath.Join(store, "flat", "b.JPEG"), filepath.Join(flat, "b.JPEG"))
	d, err = Open(flat, c)
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := d.Check(d.Items); err != nil || d.Layout != ValTxt || rep.Images != 2 || len(rep.Unreadable) != 0 {
		t.Errorf("linked val.txt layout: %s %+v %v", d.Layout, rep, err)
	}
}

func TestSubset(t *testing.T) {
	d := &Dataset{}
	for i := 0; i < 10; i++ {
		d.Items = append(d.Items, Item{Name: string(rune('a' + i)), Label: i})
	}
	got := d.Subset(4)
	var names []string
	for _, it := range got {
		names = append(names, it.Name)
	}
	if want := []string{"a", "c", "f", "h"}; !reflect.DeepEqual(names, want) {
		t.Errorf("subset of 4: %v, want %v", names, want)
	}
	if len(d.Subset(0)) != 10 || len(d.Subset(20)) != 10 {
		t.Error("limit 0 or beyond the size must return everything")
	}
}
