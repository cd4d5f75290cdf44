package dev.ondemandd.daemon.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ondemandd.daemon.faults.FaultSpec.Kind;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class FaultSpecTest {

    @Test
    void aSpecListsFaultsWithArgumentsAndTheFetchOrReadTheyFireOn() throws Exception {
        FaultSpec spec = FaultSpec.parse("error:2@3, timeout ,slow:20@4,close-mid-fetch@2,unmatched-open");

        assertThat(spec.faults()).extracting(FaultSpec.Fault::kind).containsExactly(Kind.ERROR, Kind.TIMEOUT,
                Kind.SLOW, Kind.CLOSE_MID_FETCH, Kind.UNMATCHED_OPEN);
        assertThat(spec.faults().get(0).arg()).isEqualTo(2);
        assertThat(spec.faults().get(0).nth()).isEqualTo(3);
        assertThat(spec.faults().get(1).nth()).isEqualTo(1);
        assertThat(spec.toString()).isEqualTo("error:2@3,timeout@1,slow:20@4,close-mid-fetch@2,unmatched-open@1");
        assertThat(FaultSpec.parse("error").faults().get(0).arg()).isEqualTo(5);
    }

    @ParameterizedTest(name = "''{0}'' -> {1}")
    @CsvSource(delimiter = '|', value = {
        "''| empty",
        "error,,timeout| an empty entry",
        "explode| unknown fault 'explode' (known: error, timeout",
        "timeout:5| timeout takes no argument",
        "error:0| error's argument must be 1..4095, not 0",
        "error:4096| must be 1..4095",
        "error:-1| must be a whole number",
        "slow:99999999999999999999| must be a whole number",
        "error@0| @N must be 1..2147483647, not 0",
        "error@x| @N must be a whole number",
        "error@9999999999999999992| @N must be a whole number",
        "error@| @N must be a whole number",
    })
    void aBadSpecIsRefusedWithWhatIsWrongAndWhatWouldBeRight(String text, String message) {
        assertThatThrownBy(() -> FaultSpec.parse(text)).isInstanceOf(FaultSpecException.class)
                .hasMessageStartingWith("--faults: ").hasMessageContaining(message);
    }

    @Test
    void tooManyFaultsAreRefused() {
        String many = String.join(",", java.util.Collections.nCopies(FaultSpec.MAX_FAULTS + 1, "error"));
        assertThatThrownBy(() -> FaultSpec.parse(many)).isInstanceOf(FaultSpecException.class)
                .hasMessageContaining("at most " + FaultSpec.MAX_FAULTS);
    }
}
