package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// phoneConfig is the phone's config file: a flat TOML file (key = value,
// # comments) in the user's config directory. Flags override it. The keys
// are the long flag names; assets/dialtone.example.toml documents them.
type phoneConfig struct {
	Server  string
	Number  string
	Data    string
	Camera  string
	Mic     string
	Speaker string
	Region  string
	FPS     int
	Video   string
}

// maxConfigSize bounds the file: it is small by nature.
const maxConfigSize = 64 << 10

// defaultConfigPath is os.UserConfigDir()/dialtone/config.toml.
func defaultConfigPath() string {
	d, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "dialtone", "config.toml")
}

// loadPhoneConfig reads path; a missing file is an empty config.
func loadPhoneConfig(path string) (phoneConfig, error) {
	var c phoneConfig
	if path == "" {
		return c, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("reading the config file: %w", err)
	}
	if len(data) > maxConfigSize {
		return c, fmt.Errorf("config file %s is larger than %d bytes", path, maxConfigSize)
	}
	if err := c.parse(data); err != nil {
		return c, fmt.Errorf("config file %s: %w", path, err)
	}
	return c, nil
}

// parse reads the flat TOML subset: bare keys, "quoted" strings (with the
// usual backslash escapes) and integers. Tables and arrays are refused
// rather than misread.
func (c *phoneConfig) parse(data []byte) error {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return fmt.Errorf("line %d: want key = value", n)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		val, err := tomlValue(v)
		if err != nil {
			return fmt.Errorf("line %d: %s: %w", n, k, err)
		}
		if err := c.set(k, val); err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
	}
	return sc.Err()
}

func tomlValue(v string) (string, error) {
	if strings.HasPrefix(v, `"`) {
		end := closingQuote(v)
		if end < 0 {
			return "", errors.New("unterminated string")
		}
		rest := strings.TrimSpace(v[end+1:])
		if rest != "" && rest[0] != '#' {
			return "", fmt.Errorf("unexpected %q after the string", rest)
		}
		return strconv.Unquote(v[:end+1])
	}
	if i := strings.IndexByte(v, '#'); i >= 0 {
		v = strings.TrimSpace(v[:i])
	}
	if _, err := strconv.Atoi(v); err != nil {
		return "", fmt.Errorf("%q is neither a quoted string nor an integer", v)
	}
	return v, nil
}

func closingQuote(v string) int {
	for i := 1; i < len(v); i++ {
		switch v[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}

func (c *phoneConfig) set(k, v string) error {
	switch k {
	case "server":
		c.Server = v
	case "number":
		c.Number = v
	case "data":
		c.Data = v
	case "camera":
		c.Camera = v
	case "mic":
		c.Mic = v
	case "speaker":
		c.Speaker = v
	case "region":
		c.Region = v
	case "fps":
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 120 {
			return fmt.Errorf("fps %q: want 1 to 120", v)
		}
		c.FPS = n
	case "video":
		if _, _, err := videoMode(v); err != nil {
			return err
		}
		c.Video = v
	default:
		return fmt.Errorf("unknown key %q", k)
	}
	return nil
}

// saveNumber writes number = "…" into the config file at path, replacing
// the line that sets it or adding one, and keeping everything else (the
// user's comments included).
func saveNumber(path, number string) error {
	if path == "" {
		return errors.New("no config directory to remember the number in")
	}
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("reading the config file: %w", err)
	}
	line := "number = " + strconv.Quote(number)
	var out []string
	done := false
	for l := range strings.Lines(string(data)) {
		l = strings.TrimRight(l, "\n")
		if k, _, ok := strings.Cut(strings.TrimSpace(l), "="); ok && strings.TrimSpace(k) == "number" && !done {
			l, done = line, true
		}
		out = append(out, l)
	}
	if len(data) == 0 {
		// The user has the binary, not necessarily the sources' example.
		out = append(out, "# dialtone phone settings: each key is a flag of dialtone without its --", "# (dialtone --help lists them); a flag given on the command line wins.")
	}
	if !done {
		out = append(out, line)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("remembering the number: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(strings.Join(out, "\n")+"\n"), 0o600); err != nil {
		return fmt.Errorf("remembering the number: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("remembering the number: %w", err)
	}
	return nil
}
