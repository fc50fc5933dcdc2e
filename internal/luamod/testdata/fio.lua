-- fio: every function, its results and its error paths. Paths are
-- printed relative to a fresh temporary directory as <d>.
local fio = require('fio')
local old_umask = fio.umask(tonumber('022', 8))
local d = fio.tempdir()
local function rel(s) if type(s) == 'string' then return (s:gsub(d:gsub('%p', '%%%0'), '<d>')) end return s end
local function show(...)
  local out = {}
  for i = 1, select('#', ...) do out[i] = tostring(rel((select(i, ...)))) end
  print(table.concat(out, '\t'))
end
local function try(...) show(pcall(...)) end
local function p(...) return fio.pathjoin(d, ...) end
local function list(t) if type(t) ~= 'table' then return tostring(t) end table.sort(t) return rel(table.concat(t, ',')) end

-- pure path functions
show(fio.pathjoin(), fio.pathjoin(''), fio.pathjoin('', ''), fio.pathjoin('/', ''), fio.pathjoin('/'))
show(fio.pathjoin('a/', '/b//'), fio.pathjoin(1, 2), fio.pathjoin('a', '', 'b'), fio.pathjoin('//x//', 'y/'))
try(fio.pathjoin, 'a', nil, 'b')
try(fio.pathjoin, nil, 'a')
try(fio.pathjoin, '', nil)
show(fio.basename('/a/b.txt'), fio.basename('/a/b.txt', '.txt'), fio.basename('a.txt.txt', '.txt'), fio.basename('/a/'), fio.basename('x', ''))
try(fio.basename, 1)
try(fio.basename)
for _, s in ipairs({'', '/', '//', '///', 'a', 'a/', '/a', '/a/', '/a//', 'a/b', 'a/b/', '//a', '//a/b', '/a/b//c//', '.', '..', '../x'}) do
  io.write(s, '=', fio.dirname(s), ' ')
end
print()
try(fio.dirname, 5)
show(fio.abspath('/a/../../b/./c'), fio.abspath('/'), fio.abspath('/x/'), fio.abspath('/a/b/..'))
show(fio.abspath('rel') == fio.pathjoin(fio.cwd(), 'rel'), fio.abspath('.') == fio.cwd())
try(fio.abspath)
show(fio.umask(), fio.umask(tonumber('077', 8)), fio.umask(), fio.umask(tonumber('022', 8)))
show(fio.c.flag.O_RDONLY, fio.c.flag.O_WRONLY, fio.c.flag.O_RDWR, fio.c.flag.O_CREAT, fio.c.flag.O_EXCL,
  fio.c.flag.O_TRUNC, fio.c.flag.O_APPEND, fio.c.flag.O_NONBLOCK, fio.c.flag.O_SYNC, fio.c.flag.O_DIRECTORY)
show(fio.c.mode.S_IRWXU, fio.c.mode.S_IRUSR, fio.c.mode.S_IWGRP, fio.c.mode.S_IXOTH, fio.c.seek.SEEK_SET,
  fio.c.seek.SEEK_CUR, fio.c.seek.SEEK_END, fio.c.seek.SEEK_DATA, fio.c.seek.SEEK_HOLE)

-- directories
show(fio.mkdir(p('a')), fio.mkdir(p('a')), fio.mkdir(p('x', 'y')))
show(fio.mkdir(p('m'), tonumber('700', 8)), (fio.stat(p('m')).mode) % 512)
try(fio.mkdir)
try(fio.mkdir, {})
show(fio.mktree(p('t', 'u', 'v')), fio.path.is_dir(p('t', 'u', 'v')), fio.mktree(p('t', 'u')))
show(fio.rmdir(p('m')), fio.rmdir(p('m')), fio.rmdir(p('t')))
try(fio.rmdir)
try(fio.mktree, 1)
show(fio.listdir(p('nope')))
show(list(fio.listdir(p('t'))), list(fio.listdir(p('t', 'u', 'v'))))
try(fio.listdir, nil)

-- files and handles
local fh = fio.open(p('f'), {'O_CREAT', 'O_WRONLY', 'O_TRUNC'}, tonumber('644', 8))
show(type(fh.fh), fh:write('hello'), fh:write(12), fh:pwrite('J', 0), fh:pwrite('Z', 10))
show(fh:read(), fh:seek(0), fh:fsync(), fh:fdatasync(), fh:stat().size, fh:stat():is_reg())
show(fh:close(), fh.fh, fh:close())
show(fh:write('x'))
show(fh:read(3))
show(fh:pread(1, 0))
show(fh:stat())
show(fh:truncate(0))
show(fh:fsync())
show(fh:seek(0))
fh = fio.open(p('f'))
show(fh:read(), fh:seek(0), fh:read(2), fh:read(2), fh:pread(3, 1), fh:seek(0, 'SEEK_END'), fh:read(), fh:read(0))
show(fh:seek(2, fio.c.seek.SEEK_SET), fh:read(1), fh:seek(1, 'SEEK_CUR'), fh:read(100), fh:pread(0, 0), fh:pread(5, 100))
try(fh.seek, fh, 0, 'BAD')
show(fh:write('x'))
show(fh:truncate(1))
show(fh:close())
fh = fio.open(p('f'), 'O_RDWR')
show(fh:truncate(3), fh:stat().size, fh:truncate(), fh:stat().size, fh:write('abc'), fh:seek(0), fh:read())
show(fh:close())
show(fio.open(p('nope')))
show(fio.open(p('f'), {'O_CREAT', 'O_EXCL'}))
try(fio.open)
try(fio.open, 5)
try(fio.open, p('f'), 'O_BAD')
try(fio.open, p('f'), {'O_RDONLY'}, 'S_BAD')
fh = fio.open(p('g'), {'O_CREAT', 'O_WRONLY'}, {'S_IRUSR', 'S_IWUSR', 'S_IRGRP'})
show(fh:close(), (fio.stat(p('g')).mode) % 512)
fh = fio.open(p('h'), {fio.c.flag.O_CREAT, fio.c.flag.O_WRONLY})
show(fh:close(), (fio.stat(p('h')).mode) % 512)
fh = fio.open(p('k'), {'O_CREAT', 'O_RDWR'}, tonumber('600', 8))
show(fh:write('x'), fh:seek(0), fh:read(), fh:close())
fh = fio.open(p('k'), {'O_WRONLY', 'O_APPEND'})
show(fh:write('y'), fh:close(), fio.open(p('k')):read())

-- stat
local st = fio.stat(p('f'))
show(st.size, st.nlink, st:is_reg(), st:is_dir(), st:is_link(), st:is_chr(), st:is_blk(), st:is_fifo(), st:is_sock())
show(type(st.dev), type(st.inode), type(st.uid), type(st.gid), type(st.rdev), type(st.blksize), type(st.blocks),
  type(st.ctime), type(st.mtime), type(st.atime), (st.mode) % 512)
show(fio.stat(d):is_dir(), fio.lstat(d):is_dir())
show(fio.stat(p('nope')))
show(fio.lstat(p('nope')))
try(fio.stat)
try(fio.stat, {})
try(fio.lstat)
try(st.is_reg, 1)
show(st.is_dir({mode = 16877}), st.is_reg({mode = 33188}), st.is_reg({}))
local _, err = fio.stat(p('nope'))
show(err.type, err.message, err.errno, err.code, tostring(err))

-- links
show(fio.symlink('f', p('ln')), fio.readlink(p('ln')), fio.symlink('f', p('ln')))
show(fio.lstat(p('ln')):is_link(), fio.stat(p('ln')):is_reg(), fio.path.is_link(p('ln')), fio.path.is_file(p('ln')))
show(fio.symlink('missing', p('dangling')), fio.path.exists(p('dangling')), fio.path.lexists(p('dangling')), fio.path.is_link(p('dangling')))
show(fio.readlink(p('f')))
show(fio.readlink(p('nope')))
try(fio.readlink)
try(fio.symlink, 'a')
show(fio.link(p('f'), p('hard')), fio.stat(p('f')).nlink, fio.link(p('f'), p('hard')))
try(fio.link, 'a')
show(fio.path.exists(p('f')), fio.path.exists(p('nope')), fio.path.is_dir(p('f')), fio.path.is_file(d), fio.path.lexists(p('ln')))
try(fio.path.exists)
try(fio.path.lexists)

-- rename, unlink, truncate, chmod, utime
show(fio.rename(p('hard'), p('hard2')), fio.path.exists(p('hard')), fio.rename(p('hard'), p('x')))
try(fio.rename, 'a')
show(fio.unlink(p('hard2')), fio.unlink(p('hard2')))
try(fio.unlink)
show(fio.truncate(p('f'), 2), fio.stat(p('f')).size, fio.truncate(p('f')), fio.stat(p('f')).size, fio.truncate(p('nope')))
try(fio.truncate)
show(fio.chmod(p('f'), tonumber('600', 8)), (fio.stat(p('f')).mode) % 512, fio.chmod(p('nope'), 0))
try(fio.chmod, p('f'))
show(fio.utime(p('f'), 1.5, 2.25), fio.stat(p('f')).atime, fio.stat(p('f')).mtime)
show(fio.utime(p('f'), 100), fio.stat(p('f')).atime, fio.stat(p('f')).mtime)
show(fio.utime(p('f')), math.abs(fio.stat(p('f')).mtime - os.time()) < 5)
show(fio.utime(p('nope'), 1, 1))
try(fio.utime, 1)
try(fio.utime, p('f'), 'x')
try(fio.utime, p('f'), 1, {})
show(fio.chown(p('nope'), 'no-such-user-xyz', 0))
show(fio.chown(p('nope'), 0, 'no-such-group-xyz'))
show(fio.chown(p('nope'), 0, 0))
try(fio.chown, p('f'), 0)

-- glob
fio.mkdir(p('gl'))
for _, n in ipairs({'g1.txt', 'g2.txt', 'g10.log', '.hidden', '[x]', 'a-b'}) do fio.open(p('gl', n), {'O_CREAT', 'O_WRONLY'}, 420):close() end
fio.mkdir(p('gl', 'sub'))
fio.open(p('gl', 'sub', 'in.txt'), {'O_CREAT', 'O_WRONLY'}, 420):close()
for _, pat in ipairs({'*', '*.txt', 'g?.txt', 'g[0-9]*', 'g[!1]*', 'g[^1]*', '.*', '[[]x]', '*/*.txt', 'sub', 'nope', 'nope*', '*/', 'g1.txt', '[x]', '[', 'a[-]b', '*[', 'g[1-2].txt'}) do
  io.write(pat, ' -> ', list(fio.glob(p('gl', pat))), '\n')
end
try(fio.glob)
try(fio.glob, {})

-- copyfile, copytree, rmtree
show(fio.copyfile(p('f'), p('f2')), fio.open(p('f2')):read(), (fio.stat(p('f2')).mode) % 512)
show(fio.copyfile(p('f'), p('a')), fio.path.is_file(p('a', 'f')))
show(fio.copyfile(p('nope'), p('f3')))
show(fio.copyfile(p('f'), p('nodir', 'f3')))
try(fio.copyfile, 'a')
try(fio.copyfile, 1, 'b')
show(fio.copytree(p('gl'), p('gl2')), list(fio.listdir(p('gl2'))), list(fio.listdir(p('gl2', 'sub'))))
fio.symlink('g1.txt', p('gl', 'lnk'))
show(fio.copytree(p('gl'), p('gl3')), fio.readlink(p('gl3', 'lnk')))
show(fio.copytree(p('gl'), p('gl3')))
show(fio.copytree(p('nope'), p('x')))
show(fio.copytree(p('f'), p('x')))
show(fio.copytree(p('gl'), p('f', 'x')))
try(fio.copytree, 'a')
show(fio.rmtree(p('gl3')), fio.path.exists(p('gl3')))
show(fio.rmtree(p('nope')))
show(fio.rmtree(p('f')))
try(fio.rmtree, 1)

-- cwd and chdir
local here = fio.cwd()
show(fio.chdir(d), fio.cwd() == d or fio.cwd(), fio.abspath('x') == p('x'), fio.chdir(p('nope')), fio.cwd() == d)
show(fio.chdir(here), fio.cwd() == here)
try(fio.chdir, 1)
show(type(fio.sync()), fio.sync())
local t = fio.tempdir()
show(fio.path.is_dir(t), fio.dirname(t) == (os.getenv('TMPDIR') or '/tmp'), #fio.basename(t), fio.rmdir(t))

show(fio.rmtree(d), fio.path.exists(d))
fio.umask(old_umask)
