package io.pollkit.poller;

import io.pollkit.bindings.epoll_event;
import io.pollkit.sys.Epoll;
import io.pollkit.sys.Results;
import io.pollkit.sys.Unistd;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static io.pollkit.bindings.sys_epoll_h.EPOLLERR;
import static io.pollkit.bindings.sys_epoll_h.EPOLLET;
import static io.pollkit.bindings.sys_epoll_h.EPOLLHUP;
import static io.pollkit.bindings.sys_epoll_h.EPOLLIN;
import static io.pollkit.bindings.sys_epoll_h.EPOLLONESHOT;
import static io.pollkit.bindings.sys_epoll_h.EPOLLOUT;
import static io.pollkit.bindings.sys_epoll_h.EPOLLRDHUP;
import static io.pollkit.bindings.sys_epoll_h.EPOLL_CLOEXEC;
import static io.pollkit.bindings.sys_epoll_h.EPOLL_CTL_ADD;
import static io.pollkit.bindings.sys_epoll_h.EPOLL_CTL_DEL;
import static io.pollkit.bindings.sys_epoll_h.EPOLL_CTL_MOD;

/**
 * The epoll backend (Linux): the kernel keeps the interest set, so register/modify/unregister are one
 * epoll_ctl each and a wait costs O(ready), not O(watched). The token travels in {@code epoll_event.data}.
 */
final class EpollPoller implements Poller {

    private final int epfd;
    private final Waker waker;
    private final Arena arena = Arena.ofShared();         // empty until the first poll: nothing to free if this fails
    private MemorySegment ready = MemorySegment.NULL;   // epoll_event[capacity]: the largest Events polled with so far
    private int capacity;

    EpollPoller() throws IOException {
        epfd = Epoll.epoll_create1(EPOLL_CLOEXEC());
        Waker w = null;
        try {
            w = new Waker();
            Epoll.epoll_ctl(epfd, EPOLL_CTL_ADD(), w.fd(), EPOLLIN(), Waker.TOKEN);
        } catch (IOException | RuntimeException e) {
            if (w != null) w.close();
            Unistd.closeQuietly(epfd);
            throw e;
        }
        waker = w;
    }

    @Override
    public String name() {
        return "epoll";
    }

    @Override
    public boolean supports(int mode) {
        return mode == EDGE || mode == ONESHOT;
    }

    private static int toEpoll(int interest) {
        int e = 0;
        if ((interest & READ) != 0) e |= EPOLLIN() | EPOLLRDHUP();
        if ((interest & WRITE) != 0) e |= EPOLLOUT();
        if ((interest & EDGE) != 0) e |= EPOLLET();
        if ((interest & ONESHOT) != 0) e |= EPOLLONESHOT();
        return e;   // EPOLLHUP and EPOLLERR are always reported
    }

    @Override
    public void register(int fd, int interest, long token) throws IOException {
        Epoll.epoll_ctl(epfd, EPOLL_CTL_ADD(), fd, toEpoll(interest), Waker.checkToken(token));
    }

    @Override
    public void modify(int fd, int interest, long token) throws IOException {
        Epoll.epoll_ctl(epfd, EPOLL_CTL_MOD(), fd, toEpoll(interest), Waker.checkToken(token));
    }

    @Override
    public void unregister(int fd) throws IOException {
        Epoll.epoll_ctl(epfd, EPOLL_CTL_DEL(), fd, null);
    }

    @Override
    public int poll(Events events, long timeoutMillis) throws IOException {
        if (capacity < events.capacity()) {   // grown only: alternating sizes must not pile arrays up in the arena
            capacity = events.capacity();
            ready = epoll_event.allocateArray(capacity, arena);   // once per larger Events, not per poll
        }
        events.clear();
        int n = Epoll.epoll_wait(epfd, ready, events.capacity(), (int) Math.min(timeoutMillis, Integer.MAX_VALUE));
        if (n == Results.INTERRUPTED) return 0;
        for (int i = 0; i < n; i++) {
            long token = Epoll.data(ready, i);
            if (token == Waker.TOKEN) {
                waker.drain();
                continue;
            }
            int e = ready.get(epoll_event.events$layout(), i * epoll_event.sizeof() + epoll_event.events$offset()), bits = 0;
            if ((e & EPOLLIN()) != 0) bits |= READABLE;
            if ((e & EPOLLOUT()) != 0) bits |= WRITABLE;
            if ((e & (EPOLLHUP() | EPOLLRDHUP())) != 0) bits |= HANGUP;
            if ((e & EPOLLERR()) != 0) bits |= ERROR;
            events.add(token, bits);
        }
        return events.size();
    }

    @Override
    public void wakeup() {
        waker.wake();
    }

    @Override
    public void close() {
        waker.close();
        Unistd.closeQuietly(epfd);
        arena.close();
    }
}
