package luamod

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/spindledb/spindle/internal/gopherlua/luaconv"
	lua "github.com/yuin/gopher-lua"
)

// jsonToken is cjson's json_token_type_t; names are part of Tarantool's
// error messages.
type jsonToken int

const (
	tObjBegin jsonToken = iota
	tObjEnd
	tArrBegin
	tArrEnd
	tString
	tUint
	tInt
	tNumber
	tBoolean
	tNull
	tColon
	tComma
	tEnd
	tWhitespace
	tLinefeed
	tError
	tUnknown
)

var jsonTokenNames = [...]string{"T_OBJ_BEGIN", "T_OBJ_END", "T_ARR_BEGIN", "T_ARR_END", "T_STRING",
	"T_UINT", "T_INT", "T_NUMBER", "T_BOOLEAN", "T_NULL", "T_COLON", "T_COMMA", "T_END",
	"T_WHITESPACE", "T_LINEFEED", "T_ERROR", "T_UNKNOWN"}

type jsonTok struct {
	typ     jsonToken
	col     int    // 0-based column of the token (or of the error)
	str     string // T_STRING value, or T_ERROR description
	u       uint64
	i       int64
	num     float64
	boolean bool
}

// jsonParser mirrors cjson's json_parse_t. The input ends at the first
// NUL byte, as for the C parser reading a NUL-terminated string.
type jsonParser struct {
	L       *lua.LState
	cfg     *luaconv.Config
	data    string
	pos     int
	line    int
	lineAt  int
	depth   int
	seq, mp *lua.LTable
}

func (p *jsonParser) at(i int) byte {
	if i < len(p.data) {
		return p.data[i]
	}
	return 0
}

func jsonDecode(L *lua.LState, cfg *luaconv.Config, s string) (lua.LValue, error) {
	if len(s) >= 2 && (s[0] == 0 || s[1] == 0) {
		return nil, errors.New("JSON parser does not support UTF-16 or UTF-32")
	}
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	p := &jsonParser{L: L, cfg: cfg, data: s, line: 1}
	if cfg.DecodeSaveMetatables {
		p.seq, p.mp = luaconv.SeqMetatable(L), luaconv.MapMetatable(L)
	}
	tok := p.next()
	v, err := p.value(&tok)
	if err != nil {
		return nil, err
	}
	tok = p.next()
	if tok.typ != tEnd {
		return nil, p.parseError("the end", &tok)
	}
	return v, nil
}

func (p *jsonParser) parseError(expected string, t *jsonTok) error {
	found := t.str
	if t.typ != tError {
		found = jsonTokenNames[t.typ]
	}
	return fmt.Errorf("Expected %s but found %s on line %d at character %d", expected, found, p.line, t.col+1)
}

func (p *jsonParser) tokenError(t *jsonTok, what string) {
	t.typ = tError
	t.col = p.pos - p.lineAt
	t.str = what
}

func (p *jsonParser) next() jsonTok {
	var t jsonTok
	for {
		c := p.at(p.pos)
		if c == '\n' {
			p.line++
			p.lineAt = p.pos + 1
		} else if c != ' ' && c != '\t' && c != '\r' {
			break
		}
		p.pos++
	}
	t.col = p.pos - p.lineAt
	c := p.at(p.pos)
	switch c {
	case 0:
		t.typ = tEnd
		return t
	case '{':
		t.typ = tObjBegin
	case '}':
		t.typ = tObjEnd
	case '[':
		t.typ = tArrBegin
	case ']':
		t.typ = tArrEnd
	case ',':
		t.typ = tComma
	case ':':
		t.typ = tColon
	case '"':
		p.stringToken(&t)
		return t
	case 'f', 'i', 'I', 'n', 'N', 't', '+', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		p.unknownToken(&t)
		return t
	default:
		p.tokenError(&t, "invalid token")
		return t
	}
	p.pos++
	return t
}

func (p *jsonParser) unknownToken(t *jsonTok) {
	rest := p.data[p.pos:]
	if !p.invalidNumber() {
		p.numberToken(t)
		return
	}
	switch {
	case strings.HasPrefix(rest, "true"):
		t.typ, t.boolean = tBoolean, true
		p.pos += 4
		return
	case strings.HasPrefix(rest, "false"):
		t.typ, t.boolean = tBoolean, false
		p.pos += 5
		return
	case strings.HasPrefix(rest, "null"):
		t.typ = tNull
		p.pos += 4
		return
	}
	if p.cfg.DecodeInvalidNumbers {
		switch {
		case strings.HasPrefix(rest, "inf"):
			t.typ, t.num = tNumber, math.Inf(1)
			p.pos += 3
			return
		case strings.HasPrefix(rest, "-inf"):
			t.typ, t.num = tNumber, math.Inf(-1)
			p.pos += 4
			return
		case strings.HasPrefix(rest, "nan"), strings.HasPrefix(rest, "-na"):
			// cjson compares only 3 bytes of "-nan" and then skips 4.
			t.typ, t.num = tNumber, math.NaN()
			if rest[0] == '-' {
				p.pos += 4
			} else {
				p.pos += 3
			}
			if p.pos > len(p.data) {
				p.pos = len(p.data)
			}
			return
		}
	}
	p.tokenError(t, "invalid token")
}

// invalidNumber is json_is_invalid_number.
func (p *jsonParser) invalidNumber() bool {
	i := p.pos
	if p.at(i) == '+' {
		return true
	}
	if p.at(i) == '-' {
		i++
	}
	c := p.at(i)
	if c == '0' {
		c2 := p.at(i + 1)
		return c2|0x20 == 'x' || (c2 >= '0' && c2 <= '9')
	}
	return c < '0' || c > '9'
}

// numberToken is json_next_number_token: strtoll, falling back to
// strtoull at LLONG_MAX, and strtod when a fraction or exponent follows.
func (p *jsonParser) numberToken(t *jsonTok) {
	rest := p.data[p.pos:]
	end := 0
	if end < len(rest) && rest[end] == '-' {
		end++
	}
	digits := end
	for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
		end++
	}
	if end == digits {
		p.tokenError(t, "invalid number")
		return
	}
	intText := rest[:end]
	t.typ = tInt
	if i, err := strconv.ParseInt(intText, 10, 64); err == nil {
		t.i = i
	} else if intText[0] == '-' {
		t.i = math.MinInt64 // strtoll saturates
	} else {
		t.i = math.MaxInt64
	}
	if t.i == math.MaxInt64 {
		t.typ = tUint
		u, err := strconv.ParseUint(intText, 10, 64)
		if err != nil {
			u = math.MaxUint64
		}
		t.u = u
	}
	if end < len(rest) && (rest[end] == '.' || rest[end] == 'e' || rest[end] == 'E') {
		t.typ = tNumber
		n := floatPrefix(rest)
		f, err := strconv.ParseFloat(rest[:n], 64)
		if err != nil {
			// Out of range: strtod returns ±HUGE_VAL or 0.
			f = parseFloatLoose(rest[:n])
		}
		t.num = f
		end = n
	}
	p.pos += end
}

// floatPrefix is the length of the longest prefix strtod accepts as a
// decimal number: -?digits(.digits*)?([eE][+-]?digits)?
func floatPrefix(s string) int {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		k := j
		for k < len(s) && s[k] >= '0' && s[k] <= '9' {
			k++
		}
		if k > j {
			i = k
		}
	}
	return i
}

func parseFloatLoose(s string) float64 {
	f, err := strconv.ParseFloat(s, 64)
	if err == nil {
		return f
	}
	var ne *strconv.NumError
	if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
		return f // ±Inf or 0, like strtod
	}
	return 0
}

func hex4(s string) int {
	if len(s) < 4 {
		return -1
	}
	v := 0
	for i := 0; i < 4; i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | int(c-'0')
		case c|0x20 >= 'a' && c|0x20 <= 'f':
			v = v<<4 | int(c|0x20-'a'+10)
		default:
			return -1
		}
	}
	return v
}

func (p *jsonParser) stringToken(t *jsonTok) {
	p.pos++ // opening quote
	var sb strings.Builder
	for {
		c := p.at(p.pos)
		if c == '"' {
			break
		}
		if c == 0 {
			p.tokenError(t, "unexpected end of string")
			return
		}
		if c == '\\' {
			e := p.at(p.pos + 1)
			switch e {
			case '"', '\\', '/':
				c = e
			case 'b':
				c = '\b'
			case 't':
				c = '\t'
			case 'n':
				c = '\n'
			case 'f':
				c = '\f'
			case 'r':
				c = '\r'
			case 'u':
				if !p.unicodeEscape(&sb) {
					p.tokenError(t, "invalid unicode escape code")
					return
				}
				continue
			default:
				p.tokenError(t, "invalid escape code")
				return
			}
			p.pos++
		}
		sb.WriteByte(c)
		p.pos++
	}
	p.pos++
	t.typ = tString
	t.str = sb.String()
}

// unicodeEscape decodes \uXXXX (and a following low surrogate) at pos.
func (p *jsonParser) unicodeEscape(sb *strings.Builder) bool {
	cp := hex4(p.data[min(p.pos+2, len(p.data)):])
	if cp < 0 {
		return false
	}
	escLen := 6
	if cp&0xF800 == 0xD800 {
		if cp&0x400 != 0 {
			return false
		}
		if p.at(p.pos+6) != '\\' || p.at(p.pos+7) != 'u' {
			return false
		}
		low := hex4(p.data[min(p.pos+8, len(p.data)):])
		if low < 0 || low&0xFC00 != 0xDC00 {
			return false
		}
		cp = ((cp&0x3FF)<<10 | low&0x3FF) + 0x10000
		escLen = 12
	}
	// cjson's own encoder: no validation beyond the surrogate checks,
	// so lone low surrogates are written as 3-byte sequences.
	var b [4]byte
	switch {
	case cp <= 0x7F:
		sb.WriteByte(byte(cp))
	case cp <= 0x7FF:
		b[0], b[1] = byte(cp>>6)|0xC0, byte(cp&0x3F)|0x80
		sb.Write(b[:2])
	case cp <= 0xFFFF:
		b[0], b[1], b[2] = byte(cp>>12)|0xE0, byte(cp>>6&0x3F)|0x80, byte(cp&0x3F)|0x80
		sb.Write(b[:3])
	default:
		sb.Write(utf8.AppendRune(b[:0], rune(cp)))
	}
	p.pos += escLen
	return true
}

func (p *jsonParser) descend() error {
	p.depth++
	if p.depth <= p.cfg.DecodeMaxDepth {
		return nil
	}
	return fmt.Errorf("Found too many nested data structures (%d) on line %d at character %d",
		p.depth, p.line, p.pos-p.lineAt)
}

func (p *jsonParser) value(t *jsonTok) (lua.LValue, error) {
	switch t.typ {
	case tString:
		return lua.LString(t.str), nil
	case tUint:
		return lua.LNumber(float64(t.u)), nil
	case tInt:
		return lua.LNumber(float64(t.i)), nil
	case tNumber:
		if !p.cfg.DecodeInvalidNumbers && (math.IsNaN(t.num) || math.IsInf(t.num, 0)) {
			return nil, errors.New("number must not be NaN or Inf")
		}
		return lua.LNumber(t.num), nil
	case tBoolean:
		return lua.LBool(t.boolean), nil
	case tNull:
		return luaconv.NULL(p.L), nil
	case tObjBegin:
		return p.object()
	case tArrBegin:
		return p.array()
	}
	return nil, p.parseError("value", t)
}

func (p *jsonParser) object() (lua.LValue, error) {
	if err := p.descend(); err != nil {
		return nil, err
	}
	tbl := p.L.NewTable()
	if p.mp != nil {
		tbl.Metatable = p.mp
	}
	t := p.next()
	if t.typ == tObjEnd {
		p.depth--
		return tbl, nil
	}
	for {
		if t.typ != tString {
			return nil, p.parseError("object key string", &t)
		}
		key := t.str
		t = p.next()
		if t.typ != tColon {
			return nil, p.parseError("colon", &t)
		}
		t = p.next()
		v, err := p.value(&t)
		if err != nil {
			return nil, err
		}
		tbl.RawSetString(key, v)
		t = p.next()
		if t.typ == tObjEnd {
			p.depth--
			return tbl, nil
		}
		if t.typ != tComma {
			return nil, p.parseError("comma or object end", &t)
		}
		t = p.next()
	}
}

func (p *jsonParser) array() (lua.LValue, error) {
	if err := p.descend(); err != nil {
		return nil, err
	}
	tbl := p.L.NewTable()
	if p.seq != nil {
		tbl.Metatable = p.seq
	}
	t := p.next()
	if t.typ == tArrEnd {
		p.depth--
		return tbl, nil
	}
	for i := 1; ; i++ {
		v, err := p.value(&t)
		if err != nil {
			return nil, err
		}
		tbl.RawSetInt(i, v)
		t = p.next()
		if t.typ == tArrEnd {
			p.depth--
			return tbl, nil
		}
		if t.typ != tComma {
			return nil, p.parseError("comma or array end", &t)
		}
		t = p.next()
	}
}
