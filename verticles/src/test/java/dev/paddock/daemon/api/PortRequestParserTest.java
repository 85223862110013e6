package dev.paddock.daemon.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paddock.daemon.DaemonException;
import dev.paddock.daemon.ErrorCode;
import dev.paddock.daemon.sandbox.PortRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class PortRequestParserTest {
    @Test
    void defaultsToAnyFreeLoopbackPort() {
        assertThat(PortRequestParser.parseAdd(new JsonObject().put("guestPort", 8080)))
                .isEqualTo(new PortRequest(8080, 0, "127.0.0.1"));
        assertThat(PortRequestParser.parseAdd(new JsonObject().put("guestPort", 1).put("hostPort", 65535)
                .put("hostAddress", "127.0.0.1"))).isEqualTo(new PortRequest(1, 65535, "127.0.0.1"));
    }

    @Test
    void badPortNumbersAreOutOfRangeAndNamed() {
        assertRefused(new JsonObject().put("guestPort", 0), ErrorCode.OUT_OF_RANGE, "guestPort",
                "guestPort 0 is out of range; use 1..65535");
        assertRefused(new JsonObject().put("guestPort", 65536), ErrorCode.OUT_OF_RANGE, "guestPort",
                "guestPort 65536 is out of range; use 1..65535");
        assertRefused(new JsonObject().put("guestPort", 80).put("hostPort", -1), ErrorCode.OUT_OF_RANGE, "hostPort",
                "hostPort -1 is out of range; use 0..65535");
        assertRefused(new JsonObject().put("guestPort", 80.5), ErrorCode.INVALID_ARGUMENT, "guestPort",
                "guestPort must be an integer, got 80.5");
        assertRefused(new JsonObject().put("guestPort", "80"), ErrorCode.INVALID_ARGUMENT, "guestPort",
                "guestPort must be an integer, got 80");
    }

    @Test
    void missingGuestPortUnknownFieldsAndOtherAddressesAreRefused() {
        assertRefused(new JsonObject(), ErrorCode.INVALID_ARGUMENT, "guestPort", "guestPort is missing");
        assertRefused(new JsonObject().put("guestPort", 80).put("protocol", "udp"), ErrorCode.INVALID_ARGUMENT,
                "protocol", "unknown field 'protocol'");
        assertRefused(new JsonObject().put("guestPort", 80).put("hostAddress", "0.0.0.0"),
                ErrorCode.INVALID_ARGUMENT, "hostAddress", "hostAddress \"0.0.0.0\" is not offered");
        // At create, another address is kept (and reported not published); only a live add refuses it.
        assertThat(PortRequestParser.parse(new JsonObject().put("guestPort", 80).put("hostAddress", "0.0.0.0"),
                "ports[0]").hostAddress()).isEqualTo("0.0.0.0");
    }

    @Test
    void createTimeErrorsNameTheEntry() {
        assertThatThrownBy(() -> CreateSandboxParser.parse(new JsonObject().put("ports", new JsonArray()
                .add(new JsonObject().put("guestPort", 22)).add(new JsonObject().put("hostPort", 22)))))
                .isInstanceOfSatisfying(DaemonException.class, e -> assertThat(e.field()).isEqualTo("ports[1].guestPort"))
                .hasMessageContaining("ports[1].guestPort is missing");
    }

    @Test
    void hostPortPathSegment() {
        assertThat(PortRequestParser.hostPort("18080")).isEqualTo(18080);
        assertThatThrownBy(() -> PortRequestParser.hostPort("http"))
                .isInstanceOfSatisfying(DaemonException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                .hasMessageContaining("the host port \"http\" is not a number");
        assertThatThrownBy(() -> PortRequestParser.hostPort("0"))
                .isInstanceOfSatisfying(DaemonException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.OUT_OF_RANGE))
                .hasMessage("hostPort 0 is out of range; use 1..65535");
        assertThatThrownBy(() -> PortRequestParser.hostPort("70000")).hasMessage("hostPort 70000 is out of range; use 1..65535");
    }

    private static void assertRefused(JsonObject body, ErrorCode code, String field, String message) {
        assertThatThrownBy(() -> PortRequestParser.parseAdd(body))
                .isInstanceOfSatisfying(DaemonException.class, e -> {
                    assertThat(e.code()).isEqualTo(code);
                    assertThat(e.field()).isEqualTo(field);
                })
                .hasMessageContaining(message);
    }
}
