-- ffidecl.lua: the C declarations Tarantool 2.6 has made by the time a
-- script runs. Tarantool loads every built-in module at start-up, and
-- their ffi.cdef blocks leave these typedefs and C library prototypes
-- behind; applications and modules (luatest declares fork(pid_t) and
-- friends) rely on them. Only the C library's functions are declared:
-- Tarantool's internal C API does not exist here. Function prototypes and
-- typedefs may be repeated with ffi.cdef; structs are guarded.
local ffi = require('ffi')

ffi.cdef[[
typedef int32_t pid_t;
typedef int uid_t;
typedef int gid_t;
typedef long time_t;
typedef uint32_t socklen_t;
typedef ptrdiff_t ssize_t;

pid_t getpid(void);
uid_t getuid(void);
gid_t getgid(void);
int umask(int mask);
int chdir(const char *path);
int setenv(const char *name, const char *value, int overwrite);
int unsetenv(const char *name);
char *strerror(int errnum);
int memcmp(const void *s1, const void *s2, size_t n);
void *memmem(const void *haystack, size_t haystacklen, const void *needle, size_t needlelen);
int isspace(int c);
int snprintf(char *str, size_t size, const char *format, ...);

ssize_t read(int fd, void *buf, size_t count);
ssize_t write(int fd, const void *buf, size_t count);
int socket(int domain, int type, int protocol);
int bind(int s, const struct sockaddr *addr, socklen_t addrlen);
int listen(int s, int backlog);
int accept(int s, void *addr, void *addrlen);
int connect(int s, const struct sockaddr *addr, socklen_t addrlen);
ssize_t send(int sockfd, const void *buf, size_t len, int flags);
ssize_t recv(int s, void *buf, size_t len, int flags);
ssize_t sendto(int sockfd, const void *buf, size_t len, int flags,
               const struct sockaddr *dest_addr, socklen_t addrlen);
int shutdown(int s, int how);
int setsockopt(int s, int level, int iname, const void *opt, size_t optlen);
int getsockopt(int s, int level, int iname, void *ptr, size_t *optlen);
]]

if not pcall(ffi.typeof, 'struct passwd') then
    ffi.cdef[[
    struct passwd {
        char *pw_name;
        char *pw_passwd;
        uid_t pw_uid;
        gid_t pw_gid;
        char *pw_gecos;
        char *pw_dir;
        char *pw_shell;
    };
    struct group {
        char *gr_name;
        char *gr_passwd;
        gid_t gr_gid;
        char **gr_mem;
    };
    struct protoent {
        char *p_name;
        char **p_aliases;
        int p_proto;
    };
    ]]
end

ffi.cdef[[
struct passwd *getpwnam(const char *name);
struct passwd *getpwuid(uid_t uid);
struct passwd *getpwent(void);
void setpwent(void);
void endpwent(void);
struct group *getgrnam(const char *name);
struct group *getgrgid(gid_t gid);
struct group *getgrent(void);
void setgrent(void);
void endgrent(void);
struct protoent *getprotobyname(const char *name);
]]
