package io.lockstep.domain;

/**
 * Who wrote a mutation. {@code SERVICE} (a product service writing over HTTP) outranks
 * {@code DEVICE} when concurrent register writes are compared; the declaration order is the rank.
 */
public enum Authority {
  DEVICE,
  SERVICE
}
