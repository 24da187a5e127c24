package io.pollkit.sys;

import io.pollkit.bindings.netdb_h;

import java.io.IOException;

/**
 * getaddrinfo(3) or getnameinfo(3) failed with an {@code EAI_*} code: carries the code, its name and
 * gai_strerror's text, as in {@code getaddrinfo(host=nosuch.invalid): EAI_NONAME (Name or service not known)}.
 */
public final class GaiException extends IOException {
    private static final long serialVersionUID = 1L;

    private final int code;

    GaiException(String call, int code, String text) {
        super(call + ": " + name(code) + " (" + text + ")");
        this.code = code;
    }

    private static String name(int code) {
        String n = netdb_h.eaiName(code);
        return n != null ? n : "EAI_" + code;
    }

    /** The {@code EAI_*} code. */
    public int code() {
        return code;
    }

    /** The symbolic name of {@link #code()}. */
    public String codeName() {
        return name(code);
    }
}
