package dev.ondemandd.protocol.fanotify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class FanotifyEventDecoderTest {

    /** Collects what the decoder hands out. */
    static final class Collected implements FanotifyEventDecoder.Sink {
        final List<FanotifyEvent> events = new ArrayList<>();
        final List<MalformedEventException> errors = new ArrayList<>();

        @Override
        public void event(FanotifyEvent event) {
            events.add(event);
        }

        @Override
        public void malformed(MalformedEventException error) {
            errors.add(error);
        }
    }

    static Collected decode(ByteBuffer b) {
        Collected c = new Collected();
        FanotifyEventDecoder.decode(b, c);
        return c;
    }

    @Test
    void decodesAPreAccessEventCapturedFromTheKernel() {
        assumeTrue(ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN, "golden bytes are little-endian");
        // event_len 48, vers 3, metadata_len 24, mask FAN_PRE_ACCESS, fd 7, pid 4242,
        // range info: type 6, len 24, offset 65536, count 131072
        byte[] golden = HexFormat.of().parseHex("30000000" + "0300" + "1800" + "0000100000000000" + "07000000"
                + "92100000" + "06001800" + "00000000" + "0000010000000000" + "0000020000000000");
        Collected c = decode(ByteBuffer.wrap(golden));
        assertThat(c.errors).isEmpty();
        assertThat(c.events).containsExactly(new FanotifyEvent(Fanotify.FAN_PRE_ACCESS, 7, 4242,
                Optional.of(new FanotifyRange(65536, 131072))));
        assertThat(c.events.get(0).isPreAccess()).isTrue();
    }

    @Test
    void decodesSeveralEventsFromOneBuffer() {
        ByteBuffer b = new EventBytes().preAccess(5, 1, 0, 4096).preAccess(6, 2, 8192, 65536)
                .event(Fanotify.FAN_NOFD, 0, Fanotify.FAN_Q_OVERFLOW).buffer();
        Collected c = decode(b);
        assertThat(c.errors).isEmpty();
        assertThat(c.events).extracting(FanotifyEvent::fd).containsExactly(5, 6, -1);
        assertThat(c.events.get(1).range()).contains(new FanotifyRange(8192, 65536));
        assertThat(c.events.get(2).range()).isEmpty();
        assertThat(c.events.get(2).hasFd()).isFalse();
        assertThat(b.position()).as("buffer position untouched").isZero();
    }

    @Test
    void skipsUnknownInfoRecordsByTheirLength() {
        ByteBuffer b = new EventBytes().event(9, 1, Fanotify.FAN_PRE_ACCESS, EventBytes.info(4, 8, 8),
                EventBytes.range(4096, 4096), EventBytes.info(99, 12, 12)).buffer();
        Collected c = decode(b);
        assertThat(c.errors).isEmpty();
        assertThat(c.events).singleElement()
                .satisfies(e -> assertThat(e.range()).contains(new FanotifyRange(4096, 4096)));
    }

    @Test
    void anEventWithoutRangeHasNone() {
        Collected c = decode(new EventBytes().event(3, 1, Fanotify.FAN_PRE_ACCESS).buffer());
        assertThat(c.events).singleElement().satisfies(e -> assertThat(e.range()).isEmpty());
    }

    @Test
    void wrongVersionIsRejectedWithItsFdAndTheNextEventStillDecodes() {
        EventBytes bytes = new EventBytes().preAccess(11, 1, 0, 4096).preAccess(12, 1, 0, 4096);
        ByteBuffer b = bytes.buffer();
        b.put(4, (byte) 2);
        Collected c = decode(b);
        assertThat(c.errors).singleElement().satisfies(e -> {
            assertThat(e.fd()).isEqualTo(11);
            assertThat(e.resumable()).isTrue();
            assertThat(e).hasMessageContaining("version 2");
        });
        assertThat(c.events).extracting(FanotifyEvent::fd).containsExactly(12);
    }

    @Test
    void eventLenBeyondTheBufferStopsDecodingButKeepsTheFd() {
        ByteBuffer b = new EventBytes().preAccess(13, 1, 0, 4096).buffer();
        b.putInt(0, 49);
        Collected c = decode(b);
        assertThat(c.events).isEmpty();
        assertThat(c.errors).singleElement().satisfies(e -> {
            assertThat(e.fd()).isEqualTo(13);
            assertThat(e.resumable()).isFalse();
        });
    }

    @Test
    void eventLenBelowTheMetadataIsRejected() {
        ByteBuffer b = new EventBytes().preAccess(13, 1, 0, 4096).buffer();
        b.putInt(0, 23);
        assertThat(decode(b).errors).singleElement().satisfies(e -> assertThat(e.fd()).isEqualTo(13));
    }

    @Test
    void eventLenAboveTwoToTheThirtyOneIsRejectedNotWrapped() {
        ByteBuffer b = new EventBytes().preAccess(13, 1, 0, 4096).buffer();
        b.putInt(0, 0x80000018);
        assertThat(decode(b).errors).singleElement().satisfies(e -> assertThat(e.resumable()).isFalse());
    }

    @Test
    void aTruncatedHeaderReportsTheFdWhenItIsThere() {
        ByteBuffer b = new EventBytes().preAccess(14, 1, 0, 4096).buffer();
        b.limit(20);
        assertThat(decode(b).errors).singleElement().satisfies(e -> assertThat(e.fd()).isEqualTo(14));
        b.limit(10);
        assertThat(decode(b).errors).singleElement().satisfies(e -> assertThat(e.fd()).isEqualTo(Fanotify.FAN_NOFD));
    }

    @Test
    void metadataLenOutsideTheEventIsRejected() {
        ByteBuffer b = new EventBytes().preAccess(15, 1, 0, 4096).buffer();
        b.putShort(6, (short) 20);
        assertThat(decode(b).errors).singleElement().satisfies(e -> assertThat(e.fd()).isEqualTo(15));
        b.putShort(6, (short) 49);
        assertThat(decode(b).errors).singleElement().satisfies(e -> assertThat(e.fd()).isEqualTo(15));
    }

    @Test
    void infoRecordsThatDoNotFitAreRejected() {
        assertThat(decode(new EventBytes().event(16, 1, Fanotify.FAN_PRE_ACCESS, new byte[3]).buffer()).errors)
                .singleElement().satisfies(e -> assertThat(e).hasMessageContaining("truncated info header"));
        assertThat(decode(new EventBytes().event(16, 1, Fanotify.FAN_PRE_ACCESS, EventBytes.info(1, 2, 4))
                .buffer()).errors).singleElement().satisfies(e -> assertThat(e).hasMessageContaining("len 2"));
        assertThat(decode(new EventBytes().event(16, 1, Fanotify.FAN_PRE_ACCESS, EventBytes.info(1, 40, 8))
                .buffer()).errors).singleElement().satisfies(e -> assertThat(e).hasMessageContaining("len 40"));
        assertThat(decode(new EventBytes().event(16, 1, Fanotify.FAN_PRE_ACCESS, EventBytes.info(1, 0, 4))
                .buffer()).errors).as("a zero length would loop forever").hasSize(1);
    }

    @Test
    void aRangeRecordOfTheWrongSizeOrTwiceIsRejected() {
        byte[] shortRange = EventBytes.info(Fanotify.INFO_TYPE_RANGE, 16, 16);
        assertThat(decode(new EventBytes().event(17, 1, Fanotify.FAN_PRE_ACCESS, shortRange).buffer()).errors)
                .singleElement().satisfies(e -> assertThat(e.fd()).isEqualTo(17));
        assertThat(decode(new EventBytes().event(17, 1, Fanotify.FAN_PRE_ACCESS, EventBytes.range(0, 1),
                EventBytes.range(0, 1)).buffer()).errors).singleElement()
                .satisfies(e -> assertThat(e).hasMessageContaining("two range"));
    }

    @Test
    void rangesBeyondTwoToTheSixtyThreeAreRejected() {
        assertThat(decode(new EventBytes().preAccess(18, 1, -1, 1).buffer()).errors).hasSize(1);
        assertThat(decode(new EventBytes().preAccess(18, 1, 1, -1).buffer()).errors).hasSize(1);
        assertThat(decode(new EventBytes().preAccess(18, 1, Long.MAX_VALUE, 1).buffer()).errors).hasSize(1);
        assertThat(decode(new EventBytes().preAccess(18, 1, Long.MAX_VALUE - 1, 1).buffer()).events).hasSize(1);
    }

    @Test
    void anEmptyBufferHoldsNoEvents() {
        assertThat(FanotifyEventDecoder.decode(ByteBuffer.allocate(0), new Collected())).isZero();
    }
}
