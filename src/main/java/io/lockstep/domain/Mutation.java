package io.lockstep.domain;

import java.util.Objects;

/**
 * One write of a device or service: its {@link Dot}, the version vector of the touched record as
 * the writer last saw it ({@code base}, its own pending mutations included), its hybrid logical
 * time, the writer's authority and the op. All components are non-null.
 */
public record Mutation(Dot dot, VersionVector base, Hlc hlc, Authority authority, Op op) {

  public Mutation {
    Objects.requireNonNull(dot, "dot");
    Objects.requireNonNull(base, "base");
    Objects.requireNonNull(hlc, "hlc");
    Objects.requireNonNull(authority, "authority");
    Objects.requireNonNull(op, "op");
  }

  /** This mutation with another base. */
  public Mutation withBase(VersionVector newBase) {
    return new Mutation(dot, newBase, hlc, authority, op);
  }
}
