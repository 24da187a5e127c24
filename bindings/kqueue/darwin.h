/*
 * The kqueue ABI of macOS (and of libkqueue on Linux, which copies it), transcribed from
 * documentation because Linux has no <sys/event.h>. Hand-written input to bindings/mkbindings:
 * used only where the platform has no <sys/event.h> of its own.
 *
 * Sources:
 *   - kqueue(2)/kevent(2), macOS man pages (struct kevent, EV_* flags, EVFILT_* filters).
 *   - Apple XNU bsd/sys/event.h (public header shipped in the macOS SDK): the numeric values.
 *   - libkqueue include/sys/event.h (Linux): the same struct layout and values for the subset it implements.
 *
 * 64-bit layout: ident 0, filter 8, flags 10, fflags 12, data 16, udata 24; 32 bytes.
 */
#ifndef POLLKIT_KQUEUE_DARWIN_H
#define POLLKIT_KQUEUE_DARWIN_H

#include <stdint.h>
#include <time.h>

struct kevent {
	uintptr_t ident;   /* identifier for this event (usually an fd) */
	int16_t   filter;  /* filter for event (EVFILT_*) */
	uint16_t  flags;   /* general flags (EV_*) */
	uint32_t  fflags;  /* filter-specific flags (NOTE_*) */
	intptr_t  data;    /* filter-specific data */
	void     *udata;   /* opaque user data, returned unchanged */
};

#define EVFILT_READ      (-1)
#define EVFILT_WRITE     (-2)
#define EVFILT_AIO       (-3)
#define EVFILT_VNODE     (-4)
#define EVFILT_PROC      (-5)
#define EVFILT_SIGNAL    (-6)
#define EVFILT_TIMER     (-7)
#define EVFILT_MACHPORT  (-8)
#define EVFILT_FS        (-9)
#define EVFILT_USER      (-10)
#define EVFILT_VM        (-12)
#define EVFILT_EXCEPT    (-15)

#define EV_ADD           0x0001  /* add event to kq (implies enable) */
#define EV_DELETE        0x0002  /* delete event from kq */
#define EV_ENABLE        0x0004  /* enable event */
#define EV_DISABLE       0x0008  /* disable event (not reported) */
#define EV_ONESHOT       0x0010  /* only report one occurrence */
#define EV_CLEAR         0x0020  /* clear event state after reporting */
#define EV_RECEIPT       0x0040  /* force EV_ERROR on success, data == 0 */
#define EV_DISPATCH      0x0080  /* disable event after reporting */
#define EV_SYSFLAGS      0xF000  /* reserved by system */
#define EV_FLAG0         0x1000  /* filter-specific flag */
#define EV_FLAG1         0x2000  /* filter-specific flag */
#define EV_EOF           0x8000  /* EOF detected */
#define EV_ERROR         0x4000  /* error, data contains errno */

#define NOTE_LOWAT       0x00000001  /* EVFILT_READ/WRITE: low water mark */
#define NOTE_TRIGGER     0x01000000  /* EVFILT_USER: trigger the event */
#define NOTE_FFNOP       0x00000000  /* EVFILT_USER: ignore input fflags */
#define NOTE_FFAND       0x40000000  /* EVFILT_USER: AND fflags */
#define NOTE_FFOR        0x80000000  /* EVFILT_USER: OR fflags */
#define NOTE_FFCOPY      0xc0000000  /* EVFILT_USER: copy fflags */
#define NOTE_FFCTRLMASK  0xc0000000  /* EVFILT_USER: mask for operations */
#define NOTE_FFLAGSMASK  0x00ffffff
#define NOTE_DELETE      0x00000001  /* EVFILT_VNODE: vnode was removed */
#define NOTE_WRITE       0x00000002  /* EVFILT_VNODE: data contents changed */
#define NOTE_EXTEND      0x00000004  /* EVFILT_VNODE: size increased */
#define NOTE_ATTRIB      0x00000008  /* EVFILT_VNODE: attributes changed */
#define NOTE_LINK        0x00000010  /* EVFILT_VNODE: link count changed */
#define NOTE_RENAME      0x00000020  /* EVFILT_VNODE: vnode was renamed */
#define NOTE_REVOKE      0x00000040  /* EVFILT_VNODE: access was revoked */
#define NOTE_EXIT        0x80000000  /* EVFILT_PROC: process exited */
#define NOTE_FORK        0x40000000  /* EVFILT_PROC: process forked */
#define NOTE_EXEC        0x20000000  /* EVFILT_PROC: process exec'd */
#define NOTE_SECONDS     0x00000001  /* EVFILT_TIMER: data is seconds */
#define NOTE_USECONDS    0x00000002  /* EVFILT_TIMER: data is microseconds */
#define NOTE_NSECONDS    0x00000004  /* EVFILT_TIMER: data is nanoseconds */
#define NOTE_ABSOLUTE    0x00000008  /* EVFILT_TIMER: absolute timeout */

int kqueue(void);
int kevent(int kq, const struct kevent *changelist, int nchanges,
           struct kevent *eventlist, int nevents, const struct timespec *timeout);

#endif
