/* SPDX-License-Identifier: MIT */
/*
 * Logging to stderr.  Under journald (JOURNAL_STREAM names stderr) each line carries a
 * syslog priority prefix "<N>" that journald turns into the entry's priority; on a terminal
 * or a file, lines get a timestamp and a level word instead.
 */
#ifndef VMAD_LOG_H
#define VMAD_LOG_H

/* syslog(3) priorities; only these five are used. */
enum log_level {
	LOG_LEVEL_ERR = 3,
	LOG_LEVEL_WARNING = 4,
	LOG_LEVEL_NOTICE = 5,
	LOG_LEVEL_INFO = 6,
	LOG_LEVEL_DEBUG = 7,
};

/* "err", "warning", "notice", "info", "debug" (or "error", "warn", or a digit 0-7). */
int log_parse_level(const char *word);
void log_init(int max_level);
int log_enabled(int level);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...)     log_msg(LOG_LEVEL_ERR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_notice(...)  log_msg(LOG_LEVEL_NOTICE, __VA_ARGS__)
#define log_info(...)    log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...)   log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
