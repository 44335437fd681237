package io.lockstep.device;

/**
 * Where device sessions report how long changes take to reach devices: from the commit of their
 * journal write to being written to the device's socket ({@link #written}), and to the device's
 * report that it applied and stored them ({@link #applied}). Called from stream and session
 * threads; implementations are thread-safe and cheap.
 */
public interface DeliveryLag {

  /** {@code changes} changes went to {@code deviceId}'s socket {@code lagMillis} after their commit. */
  void written(String merchantId, String deviceId, long lagMillis, int changes);

  /** {@code deviceId} reported applied a change {@code lagMillis} after its commit. */
  void applied(String merchantId, String deviceId, long lagMillis);

  /** The session of {@code deviceId} ended. */
  void closed(String merchantId, String deviceId);

  DeliveryLag NONE = new DeliveryLag() {
    @Override
    public void written(String merchantId, String deviceId, long lagMillis, int changes) {}

    @Override
    public void applied(String merchantId, String deviceId, long lagMillis) {}

    @Override
    public void closed(String merchantId, String deviceId) {}
  };
}
