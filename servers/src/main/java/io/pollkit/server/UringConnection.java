package io.pollkit.server;

import io.pollkit.sys.ErrnoException;
import io.pollkit.sys.Sockets;
import io.pollkit.sys.Unistd;
import io.pollkit.uring.BufferRing;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

import static io.pollkit.bindings.errno_h.ECANCELED;
import static io.pollkit.bindings.errno_h.ECONNRESET;
import static io.pollkit.bindings.errno_h.ENOBUFS;
import static io.pollkit.bindings.errno_h.EPIPE;
import static io.pollkit.bindings.io_uring_h.IORING_CQE_F_MORE;

/**
 * One client of a {@link UringServer}: a multishot recv always armed (re-armed when it ends, as after ENOBUFS), at
 * most one send in flight, and the bytes written meanwhile gathered in a second buffer, sent as one when the first
 * completes. A send that has not completed means the socket is full (a blocking socket's send completes once the
 * socket has taken every byte): when the bytes gathered behind it pass {@code --max-queued} at the end of a turn, the
 * client is closed as not reading. They are counted at the end of a turn, not at each write, because one batch of
 * completions may hold several reads before the completion of the send that makes room; what a turn can add is
 * bounded by the buffer ring (its buffers come back only at the end of the turn). A close cancels the connection's requests and closes the fd at once; the slot, and the buffers the kernel
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
            try {
                if (!closed && !peerDone && res > 0) session.received(this, server.buffers().buffer(buffer), res);
            } catch (IOException | RuntimeException e) {
                close(e.getMessage() != null ? e.getMessage() : e.toString());
            } finally {
                server.buffers().recycle(buffer);
            }
        } else if (res == 0) {
            if (!closed && !peerDone) {
                peerDone = true;
                if (pendingLength == 0 && !sendInFlight) close("peer closed");
                else beginClosing("peer closed");
            }
        } else if (res < 0 && res != -ENOBUFS() && res != -ECANCELED() && !closed) {
            close(res == -ECONNRESET() ? "connection reset" : new ErrnoException("recv(fd=" + fd + ")", -res).getMessage());
        }
        // The multishot recv ended without the end of the stream (ENOBUFS: every buffer was out): armed again at the
        // end of the turn, once this turn's buffers are back. What the client sent waits in the socket meanwhile.
        if (!more && !closed && !peerDone) {
            needsRecv = true;
            markDirty();
        }
    }

    void sent(int res) {
        sendInFlight = false;
        inFlight--;
        if (res < 0) {
            if (!closed) {
                close(res == -EPIPE() || res == -ECONNRESET() ? "connection reset"
                        : new ErrnoException("send(fd=" + fd + ")", -res).getMessage());
            }
            return;
        }
        sendOffset += res;
        if (closed) return;
        if (sendOffset < sendLength) {   // a short send: the rest goes at once
            sendRest();
            return;
        }
        freeSending();
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
        if (needsRecv && !recvArmed && !peerDone) armRecv();
        needsRecv = false;
        if (sendInFlight && pendingLength > maxQueued) {
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

    private void sendRest() {
        server.prepareSend(fd, sending, sendOffset, (int) (sendLength - sendOffset), sendData);
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
        Unistd.closeQuietly(fd);
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

    /** The MSG_NOSIGNAL every send takes: a client gone is EPIPE, not a signal. */
    static final int SEND_FLAGS = Sockets.NOSIGNAL;
}
