package dev.paddock.netpolicy.decision;

import static dev.paddock.netpolicy.decision.ReasonCode.ALLOWED_BY_DEFAULT;
import static dev.paddock.netpolicy.decision.ReasonCode.ALLOWED_BY_RULE;
import static dev.paddock.netpolicy.decision.ReasonCode.DENIED_BY_DEFAULT;
import static dev.paddock.netpolicy.decision.ReasonCode.DENIED_BY_RULE;
import static dev.paddock.netpolicy.decision.ReasonCode.HOST_ADDRESS_MISMATCH;
import static dev.paddock.netpolicy.decision.ReasonCode.HOST_PROTECTED;
import static dev.paddock.netpolicy.decision.ReasonCode.HOST_SNI_MISMATCH;
import static dev.paddock.netpolicy.decision.ReasonCode.INVALID_NAME;
import static dev.paddock.netpolicy.decision.ReasonCode.INVALID_REQUEST;
import static dev.paddock.netpolicy.decision.ReasonCode.IP_LITERAL_NEEDS_CIDR;
import static dev.paddock.netpolicy.decision.ReasonCode.NAME_NOT_RESOLVED;
import static dev.paddock.netpolicy.decision.ReasonCode.PADDOCK_LISTENER;
import static dev.paddock.netpolicy.decision.ReasonCode.PRIVATE_RANGE_NEEDS_CIDR;
import static org.assertj.core.api.Assertions.assertThat;

import dev.paddock.netpolicy.decision.EgressRequest.RequestLine;
import dev.paddock.netpolicy.policy.PolicyException;
import dev.paddock.netpolicy.policy.PolicyParser;
import dev.paddock.netpolicy.policy.PolicyRegistry;
import dev.paddock.netpolicy.policy.Scope;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The decision core, table-driven: one row per case, each naming the rule that must decide. */
class EgressDeciderTest {

    // --- policies the rows refer to -------------------------------------------------------------------------

    static final String G_OPEN = "{\"preset\": \"open\"}";

    static final String G_CUSTOM = """
            { "default": "deny", "rules": [
              { "id": "g-deny-bad",   "action": "deny",  "domain": "bad.example.com" },
              { "id": "g-allow-api",  "action": "allow", "domain": "api.example.com", "ports": [443] },
              { "id": "g-http-deny",  "action": "deny",  "domain": "api.example.com", "methods": ["DELETE"] },
              { "id": "g-lan-db",     "action": "allow", "cidr": "10.1.0.0/16", "ports": [5432] },
              { "id": "g-one",        "action": "allow", "domain": "*.one.example" },
              { "id": "g-many",       "action": "allow", "domain": "**.many.example" },
              { "id": "g-hp",         "action": "allow", "hostPort": "registry.example.com:5000" },
              { "id": "g-ipport",     "action": "allow", "hostPort": "203.0.113.7:8443" },
              { "id": "g-v6",         "action": "allow", "cidr": "2001:db8:1::/48" },
              { "id": "g-http",       "action": "allow", "domain": "git.example.com", "methods": ["GET"], "paths": ["/repos/**"] },
              { "id": "g-deny-port",  "action": "deny",  "domain": "mixed.example.com", "ports": [80] },
              { "id": "g-allow-mixed","action": "allow", "domain": "mixed.example.com" },
              { "id": "g-internal",   "action": "allow", "domain": "db.corp.example" }
            ] }""";

    static final String S_NONE = "{}";
    static final String S_ALLOW_BAD = "{\"rules\": [{\"id\": \"s-allow-bad\", \"action\": \"allow\", \"domain\": \"bad.example.com\"}]}";
    static final String S_ALLOW_EXTRA = "{\"rules\": [{\"id\": \"s-extra\", \"action\": \"allow\", \"domain\": \"extra.example.org\"}]}";
    static final String S_DENY_API = "{\"rules\": [{\"id\": \"s-deny-api\", \"action\": \"deny\", \"domain\": \"api.example.com\"}]}";
    static final String S_LOCKED = "{\"preset\": \"locked-down\"}";
    static final String S_DEFAULT_ALLOW = "{\"default\": \"allow\"}";
    static final String S_DB_CIDR = "{\"rules\": [{\"id\": \"s-db\", \"action\": \"allow\", \"cidr\": \"10.9.0.0/16\"}]}";
    /** A sandbox layer that tries to open every way back to the host: host protection must still hold. */
    static final String S_EVERYTHING = """
            { "default": "allow", "rules": [
              { "id": "s-lo4",  "action": "allow", "cidr": "127.0.0.0/8" },
              { "id": "s-lo6",  "action": "allow", "cidr": "::1/128" },
              { "id": "s-ll4",  "action": "allow", "cidr": "169.254.0.0/16" },
              { "id": "s-ll6",  "action": "allow", "cidr": "fe80::/10" },
              { "id": "s-zero", "action": "allow", "cidr": "0.0.0.0/8" },
              { "id": "s-mc",   "action": "allow", "cidr": "224.0.0.0/4" },
              { "id": "s-host", "action": "allow", "cidr": "192.0.2.0/24" },
              { "id": "s-pad",  "action": "allow", "cidr": "198.51.100.0/24" },
              { "id": "s-all4", "action": "allow", "cidr": "0.0.0.0/0" },
              { "id": "s-all6", "action": "allow", "cidr": "::/0" }
            ] }""";

    static final HostProtection PROTECTION = new HostProtection(
            Set.of(address("192.0.2.10"), address("2001:db8:ffff::10")),
            Set.of(new InetSocketAddress(address("198.51.100.20"), 7070)));

    // --- one row ---------------------------------------------------------------------------------------------

    record Case(String label, String global, String sandbox, String dst, int port, String sni, String host,
                String request, String resolved, Verdict verdict, ReasonCode reason, String ruleId, Boolean inspect) {
        Case global(String g) { return new Case(label, g, sandbox, dst, port, sni, host, request, resolved, verdict, reason, ruleId, inspect); }
        Case sandbox(String s) { return new Case(label, global, s, dst, port, sni, host, request, resolved, verdict, reason, ruleId, inspect); }
        Case to(String d, int p) { return new Case(label, global, sandbox, d, p, sni, host, request, resolved, verdict, reason, ruleId, inspect); }
        Case sni(String s) { return new Case(label, global, sandbox, dst, port, s, host, request, resolved, verdict, reason, ruleId, inspect); }
        Case host(String h) { return new Case(label, global, sandbox, dst, port, sni, h, request, resolved, verdict, reason, ruleId, inspect); }
        Case request(String r) { return new Case(label, global, sandbox, dst, port, sni, host, r, resolved, verdict, reason, ruleId, inspect); }
        Case resolved(String r) { return new Case(label, global, sandbox, dst, port, sni, host, request, r, verdict, reason, ruleId, inspect); }
        Case inspect(boolean i) { return new Case(label, global, sandbox, dst, port, sni, host, request, resolved, verdict, reason, ruleId, i); }
        Case allow(ReasonCode r, String id) { return new Case(label, global, sandbox, dst, port, sni, host, request, resolved, Verdict.ALLOW, r, id, inspect); }
        Case deny(ReasonCode r, String id) { return new Case(label, global, sandbox, dst, port, sni, host, request, resolved, Verdict.DENY, r, id, inspect); }

        @Override
        public String toString() {
            return label;
        }
    }

    static Case c(String label) {
        return new Case(label, G_CUSTOM, S_NONE, null, 443, null, null, null, "", null, null, null, null);
    }

    static Stream<Case> connections() {
        return Stream.of(
                // rule kinds: domain, ports, host:port, CIDR, defaults
                c("domain allow on its port").to("93.184.216.34", 443).sni("api.example.com").resolved("api.example.com").allow(ALLOWED_BY_RULE, "g-allow-api").inspect(true),
                c("domain allow, other port").to("93.184.216.34", 80).host("api.example.com").resolved("api.example.com").deny(DENIED_BY_DEFAULT, "global:default"),
                c("domain deny").to("93.184.216.34", 443).sni("bad.example.com").resolved("bad.example.com").deny(DENIED_BY_RULE, "g-deny-bad"),
                c("unlisted name, global default deny").to("93.184.216.34", 443).sni("unknown.example.net").resolved("unknown.example.net").deny(DENIED_BY_DEFAULT, "global:default"),
                c("port-specific deny beats allow in the same layer").to("93.184.216.34", 80).host("mixed.example.com").resolved("mixed.example.com").deny(DENIED_BY_RULE, "g-deny-port"),
                c("port-specific deny leaves other ports").to("93.184.216.34", 443).sni("mixed.example.com").resolved("mixed.example.com").allow(ALLOWED_BY_RULE, "g-allow-mixed"),
                c("host:port allow").to("93.184.216.34", 5000).host("registry.example.com:5000").resolved("registry.example.com").allow(ALLOWED_BY_RULE, "g-hp"),
                c("host:port, other port").to("93.184.216.34", 5001).host("registry.example.com:5001").resolved("registry.example.com").deny(DENIED_BY_DEFAULT, "global:default"),
                c("ip:port rule allows the IP literal").to("203.0.113.7", 8443).allow(ALLOWED_BY_RULE, "g-ipport"),
                c("ip:port rule, other port").to("203.0.113.7", 443).deny(IP_LITERAL_NEEDS_CIDR, "identity:ip-literal"),
                c("private CIDR rule allows its block and port").to("10.1.2.3", 5432).allow(ALLOWED_BY_RULE, "g-lan-db"),
                c("private CIDR rule, other port").to("10.1.2.3", 22).deny(IP_LITERAL_NEEDS_CIDR, "identity:ip-literal"),
                c("private address outside the CIDR rule").to("10.2.0.1", 5432).deny(IP_LITERAL_NEEDS_CIDR, "identity:ip-literal"),
                c("IPv6 CIDR allow").to("2001:db8:1::5", 443).allow(ALLOWED_BY_RULE, "g-v6"),
                c("IPv6 outside the CIDR").to("2001:db8:2::5", 443).deny(IP_LITERAL_NEEDS_CIDR, "identity:ip-literal"),
                c("IPv4 literal under open").global(G_OPEN).to("93.184.216.34", 443).allow(ALLOWED_BY_RULE, "open:any-ipv4"),
                c("IPv6 literal under open").global(G_OPEN).to("2606:2800:220:1:248:1893:25c8:1946", 443).allow(ALLOWED_BY_RULE, "open:any-ipv6"),
                c("IPv4 literal under locked-down global").global("{\"preset\": \"locked-down\"}").to("93.184.216.34", 443).deny(IP_LITERAL_NEEDS_CIDR, "identity:ip-literal"),
                c("name under open: the any-address rule matches first").global(G_OPEN).to("93.184.216.34", 443).sni("anything.example.net").resolved("anything.example.net").allow(ALLOWED_BY_RULE, "open:any-ipv4"),
                c("opaque TCP after DNS is decided by the resolved name").to("93.184.216.34", 443).resolved("api.example.com").allow(ALLOWED_BY_RULE, "g-allow-api"),
                c("opaque TCP: any resolved name that allows").to("93.184.216.34", 443).resolved("unknown.example.net,api.example.com").allow(ALLOWED_BY_RULE, "g-allow-api"),
                c("opaque TCP to a resolved but denied name").to("93.184.216.34", 443).resolved("bad.example.com").deny(DENIED_BY_RULE, "g-deny-bad"),

                // wildcards
                c("*. matches one label").to("93.184.216.34", 443).sni("a.one.example").resolved("a.one.example").allow(ALLOWED_BY_RULE, "g-one"),
                c("*. does not match two labels").to("93.184.216.34", 443).sni("a.b.one.example").resolved("a.b.one.example").deny(DENIED_BY_DEFAULT, "global:default"),
                c("*. does not match the suffix itself").to("93.184.216.34", 443).sni("one.example").resolved("one.example").deny(DENIED_BY_DEFAULT, "global:default"),
                c("**. matches one label").to("93.184.216.34", 443).sni("a.many.example").resolved("a.many.example").allow(ALLOWED_BY_RULE, "g-many"),
                c("**. matches three labels").to("93.184.216.34", 443).sni("a.b.c.many.example").resolved("a.b.c.many.example").allow(ALLOWED_BY_RULE, "g-many"),
                c("**. does not match the suffix itself").to("93.184.216.34", 443).sni("many.example").resolved("many.example").deny(DENIED_BY_DEFAULT, "global:default"),
                c("suffix match is on a label boundary").to("93.184.216.34", 443).sni("xmany.example").resolved("xmany.example").deny(DENIED_BY_DEFAULT, "global:default"),
                c("case and trailing dot are canonicalized").to("93.184.216.34", 443).sni("A.One.EXAMPLE.").resolved("a.one.example").allow(ALLOWED_BY_RULE, "g-one"),
                c("punycode names pass as LDH").global(G_OPEN).to("93.184.216.34", 443).sni("xn--bcher-kva.example").resolved("xn--bcher-kva.example").allow(ALLOWED_BY_RULE, "open:any-ipv4"),

                // layer precedence
                c("sandbox allow never overrides a global deny").sandbox(S_ALLOW_BAD).to("93.184.216.34", 443).sni("bad.example.com").resolved("bad.example.com").deny(DENIED_BY_RULE, "g-deny-bad"),
                c("sandbox allow widens past the global default").sandbox(S_ALLOW_EXTRA).to("93.184.216.34", 443).sni("extra.example.org").resolved("extra.example.org").allow(ALLOWED_BY_RULE, "s-extra"),
                c("without the sandbox rule the global default holds").to("93.184.216.34", 443).sni("extra.example.org").resolved("extra.example.org").deny(DENIED_BY_DEFAULT, "global:default"),
                c("sandbox deny beats a global allow").sandbox(S_DENY_API).to("93.184.216.34", 443).sni("api.example.com").resolved("api.example.com").deny(DENIED_BY_RULE, "s-deny-api"),
                c("sandbox locked-down beats global allow rules").sandbox(S_LOCKED).to("93.184.216.34", 443).sni("api.example.com").resolved("api.example.com").deny(DENIED_BY_DEFAULT, "sandbox:default"),
                c("sandbox default allow cannot widen a global default deny").sandbox(S_DEFAULT_ALLOW).to("93.184.216.34", 443).sni("unknown.example.net").resolved("unknown.example.net").deny(DENIED_BY_DEFAULT, "global:default"),
                c("sandbox default allow under global open").global("{\"default\": \"allow\"}").sandbox(S_DEFAULT_ALLOW).to("93.184.216.34", 443).sni("unknown.example.net").resolved("unknown.example.net").allow(ALLOWED_BY_DEFAULT, "sandbox:default"),
                c("global default allow, no rules").global("{\"default\": \"allow\"}").to("93.184.216.34", 443).sni("unknown.example.net").resolved("unknown.example.net").allow(ALLOWED_BY_DEFAULT, "global:default"),
                c("global default allow does not admit IP literals").global("{\"default\": \"allow\"}").to("93.184.216.34", 443).deny(IP_LITERAL_NEEDS_CIDR, "identity:ip-literal"),
                c("sandbox locked-down under global open").global(G_OPEN).sandbox(S_LOCKED).to("93.184.216.34", 443).sni("unknown.example.net").resolved("unknown.example.net").deny(DENIED_BY_DEFAULT, "sandbox:default"),
                c("sandbox locked-down under global open, IP literal").global(G_OPEN).sandbox(S_LOCKED).to("93.184.216.34", 443).deny(DENIED_BY_DEFAULT, "sandbox:default"),
                c("sandbox CIDR rule opens a private block").sandbox(S_DB_CIDR).to("10.9.1.1", 5432).allow(ALLOWED_BY_RULE, "s-db"),

                // private ranges need a CIDR rule that names a private block
                c("open does not open 10/8").global(G_OPEN).to("10.0.0.5", 443).deny(PRIVATE_RANGE_NEEDS_CIDR, "private-range:private"),
                c("open does not open 172.16/12").global(G_OPEN).to("172.16.5.5", 443).deny(PRIVATE_RANGE_NEEDS_CIDR, "private-range:private"),
                c("172.32/16 is public").global(G_OPEN).to("172.32.0.1", 443).allow(ALLOWED_BY_RULE, "open:any-ipv4"),
                c("open does not open 192.168/16").global(G_OPEN).to("192.168.1.1", 443).deny(PRIVATE_RANGE_NEEDS_CIDR, "private-range:private"),
                c("open does not open 100.64/10").global(G_OPEN).to("100.64.0.1", 443).deny(PRIVATE_RANGE_NEEDS_CIDR, "private-range:shared-address-space"),
                c("open does not open fc00::/7").global(G_OPEN).to("fd12:3456::1", 443).deny(PRIVATE_RANGE_NEEDS_CIDR, "private-range:unique-local"),
                c("DNS rebinding: allowed name resolved to a private address").global(G_OPEN).to("192.168.1.10", 443).sni("rebind.example.net").resolved("rebind.example.net").deny(PRIVATE_RANGE_NEEDS_CIDR, "private-range:private"),
                c("allowed name on a private address outside the CIDR rule's port").to("10.1.2.3", 443).sni("api.example.com").resolved("api.example.com").deny(PRIVATE_RANGE_NEEDS_CIDR, "private-range:private"),
                c("allowed name on a private address inside the CIDR rule (first allow rule reported)").to("10.1.2.3", 5432).host("db.corp.example").resolved("db.corp.example").allow(ALLOWED_BY_RULE, "g-lan-db"),
                c("a name no rule allows, on a private address the CIDR rule opens").to("10.1.2.3", 5432).host("other.corp.example").resolved("other.corp.example").allow(ALLOWED_BY_RULE, "g-lan-db"),
                c("CIDR rule alone does not allow a denied name").to("10.1.2.3", 5432).host("bad.example.com").resolved("bad.example.com").deny(DENIED_BY_RULE, "g-deny-bad"),
                c("mapped IPv6 of a private address").global(G_OPEN).to("mapped:10.0.0.5", 443).deny(PRIVATE_RANGE_NEEDS_CIDR, "private-range:private"),
                c("NAT64 address embedding a private address").global(G_OPEN).to("64:ff9b::a00:5", 443).deny(PRIVATE_RANGE_NEEDS_CIDR, "private-range:embedded"),

                // no path back to the host, whatever the policy says
                c("loopback").global(G_OPEN).sandbox(S_EVERYTHING).to("127.0.0.1", 8080).deny(HOST_PROTECTED, "host-protection:loopback"),
                c("loopback, top of 127/8").global(G_OPEN).sandbox(S_EVERYTHING).to("127.255.255.254", 80).deny(HOST_PROTECTED, "host-protection:loopback"),
                c("IPv6 loopback").global(G_OPEN).sandbox(S_EVERYTHING).to("::1", 80).deny(HOST_PROTECTED, "host-protection:loopback"),
                c("IPv4-mapped loopback").global(G_OPEN).sandbox(S_EVERYTHING).to("mapped:127.0.0.1", 80).deny(HOST_PROTECTED, "host-protection:loopback"),
                c("IPv4-compatible loopback").global(G_OPEN).sandbox(S_EVERYTHING).to("::127.0.0.1", 80).deny(HOST_PROTECTED, "host-protection:loopback"),
                c("NAT64 loopback").global(G_OPEN).sandbox(S_EVERYTHING).to("64:ff9b::7f00:1", 80).deny(HOST_PROTECTED, "host-protection:loopback"),
                c("cloud metadata (link-local)").global(G_OPEN).sandbox(S_EVERYTHING).to("169.254.169.254", 80).deny(HOST_PROTECTED, "host-protection:link-local"),
                c("IPv6 link-local").global(G_OPEN).sandbox(S_EVERYTHING).to("fe80::1", 80).deny(HOST_PROTECTED, "host-protection:link-local"),
                c("0.0.0.0 reaches the host on Linux").global(G_OPEN).sandbox(S_EVERYTHING).to("0.0.0.0", 80).deny(HOST_PROTECTED, "host-protection:this-network"),
                c("IPv6 unspecified").global(G_OPEN).sandbox(S_EVERYTHING).to("::", 80).deny(HOST_PROTECTED, "host-protection:unspecified"),
                c("multicast").global(G_OPEN).sandbox(S_EVERYTHING).to("224.0.0.251", 5353).deny(HOST_PROTECTED, "host-protection:multicast"),
                c("IPv6 multicast").global(G_OPEN).sandbox(S_EVERYTHING).to("ff02::1", 5353).deny(HOST_PROTECTED, "host-protection:multicast"),
                c("broadcast").global(G_OPEN).sandbox(S_EVERYTHING).to("255.255.255.255", 80).deny(HOST_PROTECTED, "host-protection:reserved"),
                c("host interface address").global(G_OPEN).sandbox(S_EVERYTHING).to("192.0.2.10", 22).deny(HOST_PROTECTED, "host-protection:host-address"),
                c("host interface address, IPv6").global(G_OPEN).sandbox(S_EVERYTHING).to("2001:db8:ffff::10", 22).deny(HOST_PROTECTED, "host-protection:host-address"),
                c("host interface address, mapped").global(G_OPEN).sandbox(S_EVERYTHING).to("mapped:192.0.2.10", 22).deny(HOST_PROTECTED, "host-protection:host-address"),
                c("a neighbour of the host is not the host").global(G_OPEN).sandbox(S_EVERYTHING).to("192.0.2.11", 22).allow(ALLOWED_BY_RULE, "s-host"),
                c("Paddock listener").global(G_OPEN).sandbox(S_EVERYTHING).to("198.51.100.20", 7070).deny(PADDOCK_LISTENER, "host-protection:paddock-listener"),
                c("same address, other port").global(G_OPEN).sandbox(S_EVERYTHING).to("198.51.100.20", 7071).allow(ALLOWED_BY_RULE, "s-pad"),
                c("a name resolved to loopback").global(G_OPEN).sandbox(S_EVERYTHING).to("127.0.0.1", 443).sni("localtest.example.net").resolved("localtest.example.net").deny(HOST_PROTECTED, "host-protection:loopback"),

                // identity: SNI, Host, resolution
                c("SNI/Host mismatch").to("93.184.216.34", 443).sni("api.example.com").host("bad.example.com").resolved("api.example.com,bad.example.com").deny(HOST_SNI_MISMATCH, "identity:sni-host-mismatch"),
                c("SNI and Host agree up to case and port").to("93.184.216.34", 443).sni("api.example.com").host("API.example.com:443").resolved("api.example.com").allow(ALLOWED_BY_RULE, "g-allow-api"),
                c("IP-literal Host that is not the destination").global(G_OPEN).to("93.184.216.34", 80).host("1.2.3.4").deny(HOST_ADDRESS_MISMATCH, "identity:host-address"),
                c("IP-literal Host that is the destination").global(G_OPEN).to("93.184.216.34", 80).host("93.184.216.34:80").allow(ALLOWED_BY_RULE, "open:any-ipv4"),
                c("bracketed IPv6 Host that is the destination").global(G_OPEN).to("2606:2800:220:1:248:1893:25c8:1946", 80).host("[2606:2800:220:1:248:1893:25c8:1946]:80").allow(ALLOWED_BY_RULE, "open:any-ipv6"),
                c("never-resolved destination").global(G_OPEN).to("93.184.216.34", 443).sni("api.example.com").deny(NAME_NOT_RESOLVED, "identity:not-resolved"),
                c("name resolved to another address only").to("93.184.216.35", 443).sni("api.example.com").resolved("other.example.com").deny(NAME_NOT_RESOLVED, "identity:not-resolved"),
                c("overlong label in SNI").global(G_OPEN).to("93.184.216.34", 443).sni("a".repeat(64) + ".example.com").deny(INVALID_NAME, "identity:invalid-sni-name"),
                c("overlong SNI").global(G_OPEN).to("93.184.216.34", 443).sni(("abcdefghi.").repeat(26) + "com").deny(INVALID_NAME, "identity:invalid-sni-name"),
                c("underscore in SNI").global(G_OPEN).to("93.184.216.34", 443).sni("a_b.example.com").deny(INVALID_NAME, "identity:invalid-sni-name"),
                c("NUL in SNI").global(G_OPEN).to("93.184.216.34", 443).sni("api.example.com\u0000.evil.example").deny(INVALID_NAME, "identity:invalid-sni-name"),
                c("IP literal as SNI").global(G_OPEN).to("93.184.216.34", 443).sni("93.184.216.34").deny(INVALID_NAME, "identity:invalid-sni-name"),
                c("octal-looking Host").global(G_OPEN).to("93.184.216.34", 80).host("0177.0.0.1").deny(INVALID_NAME, "identity:invalid-host-name"),
                c("Host with a bad port").global(G_OPEN).to("93.184.216.34", 80).host("api.example.com:99999").deny(INVALID_NAME, "identity:invalid-host-name"),
                c("empty label in Host").global(G_OPEN).to("93.184.216.34", 80).host("api..example.com").deny(INVALID_NAME, "identity:invalid-host-name"),
                c("port 0").global(G_OPEN).to("93.184.216.34", 0).deny(INVALID_REQUEST, "request:port"),

                // HTTP method and path rules
                c("GET under an allowed path").to("93.184.216.34", 443).sni("git.example.com").request("GET /repos/a/b").resolved("git.example.com").allow(ALLOWED_BY_RULE, "g-http").inspect(false),
                c("POST where only GET is allowed").to("93.184.216.34", 443).sni("git.example.com").request("POST /repos/a").resolved("git.example.com").deny(DENIED_BY_DEFAULT, "global:default"),
                c("GET outside the allowed paths").to("93.184.216.34", 443).sni("git.example.com").request("GET /admin").resolved("git.example.com").deny(DENIED_BY_DEFAULT, "global:default"),
                c("connection before its first request must be inspected").to("93.184.216.34", 443).sni("git.example.com").resolved("git.example.com").allow(ALLOWED_BY_RULE, "g-http").inspect(true),
                c("method deny rule").to("93.184.216.34", 443).sni("api.example.com").request("DELETE /v1/x").resolved("api.example.com").deny(DENIED_BY_RULE, "g-http-deny"),
                c("method deny rule, lower-case method").to("93.184.216.34", 443).sni("api.example.com").request("delete /v1/x").resolved("api.example.com").deny(DENIED_BY_RULE, "g-http-deny"),
                c("other method passes the method deny rule").to("93.184.216.34", 443).sni("api.example.com").request("GET /v1/x").resolved("api.example.com").allow(ALLOWED_BY_RULE, "g-allow-api").inspect(false),
                c("dot segments are refused").to("93.184.216.34", 443).sni("git.example.com").request("GET /repos/../admin").resolved("git.example.com").deny(INVALID_REQUEST, "request:path"),
                c("encoded dot segments are refused").to("93.184.216.34", 443).sni("git.example.com").request("GET /repos/%2E%2e/admin").resolved("git.example.com").deny(INVALID_REQUEST, "request:path"),
                c("encoded slash is refused").to("93.184.216.34", 443).sni("git.example.com").request("GET /repos%2fadmin").resolved("git.example.com").deny(INVALID_REQUEST, "request:path"),
                c("repeated slashes and the query are canonicalized").to("93.184.216.34", 443).sni("git.example.com").request("GET //repos//a?x=../../admin").resolved("git.example.com").allow(ALLOWED_BY_RULE, "g-http"),

                c("unknown sandbox").to("93.184.216.34", 443).sni("api.example.com").resolved("api.example.com").deny(ReasonCode.UNKNOWN_SANDBOX, "policy:unknown-sandbox")
        );
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("connections")
    void decidesConnections(Case row) throws Exception {
        PolicyRegistry registry = new PolicyRegistry(PolicyParser.parse(Scope.GLOBAL, row.global()));
        String sandbox = row.label().equals("unknown sandbox") ? "other" : "sb1";
        registry.putSandbox("sb1", row.sandbox());
        EgressDecider decider = new EgressDecider(registry, () -> PROTECTION);

        Optional<RequestLine> line = Optional.ofNullable(row.request()).map(r -> {
            int sp = r.indexOf(' ');
            return new RequestLine(r.substring(0, sp), r.substring(sp + 1));
        });
        Set<String> resolved = row.resolved().isEmpty() ? Set.of()
                : Arrays.stream(row.resolved().split(",")).collect(Collectors.toSet());
        EgressRequest req = new EgressRequest(sandbox, destination(row.dst()), row.port(),
                Optional.ofNullable(row.sni()), Optional.ofNullable(row.host()), line, resolved);

        EgressDecision d = decider.decide(req);

        assertThat(d.verdict()).as("verdict (%s)", d.message()).isEqualTo(row.verdict());
        assertThat(d.reason()).as("reason (%s)", d.message()).isEqualTo(row.reason());
        assertThat(d.ruleId()).as("rule (%s)", d.message()).isEqualTo(row.ruleId());
        assertThat(d.ruleText()).isNotBlank();
        if (row.inspect() != null) {
            assertThat(d.inspectHttp()).as("inspectHttp (%s)", d.message()).isEqualTo(row.inspect());
        }
    }

    record NameCase(String label, String global, String sandbox, String name, Verdict verdict, ReasonCode reason,
                    String ruleId) {
        @Override
        public String toString() {
            return label;
        }
    }

    static Stream<NameCase> names() {
        return Stream.of(
                new NameCase("allowed domain (its port rule could match)", G_CUSTOM, S_NONE, "api.example.com", Verdict.ALLOW, ALLOWED_BY_RULE, "g-allow-api"),
                new NameCase("denied domain", G_CUSTOM, S_NONE, "bad.example.com", Verdict.DENY, DENIED_BY_RULE, "g-deny-bad"),
                new NameCase("sandbox allow never overrides a global deny", G_CUSTOM, S_ALLOW_BAD, "bad.example.com", Verdict.DENY, DENIED_BY_RULE, "g-deny-bad"),
                new NameCase("a port-specific deny does not deny the name", G_CUSTOM, S_NONE, "mixed.example.com", Verdict.ALLOW, ALLOWED_BY_RULE, "g-allow-mixed"),
                new NameCase("an HTTP-constrained allow makes the name resolvable", G_CUSTOM, S_NONE, "git.example.com", Verdict.ALLOW, ALLOWED_BY_RULE, "g-http"),
                new NameCase("host:port rule makes the name resolvable", G_CUSTOM, S_NONE, "registry.example.com", Verdict.ALLOW, ALLOWED_BY_RULE, "g-hp"),
                new NameCase("wildcard one label", G_CUSTOM, S_NONE, "x.one.example", Verdict.ALLOW, ALLOWED_BY_RULE, "g-one"),
                new NameCase("wildcard one label, two given", G_CUSTOM, S_NONE, "x.y.one.example", Verdict.DENY, DENIED_BY_DEFAULT, "global:default"),
                new NameCase("unlisted name", G_CUSTOM, S_NONE, "unknown.example.net", Verdict.DENY, DENIED_BY_DEFAULT, "global:default"),
                new NameCase("CIDR rules never make names resolvable", G_CUSTOM, S_DB_CIDR, "anything.corp.example", Verdict.DENY, DENIED_BY_DEFAULT, "global:default"),
                new NameCase("sandbox allow widens", G_CUSTOM, S_ALLOW_EXTRA, "extra.example.org", Verdict.ALLOW, ALLOWED_BY_RULE, "s-extra"),
                new NameCase("open resolves anything valid", G_OPEN, S_NONE, "unknown.example.net", Verdict.ALLOW, ALLOWED_BY_DEFAULT, "global:default"),
                new NameCase("locked-down sandbox under open", G_OPEN, S_LOCKED, "unknown.example.net", Verdict.DENY, DENIED_BY_DEFAULT, "sandbox:default"),
                new NameCase("balanced: github", "{\"preset\": \"balanced\"}", S_NONE, "github.com", Verdict.ALLOW, ALLOWED_BY_RULE, "balanced:github"),
                new NameCase("balanced: api.github.com", "{\"preset\": \"balanced\"}", S_NONE, "api.github.com", Verdict.ALLOW, ALLOWED_BY_RULE, "balanced:github-sub"),
                new NameCase("balanced: pypi", "{\"preset\": \"balanced\"}", S_NONE, "pypi.org", Verdict.ALLOW, ALLOWED_BY_RULE, "balanced:pypi"),
                new NameCase("balanced: an unlisted name", "{\"preset\": \"balanced\"}", S_NONE, "pastebin.example.com", Verdict.DENY, DENIED_BY_DEFAULT, "global:default"),
                new NameCase("overlong label", G_OPEN, S_NONE, "a".repeat(64) + ".example.com", Verdict.DENY, INVALID_NAME, "identity:invalid-dns-name"),
                new NameCase("overlong name", G_OPEN, S_NONE, "abcdefghi.".repeat(26) + "com", Verdict.DENY, INVALID_NAME, "identity:invalid-dns-name"),
                new NameCase("numeric top-level label", G_OPEN, S_NONE, "10.0.0.1", Verdict.DENY, INVALID_NAME, "identity:invalid-dns-name"),
                new NameCase("non-LDH label", G_OPEN, S_NONE, "_dmarc.example.com", Verdict.DENY, INVALID_NAME, "identity:invalid-dns-name"),
                new NameCase("trailing dot and case", G_CUSTOM, S_NONE, "API.Example.COM.", Verdict.ALLOW, ALLOWED_BY_RULE, "g-allow-api"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("names")
    void decidesDnsNames(NameCase row) throws Exception {
        PolicyRegistry registry = new PolicyRegistry(PolicyParser.parse(Scope.GLOBAL, row.global()));
        registry.putSandbox("sb1", row.sandbox());
        EgressDecision d = new EgressDecider(registry, () -> PROTECTION).decideName("sb1", row.name());
        assertThat(d.verdict()).as("verdict (%s)", d.message()).isEqualTo(row.verdict());
        assertThat(d.reason()).as("reason (%s)", d.message()).isEqualTo(row.reason());
        assertThat(d.ruleId()).as("rule (%s)", d.message()).isEqualTo(row.ruleId());
    }

    @Test
    void liveUpdateChangesTheNextDecisionAndItsVersion() throws PolicyException {
        PolicyRegistry registry = new PolicyRegistry(PolicyParser.parse(Scope.GLOBAL, G_CUSTOM));
        registry.putSandbox("sb1", S_NONE);
        EgressDecider decider = new EgressDecider(registry, () -> PROTECTION);
        EgressDecision before = decider.decideName("sb1", "extra.example.org");
        registry.putSandbox("sb1", S_ALLOW_EXTRA);
        EgressDecision after = decider.decideName("sb1", "extra.example.org");
        assertThat(before.allowed()).isFalse();
        assertThat(after.allowed()).isTrue();
        assertThat(after.policyVersion()).isGreaterThan(before.policyVersion());
    }

    @Test
    void denialMessageNamesTheRule() throws PolicyException {
        PolicyRegistry registry = new PolicyRegistry(PolicyParser.parse(Scope.GLOBAL, G_CUSTOM));
        registry.putSandbox("sb1", S_NONE);
        EgressDecision d = new EgressDecider(registry, () -> PROTECTION).decideName("sb1", "bad.example.com");
        assertThat(d.message()).isEqualTo("denied by g-deny-bad (deny domain bad.example.com)");
    }

    /** "mapped:a.b.c.d" builds a real Inet6Address ::ffff:a.b.c.d, which getByName would already have unwrapped. */
    static InetAddress destination(String text) {
        if (text.startsWith("mapped:")) {
            byte[] v4 = address(text.substring(7)).getAddress();
            byte[] b = new byte[16];
            b[10] = (byte) 0xff;
            b[11] = (byte) 0xff;
            System.arraycopy(v4, 0, b, 12, 4);
            try {
                return Inet6Address.getByAddress(null, b, -1);
            } catch (UnknownHostException e) {
                throw new IllegalStateException(e);
            }
        }
        return address(text);
    }

    static InetAddress address(String literal) {
        return dev.paddock.netpolicy.address.IpAddresses.parseLiteral(literal)
                .orElseThrow(() -> new IllegalArgumentException("not a literal: " + literal));
    }
}
