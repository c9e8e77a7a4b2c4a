/* SPDX-License-Identifier: MIT */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <event2/event.h>

static int log_max = LOG_LEVEL_INFO;
static int log_journal;

static const char *const log_words[] = {
	"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};

int
log_parse_level(const char *word)
{
	if (word[0] >= '0' && word[0] <= '7' && word[1] == '\0')
		return word[0] - '0';
	if (strcmp(word, "error") == 0)
		return LOG_LEVEL_ERR;
	if (strcmp(word, "warn") == 0)
		return LOG_LEVEL_WARNING;
	for (int i = 0; i < 8; i++)
		if (strcmp(word, log_words[i]) == 0)
			return i;
	return -EINVAL;
}

/* systemd.exec(5): JOURNAL_STREAM is "dev:ino" of the stream; only a match means journald. */
static int
log_stderr_is_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!env || sscanf(env, "%llu:%llu", &dev, &ino) != 2)
		return 0;
	if (fstat(2, &st) < 0)
		return 0;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

static void
log_from_libevent(int severity, const char *msg)
{
	int level = LOG_LEVEL_DEBUG;

	if (severity == EVENT_LOG_ERR)
		level = LOG_LEVEL_ERR;
	else if (severity == EVENT_LOG_WARN)
		level = LOG_LEVEL_WARNING;
	else if (severity == EVENT_LOG_MSG)
		level = LOG_LEVEL_INFO;
	log_msg(level, "libevent: %s", msg);
}

void
log_init(int max_level)
{
	log_max = max_level;
	log_journal = log_stderr_is_journal();
	event_set_log_callback(log_from_libevent);
}

int
log_enabled(int level)
{
	return level <= log_max;
}

static void
log_stamp(char *buf, size_t size)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, size - n, ".%03ld", ts.tv_nsec / 1000000);
}

/* Peers supply some of the text (client names): keep one message on one line. */
static void
log_scrub(char *text)
{
	for (unsigned char *p = (unsigned char *)text; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = '?';
}

void
log_msg(int level, const char *fmt, ...)
{
	char text[1024], stamp[40];
	va_list ap;
	int saved = errno;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	log_scrub(text);
	if (log_journal) {
		fprintf(stderr, "<%d>%s\n", level, text);
	} else {
		log_stamp(stamp, sizeof(stamp));
		fprintf(stderr, "%s vmad %s: %s\n", stamp, log_words[level], text);
	}
	errno = saved;
}
