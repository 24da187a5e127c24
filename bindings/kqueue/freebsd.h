/*
 * The kqueue ABI of FreeBSD 12 and later, transcribed from documentation. Hand-written input to
 * bindings/mkbindings, compiled on its own (it defines struct kevent too) and emitted as the layout
 * class kevent_freebsd, so the 64-byte form ships beside the macOS/libkqueue one.
 *
 * Sources:
 *   - kqueue(2), FreeBSD 12.0 manual (struct kevent gained ext[4] and a 64-bit data in FreeBSD 12).
 *   - FreeBSD sys/sys/event.h: the numeric values.
 *
 * 64-bit layout: ident 0, filter 8, flags 10, fflags 12, data 16, udata 24, ext 32; 64 bytes.
 */
#ifndef POLLKIT_KQUEUE_FREEBSD_H
#define POLLKIT_KQUEUE_FREEBSD_H

#include <stdint.h>

struct kevent {
	uintptr_t      ident;   /* identifier for this event */
	short          filter;  /* filter for event */
	unsigned short flags;   /* action flags for kqueue */
	unsigned int   fflags;  /* filter flag value */
	int64_t        data;    /* filter data value */
	void          *udata;   /* opaque user data identifier */
	uint64_t       ext[4];  /* extensions */
};

#define EVFILT_READ      (-1)
#define EVFILT_WRITE     (-2)
#define EVFILT_AIO       (-3)
#define EVFILT_VNODE     (-4)
#define EVFILT_PROC      (-5)
#define EVFILT_SIGNAL    (-6)
#define EVFILT_TIMER     (-7)
#define EVFILT_PROCDESC  (-8)
#define EVFILT_FS        (-9)
#define EVFILT_LIO       (-10)
#define EVFILT_USER      (-11)
#define EVFILT_SENDFILE  (-12)
#define EVFILT_EMPTY     (-13)

#define EV_ADD           0x0001
#define EV_DELETE        0x0002
#define EV_ENABLE        0x0004
#define EV_DISABLE       0x0008
#define EV_FORCEONESHOT  0x0100
#define EV_KEEPUDATA     0x0200
#define EV_ONESHOT       0x0010
#define EV_CLEAR         0x0020
#define EV_RECEIPT       0x0040
#define EV_DISPATCH      0x0080
#define EV_SYSFLAGS      0xF000
#define EV_DROP          0x1000
#define EV_FLAG1         0x2000
#define EV_FLAG2         0x4000
#define EV_EOF           0x8000
#define EV_ERROR         0x4000

#define NOTE_LOWAT       0x0001
#define NOTE_FILE_POLL   0x0002
#define NOTE_TRIGGER     0x01000000
#define NOTE_SECONDS     0x00000001
#define NOTE_MSECONDS    0x00000002
#define NOTE_USECONDS    0x00000004
#define NOTE_NSECONDS    0x00000008
#define NOTE_ABSTIME     0x00000010

#endif
