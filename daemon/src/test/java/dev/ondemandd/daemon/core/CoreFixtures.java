package dev.ondemandd.daemon.core;

import java.util.Random;

/** Setup the core's tests share: reproducible content and an object opened through the core. */
final class CoreFixtures {

    private CoreFixtures() {
    }

    /** {@code size} bytes that depend only on {@code seed}, so a failure reproduces. */
    static byte[] random(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    /** Opens the {@code erofs,img} volume's {@code cookie} onto {@code target} and waits for its handle. */
    static ObjectHandle open(Core core, String cookie, FakeTarget target) throws Exception {
        Replies.Open reply = new Replies.Open();
        core.open(ObjectKey.of("erofs,img", cookie), target, reply);
        return reply.await();
    }
}
