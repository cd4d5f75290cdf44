package dev.ondemandd.protocol.nativeio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class PageAlignedBuffersTest {

    final int page = PageAlignedBuffers.pageSize();

    static long address(ByteBuffer b) {
        return Pointer.nativeValue(Native.getDirectBufferPointer(b));
    }

    @Test
    void pageSizeIsTheSystemOne() {
        assertThat(page).isEqualTo(Posix.pageSize()).isPositive();
        assertThat(Integer.bitCount(page)).isEqualTo(1);
    }

    @Test
    void buffersStartOnAPageAndSpanWholePages() {
        for (int size : new int[] {1, page - 1, page, page + 1, 1 << 20}) {
            ByteBuffer b = PageAlignedBuffers.allocate(size);
            assertThat(b.isDirect()).isTrue();
            assertThat(address(b) % page).as("address of %d", size).isZero();
            assertThat(b.capacity() % page).isZero();
            assertThat(b.capacity()).isGreaterThanOrEqualTo(size).isLessThan(size + page);
            assertThat(b.position()).isZero();
            assertThat(b.limit()).isEqualTo(b.capacity());
        }
    }

    @Test
    void roundUpAndIsAligned() {
        assertThat(PageAlignedBuffers.roundUp(0)).isZero();
        assertThat(PageAlignedBuffers.roundUp(1)).isEqualTo(page);
        assertThat(PageAlignedBuffers.roundUp(page)).isEqualTo(page);
        assertThat(PageAlignedBuffers.isAligned(3L * page)).isTrue();
        assertThat(PageAlignedBuffers.isAligned(3L * page + 512)).isFalse();
        assertThatThrownBy(() -> PageAlignedBuffers.roundUp(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PageAlignedBuffers.allocate(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void poolReusesReleasedBuffersAndStaysBounded() {
        PageAlignedBuffers.Pool pool = new PageAlignedBuffers.Pool(100, 2);
        assertThat(pool.bufferSize()).isEqualTo(page);
        ByteBuffer a = pool.acquire();
        ByteBuffer b = pool.acquire();
        ByteBuffer c = pool.acquire();
        assertThat(pool.allocated()).isEqualTo(3);
        a.position(10);
        pool.release(a);
        pool.release(b);
        pool.release(c); // over the bound: dropped for the GC
        assertThat(pool.pooled()).isEqualTo(2);
        ByteBuffer again = pool.acquire();
        assertThat(again).isSameAs(a);
        assertThat(again.position()).as("cleared on release").isZero();
        assertThat(pool.allocated()).isEqualTo(3);
    }

    @Test
    void poolRefusesForeignBuffers() {
        PageAlignedBuffers.Pool pool = new PageAlignedBuffers.Pool(page, 2);
        assertThatThrownBy(() -> pool.release(ByteBuffer.allocate(page))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> pool.release(PageAlignedBuffers.allocate(2 * page)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
