-- require('csv') (2.6 builtin/csv.lua and src/lib/csv): CSV reading and
-- writing.
--
--   csv.iterate(readable[, opts])  for i, fields in csv.iterate(...) do
--   csv.load(readable[, opts])     {fields, fields, ...}
--   csv.dump(t[, opts, writable])  the CSV text of a row or of rows, or
--                                  written to writable:write()
--
-- readable is a string or an object with read(n) returning the next
-- chunk of at most n bytes ('' at the end). opts: delimiter (','),
-- quote_char ('"'), chunk_size (4096), skip_head_lines (0); the defaults
-- are stored into the opts table given, as Tarantool does.
--
-- The parser is Tarantool's state machine, byte by byte, with its
-- quirks kept: spaces before a field are skipped and spaces after it
-- (outside quotes) dropped, a doubled quote char stands for itself both
-- inside and right after an opening quote, text after a closing quote is
-- appended to the field, \r\n and \n\r end a line once, an unterminated
-- quoted field makes the input invalid (logged, and iteration ends).

-- Parser states (csv_parser_state).
local LEADING_SPACES = 0
local OUT_OF_QUOTES = 1
local IN_QUOTES = 2
local QUOTE_OPENING = 3
local QUOTE_CLOSING = 4
local NEWFIELD = 6
local END_OF_LAST_LINE = 7

-- What next_item reports (csv_iteraion_state).
local IT_OK = 0
local IT_EOL = 1
local IT_NEEDMORE = 2
local IT_EOF = 3
local IT_ERROR = 4

local byte, char, concat = string.byte, string.char, table.concat

local SPACE, LF, CR = 32, 10, 13

-- new_parser returns the state of one parse: the field being collected
-- in buf (n bytes of it; n == nil when no field is open, as after the end
-- of a line), the trailing spaces counted to drop them, the previous byte
-- for pairing \r\n, and the chunk being read (data from pos; data == nil
-- when more input is needed).
local function new_parser(delimiter, quote)
    return {
        delimiter = delimiter,
        quote = quote,
        state = LEADING_SPACES,
        buf = {},
        n = nil,
        spaces = 0,
        prev = 0,
        invalid = false,
        data = nil,
        pos = 1,
    }
end

local function feed(p, data)
    p.data = data
    p.pos = 1
end

local function push(p, c)
    local n = p.n + 1
    p.buf[n] = char(c)
    p.n = n
end

-- field returns the collected bytes, the trailing spaces dropped.
local function field(p)
    local n = p.n - p.spaces
    if n < 0 then
        n = 0
    end
    p.n = n
    return concat(p.buf, '', 1, n)
end

-- The generic-for function of iterate, defined below the module
-- functions.
local iter

local usage_load = 'Usage: load(string or object with method read(num)' ..
                   'returns string)'

local csv = {}

-- The argument checks raise from the lines Tarantool's do (103, 127 and
-- 174 of builtin/csv.lua), so that their messages are the same: keep the
-- three error calls on those lines when editing.
--
-- iterate returns the generic-for triple: iter, the iteration state
-- {reader or nil, chunk size, parser}, and the line count to start from.
-- A string is parsed as one chunk; a reader is read chunk by chunk as the
-- parser needs more.

csv.iterate = function(readable, opts)
    opts = opts or {}
    if type(readable) ~= 'string' and type(readable.read) ~= 'function' then
        error(usage_load)
    end
    if not opts.chunk_size then
        opts.chunk_size = 4096
    end
    if not opts.delimiter then
        opts.delimiter = ','
    end
    if not opts.quote_char then
        opts.quote_char = '"'
    end
    if not opts.skip_head_lines then
        opts.skip_head_lines = 0
    end
    local str
    if type(readable) == 'string' then
        str = readable
        readable = nil
    else
        str = readable:read(opts.chunk_size)
    end
    -- A reader whose first read gives nothing (nil or false) is not
    -- one.
    if not str then
        error(usage_load)
    end
    -- The parser takes the first byte of the delimiter and quote char;
    -- lines are counted from minus the header lines to skip.
    local p = new_parser(string.byte(opts.delimiter),
                         string.byte(opts.quote_char))
    feed(p, str)
    return iter, {readable, opts.chunk_size, p}, -opts.skip_head_lines
end

csv.load = function(readable, opts)
    opts = opts or {}
    local result = {}
    for i, fields in csv.iterate(readable, opts) do
        result[i] = fields
    end
    return result
end

-- escape quotes a field that holds the delimiter or a line break, and
-- doubles the quote chars in it. Like Tarantool's, it stops at a zero
-- byte.
local function escape(s, delim, quote)
    local quoted = s:find(char(delim), 1, true) or s:find('[\n\r]')
    local nul = s:find('\0', 1, true)
    if nul then
        s = s:sub(1, nul - 1)
    end
    local q = char(quote)
    s = s:gsub(q:gsub('%W', '%%%0'), q .. q)
    if quoted then
        return q .. s .. q
    end
    return s
end

csv.dump = function(t, opts, writable)
    opts = opts or {}
    writable = writable or nil
    if not opts.delimiter then
        opts.delimiter = ','
    end
    if not opts.quote_char then
        opts.quote_char = '"'
    end
    if (type(writable) ~= 'nil' and type(writable.write) ~= 'function') or
       type(t) ~= 'table' then
        error('Usage: dump(table[, opts, writable])')
    end
    local delim = string.byte(opts.delimiter)
    local quote = string.byte(opts.quote_char)
    -- A table of rows, or one row.
    if type(t[1]) ~= 'table' then
        t = {t}
    end
    local lines = writable == nil and {} or nil
    for _, row in pairs(t) do
        local out = {}
        for _, v in pairs(row) do
            if #out > 0 then
                out[#out + 1] = opts.delimiter
            end
            out[#out + 1] = escape(tostring(v), delim, quote)
        end
        out[#out + 1] = '\n'
        if lines then
            lines[#lines + 1] = concat(out)
        else
            writable:write(concat(out))
        end
    end
    if lines then
        return concat(lines)
    end
end

-- scan runs the state machine over the chunk from pos to the end of the
-- first field. It returns the position to go on from: that of the byte
-- that ended the field (which the next scan consumes), past the line end
-- after an empty remainder of a line, nil when a line ended the chunk, or
-- one past the chunk when it ran out inside a field.
local function scan(p)
    local data, delim, quote = p.data, p.delimiter, p.quote
    local len = #data
    for i = p.pos, len do
        local c = byte(data, i)
        local eol = c == LF or c == CR
        local state = p.state
        if eol and state ~= IN_QUOTES and c ~= p.prev and
           (p.prev == LF or p.prev == CR) then
            -- The second byte of \r\n or \n\r.
            p.prev = 0
        else
            p.prev = c
            local handled = false
            if state == LEADING_SPACES then
                p.n = 0
                if c == SPACE then
                    handled = true
                else
                    state = OUT_OF_QUOTES
                end
            elseif state == QUOTE_OPENING then
                if c == quote and p.n ~= nil then
                    push(p, quote)
                    state = OUT_OF_QUOTES
                    handled = true
                else
                    state = IN_QUOTES
                end
            elseif state == QUOTE_CLOSING then
                if c == quote then
                    push(p, quote)
                    state = IN_QUOTES
                    handled = true
                else
                    state = OUT_OF_QUOTES
                end
            end
            if not handled then
                if state == OUT_OF_QUOTES then
                    if eol or c == delim then
                        p.n = math.max(p.n - p.spaces, 0)
                        p.spaces = 0
                        p.state = NEWFIELD
                        return i
                    elseif c == quote then
                        state = QUOTE_OPENING
                    else
                        push(p, c)
                    end
                    if c == SPACE then
                        p.spaces = p.spaces + 1
                    else
                        p.spaces = 0
                    end
                elseif state == IN_QUOTES then
                    if c == quote then
                        state = QUOTE_CLOSING
                    else
                        push(p, c)
                    end
                elseif state == NEWFIELD then
                    p.n = 0
                    state = LEADING_SPACES
                    if eol then
                        p.state = state
                        p.n = nil
                        if i == len then
                            return nil
                        end
                        return i + 1
                    end
                end
            end
            p.state = state
        end
    end
    return len + 1
end

-- next_item advances the parse by one field or line end (csv_next); a
-- field's text is returned with IT_OK.
local function next_item(p)
    local data = p.data
    if data == nil then
        return IT_NEEDMORE
    end
    if p.pos > #data then
        -- Input is over: finish the last field and line.
        if p.n == nil then
            return IT_EOF
        end
        if not p.invalid and p.state == IN_QUOTES then
            p.invalid = true
            p.n = nil
            return IT_ERROR
        end
        if p.state ~= END_OF_LAST_LINE then
            p.state = END_OF_LAST_LINE
            local text = field(p)
            p.n = 0
            return IT_OK, text
        end
        p.n = nil
        return IT_EOL
    end
    local pos = scan(p)
    if pos == nil then
        p.data = nil
    else
        p.pos = pos
        if pos > #data then
            return IT_NEEDMORE
        end
    end
    if p.n == nil then
        return IT_EOL
    end
    return IT_OK, concat(p.buf, '', 1, p.n)
end

-- iter is the generic-for function of iterate: i counts lines, starting
-- at minus the number of header lines to skip.
iter = function(state, i)
    local readable, chunk_size, p = state[1], state[2], state[3]
    local fields = {}
    local st, text = next_item(p)
    while st ~= IT_EOF do
        if st == IT_NEEDMORE then
            if readable then
                local chunk = readable:read(chunk_size)
                -- string.len raises for a reader returning nil.
                string.len(chunk)
                feed(p, chunk)
            else
                feed(p, '')
            end
        elseif st == IT_EOL then
            i = i + 1
            if i > 0 then
                return i, fields
            end
        elseif st == IT_OK then
            if i >= 0 then
                fields[#fields + 1] = text
            end
        elseif st == IT_ERROR then
            require('log').warn('CSV file has errors')
            break
        end
        st, text = next_item(p)
    end
end

return csv
