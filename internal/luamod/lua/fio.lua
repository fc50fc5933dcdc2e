-- fio: Tarantool 2.6's file I/O module, the part 2.6 writes in Lua
-- (builtin/fio.lua) over the Go helpers of fio.go.
--
-- Line numbers are part of the interface: scripts see errors raised here
-- as "builtin/fio.lua:189: ...", with 2.6's line numbers. Each statement
-- that raises, on purpose or through LuaJIT's checks of a bad argument,
-- sits on the line of its counterpart in 2.6, marked --@N (fio_test.go
-- checks the marks); comments and blank lines fill the gaps. Keep the
-- marked lines in place when editing.
local _, internal = ...
local ffi = require('ffi')
local bit = require('bit')

local fio = {c = internal.c}
local char_ptr = ffi.typeof('const char *')

-- Tarantool reads into a buffer.ibuf reserved for size bytes, whose
-- pointer arithmetic rejects a size that is neither a number nor cdata.
local function check_size(size)
    local t = type(size)
    if t ~= 'number' and t ~= 'cdata' then
        error(string.format("builtin/buffer.lua:124: attempt to perform " ..
            "arithmetic on 'char *' and '%s'", t), 0)
    end
end

-- The functions 2.6 writes in C are the Go helpers themselves.
for _, name in ipairs({'lstat', 'stat', 'mkdir', 'rmdir', 'glob', 'link',
        'symlink', 'readlink', 'unlink', 'rename', 'chown', 'chmod',
        'truncate', 'tempdir', 'cwd', 'sync'}) do fio[name] = internal[name] end

-- Handle methods. self is the struct fio_handle cdata of fio.open, or any
-- table with an fh field (2.6 takes those too).
local methods = {}

-- read([size]) returns a string; read(buf, size) reads into a char
-- pointer and returns the count. Without a size the whole file's size
-- (not what is left of it) is asked for.
methods.read = function(self, buf, size)
    local into = ffi.istype(char_ptr, buf)
    if (into and size == nil) or (not into and buf == nil) then
        local st, err = self:stat()                                     --@42
        if st == nil then
            return nil, err
        end
        size = st.size
    end
    if not into then
        size = buf or size
        buf = nil
        check_size(size)
    end
    return internal.read(self.fh, buf, size)                            --@53
end

-- The methods pass self.fh and their arguments on to the Go helpers,
-- which read them as 2.6's C functions do: a descriptor is
-- lua_tointeger and a size, length or offset lua_tonumber, so numbers
-- and numeric strings count and anything else, cdata included, is 0.
-- A buffer is a char pointer cdata (ffi.istype 'const char *'), read or
-- written at its address for the given size, unchecked as in 2.6.
--
-- Where 2.6's results are undefined, Spindle's are errors: a negative
-- size or length fails with EINVAL (2.6 reads past its buffer or
-- hangs). A negative offset to pread or pwrite means the current file
-- offset, as libeio then calls read or write.

-- write(data) writes tostring(data); write(buf, len) len bytes at a char
-- pointer. Both return true, or false and the error.
methods.write = function(self, data, len)
    if not ffi.istype(char_ptr, data) then
        data = tostring(data)
        len = #data
    end
    return internal.write(self.fh, data, len)                           --@75
end

-- All of data is written: the helper repeats the system call until it
-- has taken everything or failed.




-- pwrite(data, offset) and pwrite(buf, len, offset) write at offset.
methods.pwrite = function(self, data, len, offset)
    if not ffi.istype(char_ptr, data) then
        data = tostring(data)
        len, offset = #data, len
    end
    return internal.pwrite(self.fh, data, len, offset)                  --@90
end

-- read and pread return what one system call gave, which may be less
-- than asked for; a read into a new string allocates no more than a
-- regular file has left past the offset, nor more than one read(2) can
-- return, however large the size.




-- pread(size, offset) returns a string; pread(buf, size, offset) reads
-- into a char pointer and returns the count.
methods.pread = function(self, buf, size, offset)
    if not ffi.istype(char_ptr, buf) then
        buf, size, offset = nil, buf, size
        check_size(size)
    end
    return internal.pread(self.fh, buf, size, offset)                   --@108
end

-- truncate([length]) cuts or extends the file to length (0 by default);
-- true, or false and the error. fsync, fdatasync and close are the
-- system calls, with the same results; close marks the handle closed
-- (fh = -1), and later calls fail with EBADF. stat returns the stat
-- object of the open file.










methods.truncate = function(self, length)
    return internal.ftruncate(self.fh, length or 0)                     --@127
end

-- seek(offset[, whence]) returns the new offset, or -1 on failure.
-- whence is a fio.c.seek name or number, SEEK_SET by default.
methods.seek = function(self, offset, whence)
    whence = whence or 'SEEK_SET'
    if type(whence) == 'string' then
        if fio.c.seek[whence] == nil then
            error(string.format("fio.seek(): unknown whence: %s", whence)) --@136
        end
        whence = fio.c.seek[whence]
    else
        whence = tonumber(whence)
    end

    return internal.lseek(self.fh, tonumber(offset), whence)            --@143
end


methods.close = function(self)
    local ok, err = internal.close(self.fh)                             --@148
    if not ok then
        return false, err
    end
    self.fh = -1                                                        --@152
    return true
end

methods.fsync = function(self)
    return internal.fsync(self.fh)                                      --@157
end

methods.fdatasync = function(self)
    return internal.fdatasync(self.fh)                                  --@161
end

methods.stat = function(self)
    return internal.fstat(self.fh)                                      --@165
end

methods.__serialize = function(self)
    return {fh = self.fh}                                               --@169
end

-- fio.open returns a struct fio_handle cdata:
--   type(fh) == 'cdata', tostring(fh) == 'cdata<struct fio_handle>: 0x...',
--   fh.fh is the descriptor, fh.x of an unknown x raises
--   "'struct fio_handle' has no member named 'x'", and json or yaml
--   serialize it as {fh = descriptor} through __serialize.







-- open(path[, flags[, mode]]): flags and mode are a fio.c name or number,
-- or a table of them. Without a mode 2.6 passes the umask itself (a file
-- it creates gets mode umask & ~umask, so no permission bits).
fio.open = function(path, flags, mode)
    if type(path) ~= 'string' then
        error("Usage: fio.open(path[, flags[, mode]])")                 --@189
    end
    -- Flags and mode are OR'ed with bit.bor, which reduces numbers to
    -- 32 bits and raises on a mode that tonumber rejects.

    if type(flags) ~= 'table' then
        flags = {flags}
    end
    if type(mode) ~= 'table' then
        mode = {mode or bit.band(fio.umask(), 0x1FF)}
    end
    local iflag, imode = 0, 0
    for _, flag in pairs(flags) do
        if type(flag) ~= 'number' then
            if fio.c.flag[flag] == nil then
                error(string.format("fio.open(): unknown flag: %s", flag)) --@204
            end
            flag = fio.c.flag[flag]
        end
        iflag = bit.bor(iflag, flag)
    end
    for _, m in pairs(mode) do
        if type(m) == 'string' then
            if fio.c.mode[m] == nil then
                error(string.format("fio.open(): unknown mode: %s", m)) --@213
            end
            m = fio.c.mode[m]
        end
        imode = bit.bor(imode, tonumber(m))                             --@217
    end
    local fd, err = internal.open(path, iflag, imode)
    if fd == nil then
        return nil, err
    end
    local ok, fh = pcall(ffi.new, 'struct fio_handle', fd)
    if not ok then
        internal.close(fd)
        error(fh)
    end
    return fh
end

-- pathjoin(...) joins the parts (tostring'ed, empty ones skipped) with
-- '/', squeezes runs of slashes and drops a trailing one; '.' when
-- nothing is left. A nil part is an error.
fio.pathjoin = function(...)
    local count = select('#', ...)
    local path
    local i = 1
    while path == nil and i <= count do
        local part = select(i, ...)
        if part == nil then
            error("fio.pathjoin(): undefined path part " .. i)          --@241
        end
        part = tostring(part)
        if part ~= '' then
            path = part
        end
        i = i + 1
    end
    if path == nil then
        return '.'
    end
    -- The rest of the parts; a nil among them raises from this loop's
    -- line.




    while i <= count do
        local part = select(i, ...)
        if part == nil then
            error("fio.pathjoin(): undefined path part " .. i)          --@261
        end
        part = tostring(part)
        if part ~= '' then
            path = path .. '/' .. part
        end
        i = i + 1
    end
    path = path:gsub('/+', '/')
    if path ~= '/' then
        path = path:gsub('/$', '')
    end
    return path
end


-- basename(path[, suffix]) is what follows the last '/'. The suffix is
-- removed as 2.6 does: each of its characters becomes a one-character
-- class and every match of the sequence, anywhere, is removed.
fio.basename = function(path, suffix)
    if type(path) ~= 'string' then
        error("Usage: fio.basename(path[, suffix])")                    --@282
    end
    -- tostring(suffix) is what is removed; an empty suffix removes
    -- nothing, and one whose characters make a bad pattern raises.

    path = path:gsub('.*/', '')
    if suffix ~= nil then
        suffix = tostring(suffix)
        if #suffix > 0 then
            local pattern = suffix:gsub('.', '[%0]')
            path = path:gsub(pattern, '')                               --@292
        end
    end
    return path
end

-- dirname(path) is dirname(3).
fio.dirname = function(path)
    if type(path) ~= 'string' then
        error("Usage: fio.dirname(path)")                               --@301
    end
    return internal.dirname(path)
end

-- The functions below take a path as a string; type(path) ~= 'string'
-- raises their usage message (abspath alone lets numbers through).







-- umask([mask]) sets the mask and returns the old one; without an
-- argument it only returns it.
fio.umask = function(mask)
    if mask == nil then
        return internal.umask()
    end
    return internal.umask(tonumber(mask))
end

-- abspath(path) makes path absolute against the current directory and
-- resolves '.' and '..' lexically. Numbers pass (string.sub converts
-- them), other non-strings fail in string.sub.
fio.abspath = function(path)
    if path == nil then
        error("Usage: fio.abspath(path)")                               --@329
    end
    -- The first character decides.

    local joined = path
    if string.sub(path, 1, 1) ~= '/' then                               --@334
        joined = fio.pathjoin(fio.cwd(), path)
    end
    local parts = {}
    for part in string.gmatch(joined, '[^/]+') do
        if part == '..' then
            parts[#parts] = nil
        elseif part ~= '.' then
            parts[#parts + 1] = part
        end
    end
    return '/' .. table.concat(parts, '/')
end


fio.chdir = function(path)
    if type(path) ~= 'string' then
        error("Usage: fio.chdir(path)")                                 --@351
    end
    return internal.chdir(path)
end

fio.listdir = function(path)
    if type(path) ~= 'string' then
        error("Usage: fio.listdir(path)")                               --@358
    end
    local names, err = internal.listdir(path)
    if names == nil then
        return nil, string.format("can't listdir %s: %s", path, tostring(err))
    end
    return names
end

-- listdir returns the names in readdir order, without '.' and '..', or
-- nil and the message "can't listdir <path>: <error>". As in 2.6 a name
-- that holds a newline comes out as two.




-- mktree(path[, mode]) makes every missing directory of path.
fio.mktree = function(path, mode)
    if type(path) ~= 'string' then
        error("Usage: fio.mktree(path[, mode])")                        --@377
    end
    local current = '/'
    for dir in string.gmatch(fio.abspath(path), '[^/]+') do
        current = fio.pathjoin(current, dir)
        local st = fio.stat(current)
        if st == nil then
            local _, err = fio.mkdir(current, mode)
            -- Someone else may have made it since the stat.
            if err ~= nil and not fio.path.is_dir(current) then
                return false, string.format("Error creating directory %s: %s",
                    current, tostring(err))
            end
        elseif not st:is_dir() then
            return false, string.format("Error creating directory %s: %s",
                current, internal.strerror(internal.EEXIST))
        end
    end
    return true
end

-- The stat and mkdir of mktree, and the lstat, unlink and rmdir of
-- rmtree, go through the fio table, so a replaced fio.stat (say) is
-- what they call, as in 2.6.




-- rmtree(path) removes path and everything under it.
fio.rmtree = function(path)
    if type(path) ~= 'string' then
        error("Usage: fio.rmtree(path)")                                --@408
    end
    path = fio.abspath(path)
    local names, err = fio.listdir(path)
    if names == nil then
        return nil, err
    end
    for _, name in ipairs(names) do
        local child = fio.pathjoin(path, name)
        local st = fio.lstat(child)
        if st ~= nil then
            _, err = (st:is_dir() and fio.rmtree or fio.unlink)(child)
            if err ~= nil then
                return nil, err
            end
        end
    end
    local ok, rmerr = fio.rmdir(path)
    if not ok then
        return false, string.format("failed to remove %s: %s", path, tostring(rmerr))
    end
    return true
end

-- copyfile: the destination gets the source's permission bits (under
-- the umask).

-- copyfile(from, to) copies a file; to may be a directory to copy into.
fio.copyfile = function(from, to)
    if type(from) ~= 'string' or type(to) ~= 'string' then
        error('Usage: fio.copyfile(from, to)')                          --@438
    end
    local st = fio.stat(to)
    if st ~= nil and st:is_dir() then
        to = fio.pathjoin(to, fio.basename(from))
    end
    local ok, err = internal.copyfile(from, to)
    if not ok then
        return false, string.format("failed to copy %s to %s: %s", from, to, tostring(err))
    end
    return true
end

fio.copytree = function(from, to)
    if type(from) ~= 'string' or type(to) ~= 'string' then
        error('Usage: fio.copytree(from, to)')                          --@453
    end
    -- Copies directories, regular files and symlinks.
    local st = fio.stat(from)
    if st == nil then
        return false, string.format("Directory %s does not exist", from)
    end
    if not st:is_dir() then
        return false, internal.strerror(internal.ENOTDIR)
    end
    local names, err = fio.listdir(from)
    if names == nil then
        return false, err
    end
    local _, reason = fio.mktree(to)
    if reason ~= nil then
        return false, reason
    end
    for _, name in ipairs(names) do
        local src, dst = fio.pathjoin(from, name), fio.pathjoin(to, name)
        -- A name gone since listdir leaves st nil, and the type checks
        -- below index it and raise, as in 2.6.
        local st = fio.lstat(src)
        if st and st:is_dir() then
            _, reason = fio.copytree(src, dst)
            if reason ~= nil then
                return false, reason
            end
        end
        if st:is_reg() then                                             --@482
            _, reason = fio.copyfile(src, dst)
            if reason ~= nil then
                return false, reason
            end
        end
        if st:is_link() then
            local target, lerr = fio.readlink(src)
            if lerr ~= nil then
                return false, lerr
            end
            _, reason = fio.symlink(target, dst)
            if reason ~= nil then
                return false, "can't create symlink in place of existing file " .. dst
            end
        end
    end
    return true
end

local function check_time(time, name)
    if time ~= nil and type(time) ~= 'number' then
        error('fio.utime: ' .. name .. ' should be a number', 2)
    end
end

fio.utime = function(path, atime, mtime)
    if type(path) ~= 'string' then
        error('Usage: fio.utime(filepath[, atime[, mtime]])')           --@510
    end
    -- atime defaults to now, mtime to atime.
    check_time(atime, 'atime')                                          --@513
    check_time(mtime, 'mtime')                                          --@514
    atime = atime or internal.time()
    mtime = mtime or atime
    return internal.utime(path, atime, mtime)
end

-- fio.path.* report whether a stat (or lstat) succeeds and finds the
-- file type asked for.
fio.path = {}

fio.path.is_file = function(filename)
    local st = fio.stat(filename)                                       --@525
    return st ~= nil and st:is_reg() or false
end

fio.path.is_link = function(filename)
    local st = fio.lstat(filename)                                      --@530
    return st ~= nil and st:is_link() or false
end

fio.path.is_dir = function(filename)
    local st = fio.stat(filename)                                       --@535
    return st ~= nil and st:is_dir() or false
end

fio.path.exists = function(filename)
    return fio.stat(filename) ~= nil                                    --@540
end

fio.path.lexists = function(filename)
    return fio.lstat(filename) ~= nil                                   --@544
end

-- A handle dropped unclosed is closed when collected. 2.6 defers the
-- close to a fiber because its close yields; here it is a plain
-- close(2), which the finalizer may call.
if not pcall(ffi.typeof, 'struct fio_handle') then
    ffi.cdef('struct fio_handle { int fh; };')
end
ffi.metatype('struct fio_handle', {
    __index = methods,
    __gc = function(self)
        if self.fh >= 0 then
            internal.gc_close(self.fh)
        end
    end,
})

return fio
