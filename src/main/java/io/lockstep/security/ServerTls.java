package io.lockstep.security;

import io.lockstep.config.SecuritySettings;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/** The server's TLS context from a PKCS12 key store. Errors name the file, never the password. */
public final class ServerTls {
  private ServerTls() {}

  /**
   * An {@link SSLContext} serving the key and certificate chain in {@code tls.keyStore()}.
   *
   * @throws SigningKeyException if the key store cannot be read or opened with the password
   */
  public static SSLContext context(SecuritySettings.Tls tls) throws SigningKeyException {
    try (InputStream in = Files.newInputStream(tls.keyStore())) {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(in, tls.password());
      KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      keys.init(store, tls.password());
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(keys.getKeyManagers(), null, null);
      return context;
    } catch (IOException | GeneralSecurityException e) {
      // The cause's message may quote inputs; keep only its type.
      throw new SigningKeyException("cannot open TLS key store " + tls.keyStore() + " (" + e.getClass().getSimpleName()
          + "): check lockstep.security.tls.key-store and its password", null);
    }
  }
}
