package dev.paddock.daemon.api;

import dev.paddock.daemon.DaemonException;
import dev.paddock.daemon.ErrorCode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** Reading request bodies and fields, with errors that name the field, the value and the fix. */
final class JsonBodies {
    static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private JsonBodies() { }

    /** The body as a JSON object: INVALID_JSON when it is not JSON, INVALID_ARGUMENT when it is not an object. */
    static JsonObject object(RoutingContext ctx) {
        Buffer body = ctx.body().buffer();
        if (body == null || body.length() == 0) {
            throw new DaemonException(ErrorCode.INVALID_JSON, "the request body is empty; send a JSON object"
                    + " (Content-Type: application/json)");
        }
        Object parsed;
        try {
            parsed = Buffer.buffer(body.getBytes()).toJsonValue();
        } catch (DecodeException e) {
            throw new DaemonException(ErrorCode.INVALID_JSON, "the request body is not valid JSON: "
                    + e.getMessage() + "; send a JSON object");
        }
        if (!(parsed instanceof JsonObject o)) {
            throw new DaemonException(ErrorCode.INVALID_JSON, "the request body must be a JSON object, got "
                    + (parsed == null ? "null" : parsed instanceof JsonArray ? "an array" : "a " + parsed.getClass()
                    .getSimpleName().toLowerCase()));
        }
        return o;
    }

    static void onlyFields(JsonObject o, Set<String> known, String where) {
        for (String f : o.fieldNames()) {
            if (!known.contains(f)) {
                throw DaemonException.invalid(where.isEmpty() ? f : where + "." + f, "unknown field '"
                        + (where.isEmpty() ? f : where + "." + f) + "'; known fields: " + known.stream().sorted().toList());
            }
        }
    }

    static String string(JsonObject o, String field, String where, String dflt) {
        Object v = o.getValue(field);
        if (v == null) {
            return dflt;
        }
        if (!(v instanceof String s)) {
            throw DaemonException.invalid(path(where, field), path(where, field) + " must be a string, got " + v);
        }
        return s;
    }

    static boolean bool(JsonObject o, String field, boolean dflt) {
        Object v = o.getValue(field);
        if (v == null) {
            return dflt;
        }
        if (!(v instanceof Boolean b)) {
            throw DaemonException.invalid(field, field + " must be true or false, got " + v);
        }
        return b;
    }

    static int integer(JsonObject o, String field, String where, int dflt, int min, int max, String unit) {
        Object v = o.getValue(field);
        if (v == null) {
            return dflt;
        }
        String name = path(where, field);
        if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
            throw DaemonException.invalid(name, name + " must be an integer, got " + v);
        }
        long value = n.longValue();
        if (value < min || value > max) {
            throw DaemonException.outOfRange(name, value, min, max, unit);
        }
        return (int) value;
    }

    static JsonArray array(JsonObject o, String field, int max) {
        Object v = o.getValue(field);
        if (v == null) {
            return new JsonArray();
        }
        if (!(v instanceof JsonArray a)) {
            throw DaemonException.invalid(field, field + " must be an array, got " + v);
        }
        if (a.size() > max) {
            throw DaemonException.outOfRange(field, a.size(), 0, max, " entries");
        }
        return a;
    }

    static List<String> strings(JsonObject o, String field, int max) {
        JsonArray a = array(o, field, max);
        List<String> out = new ArrayList<>(a.size());
        for (int i = 0; i < a.size(); i++) {
            if (!(a.getValue(i) instanceof String s)) {
                throw DaemonException.invalid(field + "[" + i + "]", field + "[" + i + "] must be a string, got "
                        + a.getValue(i));
            }
            out.add(s);
        }
        return out;
    }

    /** A JSON object of strings; {@code envNames} also checks that each key is an environment variable name. */
    static Map<String, String> stringMap(JsonObject o, String field, boolean envNames) {
        Object v = o.getValue(field);
        if (v == null) {
            return Map.of();
        }
        if (!(v instanceof JsonObject m)) {
            throw DaemonException.invalid(field, field + " must be an object of strings, got " + v);
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (String k : m.fieldNames()) {
            if (!(m.getValue(k) instanceof String s)) {
                throw DaemonException.invalid(field + "." + k, field + "." + k + " must be a string, got "
                        + m.getValue(k));
            }
            if (envNames && !ENV_NAME.matcher(k).matches()) {
                throw DaemonException.invalid(field + "." + k, "'" + k + "' is not an environment variable name;"
                        + " use letters, digits and '_', not starting with a digit");
            }
            out.put(k, s);
        }
        return out;
    }

    private static String path(String where, String field) {
        return where.isEmpty() ? field : where + "." + field;
    }
}
