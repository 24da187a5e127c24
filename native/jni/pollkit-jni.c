/*
 * libpollkit-jni: the JNI twin of pollkit's hot FFM downcalls, the native methods of
 * io.pollkit.sys.Jni (see README.md). Selected with -Dpollkit.transport=jni.
 *
 * Every function takes raw addresses of native memory the Java side owns (0 for NULL), calls the C
 * library exactly as the FFM downcall does, and returns the call's result, or -errno when it failed:
 * the Java side needs no errno capture and applies the same EAGAIN/EINTR policy to both transports.
 * No function retries, allocates, or touches the JNIEnv.
 *
 * The methods are bound by RegisterNatives in JNI_OnLoad, so a signature that no longer matches the
 * Java declaration fails System.load at once instead of the first call. abi_version lets Jni.java
 * refuse a library built from another version whose signatures still happen to match.
 */
#define _GNU_SOURCE
#include <jni.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#ifdef __linux__
#include <dlfcn.h>
#include <sys/epoll.h>
#else
#include <sys/event.h>
#endif

#define UNUSED __attribute__((unused))

/*
 * The contract with Jni.java (its ABI_VERSION): bump both when a method's meaning changes. Overridable
 * only so that the tests can build a mismatched library (make mismatched).
 */
#ifndef POLLKIT_JNI_ABI
#define POLLKIT_JNI_ABI 1
#endif

/* A Java long holding a native address, as C pointer. */
static inline void *ptr(jlong address)
{
	return (void *)(intptr_t)address;
}

static jlong JNICALL j_read(JNIEnv *env UNUSED, jclass cls UNUSED, jint fd, jlong buf, jlong count)
{
	ssize_t n = read(fd, ptr(buf), (size_t)count);
	return n >= 0 ? (jlong)n : -(jlong)errno;
}

static jlong JNICALL j_write(JNIEnv *env UNUSED, jclass cls UNUSED, jint fd, jlong buf, jlong count)
{
	ssize_t n = write(fd, ptr(buf), (size_t)count);
	return n >= 0 ? (jlong)n : -(jlong)errno;
}

static jint JNICALL j_poll(JNIEnv *env UNUSED, jclass cls UNUSED, jlong fds, jlong nfds, jint timeout)
{
	int r = poll(ptr(fds), (nfds_t)nfds, timeout);
	return r >= 0 ? r : -errno;
}

static jint JNICALL j_select(JNIEnv *env UNUSED, jclass cls UNUSED, jint nfds, jlong readfds, jlong writefds,
			     jlong exceptfds, jlong timeout)
{
	int r = select(nfds, ptr(readfds), ptr(writefds), ptr(exceptfds), ptr(timeout));
	return r >= 0 ? r : -errno;
}

static jint JNICALL j_epoll_wait(JNIEnv *env UNUSED, jclass cls UNUSED, jint epfd, jlong events, jint maxevents,
				 jint timeout)
{
#ifdef __linux__
	int r = epoll_wait(epfd, ptr(events), maxevents, timeout);
	return r >= 0 ? r : -errno;
#else
	(void)epfd, (void)events, (void)maxevents, (void)timeout;
	return -ENOSYS;
#endif
}

static jint JNICALL j_epoll_ctl(JNIEnv *env UNUSED, jclass cls UNUSED, jint epfd, jint op, jint fd, jlong event)
{
#ifdef __linux__
	int r = epoll_ctl(epfd, op, fd, ptr(event));
	return r >= 0 ? r : -errno;
#else
	(void)epfd, (void)op, (void)fd, (void)event;
	return -ENOSYS;
#endif
}

/*
 * kevent(2). macOS and the BSDs have it in the C library. Linux has none: kevent_init dlopen()s the
 * library Java's Kqueue class loaded for the FFM calls (POLLKIT_KQUEUE_LIB / -Dpollkit.kqueue.lib),
 * and dlopen of the same path returns that same library, so both transports share its kqueues.
 * KEVENT is set once, during Kqueue's class initialization, which happens before any kevent call.
 */
typedef int kevent_fn(int kq, const void *changelist, int nchanges, void *eventlist, int nevents,
		      const struct timespec *timeout);
static kevent_fn *KEVENT;

#ifndef __linux__
/* The C library's kevent with struct kevent as opaque memory, as the Java side passes it. */
static int libc_kevent(int kq, const void *changelist, int nchanges, void *eventlist, int nevents,
		       const struct timespec *timeout)
{
	return kevent(kq, changelist, nchanges, eventlist, nevents, timeout);
}
#endif

static jstring JNICALL j_kevent_init(JNIEnv *env, jclass cls UNUSED, jstring library)
{
#ifdef __linux__
	const char *path = (*env)->GetStringUTFChars(env, library, NULL);
	if (path == NULL)
		return NULL;	/* OutOfMemoryError pending */
	void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	(*env)->ReleaseStringUTFChars(env, library, path);
	if (handle == NULL)
		return (*env)->NewStringUTF(env, dlerror());
	dlerror();
	void *sym = dlsym(handle, "kevent");
	if (sym == NULL) {
		dlclose(handle);	/* nothing of it is used: unmap it (unless something else holds it) */
		return (*env)->NewStringUTF(env, "the library has no kevent symbol");
	}
	*(void **)&KEVENT = sym;	/* POSIX's way from object to function pointer */
#else
	(void)env, (void)library;
	KEVENT = libc_kevent;
#endif
	return NULL;
}

static jint JNICALL j_kevent(JNIEnv *env UNUSED, jclass cls UNUSED, jint kq, jlong changes, jint nchanges,
			     jlong events, jint nevents, jlong timeout)
{
	if (KEVENT == NULL)
		return -ENOSYS;
	int r = KEVENT(kq, ptr(changes), nchanges, ptr(events), nevents, ptr(timeout));
	return r >= 0 ? r : -errno;
}

static jint JNICALL j_getpid(JNIEnv *env UNUSED, jclass cls UNUSED)
{
	return getpid();
}

static jint JNICALL j_abi_version(JNIEnv *env UNUSED, jclass cls UNUSED)
{
	return POLLKIT_JNI_ABI;
}

/* Java name, JNI signature, C function: must match the declarations in Jni.java. */
static const JNINativeMethod METHODS[] = {
	{ "read",        "(IJJ)J",                                  (void *)j_read },
	{ "write",       "(IJJ)J",                                  (void *)j_write },
	{ "poll",        "(JJI)I",                                  (void *)j_poll },
	{ "select",      "(IJJJJ)I",                                (void *)j_select },
	{ "epoll_wait",  "(IJII)I",                                 (void *)j_epoll_wait },
	{ "epoll_ctl",   "(IIIJ)I",                                 (void *)j_epoll_ctl },
	{ "kevent_init", "(Ljava/lang/String;)Ljava/lang/String;",  (void *)j_kevent_init },
	{ "kevent",      "(IJIJIJ)I",                               (void *)j_kevent },
	{ "getpid",      "()I",                                     (void *)j_getpid },
	{ "abi_version", "()I",                                     (void *)j_abi_version },
};

JNIEXPORT jint JNICALL JNI_OnLoad(JavaVM *vm, void *reserved UNUSED)
{
	JNIEnv *env;
	if ((*vm)->GetEnv(vm, (void **)&env, JNI_VERSION_1_8) != JNI_OK)
		return JNI_ERR;
	jclass cls = (*env)->FindClass(env, "io/pollkit/sys/Jni");
	if (cls == NULL)
		return JNI_ERR;	/* NoClassDefFoundError pending */
	if ((*env)->RegisterNatives(env, cls, METHODS, sizeof METHODS / sizeof METHODS[0]) != JNI_OK)
		return JNI_ERR;	/* NoSuchMethodError pending: a declaration in Jni.java changed */
	return JNI_VERSION_1_8;
}
