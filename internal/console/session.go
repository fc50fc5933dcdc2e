package console

import (
	"strings"
)

// Language is the console session language (\set language).
type Language string

// Session languages.
const (
	LanguageLua Language = "lua"
	LanguageSQL Language = "sql"
)

// helpText is console.lua's help() text, printed by "\help" and "\".
const helpText = "To get help, see the Tarantool manual at https://tarantool.io/en/doc/\n" +
	"To start the interactive Tarantool tutorial, type 'tutorial()' here.\n" +
	"\n" +
	"Available backslash commands:\n" +
	"\n" +
	"  \\set language <language>   -- set language (lua or sql)\n" +
	"  \\set output <format>       -- set output format (lua[,line|block] or yaml)\n" +
	"  \\set delimiter <delimiter> -- set expression delimiter\n" +
	"  \\help                      -- show this screen\n" +
	"  \\quit                      -- quit interactive console\n"

// Session is the state of one console (the local REPL or one
// console.listen client): language, delimiter and whether it still runs.
// It interprets backslash commands itself and hands everything else to
// its Evaluator. A Session is used by one goroutine at a time.
type Session struct {
	eval      Evaluator
	language  Language
	delimiter string
	stopped   bool
}

// NewSession returns a Lua session with no delimiter.
func NewSession(ev Evaluator) *Session {
	return &Session{eval: ev, language: LanguageLua}
}

// Delimiter is the current request delimiter ("" means one Lua statement
// or one line).
func (s *Session) Delimiter() string { return s.delimiter }

// SetDelimiter changes the request delimiter (console.delimiter()).
func (s *Session) SetDelimiter(d string) { s.delimiter = d }

// Language is the current session language.
func (s *Session) Language() Language { return s.language }

// Stopped reports that "\quit" was entered.
func (s *Session) Stopped() bool { return s.stopped }

// Eval handles one complete request (local_eval) and returns the text to
// print. A "\quit" request stops the session and returns "", ok false.
func (s *Session) Eval(request string) (output string, ok bool) {
	if strings.HasPrefix(request, "\\") {
		return s.command(request[1:])
	}
	if s.language == LanguageSQL {
		if sq, ok := s.eval.(SQLEvaluator); ok {
			return sq.EvalSQL(request), true
		}
		return formatGoError("attempt to call field 'execute' (a nil value)"), true
	}
	return s.eval.Eval(request), true
}

// command is console.lua's preprocess: the words of the line after the
// backslash select an operator.
func (s *Session) command(line string) (string, bool) {
	words := strings.Fields(line)
	if len(words) == 0 {
		return formatGo([]any{[]any{helpText}}), true
	}
	switch words[0] {
	case "help", "h":
		return formatGo([]any{[]any{helpText}}), true
	case "quit", "q":
		s.stopped = true
		return "", false
	case "set", "s":
		return s.set(words[1:]), true
	}
	return formatGoError("Invalid command \\" + line + ". Type \\help for help."), true
}

// set is console.lua's set_param: the value is the third word only.
func (s *Session) set(args []string) string {
	if len(args) == 0 {
		return formatGoError("Invalid set syntax, type \\help for help")
	}
	param, value, hasValue := args[0], "", len(args) > 1
	if hasValue {
		value = args[1]
	}
	switch param {
	case "language", "lang", "l":
		if !hasValue {
			return formatGo([]any{map[string]any{"language": string(s.language)}})
		}
		if value != string(LanguageLua) && value != string(LanguageSQL) {
			return formatGoError(`Invalid language "` + value + `", supported languages: lua and sql.`)
		}
		s.language = Language(value)
		return formatGo([]any{true})
	case "delimiter", "delim", "d":
		s.delimiter = value
		return EmptyOutput
	case "output", "o":
		return s.setOutput(value, hasValue)
	}
	return formatGoError("Unknown parameter: " + param)
}

// setOutput validates the format like console.lua's parse_output. Only
// YAML output exists in Spindle; the Lua output format is refused.
func (s *Session) setOutput(value string, hasValue bool) string {
	if !hasValue {
		return formatGoError("Specify output format: lua or yaml.")
	}
	fmtName, opts, hasOpts := strings.Cut(value, ",")
	switch fmtName {
	case "yaml":
		return formatGo([]any{true})
	case "lua":
		if hasOpts && opts != "line" && opts != "block" {
			return formatGoError(`Wrong option "` + opts + `", expecting: line or block.`)
		}
		return formatGoError(`Output format "lua" is not supported by this console, use yaml.`)
	}
	return formatGoError(`Invalid format "` + value + `", supported languages: lua and yaml.`)
}
