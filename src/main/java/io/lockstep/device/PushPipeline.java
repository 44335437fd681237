package io.lockstep.device;

import io.lockstep.protocol.v1.Mutation;
import java.util.ArrayDeque;
import java.util.List;

/**
 * The pushes a session has forwarded to its merchant and not yet seen answered, oldest first.
 * Pushes are numbered 1, 2, 3… and forwarded at once; results come back in that order. When the
 * merchant refuses push {@code s} as out of sequence (an earlier push may be missing, see
 * {@code PushSequences}), the session holds new pushes and, once every push before {@code s} has
 * its result, sends {@code s} and all after it again with their numbers: then none can be missing.
 * Confined to the session's actor.
 */
final class PushPipeline {

  /** A numbered push. */
  record Forwarded(long sequence, List<Mutation> mutations) {}

  private final ArrayDeque<Forwarded> unanswered = new ArrayDeque<>();
  private long forwarded;
  private long answered;
  private long resendFrom; // 0: nothing refused

  /** Pushes forwarded (or held) and not answered. */
  int inFlight() {
    return unanswered.size();
  }

  /** Pushes answered with a result; always the oldest ones. */
  long answered() {
    return answered;
  }

  /** Numbers a new push; returns it to forward now, or null while a resend is pending. */
  Forwarded add(List<Mutation> mutations) {
    Forwarded push = new Forwarded(++forwarded, List.copyOf(mutations));
    unanswered.addLast(push);
    return resendFrom == 0 ? push : null;
  }

  /**
   * Whether a result with these acks answers the oldest push. A push sent again after
   * {@code request-timeout} whose original was only slow is answered twice (the merchant admits
   * the copy and answers its mutations {@code DUPLICATE}); the second answer names counters of a
   * push already answered, not those of the oldest one still in flight, and must be neither sent
   * to the device nor counted as the answer of the next push.
   */
  boolean answersOldest(List<io.lockstep.protocol.v1.Ack> acks) {
    Forwarded oldest = unanswered.peekFirst();
    if (oldest == null) return false;
    if (acks.isEmpty() || oldest.mutations().isEmpty()) return true;
    return acks.get(0).getCounter() == oldest.mutations().get(0).getCounter();
  }

  /** The oldest push got its result; returns what to send again now, if anything. */
  List<Forwarded> resultForOldest() {
    if (unanswered.pollFirst() != null) answered++;
    return resendIfReady();
  }

  /** The merchant refused push {@code sequence} and will ignore later ones; returns what to send again now. */
  List<Forwarded> refused(long sequence) {
    if (sequence <= answered || sequence > forwarded) return List.of(); // not one of ours in flight
    resendFrom = resendFrom == 0 ? sequence : Math.min(resendFrom, sequence);
    return resendIfReady();
  }

  /** Every unanswered push, to send again after the oldest went unanswered too long. */
  List<Forwarded> resendAll() {
    resendFrom = 0;
    return List.copyOf(unanswered);
  }

  private List<Forwarded> resendIfReady() {
    if (resendFrom == 0 || answered + 1 < resendFrom) return List.of();
    resendFrom = 0;
    return List.copyOf(unanswered);
  }
}
