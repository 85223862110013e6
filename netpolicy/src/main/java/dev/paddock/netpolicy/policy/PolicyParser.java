package dev.paddock.netpolicy.policy;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.paddock.netpolicy.address.Cidr;
import dev.paddock.netpolicy.address.IpAddresses;
import dev.paddock.netpolicy.name.DomainPattern;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Policy JSON to a validated {@link PolicyLayer}, all or nothing.
 *
 * <pre>{@code
 * { "preset": "balanced", "default": "deny",
 *   "rules": [
 *     { "id": "gh-read", "action": "allow", "domain": "api.github.com", "ports": [443],
 *       "methods": ["GET"], "paths": ["/repos/**"] },
 *     { "action": "allow", "hostPort": "registry.internal.example:5000" },
 *     { "action": "allow", "cidr": "10.20.0.0/16", "ports": [5432] },
 *     { "action": "deny",  "domain": "**.ads.example" } ] }
 * }</pre>
 *
 * Every problem is collected (not just the first) and reported together, each naming the rule by index and id
 * and the field. Duplicate keys are an error rather than "last one wins", so a document never means something
 * other than what one reading of it says.
 */
public final class PolicyParser {
    private static final Set<String> DOCUMENT_FIELDS = Set.of("preset", "default", "rules", "comment");
    private static final Set<String> PRESET_FIELDS = Set.of("default", "rules", "comment");
    private static final Set<String> RULE_FIELDS =
            Set.of("id", "action", "domain", "hostPort", "cidr", "ports", "methods", "paths", "comment");
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,63}");
    /** Keeps one document from carrying an unbounded amount of matching work into every decision. */
    public static final int MAX_RULES = 4096;

    private PolicyParser() { }

    /** A mapper that rejects duplicate keys. */
    public static ObjectMapper strictMapper() {
        ObjectMapper mapper = new ObjectMapper();
        mapper.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        return mapper;
    }

    /** Parses a policy document for one layer. */
    public static PolicyLayer parse(Scope scope, String json) throws PolicyException {
        JsonNode root;
        try {
            root = strictMapper().readTree(json);
        } catch (JsonProcessingException e) {
            throw new PolicyException(List.of("policy is not valid JSON: " + e.getOriginalMessage()
                    + (e.getLocation() != null ? " (line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ")" : "")));
        }
        return parse(scope, root);
    }

    /** Parses an already-read policy document for one layer. */
    public static PolicyLayer parse(Scope scope, JsonNode root) throws PolicyException {
        List<String> problems = new ArrayList<>();
        if (root == null || !root.isObject()) {
            throw new PolicyException(List.of("a policy document is a JSON object with 'preset', 'default' and"
                    + " 'rules'; got " + (root == null ? "nothing" : root.getNodeType().toString().toLowerCase(Locale.ROOT))));
        }
        unknownFields(root, DOCUMENT_FIELDS, "policy", problems);

        Optional<Preset> preset = Optional.empty();
        JsonNode presetNode = root.get("preset");
        if (presetNode != null) {
            preset = presetNode.isTextual() ? Preset.fromJson(presetNode.asText()) : Optional.empty();
            if (preset.isEmpty()) {
                problems.add("preset: unknown preset " + presetNode + "; use \"open\", \"balanced\" or \"locked-down\"");
            }
        }
        Optional<Action> explicitDefault = parseDefault(root, problems);

        List<Rule> rules = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        if (preset.isPresent()) {
            for (Rule r : Presets.of(preset.get()).rules()) {
                rules.add(r);
                ids.add(r.id());
            }
        }
        parseRules(root.get("rules"), scope.label() + "#", ids, rules, problems);

        if (!problems.isEmpty()) {
            throw new PolicyException(problems);
        }
        Optional<Action> defaultAction = explicitDefault.isPresent() ? explicitDefault
                : preset.map(p -> Presets.of(p).defaultAction());
        if (scope == Scope.GLOBAL && defaultAction.isEmpty()) {
            defaultAction = Optional.of(Action.DENY);
        }
        return new PolicyLayer(scope, preset, defaultAction, rules);
    }

    /** Parses one entry of presets.json; rule ids there are required and get the preset's name as prefix. */
    static Presets.PresetContent parsePreset(Preset preset, JsonNode node) throws PolicyException {
        List<String> problems = new ArrayList<>();
        if (!node.isObject()) {
            throw new PolicyException(List.of(preset.json() + ": a preset is a JSON object"));
        }
        unknownFields(node, PRESET_FIELDS, preset.json(), problems);
        Optional<Action> def = parseDefault(node, problems);
        if (def.isEmpty() && problems.isEmpty()) {
            problems.add(preset.json() + ": a preset needs a 'default'");
        }
        List<Rule> rules = new ArrayList<>();
        JsonNode rulesNode = node.get("rules");
        if (rulesNode != null && rulesNode.isArray()) {
            for (int i = 0; i < rulesNode.size(); i++) {
                if (!rulesNode.get(i).hasNonNull("id")) {
                    problems.add(preset.json() + ".rules[" + i + "]: preset rules need an 'id'");
                }
            }
        }
        parseRules(rulesNode, preset.json() + "#", new HashSet<>(), rules, problems);
        if (!problems.isEmpty()) {
            throw new PolicyException(problems);
        }
        List<Rule> prefixed = rules.stream()
                .map(r -> new Rule(preset.json() + ":" + r.id(), r.action(), r.target(), r.ports(), r.http()))
                .toList();
        return new Presets.PresetContent(def.orElseThrow(), prefixed);
    }

    private static Optional<Action> parseDefault(JsonNode root, List<String> problems) {
        JsonNode def = root.get("default");
        if (def == null) {
            return Optional.empty();
        }
        Optional<Action> a = def.isTextual() ? Action.fromJson(def.asText()) : Optional.empty();
        if (a.isEmpty()) {
            problems.add("default: " + def + " is not an action; use \"allow\" or \"deny\"");
        }
        return a;
    }

    private static void parseRules(JsonNode rulesNode, String idPrefix, Set<String> ids, List<Rule> out,
                                   List<String> problems) {
        if (rulesNode == null) {
            return;
        }
        if (!rulesNode.isArray()) {
            problems.add("rules: must be an array of rule objects");
            return;
        }
        if (rulesNode.size() > MAX_RULES) {
            problems.add("rules: " + rulesNode.size() + " rules; at most " + MAX_RULES + " are allowed per layer");
            return;
        }
        for (int i = 0; i < rulesNode.size(); i++) {
            JsonNode node = rulesNode.get(i);
            String where = "rules[" + i + "]";
            if (!node.isObject()) {
                problems.add(where + ": a rule is a JSON object");
                continue;
            }
            JsonNode idNode = node.get("id");
            String id = idPrefix + (i + 1);
            if (idNode != null) {
                if (!idNode.isTextual() || !ID.matcher(idNode.asText()).matches()) {
                    problems.add(where + ".id: " + idNode + " is not an id; use 1 to 64 letters, digits, '.', '_',"
                            + " ':' or '-', starting with a letter or digit");
                } else {
                    id = idNode.asText();
                    where = where + " (id \"" + id + "\")";
                }
            }
            if (!ids.add(id)) {
                problems.add(where + ".id: \"" + id + "\" is already used by another rule in this layer");
            }
            int before = problems.size();
            Rule rule = parseRule(node, id, where, problems);
            if (problems.size() == before) {
                out.add(rule);
            }
        }
    }

    private static Rule parseRule(JsonNode node, String id, String where, List<String> problems) {
        unknownFields(node, RULE_FIELDS, where, problems);
        Action action = null;
        JsonNode actionNode = node.get("action");
        if (actionNode == null) {
            problems.add(where + ".action: missing; use \"allow\" or \"deny\"");
        } else {
            action = actionNode.isTextual() ? Action.fromJson(actionNode.asText()).orElse(null) : null;
            if (action == null) {
                problems.add(where + ".action: " + actionNode + " is not an action; use \"allow\" or \"deny\"");
            }
        }

        List<String> targets = new ArrayList<>();
        for (String f : List.of("domain", "hostPort", "cidr")) {
            if (node.has(f)) {
                targets.add(f);
            }
        }
        if (targets.size() != 1) {
            problems.add(where + ": " + (targets.isEmpty() ? "names no destination" : "names " + String.join(" and ", targets))
                    + "; give exactly one of 'domain', 'hostPort' or 'cidr' (split it into several rules)");
            return null;
        }
        PortSet ports = parsePorts(node.get("ports"), where, problems);
        HttpMatch http = parseHttp(node, where, problems);
        RuleTarget target = null;
        String kind = targets.get(0);
        JsonNode value = node.get(kind);
        if (!value.isTextual()) {
            problems.add(where + "." + kind + ": must be a string, got " + value);
            return null;
        }
        String text = value.asText();
        switch (kind) {
            case "domain" -> {
                DomainPattern.Parsed p = DomainPattern.parse(text);
                if (p.pattern().isEmpty()) {
                    problems.add(where + ".domain: " + p.problem());
                } else {
                    target = new RuleTarget.Domain(p.pattern().get());
                }
            }
            case "cidr" -> {
                Cidr.Parsed c = Cidr.parse(text);
                if (c.cidr().isEmpty()) {
                    problems.add(where + ".cidr: " + c.problem());
                } else {
                    target = new RuleTarget.Block(c.cidr().get());
                }
            }
            default -> {
                if (node.has("ports")) {
                    problems.add(where + ": 'hostPort' names its port, so 'ports' conflicts with it; remove 'ports'"
                            + " or use 'domain' with 'ports'");
                }
                HostPortParse hp = parseHostPort(text, where, problems);
                if (hp != null) {
                    target = hp.target();
                    ports = PortSet.of(hp.port());
                }
            }
        }
        if (action == null || target == null || ports == null || http == null) {
            return null;
        }
        return new Rule(id, action, target, ports, http);
    }

    private record HostPortParse(RuleTarget target, int port) { }

    private static HostPortParse parseHostPort(String text, String where, List<String> problems) {
        int colon = text.lastIndexOf(':');
        boolean bracketed = text.startsWith("[");
        if (colon < 0 || (bracketed && text.lastIndexOf(']') > colon) || (!bracketed && text.indexOf(':') != colon)) {
            problems.add(where + ".hostPort: '" + text + "' is not host:port; write 'name:443', '10.0.0.5:5432' or"
                    + " '[2001:db8::5]:5432'");
            return null;
        }
        String hostText = text.substring(0, colon);
        Integer port = parsePort(text.substring(colon + 1), where + ".hostPort", problems);
        if (port == null) {
            return null;
        }
        Optional<InetAddress> literal = IpAddresses.parseLiteral(hostText);
        if (bracketed && literal.isEmpty()) {
            problems.add(where + ".hostPort: '" + hostText + "' is not an IPv6 address");
            return null;
        }
        if (literal.isPresent()) {
            InetAddress a = literal.get();
            return new HostPortParse(new RuleTarget.Block(new Cidr(a, a.getAddress().length * 8)), port);
        }
        DomainPattern.Parsed p = DomainPattern.parse(hostText);
        if (p.pattern().isEmpty()) {
            problems.add(where + ".hostPort: " + p.problem());
            return null;
        }
        return new HostPortParse(new RuleTarget.HostPort(p.pattern().get(), port), port);
    }

    private static Integer parsePort(String text, String where, List<String> problems) {
        if (text.isEmpty() || text.length() > 5 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            problems.add(where + ": port '" + text + "' is not a number in 1..65535");
            return null;
        }
        int p = Integer.parseInt(text);
        if (p < 1 || p > 65535) {
            problems.add(where + ": port " + p + " is out of range; ports are 1..65535");
            return null;
        }
        return p;
    }

    private static PortSet parsePorts(JsonNode node, String where, List<String> problems) {
        if (node == null) {
            return PortSet.ANY;
        }
        if (!node.isArray() || node.isEmpty()) {
            problems.add(where + ".ports: must be a non-empty array of ports, e.g. [443]; leave it out for every port");
            return null;
        }
        Set<Integer> ports = new TreeSet<>();
        boolean ok = true;
        for (JsonNode p : node) {
            if (!p.isInt() || p.asInt() < 1 || p.asInt() > 65535) {
                problems.add(where + ".ports: " + p + " is out of range; ports are whole numbers in 1..65535");
                ok = false;
            } else {
                ports.add(p.asInt());
            }
        }
        return ok ? new PortSet(ports) : null;
    }

    private static HttpMatch parseHttp(JsonNode node, String where, List<String> problems) {
        boolean ok = true;
        Set<String> methods = new LinkedHashSet<>();
        JsonNode m = node.get("methods");
        if (m != null) {
            if (!m.isArray() || m.isEmpty()) {
                problems.add(where + ".methods: must be a non-empty array such as [\"GET\", \"HEAD\"]; leave it out for"
                        + " every method");
                ok = false;
            } else {
                for (JsonNode e : m) {
                    String name = e.isTextual() ? e.asText().toUpperCase(Locale.ROOT) : null;
                    if (name == null || !HttpMatch.KNOWN_METHODS.contains(name)) {
                        problems.add(where + ".methods: unknown HTTP method " + e + "; use one of "
                                + new TreeSet<>(HttpMatch.KNOWN_METHODS));
                        ok = false;
                    } else {
                        methods.add(name);
                    }
                }
            }
        }
        List<PathPattern> paths = new ArrayList<>();
        JsonNode p = node.get("paths");
        if (p != null) {
            if (!p.isArray() || p.isEmpty()) {
                problems.add(where + ".paths: must be a non-empty array such as [\"/v1/**\"]; leave it out for every path");
                ok = false;
            } else {
                for (JsonNode e : p) {
                    PathPattern.Parsed parsed = e.isTextual() ? PathPattern.parse(e.asText())
                            : new PathPattern.Parsed(Optional.empty(), "path pattern " + e + " is not a string");
                    if (parsed.pattern().isEmpty()) {
                        problems.add(where + ".paths: " + parsed.problem());
                        ok = false;
                    } else {
                        paths.add(parsed.pattern().get());
                    }
                }
            }
        }
        return ok ? new HttpMatch(methods, paths) : null;
    }

    private static void unknownFields(JsonNode node, Set<String> allowed, String where, List<String> problems) {
        Iterator<String> names = ((ObjectNode) node).fieldNames();
        while (names.hasNext()) {
            String n = names.next();
            if (!allowed.contains(n)) {
                problems.add(where + ": unknown field '" + n + "'; allowed: " + new TreeSet<>(allowed));
            }
        }
    }
}
