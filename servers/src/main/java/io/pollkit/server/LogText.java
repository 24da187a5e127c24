package io.pollkit.server;

/**
 * Text a peer controls, made safe for a log line: control characters (C0 but TAB, DEL, C1) become
 * {@code \xHH}, the Unicode line separators and bidirectional overrides become a backslash, {@code u} and four hex digits, and a
 * backslash becomes {@code \\}. What is logged is then one line, free of terminal escape sequences and of
 * text that displays in another order than it reads, and still tells the bytes apart.
 */
public final class LogText {
    private LogText() {}

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    /** {@code text} with its control characters and backslashes escaped; {@code text} itself when it has none. */
    public static String escape(String text) {
        int first = 0;
        while (first < text.length() && !special(text.charAt(first))) first++;
        if (first == text.length()) return text;
        StringBuilder b = new StringBuilder(text.length() + 16).append(text, 0, first);
        for (int i = first; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\\') b.append("\\\\");
            else if (!special(c)) b.append(c);
            else if (c < 0x100) b.append("\\x").append(HEX[(c >> 4) & 0xf]).append(HEX[c & 0xf]);
            else b.append("\\u").append(HEX[c >> 12]).append(HEX[(c >> 8) & 0xf]).append(HEX[(c >> 4) & 0xf]).append(HEX[c & 0xf]);
        }
        return b.toString();
    }

    private static boolean special(char c) {
        return (c < 0x20 && c != '\t') || (c >= 0x7f && c <= 0x9f) || c == '\\'
                || c == 0x2028 || c == 0x2029 || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
    }
}
