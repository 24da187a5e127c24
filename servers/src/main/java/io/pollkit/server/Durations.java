package io.pollkit.server;

/** Durations as people write them on a command line and read them in a log: {@code 500ms}, {@code 10s}, {@code 2m}, {@code 1h}. */
public final class Durations {
    private Durations() {}

    /**
     * {@code text} in milliseconds: a whole number and a unit, {@code ms}, {@code s}, {@code m} or {@code h}; a bare
     * number is taken in {@code bareUnit} ("ms" for --interval) or, when {@code bareUnit} is null, refused (but 0).
     * IllegalArgumentException with a message for a person otherwise, and when it is out of {@code [min, max]}.
     */
    public static long parseMillis(String text, String bareUnit, long min, long max) {
        int digits = 0;
        while (digits < text.length() && text.charAt(digits) >= '0' && text.charAt(digits) <= '9') digits++;
        String unit = text.substring(digits);
        if (unit.isEmpty() && bareUnit != null) unit = bareUnit;
        long scale = switch (unit) {
            case "ms" -> 1;
            case "s" -> 1_000;
            case "m" -> 60_000;
            case "h" -> 3_600_000;
            case "" -> digits > 0 && text.chars().allMatch(c -> c == '0') ? 1 : -1;   // 0 needs no unit
            default -> -1;
        };
        if (digits == 0 || digits > 12 || scale < 0) {
            String why = digits > 0 && unit.isEmpty() ? "needs a unit" : "is not a duration";
            throw new IllegalArgumentException("'" + text + "' " + why + ": write a whole number and ms, s, m or h, such as "
                    + "500ms, 10s or 2m");
        }
        long millis = Long.parseLong(text, 0, digits, 10) * scale;
        if (millis < min || millis > max) {
            throw new IllegalArgumentException("'" + text + "' is out of range: from " + format(min) + " to " + format(max));
        }
        return millis;
    }

    /** {@code millis} in the largest unit that shows it exactly: {@code 300ms}, {@code 10s}, {@code 2m}, {@code 1h}. */
    public static String format(long millis) {
        if (millis != 0 && millis % 3_600_000 == 0) return millis / 3_600_000 + "h";
        if (millis != 0 && millis % 60_000 == 0) return millis / 60_000 + "m";
        if (millis != 0 && millis % 1_000 == 0) return millis / 1_000 + "s";
        return millis + "ms";
    }
}
