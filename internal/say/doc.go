// Package say writes Tarantool-format log lines:
//
//	2017-06-14 14:12:03.847 [18933] main/101/master.lua I> ready to accept requests
//
// that is local time with milliseconds, the pid, the writer's
// "cord/fiber-id/fiber-name", a one-letter level and the message. Levels
// and letters are Tarantool's (say.h): 0 F fatal, 1 ! syserror, 2 E error,
// 3 C crit, 4 W warn, 5 I info, 6 V verbose, 7 D debug. A line is written
// when its level is at most the configured log_level (default 5). CRIT
// lines such as "version ..." and "log level N" are written whatever the
// level, as Tarantool does.
//
// The destination is stderr until box.cfg{log=...} names a file
// ("file:PATH" or a plain path, opened for append). Writes are serialized
// by a mutex so lines from concurrent goroutines never interleave.
package say
