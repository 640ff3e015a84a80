/* Progress lines on stderr while a run goes on: elapsed seconds, the image,
 * what is happening. One write per line, so lines from parallel image runs
 * never interleave mid-line. */
#ifndef PORTCHECK_PROGRESS_H
#define PORTCHECK_PROGRESS_H

void progress_init(void);
__attribute__((format(printf, 2, 3))) void progress_note(const char *image, const char *fmt, ...);

#endif
