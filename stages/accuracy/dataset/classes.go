// Package dataset reads ImageNet validation folders in the layouts people
// have them: ImageFolder (val/<wnid>/*.JPEG), a flat folder with Kaggle's
// LOC_val_solution.csv, or a flat folder with Caffe's val.txt
// ("filename label" lines). Class indices follow the sorted WNID order of
// the reference class list, which is what every ImageNet model is trained on.
package dataset

import (
	"encoding/csv"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
)

// ClassesFile is the class list's path inside the reference file system
// (configs.FS in the product).
const ClassesFile = "reference/imagenet_classes.csv"

// wnidPattern matches a WordNet ID such as n01440764.
var wnidPattern = regexp.MustCompile(`^n[0-9]{8}$`)

// Classes is the ImageNet class list: WNIDs in index order.
type Classes struct {
	WNIDs []string
	Names []string
	index map[string]int
}

// Index returns the class index of a WNID and whether it is known.
func (c *Classes) Index(wnid string) (int, bool) {
	i, ok := c.index[wnid]
	return i, ok
}

// Len is the number of classes.
func (c *Classes) Len() int { return len(c.WNIDs) }

// LoadClasses reads ClassesFile (columns index,wnid,name) from fsys and
// checks that indices run 0..n-1 in sorted WNID order.
func LoadClasses(fsys fs.FS) (*Classes, error) {
	f, err := fsys.Open(ClassesFile)
	if err != nil {
		return nil, fmt.Errorf("dataset: class list: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("dataset: %s: %w", ClassesFile, err)
	}
	if len(head) < 3 || head[0] != "index" || head[1] != "wnid" || head[2] != "name" {
		return nil, fmt.Errorf("dataset: %s: header %v, want index,wnid,name", ClassesFile, head)
	}
	c := &Classes{index: map[string]int{}}
	for line := 2; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("dataset: %s: %w", ClassesFile, err)
		}
		i, err := strconv.Atoi(rec[0])
		if err != nil || i != len(c.WNIDs) {
			return nil, fmt.Errorf("dataset: %s:%d: index %q, want %d", ClassesFile, line, rec[0], len(c.WNIDs))
		}
		if !wnidPattern.MatchString(rec[1]) {
			return nil, fmt.Errorf("dataset: %s:%d: %q is not a WNID", ClassesFile, line, rec[1])
		}
		c.index[rec[1]] = i
		c.WNIDs = append(c.WNIDs, rec[1])
		c.Names = append(c.Names, rec[2])
	}
	if len(c.WNIDs) == 0 {
		return nil, fmt.Errorf("dataset: %s: no classes", ClassesFile)
	}
	if !sort.StringsAreSorted(c.WNIDs) || len(c.index) != len(c.WNIDs) {
		return nil, fmt.Errorf("dataset: %s: WNIDs must be unique and sorted", ClassesFile)
	}
	return c, nil
}
