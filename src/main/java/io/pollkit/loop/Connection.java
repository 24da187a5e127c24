package io.pollkit.loop;

import io.pollkit.poller.Poller;
import io.pollkit.sys.ErrnoException;
import io.pollkit.sys.Results;
import io.pollkit.sys.Sockets;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

import static io.pollkit.bindings.errno_h.ECONNRESET;
import static io.pollkit.bindings.errno_h.EPIPE;

/**
 * A non-blocking stream connection on an {@link EventLoop}: reads hand bytes to a {@link Handler}; writes
 * never block (what the socket does not take is queued and sent when it is writable); a connection whose
 * queue passes its cap is closed, so a client that never reads slows nobody else. EPIPE and ECONNRESET
 * close just this connection. After the peer's half-close (read returns 0) the queue is flushed, then the
 * connection closes.
 */
public final class Connection {
    /** What a server does with a connection's bytes. */
    public interface Handler {
        /** {@code length} bytes arrived at the start of {@code data}, which is reused after this returns. */
        void received(Connection c, MemorySegment data, long length) throws IOException;

        /** The connection closed, for {@code reason} ("peer closed", "connection reset", ...). */
        default void closed(Connection c, String reason) {}
    }

    /**
     * Full reads per readiness event before yielding to the other connections and the timers. One: the wait
     * is level-triggered and reports the rest next time, so a flooding client holds the loop for one buffer
     * (64 KiB in the servers) at a time, and the timers and the other clients get their turn in between
     * (W3's disturbed run measures it; docs/WORKLOADS.md).
     */
    private static final int READS_PER_EVENT = 1;

    private final EventLoop loop;
    private final int fd;
    private final long id;
    private final MemorySegment readBuffer;
    private final int maxQueued;
    private final ByteQueue out = new ByteQueue();
    private final Handler handler;
    private boolean closed, peerDone, watchingWrite;
    // Inside a received() callback, and whether a write in it went straight to the socket: the writes after that
    // one are queued and sent together when the callback returns.
    private boolean receiving, sentWhileReceiving;
    private String closeReason;   // why closeAfterFlush was asked for, told once the queue is sent

    /**
     * Takes over {@code fd} (non-blocking) and registers it with {@code loop}. {@code readBuffer} may be
     * shared by every connection of the loop: it is only used during a callback.
     */
    public Connection(EventLoop loop, int fd, long id, MemorySegment readBuffer, int maxQueued, Handler handler)
            throws IOException {
        this.loop = loop;
        this.fd = fd;
        this.id = id;
        this.readBuffer = readBuffer;
        this.maxQueued = maxQueued;
        this.handler = handler;
        loop.register(fd, Poller.READ, new EventLoop.Handler() {
            @Override
            public void ready(int fd, int ready) throws IOException {
                Connection.this.ready(ready);
            }

            // A handler that threw is closed like any other connection: its queue freed, its owner told.
            @Override
            public void failed(EventLoop loop, int fd, Exception failure) {
                close(failure.getMessage() != null ? failure.getMessage() : failure.toString());
            }
        });
    }

    public int fd() {
        return fd;
    }

    public long id() {
        return id;
    }

    public boolean isOpen() {
        return !closed;
    }

    private void ready(int ready) throws IOException {
        if ((ready & Poller.WRITABLE) != 0) flush();
        if (!closed && !peerDone && (ready & (Poller.READABLE | Poller.HANGUP | Poller.ERROR)) != 0) read();
        if (!closed && peerDone && out.isEmpty()) close(closeReason != null ? closeReason : "peer closed");
    }

    private void read() throws IOException {
        for (int i = 0; i < READS_PER_EVENT && !closed; i++) {
            long n;
            try {
                n = Sockets.recv(fd, readBuffer, readBuffer.byteSize(), Sockets.DONTWAIT);
            } catch (ErrnoException e) {
                close(e.errno() == ECONNRESET() ? "connection reset" : e.getMessage());
                return;
            }
            if (n == Results.WOULD_BLOCK) return;
            if (n == 0) {
                peerDone = true;
                if (!out.isEmpty()) loop.modify(fd, Poller.WRITE);   // finish sending, then close
                return;
            }
            receiving = true;
            sentWhileReceiving = false;
            try {
                handler.received(this, readBuffer, n);
            } finally {
                receiving = false;
            }
            if (!closed && !out.isEmpty() && !watchingWrite) sendQueued();
            // A short read emptied the socket: the next recv would only say EAGAIN. The wait is level-triggered,
            // so bytes (or the end of stream) arriving from now on are reported by the next one (libuv, nginx).
            if (n < readBuffer.byteSize()) return;
        }
    }

    /**
     * Sends {@code length} bytes of {@code data} from {@code offset} now, or queues what the socket will not
     * take. A range outside {@code data} is an IndexOutOfBoundsException, before anything is sent or queued.
     * Within one {@link Handler#received} callback the first write is sent at once and the later ones are
     * queued and sent together when the callback returns: the answers to K pipelined requests cost two sends,
     * not K, and a single answer (or an echo) is neither delayed nor copied. {@code data} may be reused as soon
     * as this returns.
     */
    public void write(MemorySegment data, long offset, long length) throws IOException {
        Objects.checkFromIndexSize(offset, length, data.byteSize());
        if (closed) return;
        boolean deferred = receiving && sentWhileReceiving && !watchingWrite;
        if (deferred && out.size() + length > maxQueued) {
            // A burst of answers (a flood of pipelined requests) goes out as the cap nears, not against it.
            flush();
            if (closed) return;
            deferred = false;
        }
        long sent = 0;
        if (out.isEmpty() && !deferred) {
            sentWhileReceiving = receiving;
            try {
                // No slice for a whole segment: a slice is an object per write, where escape analysis fails.
                MemorySegment from = offset == 0 ? data : data.asSlice(offset, length);
                long n = Sockets.send(fd, from, length, Sockets.NOSIGNAL | Sockets.DONTWAIT);
                sent = n == Results.WOULD_BLOCK ? 0 : n;
            } catch (ErrnoException e) {
                close(e.errno() == EPIPE() || e.errno() == ECONNRESET() ? "connection reset" : e.getMessage());
                return;
            }
        }
        if (sent == length) return;
        if (out.size() + length - sent > maxQueued) {
            close("output queue over " + maxQueued + " bytes: client not reading");
            return;
        }
        out.append(data, offset + sent, length - sent);
        if (deferred) return;   // sent when the callback returns (sendQueued), or on writable if it waits already
        if (!watchingWrite) {
            watchingWrite = true;
            loop.modify(fd, peerDone ? Poller.WRITE : Poller.READ | Poller.WRITE);
        }
    }

    public void write(MemorySegment data) throws IOException {
        write(data, 0, data.byteSize());
    }

    /** After a callback: sends what it queued; what the socket does not take waits for writable. */
    private void sendQueued() throws IOException {
        flush();
        if (!closed && !out.isEmpty() && !watchingWrite) {
            watchingWrite = true;
            loop.modify(fd, peerDone ? Poller.WRITE : Poller.READ | Poller.WRITE);
        }
    }

    private void flush() throws IOException {
        boolean empty;
        try {
            empty = out.flush(fd);
        } catch (ErrnoException e) {
            close(e.errno() == EPIPE() || e.errno() == ECONNRESET() ? "connection reset" : e.getMessage());
            return;
        }
        if (empty && watchingWrite) {
            watchingWrite = false;
            if (!peerDone) loop.modify(fd, Poller.READ);
        }
    }

    /** Closes after sending what is queued (for "send this error, then hang up"). */
    public void closeAfterFlush(String reason) throws IOException {
        if (closed) return;
        if (out.isEmpty()) {
            close(reason);
            return;
        }
        peerDone = true;
        closeReason = reason;
        loop.modify(fd, Poller.WRITE);
        watchingWrite = true;
    }

    /** Closes now, dropping what is queued. */
    public void close(String reason) {
        if (closed) return;
        closed = true;
        loop.close(fd);
        out.close();
        handler.closed(this, reason);
    }
}
