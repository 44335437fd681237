package io.lockstep.serialization;

/**
 * A wire message that cannot become a domain value: no op, an empty id, a counter out of range.
 * The message is safe to return to the sender; it names the bad field and value.
 */
public final class InvalidMutationException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public InvalidMutationException(String message) {
    super(message);
  }
}
