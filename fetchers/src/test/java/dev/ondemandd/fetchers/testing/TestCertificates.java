package dev.ondemandd.fetchers.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/** A self-signed RSA key pair and certificate made by the JDK's keytool at test time (nothing committed). */
public record TestCertificates(PrivateKey key, X509Certificate certificate, KeyStore store, Path pem) {

    private static final String PASS = "changeit";

    /**
     * Generates one.
     *
     * @param san a subjectAltName extension value ({@code ip:127.0.0.1}) or null
     */
    public static TestCertificates generate(Path dir, String name, String san) throws IOException,
            GeneralSecurityException, InterruptedException {
        Files.createDirectories(dir);
        Path store = dir.resolve(name + ".p12");
        Files.deleteIfExists(store);
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", name, "-keyalg", "RSA", "-keysize", "2048", "-sigalg", "SHA256withRSA",
                "-dname", "CN=ondemandd test " + name, "-validity", "2", "-storetype", "PKCS12",
                "-keystore", store.toString(), "-storepass", PASS, "-keypass", PASS));
        if (san != null) {
            cmd.addAll(List.of("-ext", "SAN=" + san));
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("keytool failed: " + out);
        }
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            ks.load(in, PASS.toCharArray());
        }
        X509Certificate cert = (X509Certificate) ks.getCertificate(name);
        Path pem = dir.resolve(name + ".pem");
        Files.writeString(pem, "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(cert.getEncoded())
                + "\n-----END CERTIFICATE-----\n");
        return new TestCertificates((PrivateKey) ks.getKey(name, PASS.toCharArray()), cert, ks, pem);
    }

    /** A server-side TLS context presenting this certificate. */
    public SSLContext serverContext() throws GeneralSecurityException {
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(store, PASS.toCharArray());
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        return ctx;
    }
}
