package io.pollkit.server;

import io.pollkit.loop.Connection;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/** A {@link Session} on the readiness loop: its connection is the {@link Peer}. */
final class ConnectionSession implements Connection.Handler, LoopServer.Opening, Peer {
    private final Session session;
    private final long id;
    private Connection connection;

    ConnectionSession(long id, Session session) {
        this.id = id;
        this.session = session;
    }

    @Override
    public void opened(Connection c) {
        connection = c;
        session.opened(this);
    }

    @Override
    public void received(Connection c, MemorySegment data, long length) throws IOException {
        connection = c;
        session.received(this, data, length);
    }

    @Override
    public void closed(Connection c, String reason) {
        session.closed(this, reason);
    }

    @Override
    public long id() {
        return id;
    }

    @Override
    public boolean isOpen() {
        return connection.isOpen();
    }

    @Override
    public void write(MemorySegment data, long offset, long length) throws IOException {
        connection.write(data, offset, length);
    }

    @Override
    public void closeAfterFlush(String reason) throws IOException {
        connection.closeAfterFlush(reason);
    }

    @Override
    public void close(String reason) {
        connection.close(reason);
    }
}
