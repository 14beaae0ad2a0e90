package dataset

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Layouts.
const (
	ImageFolder = "imagefolder"
	Kaggle      = "kaggle"
	ValTxt      = "valtxt"
)

// Kaggle and Caffe list files.
const (
	KaggleSolution = "LOC_val_solution.csv"
	CaffeList      = "val.txt"
)

// Item is one labelled image.
type Item struct {
	// Name is the image path relative to the image folder, slash-separated.
	Name string
	// Label is the class index.
	Label int
}

// Dataset is a labelled image list over a folder.
type Dataset struct {
	// Dir is the dataset folder given by the user.
	Dir string
	// Layout is ImageFolder, Kaggle or ValTxt.
	Layout string
	// ImageDir is the folder the item names are relative to.
	ImageDir string
	// Items are sorted by Name.
	Items []Item
	// Warnings describe entries ignored while listing (unknown class folders,
	// files that are not images, broken links).
	Warnings []string
	// Ignored counts the entries ignored while listing: folders that are not
	// classes, files outside class folders or without an image extension,
	// broken links to folders.
	Ignored int
}

// imageExt are the file extensions listed in ImageFolder layouts.
var imageExt = map[string]bool{".jpeg": true, ".jpg": true, ".png": true}

// Open lists the dataset in dir, recognising its layout: LOC_val_solution.csv
// (Kaggle; images in dir or dir/ILSVRC/Data/CLS-LOC/val), val.txt (Caffe;
// images in dir) or class folders named by WNID (ImageFolder).
func Open(dir string, classes *Classes) (*Dataset, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w; set accuracy.dataset (or --dataset) to the ImageNet validation folder", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("dataset: %s is not a folder; give the ImageNet validation folder", dir)
	}
	var d *Dataset
	switch {
	case exists(filepath.Join(dir, KaggleSolution)):
		img := dir
		if sub := filepath.Join(dir, "ILSVRC", "Data", "CLS-LOC", "val"); isDir(sub) {
			img = sub
		}
		d, err = readList(filepath.Join(dir, KaggleSolution), Kaggle, img, classes, kaggleItems)
	case exists(filepath.Join(dir, CaffeList)):
		d, err = readList(filepath.Join(dir, CaffeList), ValTxt, dir, classes, valTxtItems)
	default:
		d, err = readImageFolder(dir, classes)
	}
	if err != nil {
		return nil, err
	}
	d.Dir = dir
	sort.Slice(d.Items, func(i, j int) bool { return d.Items[i].Name < d.Items[j].Name })
	for i := 1; i < len(d.Items); i++ {
		if d.Items[i].Name == d.Items[i-1].Name {
			return nil, fmt.Errorf("dataset: %s: image %s is listed twice", dir, d.Items[i].Name)
		}
	}
	if len(d.Items) == 0 {
		return nil, fmt.Errorf("dataset: %s (%s layout): no images found", dir, d.Layout)
	}
	return d, nil
}

func exists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// localName checks that a name from a list stays inside the image folder.
func localName(name string) (string, error) {
	n := filepath.ToSlash(name)
	if n == "" || !filepath.IsLocal(filepath.FromSlash(n)) || strings.Contains(n, "\\") || strings.ContainsRune(n, 0) {
		return "", fmt.Errorf("image name %q is not a plain path inside the dataset folder", name)
	}
	return path.Clean(n), nil
}

func readImageFolder(dir string, classes *Classes) (*Dataset, error) {
	d := &Dataset{Layout: ImageFolder, ImageDir: dir}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	found := false
	ignored := 0
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		isDir, err := followDir(dir, e)
		if err != nil {
			d.Ignored++
			d.Warnings = append(d.Warnings, fmt.Sprintf("dataset: %s: %v; ignored", dir, err))
			continue
		}
		if !isDir {
			ignored++
			continue
		}
		label, ok := classes.Index(e.Name())
		if !ok {
			d.Ignored++
			d.Warnings = append(d.Warnings, fmt.Sprintf("dataset: %s: folder %q is not an ImageNet class; ignored", dir, e.Name()))
			continue
		}
		found = true
		files, err := os.ReadDir(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("dataset: %w", err)
		}
		skipped := 0
		for _, f := range files {
			if strings.HasPrefix(f.Name(), ".") {
				continue
			}
			if !imageExt[strings.ToLower(filepath.Ext(f.Name()))] {
				skipped++
				continue
			}
			// A broken link with an image name stays listed: reading it
			// fails and names the missing target.
			if sub, err := followDir(filepath.Join(dir, e.Name()), f); err == nil && sub {
				skipped++
				continue
			}
			d.Items = append(d.Items, Item{Name: e.Name() + "/" + f.Name(), Label: label})
		}
		if skipped > 0 {
			d.Ignored += skipped
			d.Warnings = append(d.Warnings, fmt.Sprintf("dataset: %s: %d entries without an image extension ignored", e.Name(), skipped))
		}
	}
	if !found {
		return nil, fmt.Errorf("dataset: %s: no layout recognised: want class folders named by WNID (val/n01440764/*.JPEG), %s or %s", dir, KaggleSolution, CaffeList)
	}
	if ignored > 0 {
		d.Ignored += ignored
		d.Warnings = append(d.Warnings, fmt.Sprintf("dataset: %s: %d files outside class folders ignored", dir, ignored))
	}
	return d, nil
}

// followDir reports whether entry e of dir is a folder, following a
// symbolic link as torchvision's ImageFolder does; a broken link is an
// error naming its target.
func followDir(dir string, e os.DirEntry) (bool, error) {
	if e.Type()&os.ModeSymlink == 0 {
		return e.IsDir(), nil
	}
	p := filepath.Join(dir, e.Name())
	st, err := os.Stat(p)
	if err != nil {
		return false, linkError(p, err)
	}
	return st.IsDir(), nil
}

// linkError explains err from opening p: a symbolic link whose target is
// missing is named as such, with the target.
func linkError(p string, err error) error {
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	st, lerr := os.Lstat(p)
	if lerr != nil || st.Mode()&os.ModeSymlink == 0 {
		return err
	}
	target, _ := os.Readlink(p)
	return fmt.Errorf("%q is a broken symbolic link: its target %s does not exist", filepath.Base(p), target)
}

// readList reads the image list file list with parse, which reads one
// layout's list (named list in its errors), into a Dataset of that layout
// whose images are in imageDir.
func readList(list, layout, imageDir string, classes *Classes, parse func(r io.Reader, list string, classes *Classes) ([]Item, error)) (*Dataset, error) {
	f, err := os.Open(list)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	defer f.Close()
	items, err := parse(f, list, classes)
	if err != nil {
		return nil, err
	}
	return &Dataset{Layout: layout, ImageDir: imageDir, Items: items}, nil
}

// kaggleItems reads a Kaggle LOC_val_solution.csv.
func kaggleItems(f io.Reader, list string, classes *Classes) ([]Item, error) {
	var items []Item
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("dataset: %s: %w", list, err)
	}
	if len(head) < 2 || head[0] != "ImageId" || head[1] != "PredictionString" {
		return nil, fmt.Errorf("dataset: %s: header %v, want ImageId,PredictionString", list, head)
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("dataset: %s: %w", list, err)
		}
		line, _ := r.FieldPos(0)
		if len(rec) < 2 {
			return nil, fmt.Errorf("dataset: %s:%d: want ImageId,PredictionString", list, line)
		}
		name, err := localName(rec[0])
		if err != nil {
			return nil, fmt.Errorf("dataset: %s:%d: %w", list, line, err)
		}
		if path.Ext(name) == "" {
			name += ".JPEG"
		}
		fields := strings.Fields(rec[1])
		if len(fields) == 0 {
			return nil, fmt.Errorf("dataset: %s:%d: %s has no label", list, line, rec[0])
		}
		label, ok := classes.Index(fields[0])
		if !ok {
			return nil, fmt.Errorf("dataset: %s:%d: %q is not an ImageNet class", list, line, fields[0])
		}
		items = append(items, Item{Name: name, Label: label})
	}
	return items, nil
}

// valTxtItems reads a Caffe val.txt.
func valTxtItems(f io.Reader, list string, classes *Classes) ([]Item, error) {
	var items []Item
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		if len(fields) != 2 {
			return nil, fmt.Errorf("dataset: %s:%d: want \"filename label\", got %q", list, line, sc.Text())
		}
		name, err := localName(fields[0])
		if err != nil {
			return nil, fmt.Errorf("dataset: %s:%d: %w", list, line, err)
		}
		label, err := strconv.Atoi(fields[1])
		if err != nil || label < 0 || label >= classes.Len() {
			return nil, fmt.Errorf("dataset: %s:%d: label %q must be a class index 0..%d", list, line, fields[1], classes.Len()-1)
		}
		items = append(items, Item{Name: name, Label: label})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("dataset: %s: %w", list, err)
	}
	return items, nil
}

// Subset returns at most limit items spread evenly over the sorted list
// (every len/limit-th), the same ones on every run; limit <= 0 means all.
func (d *Dataset) Subset(limit int) []Item {
	n := len(d.Items)
	if limit <= 0 || limit >= n {
		return append([]Item(nil), d.Items...)
	}
	out := make([]Item, limit)
	for i := range out {
		out[i] = d.Items[i*n/limit]
	}
	return out
}

// Reader reads the image files of a dataset. It follows symbolic links, as
// torchvision's ImageFolder does: the folder and what it links to are the
// user's to point at. Item names are relative paths checked when listed, so
// they never climb out of the image folder by themselves.
type Reader struct {
	dir string
}

// NewReader opens the dataset's image folder for reading.
func (d *Dataset) NewReader() (*Reader, error) {
	return &Reader{dir: d.ImageDir}, nil
}

// path returns one item's file path after checking that it is a regular
// file (a FIFO or a device would block or never end).
func (r *Reader) path(it Item) (string, error) {
	if !filepath.IsLocal(filepath.FromSlash(it.Name)) {
		return "", fmt.Errorf("image name %q is not a plain path inside the dataset folder", it.Name)
	}
	p := filepath.Join(r.dir, filepath.FromSlash(it.Name))
	st, err := os.Stat(p)
	if err != nil {
		return "", linkError(p, err)
	}
	if !st.Mode().IsRegular() {
		return "", fmt.Errorf("%s is not a regular file", it.Name)
	}
	return p, nil
}

// ReadFile returns the bytes of one item's file.
func (r *Reader) ReadFile(it Item) ([]byte, error) {
	p, err := r.path(it)
	if err != nil {
		return nil, err
	}
	return os.ReadFile(p)
}

// Close releases the reader.
func (r *Reader) Close() error { return nil }

// Report is the result of a dataset check.
type Report struct {
	// Layout is the recognised layout.
	Layout string
	// Images is the number of listed images.
	Images int
	// Classes is the number of distinct classes among them.
	Classes int
	// Unreadable names listed images that are missing or are neither JPEG
	// nor PNG by content, sorted.
	Unreadable []string
}

// ErrNotImage reports a file whose content is neither JPEG nor PNG.
var ErrNotImage = errors.New("dataset: not a JPEG or PNG file")

// Check counts the images and classes of items and lists the files that
// are missing or are not JPEG/PNG by their first bytes. It does not decode.
func (d *Dataset) Check(items []Item) (Report, error) {
	rep := Report{Layout: d.Layout, Images: len(items)}
	r, err := d.NewReader()
	if err != nil {
		return rep, err
	}
	defer r.Close()
	seen := map[int]bool{}
	head := make([]byte, 8)
	for _, it := range items {
		seen[it.Label] = true
		if err := sniff(r, it, head); err != nil {
			rep.Unreadable = append(rep.Unreadable, it.Name)
		}
	}
	rep.Classes = len(seen)
	sort.Strings(rep.Unreadable)
	return rep, nil
}

func sniff(r *Reader, it Item, head []byte) error {
	p, err := r.path(it)
	if err != nil {
		return err
	}
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	n, _ := io.ReadFull(f, head)
	h := head[:n]
	if len(h) >= 3 && h[0] == 0xFF && h[1] == 0xD8 && h[2] == 0xFF {
		return nil
	}
	if len(h) == 8 && string(h) == "\x89PNG\r\n\x1a\n" {
		return nil
	}
	return ErrNotImage
}
