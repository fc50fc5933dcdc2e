package luamod

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// yamlStub is a stand-in for require('yaml') in tap's failure reports: a
// block-style encoder with sorted keys and quoted strings. Real YAML
// output orders map keys as the table iterates them, which this build's
// randomized string hashing makes differ from Tarantool's, so failure
// reports are compared as parsed documents.
const yamlStub = `
package.preload.yaml = function()
    local function scalar(v)
        if type(v) == 'string' then return string.format('%q', v):gsub('\\\n', '\\n') end
        if type(v) == 'number' or type(v) == 'boolean' then return tostring(v) end
        return string.format('%q', tostring(v))
    end
    local function emit(out, v, ind)
        local keys = {}
        for k in pairs(v) do keys[#keys + 1] = k end
        table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
        local seq = #keys > 0 and #v == #keys
        for _, k in ipairs(keys) do
            local x = v[k]
            local head = seq and ind .. '- ' or ind .. tostring(k) .. ':'
            if type(x) == 'table' and next(x) ~= nil then
                out[#out + 1] = head
                emit(out, x, ind .. '  ')
            elseif seq then
                out[#out + 1] = head .. scalar(x)
            else
                out[#out + 1] = head .. ' ' .. scalar(x)
            end
        end
    end
    local function new()
        return {
            cfg = function() end,
            encode = function(v)
                local out = {'---'}
                emit(out, v, '')
                out[#out + 1] = '...'
                return table.concat(out, '\n') .. '\n'
            end,
            new = new,
        }
    end
    return new()
end
`

// tapFailures is a script whose assertions fail with details.
const tapFailures = `
local tap = require('tap')
local ffi = require('ffi')
local test = tap.test('top')
test:plan(9)
test:is(1, 2, 'is fails')
test:ok(false, 'ok fails')
test:isnt('a', 'a', 'isnt fails')
test:like('abc', '^x', 'like fails')
test:isnumber('1', 'isnumber fails')
test:iscdata(1, 'int', 'iscdata fails')
test:iscdata(ffi.new('int', 1), 'double', 'iscdata type fails')
test:test('sub', function(t)
    t:plan(3)
    t:is_deeply({1, {2}}, {1, {3}}, 'deep')
    t:is_deeply({a = 1}, {a = 1, b = 2}, 'missing key')
    t.strict = true
    t:is_deeply({a = 1}, {a = '1'}, 'strict types')
end)
local function helper(t)
    t:plan(2)
    t:ok(true, 'one')
end
test:test('short', helper)
test:check()
`

// splitTAP separates TAP output into its plain lines and the YAML
// documents of failure details (with their indentation checked and
// removed), each parsed.
func splitTAP(t *testing.T, out string) (lines []string, docs []any) {
	t.Helper()
	all := strings.Split(out, "\n")
	for i := 0; i < len(all); i++ {
		l := all[i]
		if strings.TrimSpace(l) != "---" {
			lines = append(lines, l)
			continue
		}
		ind := l[:strings.Index(l, "---")]
		lines = append(lines, l)
		var doc []string
		for i++; i < len(all) && strings.TrimSpace(all[i]) != "..."; i++ {
			if !strings.HasPrefix(all[i], ind) {
				t.Fatalf("line %q not indented by %q", all[i], ind)
			}
			doc = append(doc, strings.TrimPrefix(all[i], ind))
		}
		lines = append(lines, all[i])
		var v any
		if err := yaml.Unmarshal([]byte(strings.Join(doc, "\n")), &v); err != nil {
			t.Fatalf("yaml %q: %v", doc, err)
		}
		docs = append(docs, normalizeYAML(v))
	}
	return lines, docs
}

// normalizeYAML makes empty scalars (printed bare by Tarantool's
// encoder) and empty strings alike, and integers float64.
func normalizeYAML(v any) any {
	switch x := v.(type) {
	case nil:
		return ""
	case int:
		return float64(x)
	case map[string]any:
		for k, e := range x {
			x[k] = normalizeYAML(e)
		}
	case []any:
		for i, e := range x {
			x[i] = normalizeYAML(e)
		}
	}
	return v
}

// TestTapFailureReports compares tap's failure output with Tarantool's:
// the TAP lines exactly, the YAML details as documents (traces with their
// frames, got/expected, paths, plans).
func TestTapFailureReports(t *testing.T) {
	bin, err := exec.LookPath("tarantool")
	if err != nil {
		t.Skip("tarantool binary not found in PATH")
	}
	dir := t.TempDir()
	script := filepath.Join(dir, "tapfail.lua")
	if err := os.WriteFile(script, []byte(tapFailures), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, script)
	cmd.Dir = dir
	want, err := cmd.Output()
	if err != nil {
		t.Fatalf("tarantool: %v", err)
	}

	var out bytes.Buffer
	L := newState(t, Options{}, &out)
	if err := L.DoString(yamlStub, "=stub"); err != nil {
		t.Fatal(err)
	}
	if err := L.DoString(tapFailures, "@"+script); err != nil {
		t.Fatal(err)
	}
	wl, wd := splitTAP(t, string(want))
	gl, gd := splitTAP(t, out.String())
	if !reflect.DeepEqual(wl, gl) {
		t.Errorf("TAP lines differ:\n tarantool: %q\n spindle:   %q", wl, gl)
	}
	if len(wd) != len(gd) {
		t.Fatalf("%d failure reports, tarantool has %d", len(gd), len(wd))
	}
	for i := range wd {
		if !reflect.DeepEqual(wd[i], gd[i]) {
			t.Errorf("report %d:\n tarantool: %v\n spindle:   %v", i, wd[i], gd[i])
		}
	}
}
