package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Load reads and validates a run configuration file.
func Load(path string) (*Config, error) {
	data, err := readRegular(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(path, data)
}

// readRegular reads path if it is a regular file: reading a FIFO would block
// (and ignore Ctrl-C) and a device such as /dev/zero would never end.
func readRegular(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	switch m := st.Mode(); {
	case m.IsDir():
		return nil, fmt.Errorf("%s is not a regular file (a directory)", path)
	case m&fs.ModeNamedPipe != 0:
		return nil, fmt.Errorf("%s is not a regular file (a named pipe)", path)
	case m&fs.ModeDevice != 0:
		return nil, fmt.Errorf("%s is not a regular file (a device)", path)
	case !m.IsRegular():
		return nil, fmt.Errorf("%s is not a regular file (mode %s)", path, m)
	}
	return os.ReadFile(path)
}

// Parse decodes a run configuration; name is used in error messages.
func Parse(name string, data []byte) (*Config, error) {
	var c Config
	doc, err := decode(name, data, &c)
	if err != nil {
		return nil, err
	}
	c.applyDefaults(doc.has)
	if err := c.validate(doc.at); err != nil {
		return nil, err
	}
	return &c, nil
}

// ParseDevice decodes a device profile; name is used in error messages.
func ParseDevice(name string, data []byte) (*Device, error) {
	var d Device
	doc, err := decode(name, data, &d)
	if err != nil {
		return nil, err
	}
	d.applyDefaults()
	if err := d.validate(doc.at); err != nil {
		return nil, err
	}
	return &d, nil
}

// Devices lists the device profile names in dir (on disk) merged with the
// embedded ones, sorted.
func Devices(dir string, embedded fs.FS) []string {
	set := map[string]bool{}
	add := func(names []string) {
		for _, n := range names {
			base := strings.TrimSuffix(filepath.Base(n), ".yaml")
			if ValidName(base) {
				set[base] = true
			}
		}
	}
	if dir != "" {
		m, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		add(m)
	}
	if embedded != nil {
		m, _ := fs.Glob(embedded, "devices/*.yaml")
		add(m)
	}
	var out []string
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// LoadDevice reads the profile name from dir (when the file exists there)
// or from embedded devices/<name>.yaml. An unknown name lists the known ones.
func LoadDevice(name, dir string, embedded fs.FS) (*Device, error) {
	known := Devices(dir, embedded)
	if !ValidName(name) {
		return nil, fmt.Errorf("config: unknown device %q; known devices: %s", name, strings.Join(known, ", "))
	}
	var data []byte
	file := filepath.Join(dir, name+".yaml")
	var err error
	if dir != "" {
		data, err = readRegular(file)
	}
	if dir == "" || errors.Is(err, fs.ErrNotExist) {
		file = "configs/devices/" + name + ".yaml (embedded)"
		if embedded == nil {
			err = fs.ErrNotExist
		} else {
			data, err = fs.ReadFile(embedded, "devices/"+name+".yaml")
		}
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("config: unknown device %q; known devices: %s (add configs/devices/%s.yaml to define it)", name, strings.Join(known, ", "), name)
	}
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	d, err := ParseDevice(file, data)
	if err != nil {
		return nil, err
	}
	if d.Name != name {
		return nil, fmt.Errorf("%s: name %q must equal the file name %q", file, d.Name, name)
	}
	return d, nil
}

var yamlLineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// decoded is a decoded file's YAML tree, for locating keys in messages and
// telling keys that are absent (defaulted) from keys set to zero.
type decoded struct {
	name string
	doc  *yaml.Node
}

// at gives "file:line" of a key path (or of its nearest present parent).
func (d decoded) at(path ...string) string {
	n := d.doc
	line := d.doc.Line
	for _, p := range path {
		n = child(n, p)
		if n == nil {
			break
		}
		line = n.Line
	}
	return fmt.Sprintf("%s:%d", d.name, line)
}

// has reports whether a key path is present in the file.
func (d decoded) has(path ...string) bool {
	n := d.doc
	for _, p := range path {
		if n = child(n, p); n == nil {
			return false
		}
	}
	return true
}

// decode checks keys and values against v's type, then decodes. A file
// holds one YAML document.
func decode(name string, data []byte, v any) (decoded, error) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return decoded{}, fmt.Errorf("%s: empty configuration", name)
		}
		return decoded{}, syntaxError(name, data, err)
	}
	if len(root.Content) == 0 {
		return decoded{}, fmt.Errorf("%s: empty configuration", name)
	}
	for {
		var next yaml.Node
		err := dec.Decode(&next)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return decoded{}, syntaxError(name, data, err)
		}
		if len(next.Content) > 0 && next.Content[0].Tag != "!!null" {
			return decoded{}, fmt.Errorf("%s:%d: a second YAML document (after ---); a file holds one configuration, so remove it or move it to a file of its own", name, next.Content[0].Line)
		}
	}
	doc := root.Content[0]
	if err := checkKeys(name, doc, reflect.TypeOf(v).Elem(), ""); err != nil {
		return decoded{}, err
	}
	strict := yaml.NewDecoder(bytes.NewReader(data))
	strict.KnownFields(true)
	if err := strict.Decode(v); err != nil {
		return decoded{}, yamlError(name, err)
	}
	return decoded{name: name, doc: doc}, nil
}

// child finds a mapping value by key or a sequence item by index.
func child(n *yaml.Node, key string) *yaml.Node {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i+1]
			}
		}
	case yaml.SequenceNode:
		if i, err := strconv.Atoi(key); err == nil && i >= 0 && i < len(n.Content) {
			return n.Content[i]
		}
	}
	return nil
}

func yamlError(name string, err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		var lines []string
		for _, e := range te.Errors {
			lines = append(lines, located(name, e))
		}
		return errors.New(strings.Join(lines, "\n"))
	}
	return errors.New(located(name, strings.TrimPrefix(err.Error(), "yaml: ")))
}

// syntaxError places a YAML syntax error on its line. yaml.v3 reports the
// line where the enclosing block or bracket starts, counted from 0, which is
// often a few lines before the mistake. Every prefix of the document that
// contains the mistake fails to parse, so the mistake is on the line after
// the longest prefix that parses.
func syntaxError(name string, data []byte, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		msg = m[2]
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	parsed, size := 0, 0
	for i, line := range lines {
		size += len(line)
		var n yaml.Node
		if yaml.Unmarshal(data[:size], &n) == nil {
			parsed = i + 1
		}
	}
	if parsed >= len(lines) { // every prefix parses: keep yaml's own line
		return yamlError(name, err)
	}
	return fmt.Errorf("%s:%d: %s", name, parsed+1, msg)
}

func located(name, msg string) string {
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("%s:%s: %s", name, m[1], m[2])
	}
	return fmt.Sprintf("%s: %s", name, msg)
}

// checkKeys rejects mapping keys that t has no field for, naming file, line,
// the key's path and the keys that are allowed, and floats that are NaN or
// infinite (YAML's .nan and .inf), which no setting accepts.
func checkKeys(name string, n *yaml.Node, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" && t.Kind() != reflect.Struct && path != "" {
		return fmt.Errorf("%s:%d: %s has no value; give one, or remove the key for its default", name, n.Line, path)
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if n.Kind == yaml.ScalarNode && n.Tag != "!!int" {
			return fmt.Errorf("%s:%d: %s: %q is not a whole number", name, n.Line, orTop(path), n.Value)
		}
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
				return nil
			}
			return fmt.Errorf("%s:%d: %s must be a mapping of keys", name, n.Line, orTop(path))
		}
		fields := map[string]reflect.Type{}
		var allowed []string
		for i := 0; i < t.NumField(); i++ {
			tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
			if tag == "" || tag == "-" {
				continue
			}
			fields[tag] = t.Field(i).Type
			allowed = append(allowed, tag)
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			ft, ok := fields[k.Value]
			if !ok {
				return fmt.Errorf("%s:%d: unknown key %q in %s (allowed: %s)", name, k.Line, k.Value, orTop(path), strings.Join(allowed, ", "))
			}
			if err := checkKeys(name, n.Content[i+1], ft, join(path, k.Value)); err != nil {
				return err
			}
		}
	case reflect.Float32, reflect.Float64:
		var f float64
		if n.Kind == yaml.ScalarNode && n.Decode(&f) == nil && (math.IsNaN(f) || math.IsInf(f, 0)) {
			return fmt.Errorf("%s:%d: %s is %s; it must be a finite number", name, n.Line, orTop(path), n.Value)
		}
	case reflect.Slice:
		if n.Kind == yaml.SequenceNode {
			for i, item := range n.Content {
				if err := checkKeys(name, item, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func orTop(path string) string {
	if path == "" {
		return "the top level"
	}
	return path
}
