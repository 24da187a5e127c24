package io.pollkit.server;

import io.pollkit.sys.ErrnoException;
import io.pollkit.sys.Unistd;
import io.pollkit.uring.BufferRing;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

import static io.pollkit.bindings.errno_h.EAGAIN;
import static io.pollkit.bindings.errno_h.ECANCELED;
import static io.pollkit.bindings.errno_h.ECONNRESET;
import static io.pollkit.bindings.errno_h.ENOBUFS;
import static io.pollkit.bindings.errno_h.EPIPE;
import static io.pollkit.bindings.io_uring_h.IORING_CQE_F_MORE;
import static io.pollkit.bindings.sys_socket_h.MSG_DONTWAIT;
import static io.pollkit.bindings.sys_socket_h.MSG_NOSIGNAL;
import static io.pollkit.bindings.sys_socket_h.MSG_WAITALL;

/**
 * One client of a {@link UringServer}: a multishot recv always armed (re-armed when it ends, as after ENOBUFS), at
 * most one send in flight, and the bytes written meanwhile gathered in a second buffer, sent as one when the first
 * completes. A send is tried without waiting first ({@link #sendRest}); once one finds the socket full, the bytes
 * not yet sent may not pass {@code --max-queued}, else the client is closed as not reading: the readiness
 * connection's rule. They are counted at the end of a turn, not at each write, because one batch of completions may
 * hold several reads before the completion of the send. Input that arrives while the output is over the cap is held
 * unread and the recv paused ({@link #hold}), so a client that sends faster than it reads is held back by TCP, as on
 * the readiness loop. A close cancels the connection's requests and closes the fd at once; the slot, and the buffers the kernel
 * may still read, are freed when the last request has completed. The loop's thread only.
 */
final class UringConnection implements Peer {
    private final UringServer server;
    private final int fd;
    private final long id;
    final int slot;
    private final Session session;
    private final int maxQueued;
    private final long recvData, sendData, cancelData;
    private boolean closed, peerDone, closing, recvArmed, sendInFlight, dirty, needsRecv;
    private boolean socketFull;     // the last send found the socket full: the one in flight waits for room
    private boolean recvPaused;     // the recv was cancelled while input is held
    private boolean eofHeld;        // the end of stream came behind held input
    private int[] heldIds = new int[4], heldLengths = new int[4];   // a ring of held buffers, in order
    private int heldHead, heldCount;
    private long heldBytes;
    private String closingReason;
    private int inFlight;           // requests the kernel holds that name this connection
    // Output: written into `pending`; `sending` is what the send in flight reads. Pooled buffers have no arena.
    private MemorySegment pending, sending;
    private Arena pendingArena, sendingArena;
    private long pendingLength, sendOffset, sendLength;

    UringConnection(UringServer server, int fd, long id, int slot, int generation, Session session, int maxQueued) {
        this.server = server;
        this.fd = fd;
        this.id = id;
        this.slot = slot;
        this.session = session;
        this.maxQueued = maxQueued;
        this.recvData = UringServer.userData(UringServer.RECV, generation, slot);
        this.sendData = UringServer.userData(UringServer.SEND, generation, slot);
        this.cancelData = UringServer.userData(UringServer.CANCEL, generation, slot);
    }

    @Override
    public long id() {
        return id;
    }

    @Override
    public boolean isOpen() {
        return !closed;
    }

    /** Closed, and the kernel holds nothing of it any more: its slot and buffers can go. */
    boolean isFinished() {
        return closed && inFlight == 0;
    }

    void armRecv() {
        server.prepareRecv(fd, recvData);
        recvArmed = true;
        inFlight++;
    }

    // ------------------------------------------------------------------ completions

    void received(int res, int flags) {
        boolean more = (flags & IORING_CQE_F_MORE()) != 0;
        if (!more) {
            recvArmed = false;
            inFlight--;
        }
        if (BufferRing.hasBuffer(flags)) {
            int buffer = BufferRing.bufferId(flags);
            if (closed || peerDone || res <= 0) {
                server.buffers().recycle(buffer);
            } else if (heldCount > 0 || backlog() > maxQueued) {
                hold(buffer, res);
            } else {
                deliver(buffer, res);
            }
        } else if (res == 0) {
            if (heldCount > 0) eofHeld = true;
            else endOfStream();
        } else if (res < 0 && res != -ENOBUFS() && res != -ECANCELED() && !closed) {
            close(res == -ECONNRESET() ? "connection reset" : new ErrnoException("recv(fd=" + fd + ")", -res).getMessage());
        }
        // The multishot recv ended without the end of the stream (ENOBUFS: every buffer was out): armed again at the
        // end of the turn, once this turn's buffers are back. What the client sent waits in the socket meanwhile.
        if (!more && !closed && !peerDone && !eofHeld) {
            needsRecv = true;
            markDirty();
        }
    }

    private void deliver(int buffer, int length) {
        try {
            session.received(this, server.buffers().buffer(buffer), length);
        } catch (IOException | RuntimeException e) {
            close(e.getMessage() != null ? e.getMessage() : e.toString());
        } finally {
            server.buffers().recycle(buffer);
        }
    }

    private void endOfStream() {
        if (closed || peerDone) return;
        peerDone = true;
        if (pendingLength == 0 && !sendInFlight) close("peer closed");
        else beginClosing("peer closed");
    }

    /** Bytes written and not yet taken by the socket. */
    private long backlog() {
        return pendingLength + (sendLength - sendOffset);
    }

    /**
     * Input kept unread while the output is over --max-queued: the kernel reads ahead into the buffer ring as fast as
     * a client sends, where the readiness loop reads one buffer per event and lets TCP hold a client back that reads
     * slower than it sends. The recv is cancelled (TCP holds the client back again) until the output has gone and the
     * held input is handled, in order.
     */
    private void hold(int buffer, int length) {
        if (heldCount == heldIds.length) {
            int[] ids = new int[heldIds.length * 2], lengths = new int[ids.length];
            for (int i = 0; i < heldCount; i++) {
                ids[i] = heldIds[(heldHead + i) % heldIds.length];
                lengths[i] = heldLengths[(heldHead + i) % heldIds.length];
            }
            heldIds = ids;
            heldLengths = lengths;
            heldHead = 0;
        }
        int tail = (heldHead + heldCount++) % heldIds.length;
        heldIds[tail] = buffer;
        heldLengths[tail] = length;
        heldBytes += length;
        if (recvArmed && !recvPaused) {
            recvPaused = true;
            server.prepareCancel(recvData, cancelData);
            inFlight++;
        }
        markDirty();   // the cap is checked at the end of the turn
    }

    /** Handles held input while the output allows; reads again once none is left. */
    private void drainHeld() {
        while (heldCount > 0 && !closed && backlog() <= maxQueued) {
            int buffer = heldIds[heldHead], length = heldLengths[heldHead];
            heldHead = (heldHead + 1) % heldIds.length;
            heldCount--;
            heldBytes -= length;
            if (peerDone) server.buffers().recycle(buffer);
            else deliver(buffer, length);
        }
        if (heldCount > 0 || closed) return;
        if (eofHeld) {
            eofHeld = false;
            endOfStream();
        } else if (recvPaused) {
            recvPaused = false;
            needsRecv = true;
            markDirty();
        }
    }

    private void recycleHeld() {
        for (; heldCount > 0; heldCount--) {
            server.buffers().recycle(heldIds[heldHead]);
            heldHead = (heldHead + 1) % heldIds.length;
        }
        heldBytes = 0;
    }

    void sent(int res) {
        sendInFlight = false;
        inFlight--;
        if (res < 0 && res != -EAGAIN()) {
            if (!closed) {
                close(res == -EPIPE() || res == -ECONNRESET() ? "connection reset"
                        : new ErrnoException("send(fd=" + fd + ")", -res).getMessage());
            }
            return;
        }
        if (res == -EAGAIN()) res = 0;
        sendOffset += res;
        if (closed) return;
        if (sendOffset < sendLength) {   // the socket is full: the rest waits for room
            socketFull = true;
            sendRest();
            markDirty();   // the cap is checked at the end of the turn
            return;
        }
        socketFull = false;
        freeSending();
        drainHeld();
        if (closed) return;
        if (pendingLength > 0) markDirty();
        else if (closing) close(closingReason);
    }

    void cancelled() {
        inFlight--;
    }

    // ------------------------------------------------------------------ the end of a turn

    /** Re-arms the recv if it ended, and sends what was written this turn when no send is in flight. */
    void flush() {
        dirty = false;
        if (closed) return;
        if (needsRecv && !recvArmed && !peerDone && !recvPaused) armRecv();
        needsRecv = false;
        // The readiness rule (what the socket refused, over --max-queued), with the held requests counted as the
        // answers they would have queued had they been read.
        if (socketFull && backlog() + heldBytes > maxQueued) {
            close("output queue over " + maxQueued + " bytes: client not reading");
            return;
        }
        if (sendInFlight || pendingLength == 0) return;
        MemorySegment b = sending;
        Arena a = sendingArena;
        sending = pending;
        sendingArena = pendingArena;
        sendOffset = 0;
        sendLength = pendingLength;
        pending = b;
        pendingArena = a;
        pendingLength = 0;
        sendRest();
    }

    /**
     * A send of what is left: first with MSG_DONTWAIT, which the kernel tries once at submission (as the readiness
     * connection's send does) and completes short or with EAGAIN when the socket is full; then, the socket known full,
     * with MSG_WAITALL, which waits for room and completes once every byte is taken.
     */
    private void sendRest() {
        server.prepareSend(fd, sending, sendOffset, (int) (sendLength - sendOffset),
                socketFull ? SEND_WAITING : SEND_TRYING, sendData);
        sendInFlight = true;
        inFlight++;
    }

    private void markDirty() {
        if (dirty) return;
        dirty = true;
        server.markDirty(this);
    }

    // ------------------------------------------------------------------ Peer

    @Override
    public void write(MemorySegment data, long offset, long length) {
        Objects.checkFromIndexSize(offset, length, data.byteSize());
        if (closed || length == 0) return;
        if (pending == null) pending = server.takeBuffer();
        if (pendingLength + length > pending.byteSize()) grow(pendingLength + length);
        MemorySegment.copy(data, offset, pending, pendingLength, length);
        pendingLength += length;
        markDirty();
    }

    /** A buffer past the pool's size: its own arena, freed when it is sent. */
    private void grow(long needed) {
        long capacity = Math.max(2 * pending.byteSize(), Long.highestOneBit(needed) << 1);
        Arena a = Arena.ofConfined();
        MemorySegment bigger = a.allocate(capacity);
        MemorySegment.copy(pending, 0, bigger, 0, pendingLength);
        free(pending, pendingArena);
        pending = bigger;
        pendingArena = a;
    }

    @Override
    public void closeAfterFlush(String reason) {
        if (closed) return;
        if (pendingLength == 0 && !sendInFlight) close(reason);
        else beginClosing(reason);
    }

    private void beginClosing(String reason) {
        if (closing) return;
        closing = true;
        closingReason = reason;
        peerDone = true;   // nothing more is read: what comes is dropped
    }

    @Override
    public void close(String reason) {
        if (closed) return;
        closed = true;
        // The kernel holds its own reference to the socket while a request is in flight: the fd's number is free
        // at once, and the socket closes when the cancelled requests have completed.
        if (recvArmed) {
            server.prepareCancel(recvData, cancelData);
            inFlight++;
        }
        if (sendInFlight) {
            server.prepareCancel(sendData, cancelData);
            inFlight++;
        }
        server.submitBeforeClose();
        Unistd.closeQuietly(fd);
        recycleHeld();
        session.closed(this, reason);   // first: what it logs about the client comes before the disconnect line
        server.closed(this, reason);
    }

    /** Gives the output buffers back (the kernel reads none of them any more). */
    void freeBuffers() {
        free(pending, pendingArena);
        free(sending, sendingArena);
        pending = sending = null;
        pendingArena = sendingArena = null;
        pendingLength = sendLength = sendOffset = 0;
    }

    private void freeSending() {
        free(sending, sendingArena);
        sending = null;
        sendingArena = null;
        sendOffset = sendLength = 0;
    }

    private void free(MemorySegment b, Arena a) {
        if (b == null) return;
        if (a != null) a.close();
        else server.giveBack(b);
    }

    // MSG_NOSIGNAL on every send (Linux's flag itself: io_uring is Linux's): a client gone is EPIPE, not a signal.
    private static final int SEND_TRYING = MSG_NOSIGNAL() | MSG_DONTWAIT();
    private static final int SEND_WAITING = MSG_NOSIGNAL() | MSG_WAITALL();
}
