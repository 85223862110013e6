package dev.paddock.netpolicy.policy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.EnumMap;
import java.util.Map;

/**
 * The presets' defaults and rules, read once from {@code presets.json} beside this class. Keeping them in one
 * JSON resource keeps the host names that presets allow where a user can read and copy them; the file goes
 * through the same parser as any user policy, so a bad preset fails loudly at startup.
 */
public final class Presets {
    static final String RESOURCE = "presets.json";

    private static final Map<Preset, PresetContent> CONTENT = load();

    private Presets() { }

    /** A preset's default action and rules, with ids like {@code balanced:github}. */
    public static PresetContent of(Preset preset) {
        return CONTENT.get(preset);
    }

    private static Map<Preset, PresetContent> load() {
        try (InputStream in = Presets.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("preset resource " + RESOURCE + " is missing from the netpolicy jar");
            }
            JsonNode root = PolicyParser.strictMapper().readTree(in);
            Map<Preset, PresetContent> out = new EnumMap<>(Preset.class);
            for (Preset p : Preset.values()) {
                JsonNode node = root.get(p.json());
                if (node == null) {
                    throw new IllegalStateException("preset resource " + RESOURCE + " has no '" + p.json() + "' entry");
                }
                out.put(p, PolicyParser.parsePreset(p, node));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("preset resource " + RESOURCE + " is not valid JSON", e);
        } catch (PolicyException e) {
            throw new IllegalStateException("preset resource " + RESOURCE + " is invalid: " + e.getMessage(), e);
        }
    }

    /** What a preset contributes to a layer. */
    public record PresetContent(Action defaultAction, java.util.List<Rule> rules) {
        public PresetContent {
            rules = java.util.List.copyOf(rules);
        }
    }
}
